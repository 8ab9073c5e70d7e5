"""The results store: every trial's parameters and metrics in one table (pandas), a summary
(mean ± std over seeds of each metric, per setting of the swept parameters) and its
markdown text. Files (CSV, atomic): OUT/trials.csv, OUT/summary.csv, OUT/summary.md.

trials.csv: one row per trial in the sweep's order: `trial` (its folder key), `status`
(ok, failed, pending), `error` (a failed trial's), `seed`, the swept parameters, then every
number or bool in the metrics (nested dicts flattened as "a.b"; a name taken by a column
gets "metric."). Timings are kept out of it, so a rerun writes the same table.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import ModelError
from ..files import atomic_path
from .spec import Sweep
from .trial import canonical, read_result

INSTALL = "pip install 'spikemem[sweep]'"
STD_DDOF = 0  # std over seeds with ddof 0, as spikemem.continual reports it
COLUMNS = ("trial", "status", "error", "seed")  # then the swept parameters, then the metrics


def require_pandas():
    try:
        import pandas
    except ImportError:
        raise ModelError(f"the results tables need pandas: {INSTALL}") from None
    return pandas


def flatten(metrics: dict, prefix: str = "") -> dict:
    """The numbers and bools of a nested metrics dict, keys joined with '.'."""
    out = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, (bool, int, float)):
            out[name] = value
    return out


def _cell(value):
    return value if isinstance(value, (bool, int, float, str)) or value is None \
        else canonical(value)


def trials(sweep: Sweep, out):
    """The table of every trial (pending ones too), as a pandas DataFrame."""
    pd = require_pandas()
    reserved = {*COLUMNS, *sweep.swept}
    rows = []
    for t in sweep.trials:
        record = read_result(t, out) or {"status": "pending"}
        row = {"trial": t.key, "status": record["status"], "error": record.get("error", ""),
               "seed": t.seed,
               **{p: _cell(t.params[p]) for p in sweep.swept}}
        for name, value in flatten(record.get("metrics", {})).items():
            row["metric." + name if name in reserved else name] = value
        rows.append(row)
    return pd.DataFrame(rows, columns=list(dict.fromkeys(k for r in rows for k in r)))


def metric_names(table, sweep: Sweep) -> list[str]:
    """The sweep's chosen metrics, or every metric column of the table."""
    columns = [c for c in table.columns if c not in (*COLUMNS, *sweep.swept)]
    missing = [m for m in sweep.metrics if m not in columns]
    if missing and (table["status"] == "ok").any():
        raise ModelError(f"metric(s) {missing} are not among the results' metrics {columns}")
    return [m for m in sweep.metrics if m in columns] if sweep.metrics else columns


def summary(table, sweep: Sweep):
    """Per setting of the swept parameters: `trials_ok`, `trials_failed`, and for each metric
    `<m>_mean`, `<m>_std` over the seeds (ddof 0)."""
    pd = require_pandas()
    metrics = metric_names(table, sweep)
    rows = []
    groups = table.groupby(list(sweep.swept), sort=False, dropna=False) if sweep.swept else \
        [((), table)]
    for key, group in groups:
        ok = group[group["status"] == "ok"]
        row = dict(zip(sweep.swept, key if isinstance(key, tuple) else (key,)))
        row.update(trials_ok=len(ok), trials_failed=int((group["status"] == "failed").sum()))
        for m in metrics:
            values = ok[m].astype(float).dropna()
            row[f"{m}_mean"] = values.mean() if len(values) else float("nan")
            row[f"{m}_std"] = values.std(ddof=STD_DDOF) if len(values) else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)


def markdown(summary_table, sweep: Sweep, metrics: list[str]) -> str:
    """The summary as a markdown table: swept parameters, trials ok, each metric as mean ± std."""
    head = [*sweep.swept, "trials"] + [f"{m} (mean ± std)" for m in metrics]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in summary_table.to_dict("records"):
        cells = [str(row[p]) for p in sweep.swept]
        cells.append(f"{row['trials_ok']}" + (f" ({row['trials_failed']} failed)"
                                              if row["trials_failed"] else ""))
        cells += [f"{row[m + '_mean']:.4g} ± {row[m + '_std']:.2g}" if row["trials_ok"] else "—"
                  for m in metrics]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write(sweep: Sweep, out) -> dict:
    """Write trials.csv, summary.csv, summary.md and the plots into `out`; returns
    {'trials', 'summary', 'markdown': DataFrame/str, 'plots': [Path]}."""
    from .plots import plot_metrics
    out = Path(out)
    table = trials(sweep, out)
    metrics = metric_names(table, sweep)
    summ = summary(table, sweep)
    text = markdown(summ, sweep, metrics)
    for name, df in (("trials.csv", table), ("summary.csv", summ)):
        with atomic_path(out / name) as tmp:
            df.to_csv(tmp, index=False)
    with atomic_path(out / "summary.md") as tmp:
        tmp.write_text(text)
    plots = plot_metrics(table, sweep, metrics, out / "plots")
    return {"trials": table, "summary": summ, "markdown": text, "plots": plots}
