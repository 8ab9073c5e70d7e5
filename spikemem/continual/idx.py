"""A reader for IDX files (the MNIST format of LeCun et al.), plain or gzip-compressed.

Header: two zero bytes, a type code (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
0x0D float32, 0x0E float64), the number of dimensions, then each dimension as a
big-endian uint32; the data follow, big-endian, in C order.
"""
from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from ..errors import ModelFileError

_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

#: the standard MNIST file stems
MNIST_FILES = {"train_images": "train-images-idx3-ubyte", "train_labels": "train-labels-idx1-ubyte",
               "test_images": "t10k-images-idx3-ubyte", "test_labels": "t10k-labels-idx1-ubyte"}


def read_idx(path) -> np.ndarray:
    """The array stored in an IDX file (native byte order)."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise ModelFileError(f"cannot read IDX file {path}: {e}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _TYPES:
        raise ModelFileError(f"{path} is not an IDX file (bad magic number {raw[:4]!r})")
    ndim = raw[3]
    head = 4 + 4 * ndim
    if len(raw) < head:
        raise ModelFileError(f"{path}: IDX header truncated")
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    dtype = np.dtype(_TYPES[raw[2]])
    count = int(np.prod(shape, dtype=np.int64))
    if len(raw) - head != count * dtype.itemsize:
        raise ModelFileError(f"{path}: IDX data has {len(raw) - head} bytes, the header "
                             f"{shape} needs {count * dtype.itemsize}")
    return np.frombuffer(raw, dtype, count, head).reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path, array) -> None:
    """Write `array` as an IDX file (used for test fixtures and exports)."""
    array = np.asarray(array)
    code = {np.dtype(v).newbyteorder("="): k for k, v in _TYPES.items()}.get(array.dtype)
    if code is None:
        raise ModelFileError(f"IDX cannot store dtype {array.dtype}")
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    data = header + array.astype(_TYPES[code]).tobytes()
    path = Path(path)
    with (gzip.open if path.suffix == ".gz" else open)(path, "wb") as f:
        f.write(data)


def find_mnist(directory) -> dict:
    """Paths of the four MNIST files in `directory` (name with '-' or '.', optional .gz)."""
    directory = Path(directory)
    found = {}
    for key, stem in MNIST_FILES.items():
        for name in (stem, stem.replace("-idx", ".idx"), stem + ".gz",
                     stem.replace("-idx", ".idx") + ".gz"):
            if (directory / name).is_file():
                found[key] = directory / name
                break
        else:
            raise ModelFileError(f"MNIST file {stem}[.gz] not found in {directory}: put the four "
                                 "IDX files (train/t10k images and labels) there")
    return found
