"""`spikemem sweep CONFIG.toml --out DIR [--executor local|ray|serial] [--address HOST:PORT]
[--workers N]`: run an experiment over a grid and random draws of its parameters and over
seeds, in parallel, and write one results store into DIR: trials/<key>/ (each trial's
result and files), trials.csv, summary.csv, summary.md and plots/. Rerunning the same
command skips finished trials and resumes interrupted ones. CONFIG: a TOML path or a
shipped sweep's name (sweep_example); its format: docs/sweeps.md.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import ModelError


def add_executor_options(p) -> None:
    """--executor, --workers, --address, --no-progress (shared with `spikemem continual`)."""
    p.add_argument("--executor", default="local", choices=("local", "ray", "serial"),
                   help="local: a process pool here (default); ray: Ray tasks; serial: one "
                        "trial after the other in this process")
    p.add_argument("--workers", type=int, default=None,
                   help="trials at once (default: the CPUs here, or the Ray cluster's)")
    p.add_argument("--address", default=None,
                   help="join the running Ray cluster at HOST:PORT (with --executor ray; "
                        "without it Ray starts on this machine)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def add_parser(sub):
    p = sub.add_parser("sweep", help="run a parameter sweep (TOML) locally or on Ray",
                       description=__doc__)
    p.add_argument("config", nargs="?", help="sweep TOML, or a shipped sweep's name")
    p.add_argument("--out", help="output folder (default out/<config name>)")
    p.add_argument("--retries", type=int, default=2,
                   help="runs more of a trial whose worker process died (default 2)")
    p.add_argument("--experiments", action="store_true",
                   help="list the experiments a sweep can run, with their parameters")
    add_executor_options(p)
    p.set_defaults(func=main)


def main(args) -> int:
    from .. import sweep
    from ..sweep.trial import finished
    if args.experiments:
        for name, ref in sorted(sweep.available().items()):
            e = sweep.find(ref)
            print(f"{name:22s} {e.doc}\n{'':22s} parameters: {e.signature()}")
        return 0
    if not args.config:
        raise ModelError("give a sweep TOML (e.g. sweep_example), or --experiments")
    spec = sweep.load(args.config)
    out = Path(args.out or Path("out") / Path(args.config).stem)
    try:
        store = sweep.run_sweep(spec, out, executor=args.executor, workers=args.workers,
                                address=args.address, retries=args.retries,
                                progress=not args.no_progress)
    except KeyboardInterrupt:
        done = sum(finished(t, out) for t in spec.trials)
        print(f"interrupted: {done} of {len(spec.trials)} trials finished (kept in {out}/trials);"
              " run the same command again to resume")
        return 130
    from .cmd_results import report
    print(report(spec, store["trials"], store["markdown"], out))
    return 1 if (store["trials"]["status"] == "failed").any() else 0
