"""Model files as bytes: one .npz archive holding a strict-JSON header and plain arrays.

Read with allow_pickle=False (nothing is evaluated); written atomically (temporary file +
rename). The archive knows nothing of networks: spikemem.model.codec turns a Network into
(header, arrays) and back.
"""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from ..errors import ModelFileError
from ..files import atomic_path
from . import serial

FORMAT = "spikemem-network"
#: 1: the first format; 2: adds tied-weight projections (written only by networks using
#: them, so other files stay readable by spikemem versions that know only 1)
VERSION = 2
READABLE = (1, 2)
HEADER = "header"


def write(path, header: dict, arrays: dict) -> None:
    """Write `header` (JSON-safe) and `arrays` to `path` atomically."""
    members = dict(arrays)
    members[HEADER] = np.frombuffer(serial.dumps(header).encode(), dtype=np.uint8)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **members)


def read(path) -> tuple[dict, dict]:
    """(header, arrays) of a model file; ModelFileError for anything that is not one."""
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
        header = json.loads(arrays.pop(HEADER).tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ModelFileError(f"{str(path)!r}: the model header is corrupt") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"{str(path)!r} is not a spikemem model (format "
                             f"{header.get('format') if isinstance(header, dict) else None!r})")
    if header.get("version") not in READABLE:
        raise ModelFileError(f"{str(path)!r} has model format version {header.get('version')!r}; "
                             f"this spikemem reads versions {list(READABLE)}: upgrade spikemem")
    return header, arrays
