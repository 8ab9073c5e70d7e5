"""A Network as plain data and back: a JSON-safe header describing every part, and the
arrays (weights, delays, per-neuron values) it refers to by name. Used by model files
(spikemem.model.archive) and by anything that copies a network. A tied projection is
written as its structure (header) and its parameters (array), never its expansion."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import ModelError
from .archive import FORMAT, VERSION
from .neurons import NeuronModel
from .plasticity import PlasticityRule
from .sources import InputSource, PoissonSource, SpikeTimesSource
from .tied import TiedWeights


def _per_neuron(value, key: str, arrays: dict):
    if np.ndim(value) == 0:
        return float(value)
    arrays[key] = np.asarray(value, dtype=np.float64)
    return {"array": key}


def _from_per_neuron(value, arrays):
    return arrays[value["array"]] if isinstance(value, dict) else value


def encode(net) -> tuple[dict, dict]:
    """(header, arrays) describing `net` completely."""
    arrays: dict[str, np.ndarray] = {}
    pops = []
    for k, p in enumerate(net.populations.values()):
        pops.append({"name": p.name, "n": p.n, "model": p.model.to_dict(),
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
    header = {"format": FORMAT, "version": VERSION if tied else 1, "dt": net.dt,
              "populations": pops, "sources": srcs, "projections": projs,
              "probes": [[p.target, p.variable] for p in net.probes]}
    return header, arrays


def decode(header: dict, arrays: dict, network_class):
    """A new `network_class` built from (header, arrays) through its validating methods."""
    net = network_class(dt=header["dt"])
    for p in header["populations"]:
        net.population(p["name"], p["n"], NeuronModel.from_dict(p["model"]),
                       bias=_from_per_neuron(p["bias"], arrays),
                       v_init=_from_per_neuron(p["v_init"], arrays))
    for k, s in enumerate(header["sources"]):
        if s["kind"] == InputSource.kind:
            net.source(s["name"], s["n"])
        elif s["kind"] == PoissonSource.kind:
            net.poisson(s["name"], s["n"], _from_per_neuron(s["rate_hz"], arrays), seed=s["seed"])
        elif s["kind"] == SpikeTimesSource.kind:
            flat, lengths = arrays[f"src{k}_steps"], arrays[f"src{k}_lengths"]
            net.spike_times(s["name"], np.split(flat, np.cumsum(lengths)[:-1]))
        else:
            raise ModelError(f"source {s['name']!r} has unknown kind {s['kind']!r}")
    for k, p in enumerate(header["projections"]):
        shape = tuple(p["shape"])
        if p.get("tied") is not None:
            w = TiedWeights.from_dict(p["tied"], arrays[f"proj{k}_params"])
        elif p["sparse"]:
            w = sp.csr_array((arrays[f"proj{k}_data"], arrays[f"proj{k}_indices"],
                              arrays[f"proj{k}_indptr"]), shape=shape)
        else:
            w = arrays[f"proj{k}_dense"]
        delay = p["delay"]
        if isinstance(delay, dict):
            delay = arrays[delay["array"]]
            if p["sparse"]:
                delay = sp.csr_array((delay, w.indices, w.indptr), shape=shape)
        rule = PlasticityRule.from_dict(p["plasticity"]) if p["plasticity"] else None
        net.connect(p["pre"], p["post"], w, delay=delay, receptor=p["receptor"],
                    plasticity=rule, name=p["name"])
    for target, variable in header["probes"]:
        net.record(target, variable)
    return net
