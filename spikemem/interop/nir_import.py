"""Build a spikemem Network from a NIR graph: sm.import_nir(graph_or_path, dt=...).

Reading rules (docs/interop/nir.md):
- dt is the reader's step in seconds (NIR's time unit); default: graph.metadata["dt"].
  Every node is integrated with forward Euler at that step, as snnTorch and Norse do:
  decay = 1 - dt / tau, input gain = (dt / tau) * r (CubaLIF: also (dt / tau_syn) * w_in),
  bias = (dt / tau) * v_leak; the input gain is folded into the incoming weights.
- Input nodes become input sources; LIF, CubaLIF, IF and Threshold nodes become populations
  (Threshold, or a decay of 0: tau_mem = 0); an LI node feeding one such node is a synaptic
  receptor of it. Linear, Affine, Scale, Flatten, Conv1d/Conv2d, SumPool2d/AvgPool2d and
  Delay nodes between them are composed into projections; Output nodes become spike probes.
  A Conv/Pool node that is the only weighted node of its path (Flatten, uniform Scale and
  Delay nodes aside) becomes a tied projection (sm.Conv2d, ...: its parameters, not their
  expansion); composed with other weighted nodes it becomes a (sparse) matrix.
- Each edge into a neuron takes one step (spikemem's delay >= 1); Delay nodes add
  round(delay / dt) steps. Node names are kept (made valid spikemem names where needed).
Anything else raises ModelError naming the node and its type.
"""
from __future__ import annotations

import json
import math
import re
from inspect import signature
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..errors import ModelError, ModelFileError
from ..model import LIF, Network, PlasticityRule
from ..model.tied import AvgPool2d, Conv1d, Conv2d, SumPool2d, TiedWeights, as_tuple

#: node types composed into projections
LINEAR_TYPES = ("Linear", "Affine", "Scale", "Flatten", "Conv1d", "Conv2d", "SumPool2d",
                "AvgPool2d", "Delay")
#: node types that become populations
NEURON_TYPES = ("LIF", "CubaLIF", "IF", "Threshold")
#: an input gain this close to 1 is taken as exactly 1 (float round trip of tau/dt * dt/tau)
GAIN_SNAP = 1e-12
#: the tied form of a path that has only passed spikes through (see _Builder.trace)
IDENTITY = "identity"
WINDOWS = {"Conv1d": Conv1d, "Conv2d": Conv2d, "SumPool2d": SumPool2d, "AvgPool2d": AvgPool2d}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


class _Pass:
    """The Input/Output node of an inlined subgraph: passes its input through."""


def import_nir(graph_or_path, dt: float | None = None) -> Network:
    """A spikemem Network equivalent to the NIR graph (object, or path of a .nir file).

    dt: the time step in seconds used to read the continuous-time parameters; default the
        graph's metadata["dt"] (written by spikemem). snnTorch's graphs assume 1e-4, Norse's
        the dt given to norse.torch.to_nir (Norse <= 1.1 writes tau = dt * tau: read its
        graphs with dt = dt_norse ** 2, see docs/interop/nir.md).
    The network's dt (ms) is dt * 1000, or the one a spikemem export recorded.
    """
    graph = _load(graph_or_path)
    meta = _plain_dict(getattr(graph, "metadata", {}) or {})
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
    net_dt = dt_s * 1e3
    if "spikemem_dt_ms" in meta and "dt" in meta and float(meta["dt"]) == dt_s:
        net_dt = float(meta["spikemem_dt_ms"])
    nodes, edges = _flatten(graph)
    if meta.get("producer") == "spikemem":
        nodes, edges = _drop_inferred(nodes, edges)
    return _Builder(nodes, edges, dt_s, net_dt).build()


# ---- loading -------------------------------------------------------------------------------
def _load(graph_or_path):
    import nir

    if isinstance(graph_or_path, (str, Path)):
        path = Path(graph_or_path)
        if not path.is_file():
            raise ModelFileError(f"NIR file {str(path)!r} does not exist")
        # no type check: it would add Input/Output nodes (nir 1.0.6's read has no such option)
        kw = {"type_check": False} if "type_check" in signature(nir.read).parameters else {}
        try:
            return nir.read(path, **kw)
        except Exception as e:  # h5py, KeyError and nir's asserts: all mean a foreign file
            raise ModelFileError(f"{str(path)!r} is not a readable NIR graph file "
                                 f"({type(e).__name__}: {e})") from None
    if isinstance(graph_or_path, nir.NIRGraph):
        return graph_or_path
    raise ModelError(f"import_nir needs a nir.NIRGraph or the path of a .nir file, got "
                     f"{type(graph_or_path).__name__}")


def _plain(x):
    """NIR/HDF5 metadata values as Python values (bytes -> str, 0-d arrays -> scalars)."""
    if isinstance(x, bytes):
        return x.decode("utf8")
    if isinstance(x, np.ndarray) and x.ndim == 0:
        return _plain(x[()])
    if isinstance(x, np.generic):
        return x.item()
    return x


def _plain_dict(d) -> dict:
    return {k: _plain(v) for k, v in dict(d).items()}


def _flatten(graph, prefix: str = ""):
    """(nodes, edges) with subgraphs inlined as 'sub.node'; their Input/Output pass through."""
    import nir

    nodes, edges, ports = {}, [], {}
    for name, node in graph.nodes.items():
        full = prefix + name
        if isinstance(node, nir.NIRGraph):
            sub_nodes, sub_edges = _flatten(node, full + ".")
            ins = [k for k, v in node.nodes.items() if isinstance(v, nir.Input)]
            outs = [k for k, v in node.nodes.items() if isinstance(v, nir.Output)]
            if len(ins) != 1 or len(outs) != 1:
                raise ModelError(f"NIR subgraph {full!r} has {len(ins)} Input and {len(outs)} "
                                 "Output nodes; spikemem inlines subgraphs with one of each")
            for k in (ins[0], outs[0]):
                sub_nodes[f"{full}.{k}"] = _Pass()
            ports[name] = (f"{full}.{ins[0]}", f"{full}.{outs[0]}")
            nodes.update(sub_nodes)
            edges += sub_edges
        else:
            nodes[full] = node
    for a, b in graph.edges:
        a, b = str(a), str(b)
        src = ports[a][1] if a in ports else prefix + a
        dst = ports[b][0] if b in ports else prefix + b
        edges.append((src, dst))
    return nodes, edges


def _drop_inferred(nodes, edges):
    """Drop the Input/Output nodes that nir's type inference adds to a spikemem graph
    (spikemem marks its own with metadata 'source' / 'variable')."""
    import nir

    drop = {k for k, v in nodes.items()
            if (isinstance(v, nir.Input) and "source" not in v.metadata)
            or (isinstance(v, nir.Output) and "variable" not in v.metadata)}
    return ({k: v for k, v in nodes.items() if k not in drop},
            [(a, b) for a, b in edges if a not in drop and b not in drop])


# ---- helpers -------------------------------------------------------------------------------
def _arr(x) -> np.ndarray:
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def _uniform(values: np.ndarray, what: str) -> float:
    v = np.ravel(values)
    if v.size and not np.allclose(v, v[0], rtol=1e-12, atol=0):
        raise ModelError(f"{what} differs between neurons ({v.min()} .. {v.max()}); a spikemem "
                         "population shares one neuron model: split the node")
    return float(v[0])


def _compact(values):
    """A per-neuron array as a float when all neurons share the value."""
    a = np.ravel(values)
    return float(a[0]) if a.size == 0 or np.all(a == a[0]) else a.astype(np.float64)


def _valid_name(name: str) -> str:
    if _NAME.match(name):
        return name
    clean = re.sub(r"[^A-Za-z0-9_.\-]", "_", name)
    return clean if _NAME.match(clean) else "_" + clean


# ---- the builder ---------------------------------------------------------------------------
class _Builder:
    """Turns flattened NIR nodes and edges into a Network (one instance per import)."""

    def __init__(self, nodes: dict, edges: list, dt_s: float, net_dt: float):
        self.nodes, self.edges = nodes, edges
        self.dt, self.net_dt = dt_s, net_dt
        self.pred: dict = {k: [] for k in nodes}
        self.succ: dict = {k: [] for k in nodes}
        for a, b in edges:
            for end in (a, b):
                if end not in nodes:
                    raise ModelError(f"NIR edge ({a!r}, {b!r}) names node {end!r}, which the "
                                     "graph does not have")
            self.pred[b].append(a)
            self.succ[a].append(b)
        self.shape: dict = {}
        self.memo: dict = {}
        self.windows: dict = {}
        self.labels_sparse: dict = {}
        self.label_order: dict = {}

    def kind(self, name: str) -> str:
        node = self.nodes[name]
        return "Pass" if isinstance(node, _Pass) else type(node).__name__

    # -- shapes --
    def infer_shapes(self):
        for name in self.nodes:
            s = self._own_shape(name)
            if s is not None:
                self.shape[name] = s
        changed = True
        while changed:
            changed = False
            for name in self.nodes:
                if name in self.shape:
                    continue
                known = [self.shape[p] for p in self.pred[name] if p in self.shape]
                if known:
                    self.shape[name] = self._shape_from_input(name, known[0])
                    changed = True
                elif self.kind(name) in ("LI", "Delay", "Scale", "Pass"):  # size-preserving
                    after = [self.shape[q] for q in self.succ[name] if q in self.shape and
                             self.kind(q) in NEURON_TYPES + ("LI", "Delay", "Scale", "Pass")]
                    if after:
                        self.shape[name] = after[0]
                        changed = True
        for name in self.nodes:
            if name not in self.shape:
                raise ModelError(f"NIR node {name!r} ({self.kind(name)}): its size cannot be "
                                 "inferred (no sized input reaches it)")

    def _own_shape(self, name):
        node, kind = self.nodes[name], self.kind(name)
        if kind == "Input":
            return tuple(int(v) for v in np.ravel(node.input_type["input"]))
        if kind in ("Linear", "Affine"):
            return (_arr(node.weight).shape[0],)
        field = {"LIF": "v_threshold", "CubaLIF": "v_threshold", "IF": "v_threshold",
                 "Threshold": "threshold", "LI": "tau", "Scale": "scale",
                 "Delay": "delay"}.get(kind)
        if field is not None:
            a = _arr(getattr(node, field))
            return a.shape if a.ndim >= 1 else None
        return None

    def _shape_from_input(self, name, s_in):
        kind = self.kind(name)
        if kind in WINDOWS:
            return self._window(name, s_in).out_shape
        if kind == "Flatten":
            return (int(np.prod(s_in)),)
        return s_in

    def size(self, name) -> int:
        return int(np.prod(self.shape[name]))

    def _window(self, name, s_in) -> TiedWeights:
        """The tied structure of a Conv/Pool node for input shape s_in (built once)."""
        if name in self.windows:
            return self.windows[name]
        node, kind = self.nodes[name], self.kind(name)
        nd = 1 if kind == "Conv1d" else 2
        s = tuple(int(v) for v in s_in)
        while len(s) > nd + 1 and s[0] == 1:  # a leading batch dimension
            s = s[1:]
        try:
            if kind.startswith("Conv"):
                w = _arr(node.weight)
                if len(s) == 1 and node.input_shape is not None:
                    s = (w.shape[1] * int(node.groups),) + as_tuple(node.input_shape, nd,
                                                                     "input_shape", 1)
                structure = WINDOWS[kind](s, w, node.stride, node.padding, node.dilation,
                                          int(node.groups))
            else:
                structure = WINDOWS[kind](s, node.kernel_size, node.stride, node.padding)
        except ModelError as e:
            raise ModelError(f"NIR node {name!r} ({kind}): {e}") from None
        except (IndexError, TypeError, ValueError) as e:
            raise ModelError(f"NIR node {name!r} ({kind}) does not fit its input shape {s_in}: "
                             f"{e}") from None
        self.windows[name] = structure
        return structure

    # -- classification --
    def classify(self):
        self.sources, self.cores, self.receptors = [], [], {}
        for name, node in self.nodes.items():
            kind = self.kind(name)
            if kind == "Input":
                self.sources.append(name)
            elif kind in NEURON_TYPES:
                self.cores.append(name)
            elif kind == "LI":
                outs = set(self.succ[name])
                core = next(iter(outs)) if len(outs) == 1 else None
                if core is None or self.kind(core) not in ("LIF", "IF", "Threshold"):
                    raise ModelError(f"NIR node {name!r} (LI): spikemem reads an LI node only as "
                                     "a synaptic current feeding one LIF, IF or Threshold node")
                self.receptors.setdefault(core, []).append(name)
            elif kind in ("Linear", "Affine") and _arr(node.weight).ndim != 2:
                raise ModelError(f"NIR node {name!r} ({kind}): weights must be 2-D "
                                 "(n_out, n_in)")
            elif kind not in LINEAR_TYPES and kind not in ("Pass", "Output"):
                supported = ", ".join(("Input", "Output", "LI") + NEURON_TYPES + LINEAR_TYPES)
                raise ModelError(f"NIR node {name!r} of type {kind} has no spikemem equivalent; "
                                 f"supported node types: {supported}")

    # -- composing linear paths --
    def trace(self, name: str, stack=()):
        """The output of node `name` as {(origin, extra delay steps): (matrix (n_origin,
        n_out), labels, tied)} and a constant bias (n_out,); tied is IDENTITY (spikes passed
        through), the structure whose expansion the matrix is, or None."""
        if name in self.memo:
            return self.memo[name]
        kind = self.kind(name)
        n = self.size(name)
        if kind == "Input" or kind in NEURON_TYPES:
            result = ({(name, 0): (sp.identity(n, format="csr"), frozenset(), IDENTITY)},
                      np.zeros(n))
            self.memo[name] = result
            return result
        if kind not in LINEAR_TYPES and kind != "Pass":
            raise ModelError(f"NIR node {name!r} ({kind}) feeds a projection, but its output is "
                             "not spikes: spikemem connects spikes of Input and neuron nodes")
        if name in stack:
            raise ModelError(f"NIR nodes {list(stack)} form a loop without a neuron; spikemem "
                             "needs a neuron node in every cycle")
        if not self.pred[name]:
            raise ModelError(f"NIR node {name!r} ({kind}) has no input")
        paths, bias = self._sum_inputs(self.pred[name], stack + (name,))
        result = self._apply(name, kind, paths, bias)
        self.memo[name] = result
        return result

    def _sum_inputs(self, preds, stack):
        paths: dict = {}
        bias = None
        for p in preds:
            p_paths, p_bias = self.trace(p, stack)
            bias = p_bias.copy() if bias is None else bias + p_bias
            for key, (m, labels, tied) in p_paths.items():
                if key in paths:
                    m0, l0, _ = paths[key]
                    paths[key] = (m0 + m, l0 | labels, None)
                else:
                    paths[key] = (m, labels, tied)
        return paths, bias

    def _apply(self, name, kind, paths, bias):
        node = self.nodes[name]
        n_in = bias.size
        if kind in ("Pass", "Flatten"):
            return paths, bias
        if kind == "Delay":
            steps = _arr(node.delay) / self.dt
            if np.any(np.abs(steps - np.round(steps)) > 1e-6) or np.any(steps < 0):
                raise ModelError(f"NIR node {name!r} (Delay): delays {np.unique(_arr(node.delay))}"
                                 f" s are not whole steps of dt = {self.dt} s")
            steps = np.broadcast_to(np.round(steps).astype(np.int64).ravel(), (n_in,))
            out: dict = {}
            uniform = np.unique(steps).size == 1
            for (origin, d), (m, labels, tied) in paths.items():
                for extra in np.unique(steps):
                    part = sp.csr_array(m @ sp.diags_array((steps == extra).astype(float)))
                    key = (origin, d + int(extra))
                    if key in out:
                        part, labels = part + out[key][0], labels | out[key][1]
                    out[key] = (part, labels, tied if uniform and key not in out else None)
            return out, bias
        offset, window = None, None
        if kind in ("Linear", "Affine"):
            w = _arr(node.weight)
            if w.shape[1] != n_in:
                raise ModelError(f"NIR node {name!r} ({kind}): weights {w.shape} expect "
                                 f"{w.shape[1]} inputs, got {n_in}")
            a = sp.csr_array(w.T)
            if kind == "Affine":
                offset = np.broadcast_to(_arr(node.bias), (w.shape[0],))
        elif kind == "Scale":
            s = np.broadcast_to(_arr(node.scale).ravel(), (n_in,))
            a = sp.diags_array(s, format="csr")
        else:  # Conv1d, Conv2d, SumPool2d, AvgPool2d
            window = self._window(name, self.shape[self.pred[name][0]])
            a = window.csr()
            if kind.startswith("Conv"):
                offset = np.repeat(_arr(node.bias), int(np.prod(window.out_shape[1:])))
        label = _plain(node.metadata.get("projection", name))
        self.label_order.setdefault(label, list(self.nodes).index(name))
        if "sparse" in node.metadata:
            self.labels_sparse[label] = bool(_plain(node.metadata["sparse"]))
        out = {key: (sp.csr_array(m @ a), labels | {label}, _tied_after(kind, tied, window, a))
               for key, (m, labels, tied) in paths.items()}
        new_bias = bias @ a
        if offset is not None:
            new_bias = new_bias + offset
        return out, np.asarray(new_bias, dtype=np.float64)

    # -- neurons --
    def core_params(self, name):
        """(beta, gain (n,), bias (n,), v_th, v_reset, syn alpha or None)."""
        node, kind, n = self.nodes[name], self.kind(name), self.size(name)
        dt = self.dt

        def full(x):
            return np.broadcast_to(_arr(x).ravel() if _arr(x).size > 1 else _arr(x), (n,))

        what = f"NIR node {name!r} ({kind})"
        alpha = None
        if kind == "Threshold":
            return 0.0, np.ones(n), np.zeros(n), _uniform(full(node.threshold), what +
                                                             " threshold"), 0.0, None
        if kind == "IF":
            beta, gain, bias = 1.0, dt * full(node.r), np.zeros(n)
        elif kind == "LIF":
            k = dt / full(node.tau)
            beta = 1.0 - _uniform(k, what + " tau")
            gain, bias = k * full(node.r), k * full(node.v_leak)
        else:  # CubaLIF
            k = dt / full(node.tau_mem)
            ks = dt / full(node.tau_syn)
            beta = 1.0 - _uniform(k, what + " tau_mem")
            alpha = 1.0 - _uniform(ks, what + " tau_syn")
            gain = ks * full(node.w_in) * k * full(node.r)
            bias = k * full(node.v_leak)
            self._check_decay(alpha, what, "tau_syn")
        self._check_decay(beta, what, "tau" if kind == "LIF" else "tau_mem")
        return (beta, gain, bias, _uniform(full(node.v_threshold), what + " v_threshold"),
                _uniform(full(node.v_reset), what + " v_reset"), alpha)

    def _check_decay(self, decay, what, field):
        if not 0.0 <= decay <= 1.0:
            raise ModelError(f"{what}: with dt = {self.dt} s its {field} gives a decay of "
                             f"{decay:.4g} per step (forward Euler needs dt <= tau); dt is in "
                             "seconds: check its value")

    def tau_ms(self, decay: float, what: str) -> float:
        """A spikemem time constant (ms) whose exact decay per step is `decay`."""
        if decay == 1.0:
            raise ModelError(f"{what}: an infinite synaptic time constant has no spikemem form")
        if decay == 0.0:
            return 0.0
        return -self.net_dt / math.log(decay)

    # -- assembling --
    def build(self) -> Network:
        self.classify()
        self.infer_shapes()
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
        entries = []  # (entry node, population name, receptor, gain, alpha)
        for c in self.cores:
            entries += self._population(net, c, claim(c))
        specs = []
        for entry, pop, receptor, gain, alpha, direct in entries:
            specs += self._connect(net, names, entry, pop, receptor, gain, alpha, direct)
        for _, kw in sorted(specs, key=lambda s: s[0]):
            if kw["name"] in net.projections:
                kw["name"] = None
            net.connect(kw.pop("pre"), kw.pop("post"), kw.pop("weights"), **kw)
        self._probes(net, names)
        return net

    def _population(self, net, c, name):
        """Add the population of core node `c`; returns its entries (node, population,
        receptor, input gain (n,), synaptic decay, predecessor nodes)."""
        node, kind, n = self.nodes[c], self.kind(c), self.size(c)
        what = f"NIR node {c!r} ({kind})"
        beta, gain, bias, v_th, v_reset, alpha = self.core_params(c)
        meta = _plain_dict(node.metadata)
        if kind == "IF" and "bias" in meta:  # spikemem's IF bias, which NIR cannot carry
            bias = bias + np.broadcast_to(_arr(meta["bias"]), (n,))
        lis = self.receptors.get(c, [])
        direct = [p for p in self.pred[c] if p not in lis]
        receptors: dict = {}
        entries = []
        if alpha is not None:  # CubaLIF: its own synapse is the receptor
            rname = str(meta.get("receptor", "syn"))
            receptors[rname] = self.tau_ms(alpha, what + " tau_syn")
            entries.append((c, name, rname, gain, alpha, direct))
        else:
            for li in lis:
                li_node = self.nodes[li]
                tau = _arr(li_node.tau)
                k = self.dt / np.broadcast_to(tau.ravel() if tau.size > 1 else tau, (n,))
                a = 1.0 - _uniform(k, f"NIR node {li!r} (LI) tau")
                self._check_decay(a, f"NIR node {li!r} (LI)", "tau")
                if np.any(_arr(li_node.v_leak) != 0):
                    raise ModelError(f"NIR node {li!r} (LI): a v_leak drives the synaptic "
                                     "current of a spikemem receptor, which has no such term")
                rname = _valid_name(str(_plain(li_node.metadata.get("receptor",
                                                                     li.rsplit("@", 1)[-1]))))
                receptors[rname] = self.tau_ms(a, f"NIR node {li!r} (LI) tau")
                entries.append((li, name, rname, gain * k * _arr(li_node.r), a, self.pred[li]))
            if direct or not lis:
                rname = "syn" if lis else str(meta.get("receptor", "syn"))
                while rname in receptors:
                    rname += "_"
                receptors[rname] = 0.0
                entries.append((c, name, rname, gain, 0.0, direct))
        tau_syn = receptors["syn"] if list(receptors) == ["syn"] else receptors
        if beta == 1.0:
            tau_mem = math.inf
        elif beta == 0.0:
            tau_mem = 0.0  # no membrane memory
        else:
            tau_mem = -self.net_dt / math.log(beta)
        model = LIF(tau_mem=tau_mem, tau_syn=tau_syn, v_th=v_th, v_reset=v_reset,
                    reset=str(meta.get("reset", "zero")),
                    refractory=int(meta.get("refractory", 0)))
        v_init = _arr(node.metadata["v_init"]) if "v_init" in node.metadata else 0.0
        net.population(name, n, model, bias=_compact(bias), v_init=_compact(v_init))
        return entries

    def _connect(self, net, names, entry, pop, receptor, gain, alpha, preds):
        """Projection specs (order key, kwargs for net.connect) for one receptor entry."""
        if not preds:
            return []
        gain = np.where(np.abs(gain - 1.0) <= GAIN_SNAP, 1.0, gain)
        groups: dict = {}  # (origin, label) -> [(extra delay, weights)]; inputs kept apart
        bias = 0.0
        for p in preds:
            paths, p_bias = self.trace(p, (entry,))
            bias = bias + p_bias
            for (origin, d), (m, labels, tied) in paths.items():
                label = next(iter(labels)) if len(labels) == 1 else None
                scaled = sp.csr_array(m @ sp.diags_array(gain))
                tied = _scaled(tied, gain)
                groups.setdefault((origin, label), []).append((d, scaled, tied))
        if np.any(bias != 0):
            if alpha != 0.0:
                raise ModelError(f"NIR node {entry!r}: a constant input (Affine or Conv bias) "
                                 "feeds a synaptic current, which spikemem's bias (added to v) "
                                 "cannot express; set those biases to 0")
            net.set_population(pop, bias=np.asarray(net.populations[pop].bias + gain * bias,
                                                    dtype=np.float64))
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
        for node in self.nodes.values():
            meta = getattr(node, "metadata", {})
            if "plasticity" in meta and _plain(meta.get("projection")) == label:
                return PlasticityRule.from_dict(json.loads(_plain(meta["plasticity"])))
        return None

    def _probes(self, net, names):
        for name in self.nodes:
            if self.kind(name) != "Output":
                continue
            var = str(_plain(self.nodes[name].metadata.get("variable", "spikes")))
            for p in self.pred[name]:
                src = p
                while self.kind(src) == "Pass" and len(self.pred[src]) == 1:
                    src = self.pred[src][0]
                if src not in names:
                    raise ModelError(f"NIR Output {name!r} reads node {src!r} "
                                     f"({self.kind(src)}); spikemem records the spikes of Input "
                                     "and neuron nodes only")
                net.record(names[src], var)


def _tied_after(kind: str, tied, window, a):
    """The tied form of a path of form `tied` after node `kind` (matrix `a`): a Conv/Pool
    node on passed-through spikes is its structure; Flatten, Delay (handled apart) and a
    uniform Scale keep a structure; anything else makes the path a plain matrix."""
    if window is not None:
        return window if tied is IDENTITY else None
    return _scaled(tied, a.diagonal()) if kind == "Scale" else None


def _scaled(tied, factor: np.ndarray):
    """Structure `tied` with its parameters times a factor per output neuron, if that
    factor is uniform; else None."""
    if not isinstance(tied, TiedWeights) or np.any(factor != factor[0]):
        return None
    return tied.with_parameters(tied.parameters * factor[0])
