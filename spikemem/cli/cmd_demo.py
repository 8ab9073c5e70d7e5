"""`spikemem demo`: run the built-in demo network (Poisson input, E/I LIF populations,
1 s of 1 ms steps) on a target and write spikes and a raster plot."""
from __future__ import annotations

from pathlib import Path

from ..networks import demo
from .cmd_run import simulate


def add_parser(sub):
    p = sub.add_parser("demo", help="run a small built-in network (seconds) and plot it",
                       description=__doc__)
    p.add_argument("--target", default="numpy", help="target name (default numpy)")
    p.add_argument("--steps", type=int, default=1000, help="steps of 1 ms (default 1000)")
    p.add_argument("--out", default="out/demo", help="output folder (default ./out/demo)")
    p.set_defaults(func=main)


def main(args) -> int:
    summary = simulate(demo(), args.target, args.steps, 0, Path(args.out))
    for name, rate in summary["rate_hz"].items():
        print(f"{name:8s} {summary['spikes'][name]:7d} spikes  {rate:7.2f} Hz")
    print(f"demo ran on {args.target} in {summary['wall_s']} s; raster: {args.out}/raster.png")
    return 0
