"""The model description: a Network of populations, sources, projections and probes.

A Network is plain data (no simulation state); `spikemem.compile(net, target=...)` turns it
into a runnable simulation. Times are in ms (dt), delays and refractory periods in steps.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ..errors import ModelError
from .connectors import Connector
from .neurons import LIF
from .plasticity import PlasticityRule
from .sources import InputSource, PoissonSource, Source, SpikeTimesSource
from .validate import check_name, finite_array, finite_float, scalar_or_vector

POPULATION_VARIABLES = ("spikes", "v", "i", "counts")
SOURCE_VARIABLES = ("spikes", "counts")


@dataclass(eq=False)
class Population:
    """`n` neurons of one model. bias and v_init: float or (n,) per-neuron arrays."""

    name: str
    n: int
    model: LIF
    bias: object = None
    v_init: object = 0.0

    def __post_init__(self):
        check_name(self.name, "population")
        if isinstance(self.n, bool) or not isinstance(self.n, (int, np.integer)) or self.n < 1:
            raise ModelError(f"population {self.name!r}: size n={self.n!r} must be an int >= 1")
        self.n = int(self.n)
        if not isinstance(self.model, LIF):
            raise ModelError(f"population {self.name!r}: model must be sm.LIF(...) or sm.IF(...), "
                             f"got {type(self.model).__name__}")
        bias = self.model.bias if self.bias is None else self.bias
        self.bias = scalar_or_vector(bias, self.n, f"population {self.name!r} bias")
        self.v_init = scalar_or_vector(self.v_init, self.n, f"population {self.name!r} v_init")

    @property
    def receptors(self) -> tuple[str, ...]:
        return self.model.receptor_names


@dataclass(eq=False)
class Projection:
    """Synapses from `pre` (source or population name) to `post` (population name).

    weights: dense ndarray (n_pre, n_post) — every entry a synapse — or a scipy CSR array
        whose stored entries are the synapses. delay: int >= 1 (steps) or an int array
        aligned with the synapses (dense: shape of weights; CSR: shape of .data).
    """

    name: str
    pre: str
    post: str
    weights: object
    delay: object = 1
    receptor: str = ""
    plasticity: PlasticityRule | None = None

    @property
    def is_sparse(self) -> bool:
        return sp.issparse(self.weights)

    @property
    def shape(self) -> tuple[int, int]:
        return self.weights.shape

    @property
    def n_synapses(self) -> int:
        return int(self.weights.nnz) if self.is_sparse else int(self.weights.size)

    @property
    def uniform_delay(self) -> int | None:
        """The delay in steps if all synapses share it, else None (per-synapse array)."""
        return int(self.delay) if np.ndim(self.delay) == 0 else None

    @property
    def max_delay(self) -> int:
        return int(np.max(self.delay)) if np.size(self.delay) else 1

    def synapses(self):
        """(pre_index, post_index, weight, delay) arrays, one entry per synapse, in CSR order."""
        if self.is_sparse:
            w = self.weights
            pre = np.repeat(np.arange(w.shape[0]), np.diff(w.indptr))
            post, val = w.indices.astype(np.int64), w.data
        else:
            n_pre, n_post = self.weights.shape
            pre = np.repeat(np.arange(n_pre), n_post)
            post = np.tile(np.arange(n_post), n_pre)
            val = self.weights.ravel()
        if np.ndim(self.delay) == 0:
            delay = np.broadcast_to(np.int64(self.delay), val.shape)  # a view, no copy
        else:
            delay = np.asarray(self.delay, dtype=np.int64).ravel()
        return pre, post, val, delay

    def dense_weights(self) -> np.ndarray:
        return self.weights.toarray() if self.is_sparse else np.asarray(self.weights)


@dataclass(frozen=True)
class Probe:
    """Record `variable` of population or source `target` (see POPULATION_VARIABLES)."""

    target: str
    variable: str


@dataclass(eq=False)
class Network:
    """A spiking network with a fixed time step `dt` (ms)."""

    dt: float = 1.0
    populations: dict = field(default_factory=dict)
    sources: dict = field(default_factory=dict)
    projections: dict = field(default_factory=dict)
    probes: list = field(default_factory=list)

    def __post_init__(self):
        self.dt = finite_float(self.dt, "Network dt")
        if self.dt <= 0:
            raise ModelError(f"Network dt = {self.dt} ms must be > 0")

    # ---- building -------------------------------------------------------------------------
    def _check_new(self, name: str, what: str):
        check_name(name, what)
        if name in self.populations or name in self.sources:
            raise ModelError(f"{what} name {name!r} is already used in this network: "
                             "choose a different name")

    def population(self, name: str, n: int, model: LIF | None = None, *, bias=None,
                   v_init=0.0) -> Population:
        """Add `n` neurons of `model` (default sm.LIF())."""
        self._check_new(name, "population")
        pop = Population(name, n, model if model is not None else LIF(), bias, v_init)
        self.populations[name] = pop
        return pop

    def _add_source(self, src: Source) -> Source:
        self._check_new(src.name, "source")
        self.sources[src.name] = src
        return src

    def source(self, name: str, n: int) -> InputSource:
        """Add `n` inputs whose spikes are given at run time (inputs={name: ...})."""
        return self._add_source(InputSource(name, n))

    def poisson(self, name: str, n: int, rate_hz=10.0, *, seed: int = 0) -> PoissonSource:
        """Add `n` Poisson spike generators (rate in Hz, float or (n,))."""
        return self._add_source(PoissonSource(name, n, rate_hz, seed))

    def spike_times(self, name: str, steps) -> SpikeTimesSource:
        """Add a source firing at given steps: steps[k] lists neuron k's spike steps."""
        return self._add_source(SpikeTimesSource(name, len(steps), tuple(steps)))

    def node(self, ref) -> Population | Source:
        """A population or source given by object or name."""
        name = ref if isinstance(ref, str) else getattr(ref, "name", None)
        if name in self.populations:
            node = self.populations[name]
        elif name in self.sources:
            node = self.sources[name]
        else:
            known = sorted(self.populations) + sorted(self.sources)
            raise ModelError(f"no population or source named {name!r} in this network; "
                             f"known: {known}")
        if not isinstance(ref, str) and ref is not node:
            raise ModelError(f"{name!r} belongs to another network: pass its name or the object "
                             "returned by this network")
        return node

    def connect(self, pre, post, weights, *, delay=1, receptor: str | None = None,
                plasticity: PlasticityRule | None = None, name: str | None = None) -> Projection:
        """Connect `pre` (source/population) to `post` (population).

        weights: (n_pre, n_post) ndarray, scipy.sparse matrix, or a Connector.
        delay: steps, int >= 1, or an int array shaped like `weights` (per synapse).
        receptor: which current of `post` it drives (required if post has several).
        """
        pre_node = self.node(pre)
        post_node = self.node(post)
        if not isinstance(post_node, Population):
            raise ModelError(f"cannot connect into source {post_node.name!r}: the target of a "
                             "projection must be a population")
        if name is None:
            base = f"{pre_node.name}->{post_node.name}"
            name, k = base, 2
            while name in self.projections:
                name, k = f"{base}#{k}", k + 1
        else:
            check_name(name.replace(">", "").replace("#", ""), "projection")
        if name in self.projections:
            raise ModelError(f"projection name {name!r} is already used: choose a different name")
        if receptor is None:
            if len(post_node.receptors) != 1:
                raise ModelError(f"projection {name!r}: population {post_node.name!r} has "
                                 f"receptors {post_node.receptors}; pass receptor=...")
            receptor = post_node.receptors[0]
        elif receptor not in post_node.receptors:
            raise ModelError(f"projection {name!r}: receptor {receptor!r} is unknown for "
                             f"population {post_node.name!r}; use one of {post_node.receptors}")
        shape = (pre_node.n, post_node.n)
        if isinstance(weights, Connector):
            try:
                weights = weights.build(*shape)
            except ModelError as e:
                raise ModelError(f"projection {name!r}: {e}") from None
        w = _clean_weights(weights, shape, name)
        d = _clean_delay(delay, w, name)
        if plasticity is not None:
            if not isinstance(plasticity, PlasticityRule):
                raise ModelError(f"projection {name!r}: plasticity must be a PlasticityRule "
                                 "(e.g. sm.pair_stdp())")
            if np.ndim(d) != 0:
                raise ModelError(f"projection {name!r}: a plastic projection needs one delay "
                                 "for all synapses; split it into projections per delay")
        proj = Projection(name, pre_node.name, post_node.name, w, d, receptor, plasticity)
        self.projections[name] = proj
        return proj

    def record(self, target, variable: str = "spikes") -> Probe:
        """Record a variable: 'spikes', 'v', 'i' (summed synaptic current) or 'counts'
        (spike counts per neuron over the run, instead of a full raster)."""
        node = self.node(target)
        allowed = POPULATION_VARIABLES if isinstance(node, Population) else SOURCE_VARIABLES
        if variable not in allowed:
            raise ModelError(f"cannot record {variable!r} of {node.name!r}: use one of {allowed}")
        probe = Probe(node.name, variable)
        if probe not in self.probes:
            self.probes.append(probe)
        return probe

    # ---- queries --------------------------------------------------------------------------
    def size(self, name: str) -> int:
        return self.node(name).n

    @property
    def n_neurons(self) -> int:
        return sum(p.n for p in self.populations.values())

    @property
    def n_synapses(self) -> int:
        return sum(p.n_synapses for p in self.projections.values())

    def set_weights(self, projection: str, weights) -> None:
        """Replace a projection's weights keeping its synapses (same shape/sparsity)."""
        proj = self.projections.get(projection)
        if proj is None:
            raise ModelError(f"no projection named {projection!r}; known: {sorted(self.projections)}")
        if proj.is_sparse:
            w = _clean_weights(weights, proj.shape, projection)
            if not sp.issparse(w):
                vals = np.asarray(w)[proj.synapses()[:2]]
            elif w.nnz == proj.weights.nnz and np.array_equal(w.indices, proj.weights.indices) \
                    and np.array_equal(w.indptr, proj.weights.indptr):
                vals = w.data
            else:
                raise ModelError(f"projection {projection!r}: new weights have other synapses; "
                                 "give a dense array or the same sparsity")
            proj.weights = sp.csr_array((vals.copy(), proj.weights.indices.copy(),
                                         proj.weights.indptr.copy()), shape=proj.shape)
        else:
            proj.weights = finite_array(weights, f"projection {projection!r} weights", proj.shape)

    def __repr__(self):
        return (f"Network(dt={self.dt} ms, populations={list(self.populations)}, "
                f"sources={list(self.sources)}, projections={list(self.projections)})")

    def save(self, path) -> None:
        """Write the network and its weights to `path` (.npz; no pickle). See spikemem.load."""
        from .io import save
        save(self, path)


def _clean_weights(weights, shape, name):
    if sp.issparse(weights):
        w = sp.csr_array(weights, dtype=np.float64)
        if w.shape != shape:
            raise ModelError(f"projection {name!r}: weights have shape {w.shape}, expected "
                             f"(n_pre, n_post) = {shape}")
        w.sum_duplicates()
        w.sort_indices()
        if not np.all(np.isfinite(w.data)):
            raise ModelError(f"projection {name!r}: weights contain NaN or inf; replace them with "
                             "finite values (e.g. np.nan_to_num)")
        return w
    try:
        arr = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise ModelError(f"projection {name!r}: weights must be a numeric array, a scipy.sparse "
                         "matrix or a connector") from None
    if arr.ndim == 0:
        raise ModelError(f"projection {name!r}: weights must be a (n_pre, n_post) = {shape} "
                         "array or a connector such as sm.AllToAll(weight=...)")
    if arr.shape != shape:
        raise ModelError(f"projection {name!r}: weights have shape {arr.shape}, expected "
                         f"(n_pre, n_post) = {shape}")
    if not np.all(np.isfinite(arr)):
        raise ModelError(f"projection {name!r}: weights contain NaN or inf; replace them with "
                         "finite values (e.g. np.nan_to_num)")
    return arr.copy()


def _clean_delay(delay, w, name):
    def check_ints(a):
        a = np.asarray(a)
        if a.dtype == bool or not (np.issubdtype(a.dtype, np.integer) or
                                   (np.issubdtype(a.dtype, np.floating) and
                                    np.all(np.isfinite(a)) and np.all(a == np.round(a)))):
            raise ModelError(f"projection {name!r}: delay must be an integer number of steps "
                             f">= 1, got {delay!r}" if a.ndim == 0 else
                             f"projection {name!r}: delays must be integer steps >= 1")
        a = a.astype(np.int64)
        if a.size and a.min() < 1:
            raise ModelError(f"projection {name!r}: delay {int(a.min())} < 1 step; a spike "
                             "arrives at least one step after it is emitted")
        return a

    if np.ndim(delay) == 0:
        return int(check_ints(delay))
    if sp.issparse(w):
        if sp.issparse(delay):
            dl = sp.csr_array(delay)
            dl.sort_indices()
            if dl.shape != w.shape or dl.nnz != w.nnz or not np.array_equal(dl.indices, w.indices):
                raise ModelError(f"projection {name!r}: sparse delays must have the same "
                                 "synapses as the weights")
            d = check_ints(dl.data)
        else:
            arr = np.asarray(delay)
            if arr.shape == (w.nnz,):  # already one delay per synapse, in CSR order
                d = check_ints(arr)
            elif arr.shape != w.shape:
                raise ModelError(f"projection {name!r}: delays have shape {arr.shape}, expected "
                                 f"the weights' shape {w.shape} or one per synapse ({w.nnz},)")
            else:
                rows = np.repeat(np.arange(w.shape[0]), np.diff(w.indptr))
                d = check_ints(arr[rows, w.indices])
    else:
        arr = np.asarray(delay)
        if arr.shape != w.shape:
            raise ModelError(f"projection {name!r}: delays have shape {arr.shape}, expected "
                             f"the weights' shape {w.shape}")
        d = check_ints(arr)
    if d.size and np.all(d == d.flat[0]):
        return int(d.flat[0])
    return d
