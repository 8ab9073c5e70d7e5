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
    (tau_mem = 0 is beta = 0: tau = dt, the reader's decay 1 - dt / tau is 0)

Every edge into a neuron costs the one step of the discrete update; a projection with delay
d > 1 gets a Delay node of (d - 1) * dt seconds. A tied Conv1d/Conv2d/SumPool2d/AvgPool2d
projection is written as that node (a pool whose weight is not the default 1 or 1/(kh kw):
a SumPool2d and a Scale node), its pre node shaped (C, H, W) where every projection into it
allows (else it is written as its expanded Linear); a Flatten node joins shaped and flat
nodes. TokenLinear projections are written expanded (NIR has no per-token linear node).
NIR_FEATURES is what the export writes; a network using anything else (sm.ALIF) is refused
with UnsupportedFeatureError naming the feature. What NIR expresses only as spikemem metadata
(refractory periods, subtract reset, initial potentials, plasticity, generated sources, v/i
probes and probes of nodes that are not outputs, bias on IF neurons) is refused with a
ModelError, or with lossy=True dropped and listed in graph.metadata["dropped"] and a
warning. See docs/interop/nir.md.

Outputs: the graph has one NIR Output node, `@output` (nirtorch, which snnTorch reads
through, loops forever on a graph with two). It reads the one output population or source
directly; several are concatenated in the order given, each through a 0/1 selection Linear
`@concat@name` into a Flatten node `@concat` that sums them (readers sum a node's inputs).
Its metadata `probes` lists the spikemem probes it carries.
"""
from __future__ import annotations

import json
import warnings

import numpy as np

from ..errors import ModelError
from ..model.neurons import LI
from ..model.sources import InputSource
from ..model.tied import AvgPool2d, Conv, Conv1d, TiedWeights, Window
from .support import check_writable

#: separator of generated node names; spikemem names never contain it
SEP = "@"
#: the features export_nir writes (some only as listed losses with lossy=True)
NIR_FEATURES = frozenset({
    "lif", "if", "tau_mem_zero", "tau_syn_zero", "multi_receptor", "reset_zero",
    "reset_subtract", "refractory", "bias", "v_init", "delay_1", "delays",
    "per_synapse_delays", "dense", "sparse", "tied_weights", "input_source", "poisson_source",
    "spike_times_source", "plasticity", "trace_init", "record_v", "record_i",
    "per_neuron_params", "li"})
#: the most neurons several outputs may have in all: concatenating them costs a dense
#: (total, n) selection matrix per output, total ** 2 weights in all
MAX_CONCATENATED = 2048
#: the variables an Output node carries
OUTPUT_VARIABLES = ("spikes", "counts")


def export_nir(net, lossy: bool = False, dt: float | None = None, outputs=None):
    """The network as a nir.NIRGraph.

    outputs: names of the populations and sources whose spikes the graph returns, in order
        (one NIR Output node; several are concatenated); default: the targets of the spike
        and count probes, in probe order.

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
    check_writable(net, NIR_FEATURES, "NIR export", "NIR has no adaptive-threshold neuron: "
                   "change the network, or run it on a spikemem target.")
    losses: list[str] = []
    nodes: dict = {}
    edges: list = []
    entry: dict = {}  # (population, receptor) -> node name that projections feed
    shape = _shapes(net)

    for src in net.sources.values():
        if not isinstance(src, InputSource):
            losses.append(f"source {src.name!r}: its {src.kind} generator (exported as a NIR "
                          "Input that needs spikes given at run time)")
        nodes[src.name] = nir.Input(input_type=np.array(shape[src.name]),
                                    metadata={"source": src.kind})
    for pop in net.populations.values():
        _population(nir, net, pop, dt_s, nodes, edges, entry, losses, shape[pop.name])
    for proj in net.projections.values():
        _projection(nir, proj, dt_s, nodes, edges, entry[(proj.post, proj.receptor)], losses,
                    shape)
    _outputs(nir, net, _output_names(net, outputs), shape, nodes, edges, losses)

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
    leaves = _leaves(nodes, edges)
    if leaves:
        metadata["leaves"] = (f"{', '.join(leaves)} feed no output: nir.read adds an Output "
                              "node for each, and snnTorch cannot import a graph with several "
                              "Outputs; add them to outputs=[...] for snnTorch")
        warnings.warn("export_nir: " + metadata["leaves"], UserWarning, stacklevel=2)
    graph = nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata, type_check=False)
    graph.check_types()
    return graph


def _leaves(nodes: dict, edges: list) -> list:
    """Names of the nodes other than the Output that feed nothing (when there is an
    Output: without one, the reader makes every leaf an output)."""
    if not any(type(v).__name__ == "Output" for v in nodes.values()):
        return []
    feeding = {a for a, _ in edges}
    return [k for k, v in nodes.items() if k not in feeding and type(v).__name__ != "Output"]


def _output_names(net, outputs) -> list:
    """The names the Output node reads: `outputs` checked, or the probed spikes/counts."""
    if outputs is None:
        names = [p.target for p in net.probes if p.variable in OUTPUT_VARIABLES
                 or _readout_v(net, p)]
        return list(dict.fromkeys(names))
    if isinstance(outputs, str) or not all(isinstance(o, str) for o in outputs):
        raise ModelError(f"export_nir: outputs={outputs!r} must be a list of population or "
                         "source names")
    known = [*net.populations, *net.sources]
    for name in outputs:
        if name not in known:
            raise ModelError(f"export_nir: output {name!r} is no population or source of the "
                             f"network; use some of {known}")
    if len(set(outputs)) != len(outputs):
        raise ModelError(f"export_nir: outputs={list(outputs)} names a node twice: name each "
                         "once")
    return list(outputs)


def _outputs(nir, net, names, shape, nodes, edges, losses):
    """The one Output node `@output` reading `names` (concatenated if several); probes of
    other nodes, and of variables an Output cannot carry, are listed in `losses`."""
    carried = []
    for probe in net.probes:
        if probe.variable not in OUTPUT_VARIABLES and not _readout_v(net, probe):
            losses.append(f"probe {probe.variable!r} of {probe.target!r} (a NIR Output carries "
                          "spikes)")
        elif probe.target not in names:
            losses.append(f"probe {probe.variable!r} of {probe.target!r} (not among outputs="
                          f"{names}: add it)")
        else:
            carried.append([probe.target, probe.variable])
    carried += [[name, "spikes"] for name in names if name not in {t for t, _ in carried}]
    if not names:
        return
    sizes = [int(np.prod(shape[name])) for name in names]
    total = sum(sizes)
    if len(names) == 1:
        last, out_shape = names[0], shape[names[0]]
    else:
        if total > MAX_CONCATENATED:
            raise ModelError(f"export_nir: outputs {names} have {total} neurons in all; "
                             f"concatenating them into NIR's one Output needs {total}**2 "
                             f"selection weights (at most {MAX_CONCATENATED} neurons): pass "
                             "outputs=[...] with fewer or smaller populations")
        last, out_shape = f"{SEP}concat", (total,)
        nodes[last] = nir.Flatten(input_type={"input": np.array([total])}, start_dim=-1,
                                  end_dim=-1)
        start = 0
        for name, n in zip(names, sizes):
            select = np.zeros((total, n), dtype=np.float32)
            select[start + np.arange(n), np.arange(n)] = 1.0
            start += n
            src = name
            if len(shape[name]) > 1:  # a shaped node: read it flat
                src = _flat(nir, name, shape, nodes, edges)
            nodes[f"{last}{SEP}{name}"] = nir.Linear(weight=select)
            edges += [(src, f"{last}{SEP}{name}"), (f"{last}{SEP}{name}", last)]
    nodes[f"{SEP}output"] = nir.Output(output_type=np.array(out_shape),
                                       metadata={"probes": json.dumps(carried)})
    edges.append((last, f"{SEP}output"))


def _readout_v(net, probe) -> bool:
    """True for a probe of v of an LI readout: an Output reading it carries v."""
    pop = net.populations.get(probe.target)
    return probe.variable == "v" and pop is not None and isinstance(pop.model, LI)


def _flat(nir, name, shape, nodes, edges) -> str:
    """The Flatten node `name@flat` reading shaped node `name` as a vector (added once)."""
    flat = f"{name}{SEP}flat"
    if flat not in nodes:
        nodes[flat] = nir.Flatten(input_type={"input": np.array(shape[name])}, start_dim=0)
        edges.append((name, flat))
    return flat


def _full(value, shape) -> np.ndarray:
    """A scalar or per-neuron (n,) value as a float array of a node's shape."""
    a = np.asarray(value, dtype=np.float64)
    return np.broadcast_to(a if a.ndim == 0 else a.reshape(shape), shape).copy()


def _shapes(net) -> dict:
    """{source or population: the shape of its NIR node}: the in_shape of the first tied
    window projection reading it (else the out_shape of the first writing it), for a
    population only while every projection into it is written as a window giving that
    shape (NIR has no node that unflattens); else (n,)."""
    shape = {name: (node.n,) for name, node in [*net.sources.items(),
                                                *net.populations.items()]}
    windows = [p for p in net.projections.values() if isinstance(p.tied, Window)]
    for p in windows:
        if len(shape[p.pre]) == 1:
            shape[p.pre] = p.tied.in_shape
    for p in windows:
        if len(shape[p.post]) == 1:
            shape[p.post] = p.tied.out_shape
    changed = True
    while changed:  # flatten populations fed by anything else, until nothing changes
        changed = False
        for name, pop in net.populations.items():
            into = [p for p in net.projections.values() if p.post == name]
            if len(shape[name]) > 1 and not all(_as_window(p, shape) and
                                                p.tied.out_shape == shape[name] for p in into):
                shape[name], changed = (pop.n,), True
    return shape


def _as_window(proj, shape) -> bool:
    """Whether `proj` is written as a NIR Conv/Pool node (its pre node has its in_shape)."""
    return isinstance(proj.tied, Window) and shape[proj.pre] == proj.tied.in_shape


def _readout(nir, net, pop, dt_s, nodes, entry, losses, shape):
    """An LI population as one NIR node: LI (tau_syn = 0), CubaLI (tau_syn > 0) or I
    (tau_mem = inf, tau_syn = 0)."""
    m, name = pop.model, pop.name
    beta, receptors = np.asarray(m.beta(net.dt)), list(m.alphas(net.dt).items())
    if len(receptors) > 1 or (np.any(beta == 1.0) and not np.all(beta == 1.0)) or \
            (np.any(receptors[0][1] == 0) and not np.all(receptors[0][1] == 0)) or \
            (np.all(beta == 1.0) and np.any(receptors[0][1] != 0)):
        raise ModelError(f"population {name!r}: NIR has no node for this readout (several "
                         "receptors, tau_mem = inf with a synaptic current, or inf / 0 mixed "
                         "with other values per neuron): give it one receptor and one kind of "
                         "membrane")
    if np.any(pop.v_init != 0):
        losses.append(f"population {name!r}: initial potential v_init")
    rname, alpha = receptors[0]
    meta = {} if rname == "syn" else {"receptor": rname}
    bias = _full(pop.bias, shape)
    if np.all(beta == 1.0):
        if np.any(bias != 0):
            losses.append(f"population {name!r}: bias of a perfect integrator (NIR I)")
        nodes[name] = nir.I(r=_full(1.0 / dt_s, shape), metadata=meta)
    elif np.all(alpha == 0):
        k_m = 1.0 - beta
        nodes[name] = nir.LI(tau=_full(dt_s / k_m, shape), r=_full(1.0 / k_m, shape),
                             v_leak=bias / _full(k_m, shape), metadata=meta)
    else:
        k_m, k_s = 1.0 - beta, 1.0 - np.asarray(alpha)
        nodes[name] = nir.CubaLI(tau_syn=_full(dt_s / k_s, shape),
                                 tau_mem=_full(dt_s / k_m, shape), r=_full(1.0 / k_m, shape),
                                 v_leak=bias / _full(k_m, shape), w_in=_full(1.0 / k_s, shape),
                                 metadata=meta)
    entry[(name, rname)] = name


def _population(nir, net, pop, dt_s, nodes, edges, entry, losses, shape):
    """Add the nodes of one population, shaped `shape`; record where each receptor's
    projections enter."""
    m, name = pop.model, pop.name
    if isinstance(m, LI):
        _readout(nir, net, pop, dt_s, nodes, entry, losses, shape)
        return
    beta = m.beta(net.dt)
    alphas = m.alphas(net.dt)
    is_if = bool(np.all(beta == 1.0))
    mixed = [what for what, x in [("tau_mem", np.asarray(beta) == 1.0),
                                  *((f"tau_syn[{r!r}]", np.asarray(a) == 0.0)
                                    for r, a in alphas.items())]
             if np.any(x) and not np.all(x)]
    if mixed:
        raise ModelError(f"population {name!r}: per-neuron {mixed[0]} mixes "
                         f"{'inf' if mixed[0] == 'tau_mem' else '0'} with other values, which "
                         "one NIR node cannot hold: split the population by that value")
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
        meta["v_init"] = _full(pop.v_init, shape)
    bias = _full(pop.bias, shape)
    if is_if and np.any(bias != 0):
        losses.append(f"population {name!r}: bias on integrate-and-fire neurons (NIR IF has "
                      "no leak term; kept in node metadata for spikemem only)")
        meta["bias"] = bias
        bias = np.zeros(shape)
    v_th, v_reset = _full(m.v_th, shape), _full(m.v_reset, shape)
    if any(np.any(a == 1.0) for a in alphas.values()):
        raise ModelError(f"population {name!r}: tau_syn is so long that it does not decay in "
                         "one step; NIR's Euler form cannot express it: shorten tau_syn")
    receptors = list(alphas.items())
    if len(receptors) == 1 and not is_if and np.all(receptors[0][1] > 0):
        rname, alpha = receptors[0]
        if rname != "syn":
            meta["receptor"] = rname
        k_s, k_m = 1.0 - alpha, 1.0 - beta
        nodes[name] = nir.CubaLIF(
            tau_syn=_full(dt_s / k_s, shape), tau_mem=_full(dt_s / k_m, shape),
            r=_full(1.0 / k_m, shape), v_leak=bias / k_m, v_threshold=v_th, v_reset=v_reset,
            w_in=_full(1.0 / k_s, shape), metadata=meta)
        entry[(name, rname)] = name
        return
    direct = len(receptors) == 1 and np.all(receptors[0][1] == 0)  # input adds to v
    if direct and receptors[0][0] != "syn":
        meta["receptor"] = receptors[0][0]
    if is_if:
        nodes[name] = nir.IF(r=_full(1.0 / dt_s, shape), v_threshold=v_th, v_reset=v_reset,
                             metadata=meta)
    else:
        k_m = 1.0 - beta
        nodes[name] = nir.LIF(tau=_full(dt_s / k_m, shape), r=_full(1.0 / k_m, shape),
                              v_leak=bias / k_m, v_threshold=v_th, v_reset=v_reset,
                              metadata=meta)
    if direct:
        entry[(name, receptors[0][0])] = name
        return
    for rname, alpha in receptors:  # one LI node per receptor current, summed by the core
        k_s = 1.0 - alpha
        li = f"{name}{SEP}{rname}"
        nodes[li] = nir.LI(tau=_full(dt_s / k_s, shape), r=_full(1.0 / k_s, shape),
                           v_leak=np.zeros(shape), metadata={"receptor": rname})
        edges.append((li, name))
        entry[(name, rname)] = li


def _projection(nir, proj, dt_s, nodes, edges, target, losses, shape):
    """Node chains from pre to the receptor entry `target`: the Conv/Pool node(s) of a tied
    window projection, else one Linear node per distinct delay; a Delay node for d > 1."""
    meta = {"projection": proj.name, "sparse": int(proj.is_sparse)}
    if proj.plasticity is not None:
        losses.append(f"projection {proj.name!r}: plasticity rule (exported with its initial "
                      "weights; the rule is kept in node metadata for spikemem only)")
        meta["plasticity"] = json.dumps(proj.plasticity.to_dict())
    start, out_shape = proj.pre, shape[proj.post]
    if _as_window(proj, shape):
        chains = [(proj.uniform_delay, _window_chain(nir, proj.tied, meta, out_shape))]
    else:
        if len(shape[proj.pre]) > 1:  # a shaped pre node: flatten it for Linear nodes
            start = _flat(nir, proj.pre, shape, nodes, edges)
        chains = _linear_chains(nir, proj, meta)
    for delay, chain in chains:
        last = start
        for k, node in enumerate(chain):
            name = proj.name if len(chains) == 1 else f"{proj.name}{SEP}d{int(delay)}"
            name = name if k == 0 else f"{name}{SEP}{k}"
            if name in nodes:  # a projection named like a population or source
                name = f"{name}{SEP}w"
            nodes[name] = node
            edges.append((last, name))
            last = name
        if delay > 1:
            nodes[f"{last}{SEP}delay"] = nir.Delay(delay=np.full(out_shape,
                                                                 (int(delay) - 1) * dt_s))
            edges.append((last, f"{last}{SEP}delay"))
            last = f"{last}{SEP}delay"
        edges.append((last, target))


def _linear_chains(nir, proj, meta) -> list:
    """[(delay, [nir.Linear])]: the synapses as one weight matrix per distinct delay."""
    n_pre, n_post = proj.shape
    pre, post, w, d = proj.synapses()
    out = []
    for delay in (np.unique(d) if d.size else np.array([1])):
        sel = d == delay
        weight = np.zeros((n_post, n_pre))
        np.add.at(weight, (post[sel], pre[sel]), w[sel])
        out.append((delay, [nir.Linear(weight=weight, metadata=dict(meta))]))
    return out


def _window_chain(nir, tied: TiedWeights, meta, out_shape) -> list:
    """The nodes of a tied Conv/Pool projection: the window node, a Scale for a pool whose
    weight is not its default, a Flatten when the post node is flat."""
    scale = None
    if isinstance(tied, Conv):
        kw = dict(stride=tied.stride, padding=tied.padding, dilation=tied.dilation)
        if isinstance(tied, Conv1d):  # nir.Conv1d takes ints
            kw = {k: v if isinstance(v, str) else v[0] for k, v in kw.items()}
        cls = nir.Conv1d if isinstance(tied, Conv1d) else nir.Conv2d
        spatial = tied.in_shape[1] if isinstance(tied, Conv1d) else tied.in_shape[1:]
        node = cls(input_shape=spatial, weight=np.array(tied.weight), groups=tied.groups,
                   bias=np.zeros(tied.out_shape[0]), metadata=dict(meta), **kw)
    else:
        if isinstance(tied, AvgPool2d) and tied.weight == tied.default_weight():
            cls, factor = nir.AvgPool2d, 1.0
        else:
            cls, factor = nir.SumPool2d, tied.weight
        node = cls(kernel_size=np.array(tied.kernel_size), stride=np.array(tied.stride),
                   padding=np.array(tied.padding), metadata=dict(meta))
        node.input_type = {"input": np.array(tied.in_shape)}  # nir leaves pools untyped
        node.output_type = {"output": np.array(tied.out_shape)}
        if factor != 1.0:
            scale = nir.Scale(scale=np.full(tied.out_shape, factor), metadata=dict(meta))
    chain = [node] if scale is None else [node, scale]
    if tuple(out_shape) != tied.out_shape:
        chain.append(nir.Flatten(input_type={"input": np.array(tied.out_shape)}, start_dim=0))
    return chain
