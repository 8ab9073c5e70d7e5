"""`spikemem targets`: the targets, whether they are usable here, and what they cannot express."""
from __future__ import annotations

from ..model.features import FEATURES
from ..targets import all_specs


def add_parser(sub):
    p = sub.add_parser("targets", help="list targets and their capabilities",
                       description=__doc__)
    p.add_argument("--features", action="store_true", help="also list every feature name")
    p.set_defaults(func=main)


def main(args) -> int:
    for spec in all_specs():
        state = "available" if spec.available() else f"needs {', '.join(spec.requires)}"
        lacks = sorted(set(FEATURES) - spec.capabilities)
        exact = ", ".join(v.label + (" (exact)" if v.tolerance is None else
                                     f" ({v.tolerance.describe()})") for v in spec.variants)
        print(f"{spec.name:10s} {state}")
        print(f"{'':10s} {spec.description}")
        print(f"{'':10s} variants: {exact}")
        print(f"{'':10s} lacks: {', '.join(lacks) if lacks else 'nothing'}")
    if args.features:
        print("\nfeatures:")
        for name, meaning in FEATURES.items():
            print(f"  {name:20s} {meaning}")
    return 0
