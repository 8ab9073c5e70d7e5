"""Build a spikemem Network from a NIR graph: sm.import_nir(graph_or_path, dt=..., reset=...,
discrete=...).

Reading rules (docs/interop/nir.md):
- dt is the reader's step in seconds (NIR's time unit); default: graph.metadata["dt"].
  Neuron nodes are integrated with forward Euler at that step, as snnTorch and Norse do
  (nir_neurons.READERS); the input gain is folded into the incoming weights. With
  discrete=True, IF nodes integrate v += r * x per step, as Sinabs and Norse run them.
- reset: "zero" or "subtract" for every neuron (NIR stores only v_reset); default: what a
  spikemem graph recorded, else "zero".
- Input nodes become input sources; LIF, CubaLIF, IF and Threshold nodes become populations
  (Threshold, or a decay of 0: tau_mem = 0); an LI node feeding one such node is a synaptic
  receptor of it; other LI, CubaLI and I nodes become non-spiking sm.LI readouts, whose v
  an Output reading them records. Linear, Affine, Scale, Flatten, Conv1d/Conv2d,
  SumPool2d/AvgPool2d and Delay nodes between them are composed into projections; Output nodes become probes of the
  spiking nodes they read (directly, or concatenated through 0/1 selection nodes).
  A Conv/Pool node that is the only weighted node of its path (Flatten, uniform Scale and
  Delay nodes aside) becomes a tied projection (sm.Conv2d, ...: its parameters, not their
  expansion); composed with other weighted nodes it becomes a (sparse) matrix.
- A constant input (Affine or Conv bias) comes from an always-on source (Poisson at one
  spike per step) through a projection whose delay is that of the spikes it rides on (the
  first step they can arrive: the depth of their origin, plus the path's delay), so that it
  starts when that input does; a v_leak is population bias.
- Each edge into a neuron takes one step (spikemem's delay >= 1); Delay nodes add
  round(delay / dt) steps. Node names are kept (made valid spikemem names where needed).
Anything else raises ModelError naming the node and its type.
"""
from __future__ import annotations

import json
import math
import re
import warnings

import numpy as np
import scipy.sparse as sp

from ..errors import ModelError
from ..model import LI, LIF, Network, PlasticityRule
from .nir_graph import plain, plain_dict, read_graph
from .nir_neurons import READOUTS, read_li, read_neuron
from .nir_paths import LINEAR_TYPES, NEURON_TYPES, GraphPaths, scaled
from .nir_values import check_node, numbers, per_neuron

#: an input gain this close to 1 is taken as exactly 1 (float round trip of tau/dt * dt/tau)
GAIN_SNAP = 1e-12
#: IF nodes whose input gain dt * r is below this everywhere barely respond: warn
TINY_IF_GAIN = 1e-2
RESETS = ("zero", "subtract")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def import_nir(graph_or_path, dt: float | None = None, *, reset: str | None = None,
               discrete: bool = False) -> Network:
    """A spikemem Network equivalent to the NIR graph (object, or path of a .nir file).

    dt: the time step in seconds used to read the continuous-time parameters; default the
        graph's metadata["dt"] (written by spikemem). snnTorch's graphs assume 1e-4, Norse's
        the dt given to norse.torch.to_nir (Norse <= 1.1 writes tau = dt * tau: read its
        graphs with dt = dt_norse ** 2, see docs/interop/nir.md).
    reset: "zero" or "subtract", for every neuron; NIR stores only v_reset, so a graph
        trained with subtract reset (snnTorch's default) needs reset="subtract". Default:
        what a spikemem graph recorded per node, else "zero".
    discrete: read IF nodes as v += r * x per step (Sinabs, Norse, the paper's chips) instead
        of forward Euler's v += dt * r * x; graphs of IF nodes only, read with a dt that
        makes every gain tiny, warn and name this option.
    The network's dt (ms) is dt * 1000, or the one a spikemem export recorded.
    """
    nodes, edges, meta = read_graph(graph_or_path)
    if dt is None:
        if "dt" not in meta:
            raise ModelError("import_nir: this NIR graph has no 'dt' in its metadata; pass "
                             "dt=... in seconds (snnTorch graphs: 1e-4, Norse: see "
                             "docs/interop/nir.md)")
        dt = meta["dt"]
    try:
        dt_s = float(dt)
    except (TypeError, ValueError):
        raise ModelError(f"import_nir: dt={dt!r} must be a number of seconds") from None
    if not math.isfinite(dt_s) or dt_s <= 0:
        raise ModelError(f"import_nir: dt={dt!r} must be a positive number of seconds")
    if reset is not None and reset not in RESETS:
        raise ModelError(f"import_nir: reset={reset!r} is not one of {RESETS}")
    if not isinstance(discrete, bool):
        raise ModelError(f"import_nir: discrete={discrete!r} must be True or False")
    net_dt = dt_s * 1e3
    if "spikemem_dt_ms" in meta and meta.get("dt") == dt_s:  # spikemem's own, as written
        net_dt = meta["spikemem_dt_ms"]
    return _Builder(nodes, edges, dt_s, net_dt, reset, discrete).build()


# ---- helpers -------------------------------------------------------------------------------
def _compact(values):
    """A per-neuron array as a float when all neurons share the value."""
    a = np.ravel(values)
    return float(a[0]) if a.size == 0 or np.all(a == a[0]) else a.astype(np.float64)


def _valid_name(name: str) -> str:
    if _NAME.match(name):
        return name
    clean = re.sub(r"[^A-Za-z0-9_.\-]", "_", name)
    return clean if _NAME.match(clean) else "_" + clean


def _always_on_rate(dt_ms: float) -> float:
    """The largest Poisson rate (Hz) whose spike probability per step of dt_ms is at most 1:
    exactly 1 where floating point allows (it does for every dt tried)."""
    rate = 1000.0 / dt_ms
    while rate * dt_ms / 1000.0 > 1.0:
        rate = np.nextafter(rate, 0.0)
    while np.nextafter(rate, math.inf) * dt_ms / 1000.0 <= 1.0:
        rate = np.nextafter(rate, math.inf)
    return float(rate)


# ---- the builder ---------------------------------------------------------------------------
class _Builder(GraphPaths):
    """Turns flattened NIR nodes and edges into a Network (one instance per import)."""

    def __init__(self, nodes: dict, edges: list, dt_s: float, net_dt: float,
                 reset: str | None, discrete: bool):
        super().__init__(nodes, edges, dt_s)
        self.net_dt, self.reset, self.discrete = net_dt, reset, discrete
        self.constants: list = []  # (population, receptor, [(origin, delay)], constant (n,))

    # -- classification --
    def classify(self):
        self.sources, self.cores, self.receptors = [], [], {}
        for name, node in self.nodes.items():
            kind = self.kind(name)
            check_node(name, kind, node)
            outs = set(self.succ[name])
            if kind == "Input":
                self.sources.append(name)
            elif kind == "LI" and len(outs) == 1 and \
                    self.kind(next(iter(outs))) in ("LIF", "IF", "Threshold"):
                self.receptors.setdefault(next(iter(outs)), []).append(name)  # its current
            elif kind in NEURON_TYPES:
                self.cores.append(name)  # a LI elsewhere: a readout population
            elif kind in ("Linear", "Affine") and \
                    numbers(node.weight, self.what(name) + " weight").ndim != 2:
                raise ModelError(f"{self.what(name)}: weights must be 2-D (n_out, n_in)")
            elif kind not in LINEAR_TYPES and kind not in ("Pass", "Output"):
                supported = ", ".join(("Input", "Output", "LI") + NEURON_TYPES + LINEAR_TYPES)
                raise ModelError(f"NIR node {name!r} of type {kind} has no spikemem equivalent; "
                                 f"supported node types: {supported}")

    def warn_tiny_if_gains(self):
        """IF nodes only, each input scaled by dt * r: warn when that makes every gain tiny."""
        kinds = {self.kind(c) for c in self.cores if self.kind(c) not in READOUTS} | \
            ({"LI"} if self.receptors else set())
        if self.discrete or kinds != {"IF"}:
            return
        gains = [self.dt * np.abs(numbers(self.nodes[c].r, self.what(c) + " r"))
                 for c in self.cores]
        largest = max(float(g.max()) for g in gains)
        if largest < TINY_IF_GAIN:
            warnings.warn(
                f"import_nir: this graph's neurons are all IF nodes, and with dt = {self.dt} s "
                f"each input reaches them scaled by dt * r <= {largest:.3g} (NIR's IF is "
                "dv/dt = r * I), so the network will barely respond. Sinabs, Norse and the "
                "NIR paper's chips run IF nodes as discrete, v += r * x per step: pass "
                "discrete=True to read them so (or the dt the graph was written for).",
                UserWarning, stacklevel=4)

    # -- assembling --
    def build(self) -> Network:
        self.classify()
        self.infer_shapes()
        self.warn_tiny_if_gains()
        net = Network(dt=self.net_dt)
        names: dict = {}

        def claim(node_name):
            base = _valid_name(node_name)
            name, k = base, 2
            while name in names.values():
                name, k = f"{base}_{k}", k + 1
            names[node_name] = name
            return name

        for s in self.sources:
            net.source(claim(s), self.size(s))
        entries = []  # (entry node, population name, receptor, gain, predecessors)
        for c in self.cores:
            entries += self._population(net, c, claim(c))
        specs = []
        for entry, pop, receptor, gain, direct in entries:
            specs += self._connect(net, names, entry, pop, receptor, gain, direct)
        for _, kw in sorted(specs, key=lambda s: s[0]):
            if kw["name"] in net.projections:
                kw["name"] = None
            net.connect(kw.pop("pre"), kw.pop("post"), kw.pop("weights"), **kw)
        if self.constants:
            self._constant_source(net, claim("bias"))
        self._probes(net, names)
        return net

    def _population(self, net, c, name):
        """Add the population of core node `c`; returns its entries (node, population,
        receptor, input gain (n,), predecessor nodes)."""
        node, kind, n = self.nodes[c], self.kind(c), self.size(c)
        what = self.what(c)
        reading = read_neuron(c, kind, node, n, self.dt, self.discrete)
        meta = plain_dict(node.metadata)
        bias = reading.bias
        if kind == "IF" and "bias" in meta:  # spikemem's IF bias, which NIR cannot carry
            bias = bias + per_neuron(meta["bias"], n, what + " metadata bias")
        lis = self.receptors.get(c, [])
        direct = [p for p in self.pred[c] if p not in lis]
        receptors: dict = {}
        entries = []
        if reading.alpha is not None:  # CubaLIF: its own synapse is the receptor
            rname = str(meta.get("receptor", "syn"))
            receptors[rname] = self.tau_ms(reading.alpha, what + " tau_syn")
            entries.append((c, name, rname, reading.gain, direct))
        else:
            for li in lis:
                alpha, li_gain = read_li(li, self.nodes[li], n, self.dt)
                rname = _valid_name(str(plain(self.nodes[li].metadata.get(
                    "receptor", li.rsplit("@", 1)[-1]))))
                receptors[rname] = self.tau_ms(alpha, f"NIR node {li!r} (LI) tau")
                entries.append((li, name, rname, reading.gain * li_gain, self.pred[li]))
            if direct or not lis:
                rname = "syn" if lis else str(meta.get("receptor", "syn"))
                while rname in receptors:
                    rname += "_"
                receptors[rname] = 0.0
                entries.append((c, name, rname, reading.gain, direct))
        tau_syn = receptors["syn"] if list(receptors) == ["syn"] else receptors
        tau_mem = _per_value(reading.beta, lambda b: math.inf if b == 1.0 else (
            0.0 if b == 0.0 else -self.net_dt / math.log(b)))  # 0: no membrane memory
        try:
            refractory = int(meta.get("refractory", 0))
        except (TypeError, ValueError):
            raise ModelError(f"{what}: metadata refractory={meta['refractory']!r} is not a "
                             "number of steps") from None
        v_init = per_neuron(meta["v_init"], n, what + " metadata v_init") \
            if "v_init" in meta else 0.0
        try:
            if kind in READOUTS:
                model = LI(tau_mem=tau_mem, tau_syn=tau_syn)
            else:
                model = LIF(tau_mem=tau_mem, tau_syn=tau_syn, v_th=reading.v_th,
                            v_reset=reading.v_reset, refractory=refractory,
                            reset=self.reset or str(meta.get("reset", "zero")))
            net.population(name, n, model, bias=_compact(bias), v_init=_compact(v_init))
        except ModelError as e:
            raise ModelError(f"{what}: {e}") from None
        return entries

    def tau_ms(self, decay, what: str):
        """A spikemem time constant (ms) whose exact decay per step is `decay` (float, or
        (n,) per neuron)."""
        if np.any(np.asarray(decay) == 1.0):
            raise ModelError(f"{what}: an infinite synaptic time constant has no spikemem form")
        return _per_value(decay, lambda x: 0.0 if x == 0.0 else -self.net_dt / math.log(x))

    def _connect(self, net, names, entry, pop, receptor, gain, preds):
        """Projection specs (order key, kwargs for net.connect) for one receptor entry; its
        constant inputs are kept in self.constants."""
        if not preds:
            return []
        n = gain.size
        gain = np.where(np.abs(gain - 1.0) <= GAIN_SNAP, 1.0, gain)
        groups: dict = {}  # (origin, label) -> [(extra delay, weights)]; inputs kept apart
        for p in preds:
            signal = self.trace(p, (entry,))
            if signal.n != n:
                raise ModelError(f"{self.what(entry)} has {n} neurons but its input {p!r} "
                                 f"gives {signal.n} values: fix the shapes")
            for (origin, d), (m, labels, tied) in signal.paths.items():
                if self.kind(origin) in READOUTS:
                    raise ModelError(f"{self.what(origin)} feeds {self.what(entry)}: its output "
                                     "is a potential, and spikemem passes only spikes between "
                                     "populations; read it only from an Output node")
                label = next(iter(labels)) if len(labels) == 1 else None
                weights = sp.csr_array(m @ sp.diags_array(gain))
                groups.setdefault((origin, label), []).append((d, weights, scaled(tied, gain)))
            for keys, c in signal.consts.items():
                origins = [(names[o], d) for o, d in keys]
                self.constants.append((pop, receptor, origins, gain * c))
        specs = []
        for (origin, label), parts in groups.items():
            for weights, delay, name, tied in self._merge(label, parts):
                sparse = self.labels_sparse.get(label, weights.nnz < 0.5 * np.prod(weights.shape))
                if tied is not None:
                    w = tied
                elif sparse:
                    w = sp.csr_array(weights)
                    w.eliminate_zeros()
                else:
                    w = weights.toarray()
                if name is not None and not _NAME.match(name.replace(">", "")):
                    name = None
                order = self.label_order.get(label, len(self.nodes))
                specs.append((order, dict(pre=names[origin], post=pop, weights=w, delay=delay,
                                          receptor=receptor, name=name,
                                          plasticity=self._plasticity(label))))
        return specs

    def _merge(self, label, parts):
        """[(weights csr, delay int or dense int array, name, tied structure or None)] for
        one (origin, label): groups with different delays merge into one projection with
        per-synapse delays when their synapses do not overlap."""
        parts = sorted(parts, key=lambda p: p[0])
        if len(parts) == 1:
            d, m, tied = parts[0]
            return [(m, 1 + d, label, tied)]
        supports = [(m != 0).astype(np.int64) for _, m, _ in parts]
        if label is not None and len({d for d, _, _ in parts}) == len(parts) and \
                sum(supports).max() <= 1:
            total = sum(m for _, m, _ in parts)
            delay = np.full(total.shape, 1 + parts[0][0], dtype=np.int64)
            for (d, m, _), s in zip(parts, supports):
                delay[s.toarray() > 0] = 1 + d
            return [(sp.csr_array(total), delay, label, None)]
        return [(m, 1 + d, None, None) for d, m, _ in parts]

    def _plasticity(self, label):
        for name, node in self.nodes.items():
            meta = getattr(node, "metadata", {})
            if "plasticity" in meta and plain(meta.get("projection")) == label:
                try:
                    return PlasticityRule.from_dict(json.loads(plain(meta["plasticity"])))
                except (TypeError, ValueError, KeyError) as e:
                    raise ModelError(f"{self.what(name)}: its metadata 'plasticity' is not a "
                                     f"spikemem plasticity rule ({e})") from None
        return None

    def _constant_source(self, net, name):
        """The always-on source of the constant inputs, connected to each receptor with the
        delay at which the spikes its constant rides on first arrive (the origin's depth,
        plus the path's delay): the constant starts when that input does."""
        net.poisson(name, 1, rate_hz=_always_on_rate(net.dt))
        depth = _depths(net)
        summed: dict = {}  # (population, receptor, delay) -> constant (n,)
        for pop, receptor, origins, c in self.constants:
            delay = min(depth.get(o, 0) + 1 + d for o, d in origins)
            key = (pop, receptor, delay)
            summed[key] = summed.get(key, 0.0) + c
        for (pop, receptor, delay), c in summed.items():
            net.connect(name, pop, c[None, :], delay=delay, receptor=receptor)

    # -- outputs --
    def _probes(self, net, names):
        for name in self.nodes:
            if self.kind(name) == "Output":
                for target, variable in self._output_records(name, names):
                    net.record(target, variable)

    def _output_records(self, name, names):
        """[(spikemem node, variable)] recorded for Output node `name`: the spiking nodes
        it reads, directly or concatenated through 0/1 selection nodes, with the variables
        a spikemem graph listed in metadata 'probes' (else 'spikes')."""
        read = []  # NIR names of the spiking nodes read, in output order
        for p in self.pred[name]:
            for origin in self._selected(name, p):
                if origin not in read:
                    read.append(origin)
        meta = plain_dict(self.nodes[name].metadata)
        if "probes" in meta:
            try:
                listed = [(str(t), str(v)) for t, v in json.loads(meta["probes"])]
            except (TypeError, ValueError):
                raise ModelError(f"NIR Output {name!r}: its metadata 'probes' is not a list "
                                 "of [node, variable] pairs") from None
            unknown = sorted({t for t, _ in listed} - set(read))
            if unknown:
                raise ModelError(f"NIR Output {name!r} lists probes of {unknown}, which it "
                                 f"does not read (it reads {read})")
            return [(names[t], v) for t, v in listed]
        variable = str(meta.get("variable", "spikes"))
        return [(names[t], "v" if self.kind(t) in READOUTS else variable) for t in read]

    def _selected(self, output, p):
        """The spiking nodes whose spikes node `p` passes on to Output `output` unchanged,
        in the order they appear in its output."""
        src = p
        while self.kind(src) == "Pass" and len(self.pred[src]) == 1:
            src = self.pred[src][0]
        if self.kind(src) == "Input" or self.kind(src) in NEURON_TYPES:
            return [src]
        signal = self.trace(src, (output,))
        firsts, columns = [], []
        for (origin, d), (m, _, _) in signal.paths.items():
            m = sp.csr_array(m)
            m.eliminate_zeros()
            if d != 0 or np.any(m.data != 1) or np.any(np.diff(m.indptr) != 1):
                break  # not every neuron of origin passed on once, unchanged, in this step
            firsts.append((int(m.indices.min()), origin))
            columns.append(m.indices)
        else:
            columns = np.concatenate(columns)
            if not signal.consts and np.unique(columns).size == columns.size:
                return [origin for _, origin in sorted(firsts)]
        raise ModelError(f"NIR Output {output!r} reads node {src!r} ({self.kind(src)}), which "
                         "is neither the spikes of an Input or neuron node nor a concatenation "
                         "of them; spikemem records spikes of Input and neuron nodes only")


def _depths(net) -> dict:
    """{population: the first step at which input from a source can arrive} over the
    projections of `net` (the shortest sum of delays from a source)."""
    depth = {name: 0 for name in net.sources}
    changed = True
    while changed:
        changed = False
        for p in net.projections.values():
            if p.pre not in depth:
                continue
            shortest = p.uniform_delay if p.uniform_delay is not None else int(np.min(p.delay))
            arrive = depth[p.pre] + shortest
            if arrive < depth.get(p.post, math.inf):
                depth[p.post] = arrive
                changed = True
    return depth


def _per_value(value, f):
    """f(value) for a float, or f of each value of an (n,) array (per-neuron parameters)."""
    if np.ndim(value) == 0:
        return f(float(value))
    return np.array([f(x) for x in np.asarray(value).tolist()])
