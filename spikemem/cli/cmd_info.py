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
        kind = "IF" if m.is_if else f"LIF tau_mem={m.tau_mem} ms"
        print(f"  {p.name:16s} n={p.n:<8d} {kind}, tau_syn={dict(m.receptors)} ms, "
              f"v_th={m.v_th}, reset={m.reset}, refractory={m.refractory} steps")
    print("projections:")
    for pr in net.projections.values():
        delay = pr.uniform_delay if pr.uniform_delay is not None else \
            f"{int(pr.delay.min())}-{int(pr.delay.max())}"
        plast = f", plasticity={pr.plasticity.name}" if pr.plasticity else ""
        print(f"  {pr.name:24s} {pr.n_synapses} synapses ({'sparse' if pr.is_sparse else 'dense'}),"
              f" receptor={pr.receptor}, delay={delay} steps{plast}")
    print("records:", ", ".join(f"{p.target}.{p.variable}" for p in net.probes) or "nothing")
    used = network_features(net)
    print("features:", ", ".join(sorted(used)))
    for spec in all_specs():
        lacks = sorted(used - spec.capabilities)
        print(f"  {spec.name:10s} {'runs it' if not lacks else 'cannot: ' + ', '.join(lacks)}")
    return 0
