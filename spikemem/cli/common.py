"""Helpers shared by CLI commands: resolving MODEL arguments, writing outputs."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..model.io import load
from ..networks import BUILTIN


def load_model(spec: str):
    """A Network from a built-in name (see spikemem.networks.BUILTIN) or a saved .npz path."""
    if spec in BUILTIN:
        return BUILTIN[spec]()
    if Path(spec).exists():
        return load(spec)
    raise ModelError(f"MODEL {spec!r} is neither a model file nor a built-in network; "
                     f"built-ins: {sorted(BUILTIN)}")


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes to `path` via a temporary file and rename (never a partial file)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: Path, obj) -> None:
    write_atomic(path, json.dumps(obj, indent=2, default=_jsonable).encode())


def _jsonable(x):
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    raise TypeError(f"cannot write {type(x).__name__} as JSON")
