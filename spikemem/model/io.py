"""Safe, versioned model files: one .npz archive holding a JSON header and plain arrays.

Loaded with allow_pickle=False; nothing is evaluated. Writes are atomic (temp file + rename).
"""
from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..errors import ModelError, ModelFileError
from ..files import atomic_path
from .neurons import LIF
from .plasticity import PlasticityRule
from .sources import InputSource, PoissonSource, SpikeTimesSource

FORMAT = "spikemem-network"
VERSION = 1
HEADER = "header"


def _num(x):
    """JSON-safe float (inf as a string)."""
    if isinstance(x, float) and not math.isfinite(x):
        return "inf" if x > 0 else "-inf"
    return x


def _lif_dict(model: LIF) -> dict:
    d = model.to_dict()
    d["tau_mem"] = _num(d["tau_mem"])
    return d


def _per_neuron(value, key: str, arrays: dict):
    if np.ndim(value) == 0:
        return float(value)
    arrays[key] = np.asarray(value, dtype=np.float64)
    return {"array": key}


def _from_per_neuron(value, arrays):
    return arrays[value["array"]] if isinstance(value, dict) else float(value)


def network_to_arrays(net) -> tuple[dict, dict]:
    """(header, arrays) describing `net` completely."""
    arrays: dict[str, np.ndarray] = {}
    pops = []
    for k, p in enumerate(net.populations.values()):
        pops.append({"name": p.name, "n": p.n, "model": _lif_dict(p.model),
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
        if p.is_sparse:
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
    header = {"format": FORMAT, "version": VERSION, "dt": net.dt, "populations": pops,
              "sources": srcs, "projections": projs,
              "probes": [[p.target, p.variable] for p in net.probes]}
    return header, arrays


def save(net, path) -> None:
    """Write `net` to `path` atomically."""
    header, arrays = network_to_arrays(net)
    arrays[HEADER] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **arrays)


def load(path):
    """Read a network written by Network.save. Raises ModelFileError for foreign files."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"model file {str(path)!r} does not exist")
    if not path.is_file():
        raise ModelFileError(f"{str(path)!r} is a directory, not a model file (.npz written by "
                             "Network.save)")
    try:
        loaded = np.load(path, allow_pickle=False)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise ValueError("it holds a single array, not an .npz archive")
        with loaded as f:
            arrays = {k: f[k] for k in f.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as e:
        raise ModelFileError(f"{str(path)!r} is not a spikemem model file (.npz written by "
                             f"Network.save): {e}") from None
    if HEADER not in arrays:
        raise ModelFileError(f"{str(path)!r} is an .npz file but not a spikemem model: it has no "
                             "header; write models with Network.save")
    try:
        header = json.loads(arrays[HEADER].tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ModelFileError(f"{str(path)!r}: the model header is corrupt") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"{str(path)!r} is not a spikemem model (format "
                             f"{header.get('format') if isinstance(header, dict) else None!r})")
    if header.get("version") != VERSION:
        raise ModelFileError(f"{str(path)!r} has model format version {header.get('version')!r}; "
                             f"this spikemem reads version {VERSION}: upgrade spikemem")
    try:
        return network_from_arrays(header, arrays)
    except (KeyError, TypeError) as e:
        raise ModelFileError(f"{str(path)!r}: the model file is incomplete ({e})") from None


def network_from_arrays(header: dict, arrays: dict):
    from .network import Network

    net = Network(dt=header["dt"])
    for p in header["populations"]:
        net.population(p["name"], p["n"], LIF.from_dict(p["model"]),
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
        if p["sparse"]:
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
