"""`spikemem info MODEL`: what a model file or built-in network contains."""
from __future__ import annotations

from ..model.features import network_features
from ..targets import all_specs
from .common import load_model


def add_parser(sub):
    p = sub.add_parser("info", help="describe a model (file or built-in name)",
                       description=__doc__)
    p.add_argument("model", help="a .npz file written by Network.save, or a built-in name")
    p.set_defaults(func=main)


def main(args) -> int:
    net = load_model(args.model)
    print(f"dt = {net.dt} ms; {net.n_neurons} neurons, {net.n_synapses} synapses")
    print("sources:")
    for s in net.sources.values():
        print(f"  {s.name:16s} {s.kind:12s} n={s.n}")
    print("populations:")
    for p in net.populations.values():
        m = p.model
        params = ", ".join(f"{name}={getattr(m, name)}" + (f" {spec.unit}" if spec.unit in
                                                          ("ms", "steps") else "")
                           for name, spec in m.parameters().items())
        print(f"  {p.name:16s} n={p.n:<8d} {m.kind}({params})")
    print("projections:")
    for pr in net.projections.values():
        delay = pr.uniform_delay if pr.uniform_delay is not None else \
            f"{int(pr.delay.min())}-{int(pr.delay.max())}"
        plast = f", plasticity={pr.plasticity.name}" if pr.plasticity else ""
        form = (f"{pr.tied.kind}, {pr.n_parameters} shared weights" if pr.tied is not None
                else "sparse" if pr.is_sparse else "dense")
        print(f"  {pr.name:24s} {pr.n_synapses} synapses ({form}),"
              f" receptor={pr.receptor}, delay={delay} steps{plast}")
    print("records:", ", ".join(f"{p.target}.{p.variable}" for p in net.probes) or "nothing")
    used = network_features(net)
    print("features:", ", ".join(sorted(used)))
    for spec in all_specs():
        lacks = sorted(used - spec.capabilities)
        print(f"  {spec.name:10s} {'runs it' if not lacks else 'cannot: ' + ', '.join(lacks)}")
    return 0
