"""`spikemem experiment NAME`: run a model's experiment, writing JSON results and plots.

Each model module listed in EXPERIMENT_MODULES defines
`EXPERIMENTS: dict[name, callable(out_dir: Path, target: str, quick: bool) -> dict]`.
"""
from __future__ import annotations

import importlib
import json
from pathlib import Path

from ..errors import ModelError

EXPERIMENT_MODULES = [
    "spikemem.models.ca3",
    "spikemem.models.lsm",
    "spikemem.models.hlop",
    "spikemem.models.transformer",
]


def available() -> dict:
    """name -> experiment function, from the model modules that import on this machine."""
    found = {}
    for module in EXPERIMENT_MODULES:
        try:
            mod = importlib.import_module(module)
        except ImportError:
            continue
        found.update(getattr(mod, "EXPERIMENTS", {}))
    return found


def add_parser(sub):
    p = sub.add_parser("experiment", help="run a model experiment (JSON results + plots)",
                       description=__doc__)
    p.add_argument("name", nargs="?", help="experiment name (omit to list them)")
    p.add_argument("--target", default="numpy", help="target to run on (default numpy)")
    p.add_argument("--out", default="out", help="output folder (default ./out)")
    p.add_argument("--quick", action="store_true", help="a reduced run (seconds to a minute)")
    p.set_defaults(func=main)


def main(args) -> int:
    experiments = available()
    if not args.name:
        for name in sorted(experiments):
            doc = (experiments[name].__doc__ or "").strip().splitlines()
            print(f"{name:32s} {doc[0] if doc else ''}")
        return 0
    if args.name not in experiments:
        raise ModelError(f"unknown experiment {args.name!r}; known: {sorted(experiments)}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    summary = experiments[args.name](out, args.target, args.quick)
    print(json.dumps(summary, indent=2, default=str))
    return 0
