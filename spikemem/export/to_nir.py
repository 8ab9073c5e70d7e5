"""Export a spikemem Network as a NIR graph (`nir.NIRGraph`, nir >= 1.0.6).

NIR describes continuous-time dynamics without a time step. spikemem writes every time
constant for a reader that integrates with forward Euler at step `dt` (seconds), the way
snnTorch and Norse read NIR, so that such a reader reproduces the canonical update
(docs/semantics.md) exactly; `dt` is also written into the graph metadata. With
k = 1 - decay per step, the node parameters are

    LIF      tau = dt / (1 - beta), r = tau / dt, v_leak = bias / (1 - beta)
    CubaLIF  as LIF for the membrane, plus tau_syn = dt / (1 - alpha), w_in = tau_syn / dt
    IF       r = 1 / dt
    LI       (one synaptic receptor) tau = dt / (1 - alpha), r = tau / dt, v_leak = 0

Every edge into a neuron costs the one step of the discrete update; a projection with delay
d > 1 gets a Delay node of (d - 1) * dt seconds. What NIR cannot express (refractory periods,
subtract reset, initial potentials, plasticity, generated sources, v/i probes, bias on IF
neurons) is refused with a ModelError, or with lossy=True dropped and listed in
graph.metadata["dropped"] and a warning. See docs/interop/nir.md.
"""
from __future__ import annotations

import json
import warnings

import numpy as np

from ..errors import ModelError
from ..model.sources import InputSource

#: separator of generated node names; spikemem names never contain it
SEP = "@"


def export_nir(net, lossy: bool = False, dt: float | None = None):
    """The network as a nir.NIRGraph.

    dt: the step (seconds) of the reader the time constants are written for; default
        net.dt / 1000. snnTorch reads with dt = 1e-4 whatever the graph says, Norse with the
        dt given to norse.torch.from_nir.
    lossy: export what NIR cannot express anyway, listing each loss in
        graph.metadata["dropped"] and in a UserWarning, instead of raising ModelError.
    """
    import nir

    from .. import __version__
    from ..model.network import Network

    if not isinstance(net, Network):
        raise ModelError(f"export_nir needs a spikemem Network, got {type(net).__name__}")
    dt_s = net.dt * 1e-3 if dt is None else float(dt)
    if not np.isfinite(dt_s) or dt_s <= 0:
        raise ModelError(f"export_nir: dt = {dt!r} s must be a positive number of seconds")
    losses: list[str] = []
    nodes: dict = {}
    edges: list = []
    entry: dict = {}  # (population, receptor) -> node name that projections feed

    for src in net.sources.values():
        if not isinstance(src, InputSource):
            losses.append(f"source {src.name!r}: its {src.kind} generator (exported as a NIR "
                          "Input that needs spikes given at run time)")
        nodes[src.name] = nir.Input(input_type=np.array([src.n]),
                                    metadata={"source": src.kind})
    for pop in net.populations.values():
        _population(nir, net, pop, dt_s, nodes, edges, entry, losses)
    for proj in net.projections.values():
        _projection(nir, proj, dt_s, nodes, edges, entry[(proj.post, proj.receptor)], losses)
    for probe in net.probes:
        if probe.variable not in ("spikes", "counts"):
            losses.append(f"probe {probe.variable!r} of {probe.target!r} (a NIR Output carries "
                          "spikes)")
            continue
        name = f"{probe.target}{SEP}{probe.variable}"
        nodes[name] = nir.Output(output_type=np.array([net.size(probe.target)]),
                                 metadata={"variable": probe.variable})
        edges.append((probe.target, name))

    if losses and not lossy:
        raise ModelError("NIR cannot express: " + "; ".join(losses) +
                         ". Change the network, or pass lossy=True to export without them.")
    metadata = {"dt": dt_s, "time_unit": "s", "discretisation": "forward-euler",
                "producer": "spikemem", "spikemem_version": __version__,
                "spikemem_dt_ms": net.dt,
                "delay_convention": "each edge into a neuron takes one step; Delay nodes add "
                                    "the rest"}
    if losses:
        metadata["dropped"] = "; ".join(losses)
        warnings.warn("export_nir(lossy=True) dropped: " + metadata["dropped"], UserWarning,
                      stacklevel=2)
    graph = nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata, type_check=False)
    graph.check_types()
    return graph


def _full(value, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()


def _population(nir, net, pop, dt_s, nodes, edges, entry, losses):
    """Add the nodes of one population; record where each receptor's projections enter."""
    m, n, name = pop.model, pop.n, pop.name
    beta = m.beta(net.dt)
    alphas = m.alphas(net.dt)
    is_if = beta == 1.0
    meta: dict = {}
    if m.refractory > 0:
        losses.append(f"population {name!r}: refractory period of {m.refractory} steps (kept "
                      "in node metadata for spikemem only)")
        meta["refractory"] = m.refractory
    if m.reset == "subtract":
        losses.append(f"population {name!r}: reset='subtract' (NIR resets to v_reset; kept in "
                      "node metadata for spikemem only)")
        meta["reset"] = "subtract"
    if np.any(pop.v_init != 0):
        losses.append(f"population {name!r}: initial potential v_init (kept in node metadata "
                      "for spikemem only)")
        meta["v_init"] = _full(pop.v_init, n)
    bias = _full(pop.bias, n)
    if is_if and np.any(bias != 0):
        losses.append(f"population {name!r}: bias on integrate-and-fire neurons (NIR IF has "
                      "no leak term; kept in node metadata for spikemem only)")
        meta["bias"] = bias
        bias = np.zeros(n)
    v_th, v_reset = _full(m.v_th, n), _full(m.v_reset, n)
    if any(a == 1.0 for a in alphas.values()):
        raise ModelError(f"population {name!r}: tau_syn is so long that it does not decay in "
                         "one step; NIR's Euler form cannot express it: shorten tau_syn")
    receptors = list(alphas.items())
    if len(receptors) == 1 and not is_if and receptors[0][1] > 0:
        rname, alpha = receptors[0]
        if rname != "syn":
            meta["receptor"] = rname
        k_s, k_m = 1.0 - alpha, 1.0 - beta
        nodes[name] = nir.CubaLIF(
            tau_syn=_full(dt_s / k_s, n), tau_mem=_full(dt_s / k_m, n), r=_full(1.0 / k_m, n),
            v_leak=bias / k_m, v_threshold=v_th, v_reset=v_reset, w_in=_full(1.0 / k_s, n),
            metadata=meta)
        entry[(name, rname)] = name
        return
    direct = len(receptors) == 1 and receptors[0][1] == 0  # input adds straight to v
    if direct and receptors[0][0] != "syn":
        meta["receptor"] = receptors[0][0]
    if is_if:
        nodes[name] = nir.IF(r=_full(1.0 / dt_s, n), v_threshold=v_th, v_reset=v_reset,
                             metadata=meta)
    else:
        k_m = 1.0 - beta
        nodes[name] = nir.LIF(tau=_full(dt_s / k_m, n), r=_full(1.0 / k_m, n),
                              v_leak=bias / k_m, v_threshold=v_th, v_reset=v_reset,
                              metadata=meta)
    if direct:
        entry[(name, receptors[0][0])] = name
        return
    for rname, alpha in receptors:  # one LI node per receptor current, summed by the core
        k_s = 1.0 - alpha
        li = f"{name}{SEP}{rname}"
        nodes[li] = nir.LI(tau=_full(dt_s / k_s, n), r=_full(1.0 / k_s, n), v_leak=np.zeros(n),
                           metadata={"receptor": rname})
        edges.append((li, name))
        entry[(name, rname)] = li


def _projection(nir, proj, dt_s, nodes, edges, target, losses):
    """Linear node(s) from pre to the receptor entry; one group per distinct delay."""
    meta = {"projection": proj.name, "sparse": int(proj.is_sparse)}
    if proj.plasticity is not None:
        losses.append(f"projection {proj.name!r}: plasticity rule (exported with its initial "
                      "weights; the rule is kept in node metadata for spikemem only)")
        meta["plasticity"] = json.dumps(proj.plasticity.to_dict())
    n_pre, n_post = proj.shape
    pre, post, w, d = proj.synapses()
    delays = np.unique(d) if d.size else np.array([1])
    for delay in delays:
        sel = d == delay
        weight = np.zeros((n_post, n_pre))
        np.add.at(weight, (post[sel], pre[sel]), w[sel])
        name = proj.name if delays.size == 1 else f"{proj.name}{SEP}d{int(delay)}"
        if name in nodes:  # a projection named like a population or source
            name = f"{name}{SEP}w"
        nodes[name] = nir.Linear(weight=weight, metadata=dict(meta))
        edges.append((proj.pre, name))
        last = name
        if delay > 1:
            last = f"{name}{SEP}delay"
            nodes[last] = nir.Delay(delay=np.full(n_post, (int(delay) - 1) * dt_s))
        if last != name:
            edges.append((name, last))
        edges.append((last, target))
