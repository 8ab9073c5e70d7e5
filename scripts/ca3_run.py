"""Run the CA3 memory experiments (JSON + PNG per experiment and target).

    python scripts/ca3_run.py                       # the paper's three tests on numpy
    python scripts/ca3_run.py ca3-scale ca3-noise --target numpy --out out/ca3
    python scripts/ca3_run.py ca3-noise --target all --quick

Same as `spikemem experiment NAME --target T --out DIR` for each NAME.
"""
import argparse
import json
from pathlib import Path

from spikemem.models.ca3 import EXPERIMENTS

PAPER = ["ca3-functional", "ca3-stress", "ca3-map"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("names", nargs="*", default=PAPER,
                   help=f"experiments among {sorted(EXPERIMENTS)} (default: the paper's three)")
    p.add_argument("--target", default="numpy", help="target name ('all' for ca3-noise)")
    p.add_argument("--out", default="out/ca3", help="output folder")
    p.add_argument("--quick", action="store_true", help="reduced sizes")
    args = p.parse_args(argv)
    unknown = sorted(set(args.names) - set(EXPERIMENTS))
    if unknown:
        p.error(f"unknown experiments {unknown}; known: {sorted(EXPERIMENTS)}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name in args.names:
        print(json.dumps(EXPERIMENTS[name](out, args.target, args.quick), indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
