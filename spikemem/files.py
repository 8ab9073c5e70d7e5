"""Atomic file writes: a reader never sees a partial file, and a crash leaves the old one.

The temporary file sits beside the target as `.{name}.{pid}.{random}.tmp`; one left behind by
a process that was killed mid-write is removed by the next write of the same path (only if
that process no longer runs, so concurrent writers are safe).
"""
from __future__ import annotations

import glob
import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .errors import ModelError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's), or cannot tell: keep its file
    return True


def remove_orphans(path: Path) -> list[Path]:
    """Remove temporary files of `path` left by writers that no longer run; returns them."""
    removed = []
    try:
        for tmp in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
            pid = tmp.name[len(path.name) + 2:].split(".", 1)[0]
            if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
                tmp.unlink(missing_ok=True)
                removed.append(tmp)
    except OSError:  # a folder that cannot be listed or a file that cannot go: not our loss
        pass
    return removed


def _check_writable(path: Path) -> None:
    """ModelError naming `path` and the fix when it cannot be written as a file."""
    if path.is_dir():
        raise ModelError(f"cannot write {str(path)!r}: it is a folder; give a file name inside it")
    if not path.parent.is_dir():
        what = "is a file, not a folder" if path.parent.exists() else "does not exist"
        raise ModelError(f"cannot write {str(path)!r}: the folder {str(path.parent)!r} {what}; "
                         "create the folder first or choose another path")


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside `path`; on success rename it onto `path` (mode per umask).
    On any error the temporary file is removed and `path` is left as it was. A folder that
    is missing or not writable is refused with ModelError before anything is written."""
    path = Path(path)
    _check_writable(path)
    remove_orphans(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.",
                                   suffix=".tmp")
    except OSError as e:
        raise ModelError(f"cannot write {str(path)!r}: {e.strerror or e}; choose a folder you "
                         "can write to") from None
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path, data: bytes) -> None:
    """Write bytes to `path` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_json(path, obj) -> None:
    """Write `obj` as indented JSON atomically (numpy scalars and arrays allowed)."""
    write_atomic(path, json.dumps(obj, indent=2, default=_jsonable).encode())


def _jsonable(x):
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, (tuple, set, frozenset)):
        return list(x)
    raise TypeError(f"cannot write {type(x).__name__} as JSON")
