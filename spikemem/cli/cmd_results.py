"""`spikemem results DIR`: print the results of a sweep (or of `spikemem continual`) from its
folder, finished or still running: per setting of the swept parameters, each metric as mean
± std over seeds, and the trials still pending or failed (with their errors)."""
from __future__ import annotations

from pathlib import Path


def add_parser(sub):
    p = sub.add_parser("results", help="print a sweep's results table (mean ± std over seeds)",
                       description=__doc__)
    p.add_argument("folder", help="the --out folder of `spikemem sweep` or `spikemem continual`")
    p.add_argument("--metric", action="append", default=None,
                   help="a metric to show (repeatable; default: the sweep's, or all)")
    p.add_argument("--trials", action="store_true", help="print every trial's row instead")
    p.set_defaults(func=main)


def report(spec, table, summary_text: str, out) -> str:
    """The header (experiment, fixed parameters, counts), the summary and failed trials."""
    counts = table["status"].value_counts()
    lines = [f"{spec.experiment}: {spec.description}" if spec.description else spec.experiment]
    if spec.fixed:
        lines.append("fixed: " + ", ".join(f"{k}={v!r}" for k, v in spec.fixed.items()))
    lines.append(f"{len(table)} trials ({len(spec.seeds)} seeds): "
                 + ", ".join(f"{counts.get(s, 0)} {s}" for s in ("ok", "failed", "pending")))
    lines += ["", summary_text.rstrip()]
    for _, row in table[table["status"] == "failed"].iterrows():
        lines.append(f"failed: trial {row['trial']} (seed {row['seed']}): {row['error']} "
                     f"(traceback: {Path(out) / 'trials' / row['trial'] / 'result.json'})")
    return "\n".join(lines)


def main(args) -> int:
    from dataclasses import replace

    from ..sweep import read, tables
    spec = read(args.folder)
    if args.metric:
        spec = replace(spec, metrics=tuple(args.metric))
    table = tables.trials(spec, args.folder)
    if args.trials:
        print(table.to_string(index=False))
        return 0
    text = tables.markdown(tables.summary(table, spec), spec, tables.metric_names(table, spec))
    print(report(spec, table, text, args.folder))
    return 0
