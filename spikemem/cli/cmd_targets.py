"""`spikemem targets`: the targets, whether they are usable here, and what they cannot express."""
from __future__ import annotations

from ..model.features import FEATURES
from ..targets import all_specs


def add_parser(sub):
    p = sub.add_parser("targets", help="list targets and their capabilities",
                       description=__doc__)
    p.add_argument("--features", action="store_true", help="also list every feature name")
    p.add_argument("--markdown", action="store_true",
                   help="print the support table (docs/targets/index.md) as Markdown")
    p.set_defaults(func=main)


def support_table() -> str:
    """Markdown table: one row per feature, one column per target (from the targets' SPECs)."""
    specs = all_specs()
    lines = ["| feature | meaning | " + " | ".join(s.name for s in specs) + " |",
             "|---|---|" + "---|" * len(specs)]
    for name, meaning in FEATURES.items():
        marks = " | ".join("yes" if name in s.capabilities else "**no**" for s in specs)
        lines.append(f"| `{name}` | {meaning} | {marks} |")
    lines.append("")
    lines.append("| target | variants (exact, or the declared tolerance vs numpy) |")
    lines.append("|---|---|")
    for s in specs:
        variants = "; ".join(v.label + (": exact" if v.tolerance is None else
                                        f": {v.tolerance.describe()}") for v in s.variants)
        lines.append(f"| {s.name} | {variants} |")
    return "\n".join(lines) + "\n"


def main(args) -> int:
    if args.markdown:
        print(support_table(), end="")
        return 0
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
