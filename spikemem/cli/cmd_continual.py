"""`spikemem continual CONFIG --seeds N --out DIR [--quick]`: run a continual-learning
experiment (every method in CONFIG, N seeds: each method x seed a trial of `spikemem sweep`,
run in parallel and resumed from DIR's checkpoints), and write DIR/metrics.json (per method:
acc, bwt, fwt as fractions, mean over seeds, and the accuracy matrix R[i, j]),
DIR/results.md (a table), DIR/run.json and DIR/plots/*.png (`spikemem results DIR` too)."""
from __future__ import annotations

import json

from .cmd_sweep import add_executor_options


def add_parser(sub):
    p = sub.add_parser("continual", help="run a continual-learning experiment (TOML config)",
                       description=__doc__)
    p.add_argument("config", help="TOML file, e.g. experiments/permuted_digits.toml, or a "
                   "shipped config's name: permuted_digits, split_digits")
    p.add_argument("--seeds", type=int, default=3, help="number of seeds (default 3)")
    p.add_argument("--out", default="out/continual", help="output folder (default out/continual)")
    p.add_argument("--quick", action="store_true", help="the config's reduced [quick] run")
    add_executor_options(p)
    p.set_defaults(func=main)


def main(args) -> int:
    from ..continual import load_config, run
    metrics = run(load_config(args.config), args.seeds, args.out, quick=args.quick,
                  progress=not args.no_progress, executor=args.executor, workers=args.workers,
                  address=args.address)
    table = {name: {k: round(m[k], 4) for k in ("acc", "acc_std", "bwt", "bwt_std")}
             for name, m in metrics.items()}
    print(json.dumps(table, indent=2))
    return 0
