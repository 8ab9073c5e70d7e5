"""A Network as plain data and back: a JSON-safe header describing every part, and the
arrays (weights, delays, per-neuron values) it refers to by name. Used by model files
(spikemem.model.archive) and by anything that copies a network. A tied projection is
written as its structure (header) and its parameters (array), never its expansion."""
from __future__ import annotations

import numpy as np

from ..errors import ModelError
from .archive import FORMAT, VERSION
from .features import network_features
from .neurons import NeuronModel
from .plasticity import PlasticityRule
from .sources import CurrentSource, InputSource, PoissonSource, SpikeTimesSource
from .stp import TsodyksMarkram
from .tied import TiedWeights
from .validate import csr_from_arrays


#: the source kinds a file may hold
KINDS = [InputSource.kind, CurrentSource.kind, PoissonSource.kind, SpikeTimesSource.kind]
#: features whose files need format version 4
USER_INPUT_FEATURES = {"per_neuron_params", "graded_input", "current_input", "li"}


def _per_neuron(value, key: str, arrays: dict):
    if np.ndim(value) == 0:
        return float(value)
    arrays[key] = np.asarray(value, dtype=np.float64)
    return {"array": key}


def _from_per_neuron(value, arrays, n, what: str):
    if isinstance(value, dict):
        return _array(arrays, _field(value, "array", what), what, (_count(n, what),))
    return value


def _model_arrays(model, key: str, arrays: dict) -> dict:
    """model.to_dict() with each per-neuron parameter array moved to arrays[key_<name>]."""
    d = model.to_dict()
    for name in model.per_neuron_parameters():
        value = getattr(model, name)
        if isinstance(value, dict):
            d[name] = {r: _per_neuron(v, f"{key}_{name}_{r}", arrays) for r, v in value.items()}
        else:
            d[name] = _per_neuron(value, f"{key}_{name}", arrays)
    return d


def _model_from_arrays(d, arrays, n, what: str):
    """The neuron model of a header table whose per-neuron arrays are in `arrays`."""
    if not isinstance(d, dict):
        return NeuronModel.from_dict(d)

    def value(v):
        if isinstance(v, dict) and set(v) == {"array"}:
            return _from_per_neuron(v, arrays, n, what)
        if isinstance(v, dict):
            return {k: value(x) for k, x in v.items()}
        return v

    return NeuronModel.from_dict({k: value(v) for k, v in d.items()})


def encode(net) -> tuple[dict, dict]:
    """(header, arrays) describing `net` completely."""
    arrays: dict[str, np.ndarray] = {}
    pops = []
    for k, p in enumerate(net.populations.values()):
        pops.append({"name": p.name, "n": p.n,
                     "model": _model_arrays(p.model, f"pop{k}_model", arrays),
                     "bias": _per_neuron(p.bias, f"pop{k}_bias", arrays),
                     "v_init": _per_neuron(p.v_init, f"pop{k}_v_init", arrays)})
    srcs = []
    for k, s in enumerate(net.sources.values()):
        d = s.to_dict()
        if isinstance(s, PoissonSource):
            d["rate_hz"] = _per_neuron(s.rate_hz if s.rate_hz.ndim else float(s.rate_hz),
                                       f"src{k}_rate", arrays)
        if isinstance(s, SpikeTimesSource):
            lengths = np.array([len(x) for x in s.steps], dtype=np.int64)
            arrays[f"src{k}_steps"] = (np.concatenate(s.steps).astype(np.int64)
                                       if lengths.sum() else np.zeros(0, np.int64))
            arrays[f"src{k}_lengths"] = lengths
        srcs.append(d)
    projs = []
    for k, p in enumerate(net.projections.values()):
        d = {"name": p.name, "pre": p.pre, "post": p.post, "receptor": p.receptor,
             "sparse": p.is_sparse, "shape": list(p.shape),
             "plasticity": p.plasticity.to_dict() if p.plasticity else None}
        if p.stp is not None:
            d["stp"] = p.stp.to_dict()
        if p.tied is not None:
            d["tied"] = p.tied.to_dict()
            arrays[f"proj{k}_params"] = p.tied.parameters
        elif p.is_sparse:
            arrays[f"proj{k}_data"] = p.weights.data
            arrays[f"proj{k}_indices"] = p.weights.indices.astype(np.int64)
            arrays[f"proj{k}_indptr"] = p.weights.indptr.astype(np.int64)
        else:
            arrays[f"proj{k}_dense"] = np.asarray(p.weights)
        if np.ndim(p.delay) == 0:
            d["delay"] = int(p.delay)
        else:
            arrays[f"proj{k}_delay"] = np.asarray(p.delay, dtype=np.int64)
            d["delay"] = {"array": f"proj{k}_delay"}
        projs.append(d)
    tied = any(p.tied is not None for p in net.projections.values())
    stp = any(p.stp is not None for p in net.projections.values())
    version = 3 if stp else (2 if tied else 1)
    if USER_INPUT_FEATURES & network_features(net):
        version = VERSION
    header = {"format": FORMAT, "version": version, "dt": net.dt,
              "populations": pops, "sources": srcs, "projections": projs,
              "probes": [[p.target, p.variable] for p in net.probes]}
    return header, arrays


def decode(header: dict, arrays, network_class):
    """A new `network_class` built from (header, arrays) through its validating methods.
    arrays: {name: array}, or an open model file's archive.Members, whose arrays are then
    read only after their shapes match what the header's network needs."""
    net = network_class(dt=_field(header, "dt", "model header"))
    for k, p in enumerate(_entries(header, "populations")):
        what = f"population {k}"
        n = _field(p, "n", what)
        net.population(_field(p, "name", what), n,
                       _model_from_arrays(_field(p, "model", what), arrays, n, what),
                       bias=_from_per_neuron(_field(p, "bias", what), arrays, n, what),
                       v_init=_from_per_neuron(_field(p, "v_init", what), arrays, n, what))
    for k, s in enumerate(_entries(header, "sources")):
        what = f"source {k}"
        kind, name, n = _field(s, "kind", what), _field(s, "name", what), _field(s, "n", what)
        if kind == CurrentSource.kind:
            net.current(name, n)
        elif kind == InputSource.kind:
            net.source(name, n, payload_bits=s.get("payload_bits", 0))
        elif kind == PoissonSource.kind:
            net.poisson(name, n, _from_per_neuron(_field(s, "rate_hz", what), arrays, n, what),
                        seed=_field(s, "seed", what))
        elif kind == SpikeTimesSource.kind:
            lengths = _array(arrays, f"src{k}_lengths", what, (_count(n, what),))
            if not np.issubdtype(lengths.dtype, np.integer) or np.any(lengths < 0):
                raise ModelError(f"{what}: spike counts per neuron must be integers >= 0")
            flat = _array(arrays, f"src{k}_steps", what, (int(lengths.sum()),))
            net.spike_times(name, np.split(flat, np.cumsum(lengths)[:-1]))
        else:
            raise ModelError(f"source {name!r} has unknown kind {kind!r}; known: "
                             f"{KINDS}")
    for k, p in enumerate(_entries(header, "projections")):
        name = _field(p, "name", f"projection {k}")
        what = f"projection {name!r}"
        pre, post = _field(p, "pre", what), _field(p, "post", what)
        shape = (net.node(pre).n, net.node(post).n)
        sparse = _field(p, "sparse", what)
        if p.get("tied") is not None:
            w = TiedWeights.from_dict(p["tied"], _array(arrays, f"proj{k}_params", what))
        elif sparse:
            indptr = _array(arrays, f"proj{k}_indptr", what, (shape[0] + 1,))
            nnz = int(indptr[-1]) if np.issubdtype(indptr.dtype, np.integer) else -1
            indices = _array(arrays, f"proj{k}_indices", what, (nnz,))
            w = csr_from_arrays(_array(arrays, f"proj{k}_data", what, (nnz,)), indices, indptr,
                                shape, what)
        else:
            w = _array(arrays, f"proj{k}_dense", what, shape)
        delay = _field(p, "delay", what)
        if isinstance(delay, dict):
            if sparse:
                delay = csr_from_arrays(_array(arrays, _field(delay, "array", what), what,
                                               (w.nnz,)), w.indices, w.indptr, shape, what)
            else:
                delay = _array(arrays, _field(delay, "array", what), what, shape)
        rule = _field(p, "plasticity", what)
        net.connect(pre, post, w, delay=delay, receptor=_field(p, "receptor", what),
                    plasticity=PlasticityRule.from_dict(rule) if rule else None, name=name,
                    stp=TsodyksMarkram.from_dict(p["stp"]) if p.get("stp") else None)
    for probe in _entries(header, "probes"):
        if not (isinstance(probe, list) and len(probe) == 2):
            raise ModelError(f"probe {probe!r} must be [target, variable]")
        net.record(*probe)
    return net


def _entries(header: dict, key: str) -> list:
    """The list `header[key]`, checked."""
    value = _field(header, key, "model header")
    if not isinstance(value, list):
        raise ModelError(f"model header {key!r} must be a list, got {type(value).__name__}")
    return value


def _field(table, key: str, what: str):
    """table[key] of a header table, checked to exist."""
    if not isinstance(table, dict):
        raise ModelError(f"{what} must be a table of fields, got {type(table).__name__}")
    if key not in table:
        raise ModelError(f"{what} has no field {key!r}: the file is incomplete")
    return table[key]


def _count(n, what: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ModelError(f"{what}: size n={n!r} must be an int >= 1")
    return n


def _array(arrays, key, what: str, shape: tuple | None = None) -> np.ndarray:
    """Array `key` of a model's arrays, of `shape` if given (checked before reading it
    from a file)."""
    if not isinstance(key, str) or key not in arrays:
        raise ModelError(f"{what}: the array {key!r} is missing: the file is incomplete")
    arr = arrays.read(key, shape) if hasattr(arrays, "read") else np.asarray(arrays[key])
    if shape is not None and arr.shape != tuple(shape):
        raise ModelError(f"{what}: array {key!r} has shape {arr.shape}, expected "
                         f"{tuple(shape)}")
    return arr
