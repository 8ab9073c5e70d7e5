"""Export to Lava (lava-nc, Python 3.10 only): LIF processes and Dense / Sparse / DelayDense
connections with the parameters of target="loihi2" (fixed_pt) or the float model
(floating_pt). sm.export.lava(net) builds the processes; sm.export.run_lava runs them.

Lava's LIF is the canonical update with one current, delay 1 per hop and reset to zero:
  floating_pt: du = 1 - alpha, dv = 1 - beta, vth = v_th - v_reset, bias_mant = bias - (1 -
  beta) v_reset (v measured from v_reset), weights as given;
  fixed_pt: the integers of spikemem.hal.quantize.loihi_plan, the same numbers the loihi2
  target runs, so both give identical spikes.
A delay of d steps is Lava's DelayDense delay d - 1. Refractory periods, subtract resets,
several receptors, ALIF, tau_mem = 0 (a v decay factor of 0, beyond Lava's 12-bit dv),
plasticity and batches have no Lava equivalent here and are refused by feature name
(LAVA_FEATURES); target="loihi2" emulates them.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import ModelError, UnsupportedFeatureError
from .support import check_writable

SELECT_TAGS = ("fixed_pt", "floating_pt")
LAVA_FEATURES = frozenset({
    "lif", "if", "tau_syn_zero", "reset_zero", "bias", "v_init", "delay_1", "delays",
    "per_synapse_delays", "dense", "sparse", "tied_weights", "input_source", "poisson_source",
    "spike_times_source", "record_v", "record_i"})


def check_expressible(net) -> None:
    """Raise UnsupportedFeatureError naming the features Lava's LIF/Dense cannot express."""
    check_writable(net, LAVA_FEATURES, "Lava export", "Use target='loihi2' (which emulates "
                   "them) or change the network.")


def lava_parameters(net, select_tag: str = "fixed_pt", chip="loihi2",
                    headroom_bits: int | None = None) -> tuple[dict, dict]:
    """({population: LIF kwargs}, {projection: (kind, kwargs)}) without importing Lava;
    kind is 'Dense', 'Sparse' or 'DelayDense'; weights are (n_post, n_pre)."""
    if select_tag not in SELECT_TAGS:
        raise ModelError(f"select_tag={select_tag!r}: use one of {SELECT_TAGS}")
    check_expressible(net)
    pops, projs = {}, {}
    if select_tag == "fixed_pt":
        from ..hal.chips import load_chip
        from ..hal.quantize import loihi_plan
        plan = loihi_plan(net, load_chip(chip), headroom_bits)
        for name, q in plan.neurons.items():
            pops[name] = dict(u=0, v=q.v_init.astype(np.int32), du=q.du[0], dv=q.dv,
                              bias_mant=q.bias_mant.astype(np.int32),
                              bias_exp=q.bias_exp.astype(np.int32), vth=q.vth)
        values = {name: q.weights for name, q in plan.weights.items()}
        extra = {name: dict(weight_exp=q.weight_exp, num_weight_bits=8, sign_mode=q.sign_mode)
                 for name, q in plan.weights.items()}
    else:
        for p in net.populations.values():
            m = p.model
            beta = m.beta(net.dt)
            pops[p.name] = dict(u=0.0, v=np.broadcast_to(p.v_init - m.v_reset, (p.n,)).copy(),
                                du=1.0 - next(iter(m.alphas(net.dt).values())), dv=1.0 - beta,
                                bias_mant=np.broadcast_to(p.bias - (1 - beta) * m.v_reset,
                                                          (p.n,)).copy(),
                                bias_exp=0, vth=m.v_th - m.v_reset)
        values = {name: p.synapses()[2] for name, p in net.projections.items()}
        extra = {name: {} for name in net.projections}
    for name, p in net.projections.items():
        pre, post, _, delay = p.synapses()
        w = np.zeros((p.shape[1], p.shape[0]), dtype=values[name].dtype)
        w[post, pre] = values[name]
        if p.uniform_delay == 1:
            kind = "Sparse" if p.is_sparse else "Dense"
            kw = dict(weights=_sparse(w) if p.is_sparse else w)
        else:
            d = np.zeros(w.shape, dtype=int)
            d[post, pre] = delay - 1
            kind, kw = "DelayDense", dict(weights=w, delays=d, max_delay=int(d.max()))
        projs[name] = (kind, {**kw, **extra[name]})
    return pops, projs


def _sparse(w):
    import scipy.sparse as sp
    return sp.csr_matrix(w)


@dataclass
class LavaNetwork:
    """Lava processes of a network: LIF per population, a connection process per
    projection (already connected), and the connection processes each source feeds."""

    populations: dict
    projections: dict
    source_targets: dict = field(default_factory=dict)
    select_tag: str = "fixed_pt"


def export_lava(net, select_tag: str = "fixed_pt", chip="loihi2",
                headroom_bits: int | None = None) -> LavaNetwork:
    """Build the Lava processes of `net` (sources are left unconnected: connect a spike
    process to every process in source_targets[name].s_in, as run_lava does)."""
    pops, projs = lava_parameters(net, select_tag, chip, headroom_bits)
    from lava.proc.dense.process import DelayDense, Dense
    from lava.proc.lif.process import LIF
    from lava.proc.sparse.process import Sparse
    from lava.utils.weightutils import SignMode
    modes = {"excitatory": SignMode.EXCITATORY, "inhibitory": SignMode.INHIBITORY,
             "mixed": SignMode.MIXED}
    kinds = {"Dense": Dense, "Sparse": Sparse, "DelayDense": DelayDense}
    lif = {name: LIF(shape=(net.populations[name].n,), name=name, **kw)
           for name, kw in pops.items()}
    conns, feeds = {}, {name: [] for name in net.sources}
    for name, (kind, kw) in projs.items():
        if "sign_mode" in kw:
            kw = {**kw, "sign_mode": modes[kw["sign_mode"]]}
        proc = kinds[kind](name=name.replace(">", ""), **kw)
        p = net.projections[name]
        proc.a_out.connect(lif[p.post].a_in)
        if p.pre in lif:
            lif[p.pre].s_out.connect(proc.s_in)
        else:
            feeds[p.pre].append(proc)
        conns[name] = proc
    return LavaNetwork(lif, conns, feeds, select_tag)


def _components(net) -> list[set]:
    """Weakly connected groups of node names (each runs as one Lava graph)."""
    parent = {n: n for n in list(net.sources) + list(net.populations)}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in net.projections.values():
        parent[find(p.pre)] = find(p.post)
    groups: dict = {}
    for n in parent:
        groups.setdefault(find(n), set()).add(n)
    return [g for g in groups.values() if g & set(net.populations)]


def run_lava(net, steps: int, inputs: dict | None = None, select_tag: str = "fixed_pt", *,
             seed: int = 0, chip="loihi2", headroom_bits: int | None = None) -> dict:
    """Run `net` in Lava's simulator (Loihi2SimCfg(select_tag)) for `steps` steps and return
    {population: bool (steps, n)} spikes (and recorded sources' spikes). inputs: like
    Simulation.run, unbatched; Poisson and spike-time sources give the same spikes as every
    spikemem target (compile seed `seed`)."""
    from ..model.sources import source_raster
    from ..targets.simulation import check_inputs
    batch, given = check_inputs(net, inputs or {}, int(steps), None)
    if batch is not None:
        raise UnsupportedFeatureError("run_lava runs one trial: give inputs as (steps, n)")
    drive = {name: source_raster(src, 0, steps, None, net.dt, seed, 0, given.get(name))[0]
             for name, src in net.sources.items()}
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2SimCfg
    from lava.proc.io.sink import RingBuffer as Sink
    from lava.proc.io.source import RingBuffer as Source
    lava_net = export_lava(net, select_tag, chip, headroom_bits)
    out = {}
    for group in _components(net):
        sinks = {}
        for name in group & set(net.sources):
            if lava_net.source_targets[name]:
                src = Source(data=drive[name].T.astype(np.int32 if select_tag == "fixed_pt"
                                                       else float))
                for proc in lava_net.source_targets[name]:
                    src.s_out.connect(proc.s_in)
        for name in group & set(net.populations):
            sinks[name] = Sink(shape=(net.populations[name].n,), buffer=steps)
            lava_net.populations[name].s_out.connect(sinks[name].a_in)
        anchor = lava_net.populations[next(iter(sorted(group & set(net.populations))))]
        anchor.run(condition=RunSteps(num_steps=steps), run_cfg=Loihi2SimCfg(select_tag=select_tag))
        try:
            for name, sink in sinks.items():
                out[name] = np.asarray(sink.data.get()).T != 0
        finally:
            anchor.stop()
    for probe in net.probes:
        if probe.target in net.sources and probe.variable == "spikes":
            out[probe.target] = drive[probe.target]
    return out
