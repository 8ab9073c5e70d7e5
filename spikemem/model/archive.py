"""Model files as bytes: one .npz archive holding a strict-JSON header and plain arrays.

Read without pickle (nothing is evaluated) and on demand: a member's size is checked in the
zip directory and in its .npy header before its data are read, so a file that would
decompress to more than the memory allowed (or than the network it describes needs) is
refused before it is inflated. Written atomically (temporary file + rename). The archive
knows nothing of networks: spikemem.model.codec turns a Network into (header, arrays) and
back.
"""
from __future__ import annotations

import json
import math
import zipfile
import zlib
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from ..errors import ModelFileError
from ..files import atomic_path
from . import serial
from .sizes import describe, memory_limit

FORMAT = "spikemem-network"
#: 1: the first format; 2: adds tied-weight projections (written only by networks using
#: them, so other files stay readable by spikemem versions that know only 1); 3: adds
#: short-term plasticity (written only by networks using it); 4: adds per-neuron neuron
#: parameters and graded / current sources (written only by networks using them)
VERSION = 4
READABLE = (1, 2, 3, 4)
HEADER = "header"
#: the largest JSON header read (bytes); a network's description is far smaller
HEADER_MAX_BYTES = 64 * 2 ** 20
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, ValueError, OSError, EOFError,
                NotImplementedError, RuntimeError)


def write(path, header: dict, arrays: dict) -> None:
    """Write `header` (JSON-safe) and `arrays` to `path` atomically."""
    members = dict(arrays)
    members[HEADER] = np.frombuffer(serial.dumps(header).encode(), dtype=np.uint8)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, **members)


class Members(Mapping):
    """The arrays of an open model file, {name: array}, each read when asked for.

    read(name, shape) checks the member's declared size (zip directory) against its .npy
    header and against the bytes still allowed, and the shape the caller expects, before
    reading its data."""

    def __init__(self, zf: zipfile.ZipFile, path: str, budget: float):
        self._zip, self._path, self._left = zf, path, budget
        self._infos = {info.filename[:-4]: info for info in zf.infolist()
                       if info.filename.endswith(".npy")}

    def __iter__(self):
        return iter(self._infos)

    def __len__(self):
        return len(self._infos)

    def __contains__(self, key):
        return key in self._infos

    def __getitem__(self, key):
        return self.read(key)

    def _fail(self, key: str, why: str) -> ModelFileError:
        return ModelFileError(f"{self._path!r}: array {key!r} {why}")

    def _npy_header(self, key: str):
        """(shape, dtype, bytes of .npy header) of member `key`, reading only its header."""
        try:
            with self._zip.open(self._infos[key]) as f:
                version = np.lib.format.read_magic(f)
                read = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                    np.lib.format.read_array_header_2_0
                shape, _, dtype = read(f)
                return shape, dtype, f.tell()
        except _READ_ERRORS as e:
            raise self._fail(key, f"is not a readable .npy array ({e}): the file is "
                                  "damaged; write it again with Network.save") from None

    def shape_of(self, key: str) -> tuple:
        return self._npy_header(key)[0]

    def read(self, key: str, shape: tuple | None = None) -> np.ndarray:
        if key not in self._infos:
            raise KeyError(key)
        info = self._infos[key]
        got, dtype, head = self._npy_header(key)
        if dtype.hasobject:
            raise self._fail(key, "holds Python objects, which model files never contain "
                                  "(they are not loaded: nothing in a model file is executed)")
        if shape is not None and tuple(got) != tuple(shape):
            raise self._fail(key, f"has shape {tuple(got)}, but the network in the header "
                                  f"needs {tuple(shape)}: the file is damaged or edited")
        nbytes = math.prod(got) * dtype.itemsize
        if head + nbytes != info.file_size:
            raise self._fail(key, f"declares {nbytes} bytes of data but its zip entry holds "
                                  f"{info.file_size - head}: the file is damaged")
        if nbytes > self._left:
            raise self._fail(key, f"would need {describe(nbytes)} of memory, more than the "
                                  f"{describe(max(self._left, 0))} left to this load: load it "
                                  "with a larger max_bytes= if you trust the file")
        try:
            with self._zip.open(info) as f:
                arr = np.lib.format.read_array(f, allow_pickle=False)
        except _READ_ERRORS as e:
            raise self._fail(key, f"cannot be read ({e}): the file is damaged") from None
        self._left -= nbytes
        return arr


@contextmanager
def open_file(path, max_bytes: float | None = None):
    """Yield (header, Members) of a model file; ModelFileError for anything that is not
    one. max_bytes: the most bytes of arrays to read (default: this machine's memory)."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"model file {str(path)!r} does not exist")
    if not path.is_file():
        raise ModelFileError(f"{str(path)!r} is a directory, not a model file (.npz written by "
                             "Network.save)")
    not_model = f"{str(path)!r} is not a spikemem model file (.npz written by Network.save)"
    try:
        zf = zipfile.ZipFile(path)
    except _READ_ERRORS as e:
        raise ModelFileError(f"{not_model}: it is not a zip archive ({e})") from None
    with zf:
        budget = memory_limit() if max_bytes is None else max_bytes
        members = Members(zf, str(path), math.inf if budget is None else budget)
        if HEADER not in members:
            raise ModelFileError(f"{str(path)!r} is not a spikemem model: it has no header; "
                                 "write models with Network.save")
        yield _header(members, str(path)), members


def _header(members: Members, path: str) -> dict:
    shape = members.shape_of(HEADER)
    if len(shape) != 1 or shape[0] > HEADER_MAX_BYTES:
        raise ModelFileError(f"{path!r}: the model header has shape {shape}, not a JSON text "
                             f"of at most {describe(HEADER_MAX_BYTES)}: the header is corrupt")
    raw = members.read(HEADER)
    try:
        header = json.loads(raw.tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ModelFileError(f"{path!r}: the model header is corrupt (not JSON text)") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(f"{path!r} is not a spikemem model (format "
                             f"{header.get('format') if isinstance(header, dict) else None!r})")
    if header.get("version") not in READABLE:
        raise ModelFileError(f"{path!r} has model format version {header.get('version')!r}; "
                             f"this spikemem reads versions {list(READABLE)}: upgrade spikemem")
    return header
