"""A NIR graph's paths between spiking nodes, composed: what reaches each node from the
spikes of Input and neuron nodes, through Linear, Affine, Scale, Flatten, Conv, Pool and Delay
nodes, as one matrix per (origin, delay) plus the constants (biases) added on the way.

`GraphPaths(nodes, edges, dt)` holds the flattened graph (nir_graph.read_graph); after
`infer_shapes()`, `trace(name)` gives the `Signal` leaving node `name`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..errors import ModelError
from ..model.tied import AvgPool2d, Conv1d, Conv2d, SumPool2d, TiedWeights, as_tuple
from ..model.validate import MAX_STEPS
from .nir_graph import Pass, plain
from .nir_neurons import READERS
from .nir_values import numbers, per_neuron

#: node types composed into projections
LINEAR_TYPES = ("Linear", "Affine", "Scale", "Flatten", "Conv1d", "Conv2d", "SumPool2d",
                "AvgPool2d", "Delay")
#: node types that become populations
NEURON_TYPES = tuple(READERS)
#: the tied form of a path that has only passed spikes through
IDENTITY = "identity"
WINDOWS = {"Conv1d": Conv1d, "Conv2d": Conv2d, "SumPool2d": SumPool2d, "AvgPool2d": AvgPool2d}


@dataclass
class Signal:
    """A node's output: paths {(spiking origin, extra delay steps): (matrix (n_origin, n),
    projection labels, tied form)} summed, plus constants {the path keys they ride on:
    (n,)}; n its size. A tied form is IDENTITY (spikes passed through), the structure whose
    expansion the matrix is, or None."""

    paths: dict
    consts: dict
    n: int


class GraphPaths:
    """The nodes and edges of a flattened NIR graph, their shapes, and the signals leaving
    them (memoised)."""

    def __init__(self, nodes: dict, edges: list, dt_s: float):
        self.nodes, self.edges, self.dt = nodes, edges, dt_s
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
        self.labels_sparse: dict = {}  # projection label -> written as sparse
        self.label_order: dict = {}    # projection label -> position of its first node

    def kind(self, name: str) -> str:
        node = self.nodes[name]
        return "Pass" if isinstance(node, Pass) else type(node).__name__

    def what(self, name: str) -> str:
        return f"NIR node {name!r} ({self.kind(name)})"

    # -- shapes --
    def infer_shapes(self):
        """Each node's shape: its own (Input, Linear, Affine: always; a per-neuron field:
        when it has more than one value), else its input's, else its output's (nodes that
        keep the size), else a single value's (1,)."""
        own = {name: self._own_shape(name) for name in self.nodes}
        definite = ("Input", "Linear", "Affine")
        self.shape = {k: s for k, s in own.items()
                      if s is not None and (self.kind(k) in definite or np.prod(s) > 1)}
        self._propagate()
        weak = {k: s for k, s in own.items() if k not in self.shape and s is not None}
        if weak:
            self.shape.update(weak)
            self._propagate()
        for name in self.nodes:
            if name not in self.shape:
                raise ModelError(f"{self.what(name)}: its size cannot be inferred (no sized "
                                 "input reaches it)")
            if self.size(name) < 1:
                raise ModelError(f"{self.what(name)} has shape {self.shape[name]}, with no "
                                 "neuron: give it at least one")

    def _propagate(self):
        keeps_size = NEURON_TYPES + ("LI", "Delay", "Scale", "Pass")
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
                elif self.kind(name) in ("LI", "Delay", "Scale", "Pass"):
                    after = [self.shape[q] for q in self.succ[name]
                             if q in self.shape and self.kind(q) in keeps_size]
                    if after:
                        self.shape[name] = after[0]
                        changed = True

    def _own_shape(self, name):
        node, kind = self.nodes[name], self.kind(name)
        if kind == "Input":
            shape = getattr(node, "input_type", {}).get("input")
            try:
                return tuple(int(v) for v in np.ravel(shape))
            except (TypeError, ValueError):
                raise ModelError(f"{self.what(name)}: its input_type {shape!r} is not a "
                                 "shape: give the sizes of its dimensions") from None
        if kind in ("Linear", "Affine"):
            return (numbers(node.weight, self.what(name) + " weight").shape[0],)
        field = {"LIF": "v_threshold", "CubaLIF": "v_threshold", "IF": "v_threshold",
                 "Threshold": "threshold", "LI": "tau", "CubaLI": "tau_mem", "I": "r",
                 "Scale": "scale",
                 "Delay": "delay"}.get(kind)
        if field is not None:
            a = numbers(getattr(node, field), f"{self.what(name)} {field}")
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
                w = numbers(node.weight, self.what(name) + " weight")
                if len(s) == 1 and node.input_shape is not None:
                    s = (w.shape[1] * int(node.groups),) + as_tuple(node.input_shape, nd,
                                                                     "input_shape", 1)
                structure = WINDOWS[kind](s, w, node.stride, node.padding, node.dilation,
                                          int(node.groups))
            else:
                structure = WINDOWS[kind](s, node.kernel_size, node.stride, node.padding)
        except ModelError as e:
            raise ModelError(f"{self.what(name)}: {e}") from None
        except (IndexError, TypeError, ValueError) as e:
            raise ModelError(f"{self.what(name)} does not fit its input shape {s_in}: "
                             f"{e}") from None
        self.windows[name] = structure
        return structure

    # -- composing linear paths --
    def trace(self, name: str, stack=()) -> "Signal":
        """The output of node `name` as a Signal: sums of its spiking origins' spikes
        through matrices, and the constants (Affine and Conv biases) added on the way."""
        if name in self.memo:
            return self.memo[name]
        kind = self.kind(name)
        n = self.size(name)
        if kind == "Input" or kind in NEURON_TYPES:
            result = Signal({(name, 0): (sp.identity(n, format="csr"), frozenset(), IDENTITY)},
                             {}, n)
            self.memo[name] = result
            return result
        if kind not in LINEAR_TYPES and kind != "Pass":
            raise ModelError(f"{self.what(name)} feeds a projection, but its output is not "
                             "spikes: spikemem connects spikes of Input and neuron nodes")
        if name in stack:
            raise ModelError(f"NIR nodes {list(stack)} form a loop without a neuron; spikemem "
                             "needs a neuron node in every cycle")
        if not self.pred[name]:
            raise ModelError(f"{self.what(name)} has no input")
        result = self._apply(name, kind, self._sum_inputs(name, self.pred[name],
                                                          stack + (name,)))
        self.memo[name] = result
        return result

    def _sum_inputs(self, name, preds, stack) -> "Signal":
        """The sum of the outputs of `preds`, the inputs of node `name`; all of one size."""
        total = None
        for p in preds:
            signal = self.trace(p, stack)
            if total is None:
                total = Signal({}, {}, signal.n)
            elif signal.n != total.n:
                raise ModelError(f"{self.what(name)} sums inputs of different sizes: "
                                 f"{preds[0]!r} gives {total.n}, {p!r} gives {signal.n}; fix "
                                 "the shapes of the nodes feeding it")
            for key, (m, labels, tied) in signal.paths.items():
                if key in total.paths:
                    m0, l0, _ = total.paths[key]
                    total.paths[key] = (m0 + m, l0 | labels, None)
                else:
                    total.paths[key] = (m, labels, tied)
            for keys, c in signal.consts.items():
                total.consts[keys] = total.consts.get(keys, 0.0) + c
        return total

    def _apply(self, name, kind, signal: "Signal") -> "Signal":
        node, what, n_in = self.nodes[name], self.what(name), signal.n
        if kind in ("Pass", "Flatten"):
            return signal
        if kind == "Delay":
            return self._delay(name, node, signal)
        offset, window = None, None
        if kind in ("Linear", "Affine"):
            w = numbers(node.weight, what + " weight")
            if w.shape[1] != n_in:
                raise ModelError(f"{what}: weights {w.shape} expect {w.shape[1]} inputs, got "
                                 f"{n_in}; give it weights of shape (n_out, {n_in})")
            a = sp.csr_array(w.T)
            if kind == "Affine":
                offset = per_neuron(node.bias, w.shape[0], what + " bias")
        elif kind == "Scale":
            a = sp.diags_array(per_neuron(node.scale, n_in, what + " scale"), format="csr")
        else:  # Conv1d, Conv2d, SumPool2d, AvgPool2d
            window = self._window(name, self.shape[self.pred[name][0]])
            a = window.csr()
            if a.shape[0] != n_in:
                raise ModelError(f"{what} reads {a.shape[0]} inputs ({window.in_shape}), got "
                                 f"{n_in}: fix its input shape")
            if kind.startswith("Conv"):
                channels = window.out_shape[0]
                offset = np.repeat(per_neuron(node.bias, channels, what + " bias"),
                                   int(np.prod(window.out_shape[1:])))
        label = plain(node.metadata.get("projection", name))
        self.label_order.setdefault(label, list(self.nodes).index(name))
        if "sparse" in node.metadata:
            self.labels_sparse[label] = bool(plain(node.metadata["sparse"]))
        paths = {key: (sp.csr_array(m @ a), labels | {label},
                       tied_after(kind, tied, window, a))
                 for key, (m, labels, tied) in signal.paths.items()}
        consts = {keys: np.asarray(c @ a, dtype=np.float64)
                  for keys, c in signal.consts.items()}
        if offset is not None and np.any(offset != 0):  # rides on this node's input paths
            keys = frozenset(signal.paths)
            consts[keys] = consts.get(keys, 0.0) + offset
        return Signal(paths, consts, a.shape[1])

    def _delay(self, name, node, signal: "Signal") -> "Signal":
        """A signal through a Delay node: per-neuron delays, in whole steps of dt; its
        constants start with the shortest delay."""
        seconds = per_neuron(node.delay, signal.n, self.what(name) + " delay")
        steps = seconds / self.dt
        if np.any(np.abs(steps - np.round(steps)) > 1e-6):
            raise ModelError(f"{self.what(name)}: delays {np.unique(seconds)} s are not whole "
                             f"steps of dt = {self.dt} s")
        if steps.max() > MAX_STEPS:
            raise ModelError(f"{self.what(name)}: a delay of {seconds.max():g} s is "
                             f"{steps.max():.3g} steps of dt = {self.dt} s, more than "
                             f"{MAX_STEPS}: check its unit (seconds)")
        steps = np.round(steps).astype(np.int64)
        out: dict = {}
        uniform = np.unique(steps).size == 1
        for (origin, d), (m, labels, tied) in signal.paths.items():
            for extra in np.unique(steps):
                part = sp.csr_array(m @ sp.diags_array((steps == extra).astype(float)))
                key = (origin, d + int(extra))
                if key in out:
                    part, labels = part + out[key][0], labels | out[key][1]
                out[key] = (part, labels, tied if uniform and key not in out else None)
        first = int(steps.min())
        consts = {frozenset((o, d + first) for o, d in keys): c
                  for keys, c in signal.consts.items()}
        return Signal(out, consts, signal.n)


def tied_after(kind: str, tied, window, a):
    """The tied form of a path of form `tied` after node `kind` (matrix `a`): a Conv/Pool
    node on passed-through spikes is its structure; Flatten, Delay (handled apart) and a
    uniform Scale keep a structure; anything else makes the path a plain matrix."""
    if window is not None:
        return window if tied is IDENTITY else None
    return scaled(tied, a.diagonal()) if kind == "Scale" else None


def scaled(tied, factor: np.ndarray):
    """Structure `tied` with its parameters times a factor per output neuron, if that
    factor is uniform; else None."""
    if not isinstance(tied, TiedWeights) or np.any(factor != factor[0]):
        return None
    return tied.with_parameters(tied.parameters * factor[0])
