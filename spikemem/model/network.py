"""The model description: a Network of populations, sources, projections and probes.

A Network is plain, immutable data (no simulation state): its parts are frozen and their
arrays read-only, and every change goes through a validating Network method that replaces
the part. `spikemem.compile(net, target=...)` compiles a snapshot, so later changes never
reach a compiled simulation. Times are in ms (dt), delays and refractory periods in steps.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import scipy.sparse as sp

from ..errors import ModelError
from . import archive, codec
from .connectors import Connector
from .neurons import LIF, NeuronModel
from .plasticity import PlasticityRule
from .sources import (CurrentSource, InputSource, PoissonSource, Source, SpikeTimesSource,
                      carries_payload)
from .stp import TsodyksMarkram
from .tied import TiedWeights
from .validate import (MAX_STEPS, check_finite_bounded, check_name, csr_from_arrays,
                       finite_array, finite_float, real_array, scalar_or_vector)

#: what any population / source records besides its model's state variables
SPIKE_VARIABLES = ("spikes", "counts")
SOURCE_VARIABLES = SPIKE_VARIABLES


def population_variables(model: NeuronModel) -> tuple[str, ...]:
    """The variables a probe may record of a population of `model`."""
    return SPIKE_VARIABLES + tuple(model.recordable)


def read_only(arr):
    """`arr` (ndarray or scipy CSR) with its buffers made read-only; returns it."""
    parts = (arr.data, arr.indices, arr.indptr) if sp.issparse(arr) else (arr,)
    for a in parts:
        if isinstance(a, np.ndarray):
            a.flags.writeable = False
    return arr


@dataclass(frozen=True, eq=False)
class Population:
    """`n` neurons of one model. bias and v_init: float or read-only (n,) per-neuron arrays
    (bias defaults to the model's)."""

    name: str
    n: int
    model: NeuronModel
    bias: object = None
    v_init: object = 0.0

    def __post_init__(self):
        check_name(self.name, "population")
        if isinstance(self.n, bool) or not isinstance(self.n, (int, np.integer)) or self.n < 1:
            raise ModelError(f"population {self.name!r}: size n={self.n!r} must be an int >= 1")
        object.__setattr__(self, "n", int(self.n))
        if not isinstance(self.model, NeuronModel):
            raise ModelError(f"population {self.name!r}: model must be a neuron model such as "
                             f"sm.LIF(...), sm.IF(...) or sm.ALIF(...), got "
                             f"{type(self.model).__name__}")
        self.model.check_size(self.n, f"population {self.name!r}")
        v_th, v_reset = getattr(self.model, "v_th", None), getattr(self.model, "v_reset", None)
        if v_th is not None and v_reset is not None and np.any(np.less_equal(v_th, v_reset)):
            th, reset = np.broadcast_arrays(v_th, v_reset, np.zeros(self.n))[:2]
            k = int(np.argmax(th <= reset))
            where = f" (neuron {k})" if np.ndim(v_th) or np.ndim(v_reset) else ""
            raise ModelError(f"population {self.name!r}: v_th = {th[k]:g} must be above v_reset "
                             f"= {reset[k]:g}{where} (a neuron reset to or above its threshold "
                             "never leaves it); raise v_th or lower v_reset")
        bias = getattr(self.model, "bias", 0.0) if self.bias is None else self.bias
        for key, value in (("bias", bias), ("v_init", self.v_init)):
            clean = scalar_or_vector(value, self.n, f"population {self.name!r} {key}")
            object.__setattr__(self, key, read_only(clean) if np.ndim(clean) else clean)

    @property
    def receptors(self) -> tuple[str, ...]:
        return self.model.receptor_names


@dataclass(frozen=True, eq=False)
class Projection:
    """Synapses from `pre` (source or population name) to `post` (population name).

    weights: read-only dense ndarray (n_pre, n_post) — every entry a synapse — or a scipy
        CSR array whose stored entries are the synapses. delay: int >= 1 (steps) or a
        read-only int array aligned with the synapses (dense: shape of weights; CSR: shape
        of .data). Build projections with Network.connect, which validates them.
    tied: None, or the tied-weight structure (spikemem.model.tied) whose shared parameters
        the synapses use; weights is then its expansion (CSR, in tied.expand() order) and
        the delay one int.
    stp: None, or sm.TsodyksMarkram: each spike's weight scaled by its presynaptic
        neuron's efficacy u * x (docs/semantics.md, rule 3d).
    """

    name: str
    pre: str
    post: str
    weights: object
    delay: object = 1
    receptor: str = ""
    plasticity: PlasticityRule | None = None
    tied: TiedWeights | None = None
    stp: TsodyksMarkram | None = None

    def __post_init__(self):
        read_only(self.weights)
        if np.ndim(self.delay):
            read_only(self.delay)

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
    def n_parameters(self) -> int:
        """Distinct weights stored: the shared parameters of a tied projection, else one
        per synapse."""
        return self.tied.n_parameters if self.tied is not None else self.n_synapses

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
    """Record `variable` of population or source `target` (see population_variables)."""

    target: str
    variable: str


class Network:
    """A spiking network with a fixed time step `dt` (ms).

    populations, sources and projections are read-only mappings {name: part} in
    declaration order; probes is a tuple. Build and change the network with its methods.
    """

    def __init__(self, dt: float = 1.0):
        self._dt = finite_float(dt, "Network dt")
        if self._dt <= 0:
            raise ModelError(f"Network dt = {self._dt} ms must be > 0")
        self._populations: dict[str, Population] = {}
        self._sources: dict[str, Source] = {}
        self._projections: dict[str, Projection] = {}
        self._probes: list[Probe] = []

    @property
    def dt(self) -> float:
        """The time step (ms)."""
        return self._dt

    @property
    def populations(self):
        return MappingProxyType(self._populations)

    @property
    def sources(self):
        return MappingProxyType(self._sources)

    @property
    def projections(self):
        return MappingProxyType(self._projections)

    @property
    def probes(self) -> tuple[Probe, ...]:
        return tuple(self._probes)

    def snapshot(self) -> "Network":
        """A copy whose later changes do not affect this network, nor this one's the copy
        (cheap: the parts are immutable and shared)."""
        copy = Network(self._dt)
        copy._populations = dict(self._populations)
        copy._sources = dict(self._sources)
        copy._projections = dict(self._projections)
        copy._probes = list(self._probes)
        return copy

    # ---- building -------------------------------------------------------------------------
    def _check_new(self, name: str, what: str):
        check_name(name, what)
        if name in self._populations or name in self._sources:
            raise ModelError(f"{what} name {name!r} is already used in this network: "
                             "choose a different name")

    def population(self, name: str, n: int, model: NeuronModel | None = None, *, bias=None,
                   v_init=0.0) -> Population:
        """Add `n` neurons of `model` (default sm.LIF())."""
        self._check_new(name, "population")
        pop = Population(name, n, model if model is not None else LIF(), bias, v_init)
        self._populations[name] = pop
        return pop

    def _add_source(self, src: Source) -> Source:
        self._check_new(src.name, "source")
        self._sources[src.name] = src
        return src

    def source(self, name: str, n: int, *, payload_bits: int = 0) -> InputSource:
        """Add `n` inputs whose spikes are given at run time (inputs={name: ...}).
        payload_bits > 0 (at most 24): graded events, given as integer payloads
        0 .. 2**payload_bits - 1 (e.g. event counts per bin), each adding payload * weight."""
        return self._add_source(InputSource(name, n, payload_bits))

    def current(self, name: str, n: int) -> CurrentSource:
        """Add `n` analog inputs whose values are given at run time (inputs={name: float
        array (steps, n) or (batch, steps, n)}), as Brian2's TimedArray: row t adds x * w
        through each projection, arriving at t + delay."""
        return self._add_source(CurrentSource(name, n))

    def poisson(self, name: str, n: int, rate_hz=10.0, *, seed: int = 0) -> PoissonSource:
        """Add `n` Poisson spike generators (rate in Hz, float or (n,))."""
        return self._add_source(PoissonSource(name, n, rate_hz, seed))

    def spike_times(self, name: str, steps) -> SpikeTimesSource:
        """Add a source firing at given steps: steps[k] lists neuron k's spike steps."""
        return self._add_source(SpikeTimesSource(name, len(steps), tuple(steps)))

    def node(self, ref) -> Population | Source:
        """A population or source given by object or name."""
        name = ref if isinstance(ref, str) else getattr(ref, "name", None)
        if name in self._populations:
            node = self._populations[name]
        elif name in self._sources:
            node = self._sources[name]
        else:
            known = sorted(self._populations) + sorted(self._sources)
            raise ModelError(f"no population or source named {name!r} in this network; "
                             f"known: {known}")
        if not isinstance(ref, str) and ref is not node:
            raise ModelError(f"{name!r} belongs to another network (or is an older version "
                             "of this part): pass its name")
        return node

    def connect(self, pre, post, weights, *, delay=1, receptor: str | None = None,
                plasticity: PlasticityRule | None = None, name: str | None = None,
                stp: TsodyksMarkram | None = None) -> Projection:
        """Connect `pre` (source/population) to `post` (population).

        weights: (n_pre, n_post) ndarray, scipy.sparse matrix, a Connector, or a tied-weight
            structure (sm.Conv2d, sm.TokenLinear, ...: synapses sharing its parameters).
        delay: steps, int >= 1, or an int array shaped like `weights` (per synapse; not for
            a tied structure).
        receptor: which current of `post` it drives (required if post has several).
        stp: sm.TsodyksMarkram(U, tau_rec, tau_fac) for dynamic (depressing/facilitating)
            synapses, or None for static ones.
        """
        pre_node = self.node(pre)
        post_node = self.node(post)
        if not isinstance(post_node, Population):
            raise ModelError(f"cannot connect into source {post_node.name!r}: the target of a "
                             "projection must be a population")
        if name is None:
            base = f"{pre_node.name}->{post_node.name}"
            name, k = base, 2
            while name in self._projections:
                name, k = f"{base}#{k}", k + 1
        else:
            check_name(str(name).replace(">", "").replace("#", ""), "projection")
        if name in self._projections:
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
        tied = weights if isinstance(weights, TiedWeights) else None
        if tied is not None:
            w = _tied_weights(tied, shape, delay, plasticity, name)
        else:
            w = _clean_weights(weights, shape, name)
        d = _clean_delay(delay, w, name)
        if plasticity is not None:
            if not isinstance(plasticity, PlasticityRule):
                raise ModelError(f"projection {name!r}: plasticity must be a PlasticityRule "
                                 "(e.g. sm.pair_stdp())")
            if np.ndim(d) != 0:
                raise ModelError(f"projection {name!r}: a plastic projection needs one delay "
                                 "for all synapses; split it into projections per delay")
            if carries_payload(pre_node):
                raise ModelError(f"projection {name!r}: source {pre_node.name!r} sends graded "
                                 "or analog values, but a plasticity rule sees 0/1 pre spikes; "
                                 "connect a binary source or drop the rule")
        if stp is not None and not isinstance(stp, TsodyksMarkram):
            raise ModelError(f"projection {name!r}: stp must be sm.TsodyksMarkram(U=..., "
                             f"tau_rec=..., tau_fac=...), got {type(stp).__name__}")
        if stp is not None and plasticity is not None:
            raise ModelError(f"projection {name!r}: short-term plasticity (stp) and a "
                             "plasticity rule on one projection are not supported; keep one")
        if stp is not None and carries_payload(pre_node):
            raise ModelError(f"projection {name!r}: source {pre_node.name!r} sends graded or "
                             "analog values, which short-term plasticity (stp: one spike's "
                             "efficacy) does not scale; connect a binary source or drop stp")
        proj = Projection(name, pre_node.name, post_node.name, w, d, receptor, plasticity, tied,
                          stp)
        self._projections[name] = proj
        return proj

    def record(self, target, variable: str = "spikes") -> Probe:
        """Record a variable: 'spikes', 'counts' (spike counts per neuron over the run,
        instead of a full raster), or a state variable of the population's model ('v',
        'i' (summed synaptic current), 'a' for ALIF; see population_variables)."""
        node = self.node(target)
        allowed = population_variables(node.model) if isinstance(node, Population) \
            else SOURCE_VARIABLES
        if variable not in allowed:
            raise ModelError(f"cannot record {variable!r} of {node.name!r}: use one of {allowed}")
        probe = Probe(node.name, variable)
        if probe not in self._probes:
            self._probes.append(probe)
        return probe

    # ---- changing -------------------------------------------------------------------------
    def set_weights(self, projection: str, weights) -> Projection:
        """Replace a projection's weights keeping its synapses (same shape/sparsity); a tied
        projection takes its parameter tensor (or expanded weights that are still tied)."""
        proj = self._projections.get(projection)
        if proj is None:
            raise ModelError(f"no projection named {projection!r}; known: "
                             f"{sorted(self._projections)}")
        if proj.tied is not None:
            try:
                tied = proj.tied.with_parameters(weights)
            except ModelError as e:
                raise ModelError(f"projection {projection!r}: {e}") from None
            check_finite_bounded(tied.parameters, f"projection {projection!r} weights")
            self._projections[projection] = dataclasses.replace(proj, weights=tied.csr(),
                                                                tied=tied)
            return self._projections[projection]
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
            new = sp.csr_array((vals.copy(), proj.weights.indices, proj.weights.indptr),
                               shape=proj.shape)
        else:
            new = finite_array(weights, f"projection {projection!r} weights", proj.shape).copy()
        self._projections[projection] = dataclasses.replace(proj, weights=new)
        return self._projections[projection]

    def set_population(self, name: str, *, model: NeuronModel | None = None, bias=None,
                       v_init=None) -> Population:
        """Replace a population's model, bias or v_init (validated; its projections and
        probes must stay valid: same receptors, recordable variables). Without `bias`, a
        bias given to the population is kept and one taken from the old model follows the
        new model's."""
        pop = self._populations.get(name)
        if pop is None:
            raise ModelError(f"no population named {name!r}; known: {sorted(self._populations)}")
        model = pop.model if model is None else model
        if bias is None:  # a bias given to the population stays; the model's default follows
            inherited = np.ndim(pop.bias) == 0 and pop.bias == getattr(pop.model, "bias", 0.0)
            bias = getattr(model, "bias", 0.0) if inherited else pop.bias
        new = Population(name, pop.n, model, bias, pop.v_init if v_init is None else v_init)
        for proj in self._projections.values():
            if proj.post == name and proj.receptor not in new.receptors:
                raise ModelError(f"population {name!r}: the new model has receptors "
                                 f"{new.receptors}, but projection {proj.name!r} drives "
                                 f"receptor {proj.receptor!r}")
        for probe in self._probes:
            if probe.target == name and probe.variable not in population_variables(model):
                raise ModelError(f"population {name!r}: the new model cannot record "
                                 f"{probe.variable!r}, which a probe records")
        self._populations[name] = new
        return new

    # ---- queries --------------------------------------------------------------------------
    def size(self, name: str) -> int:
        return self.node(name).n

    @property
    def n_neurons(self) -> int:
        return sum(p.n for p in self._populations.values())

    @property
    def n_synapses(self) -> int:
        return sum(p.n_synapses for p in self._projections.values())

    @property
    def n_parameters(self) -> int:
        """Distinct weights stored (shared parameters count once; see Projection)."""
        return sum(p.n_parameters for p in self._projections.values())

    def __repr__(self):
        return (f"Network(dt={self._dt} ms, populations={list(self._populations)}, "
                f"sources={list(self._sources)}, projections={list(self._projections)})")

    # ---- files ----------------------------------------------------------------------------
    def to_arrays(self) -> tuple[dict, dict]:
        """(JSON header, {name: array}): the whole network as plain data."""
        return codec.encode(self)

    @classmethod
    def from_arrays(cls, header: dict, arrays: dict) -> "Network":
        """The network that to_arrays() described."""
        return codec.decode(header, arrays, cls)

    def save(self, path) -> None:
        """Write the network and its weights to `path` (.npz; no pickle). See spikemem.load."""
        archive.write(path, *self.to_arrays())


def _tied_weights(tied, shape, delay, plasticity, name):
    """The expanded CSR weights of tied structure `tied`, checked for this projection."""
    if tied.shape != shape:
        raise ModelError(f"projection {name!r}: sm.{tied.kind} connects (n_pre, n_post) = "
                         f"{tied.shape}, but the populations have {shape}; change its in_shape "
                         "/ n_tokens or the population sizes")
    if plasticity is not None:
        raise ModelError(f"projection {name!r}: a tied projection shares each weight among "
                         "many synapses, which a per-synapse plasticity rule cannot follow; "
                         f"connect sm.{tied.kind}(...).csr() (untied weights) to make it plastic")
    if np.ndim(delay) != 0:
        raise ModelError(f"projection {name!r}: a tied projection has one delay for all its "
                         "synapses: give an int number of steps")
    check_finite_bounded(tied.parameters, f"projection {name!r} weights")
    return tied.csr()


def _clean_weights(weights, shape, name):
    what = f"projection {name!r} weights"
    if sp.issparse(weights):
        if weights.dtype.kind == "c":
            raise ModelError(f"{what} are complex numbers: give real values (e.g. w.real)")
        if weights.shape != shape:
            raise ModelError(f"projection {name!r}: weights have shape {weights.shape}, expected "
                             f"(n_pre, n_post) = {shape}")
        csr = weights if weights.format == "csr" else sp.csr_array(weights)
        w = csr_from_arrays(csr.data, csr.indices, csr.indptr, shape, f"projection {name!r}")
        w.sum_duplicates()
        w.sort_indices()
        check_finite_bounded(w.data, what)
        return w
    arr = real_array(weights, what)
    if arr.ndim == 0:
        raise ModelError(f"projection {name!r}: weights must be a (n_pre, n_post) = {shape} "
                         "array or a connector such as sm.AllToAll(weight=...)")
    if arr.shape != shape:
        raise ModelError(f"projection {name!r}: weights have shape {arr.shape}, expected "
                         f"(n_pre, n_post) = {shape}")
    return check_finite_bounded(arr, what)


def _clean_delay(delay, w, name):
    def check_ints(a):
        a = np.asarray(a)
        if a.dtype == bool or not (np.issubdtype(a.dtype, np.integer) or
                                   (np.issubdtype(a.dtype, np.floating) and
                                    np.all(np.isfinite(a)) and np.all(a == np.round(a)))):
            raise ModelError(f"projection {name!r}: delay must be an integer number of steps "
                             f">= 1, got {delay!r}" if a.ndim == 0 else
                             f"projection {name!r}: delays must be integer steps >= 1")
        if a.size and a.max() > MAX_STEPS:
            raise ModelError(f"projection {name!r}: delay {a.max()} steps is beyond "
                             f"{MAX_STEPS} (2**31 - 1), the longest delay the targets hold; "
                             "shorten it (the chips allow at most 64 steps)")
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
