"""Atomic checkpoints: one .npz per (method, seed), replaced after every task.

The file holds arrays only (no pickle): `model/<key>`, `method/<key>`, the accuracy
matrix so far, tasks done, the untrained accuracies and the config text it belongs to.
It is written to a temporary file in the same folder, flushed, then renamed over the old one
(spikemem.files.atomic_path), so an interruption leaves either the old or the new checkpoint.
"""
from __future__ import annotations

import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from ..errors import ModelFileError
from ..files import atomic_path


def save(path, *, model: dict, method: dict, matrix, done: int, baseline, config: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {f"model/{k}": np.asarray(v) for k, v in model.items()}
    arrays.update({f"method/{k}": np.asarray(v) for k, v in method.items()})
    arrays.update(matrix=np.asarray(matrix, dtype=np.float64), done=np.array(int(done)),
                  baseline=np.asarray(baseline, dtype=np.float64), config=np.array(config))
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, **arrays)
        f.flush()
        os.fsync(f.fileno())


#: the arrays every checkpoint holds besides model/ and method/ state
REQUIRED = ("matrix", "done", "baseline", "config")


def load(path) -> dict:
    """{'model': {...}, 'method': {...}, 'matrix', 'done', 'baseline', 'config'}. A file that
    is truncated, partial or not a checkpoint raises ModelFileError naming it: delete it and
    that method and seed restart from their first task."""
    damaged = (f"checkpoint {str(path)!r} is damaged or incomplete (%s): delete it, and this "
               "method and seed restart from their first task")
    try:
        with np.load(path, allow_pickle=False) as z:
            if not isinstance(z, np.lib.npyio.NpzFile):
                raise ValueError("not an .npz archive")
            missing = [k for k in REQUIRED if k not in z.files]
            if missing:
                raise KeyError(f"no {missing}")
            d = {k: z[k] for k in z.files}
        done, matrix = int(d["done"]), np.asarray(d["matrix"], dtype=np.float64)
        config = str(d["config"])
    except (OSError, ValueError, KeyError, EOFError, TypeError, zipfile.BadZipFile,
            zlib.error) as e:
        raise ModelFileError(damaged % f"{type(e).__name__}: {e}") from None
    if matrix.ndim != 2 or not 0 <= done <= len(matrix):
        raise ModelFileError(damaged % f"{done} tasks done of a {matrix.shape} matrix")
    return {"model": {k[6:]: v for k, v in d.items() if k.startswith("model/")},
            "method": {k[7:]: v for k, v in d.items() if k.startswith("method/")},
            "matrix": matrix, "done": done, "baseline": d["baseline"], "config": config}
