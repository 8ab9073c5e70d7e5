"""Atomic checkpoints: one .npz per (method, seed), replaced after every task.

The file holds arrays only (no pickle): `model/<key>`, `method/<key>`, the accuracy
matrix so far, tasks done, the untrained accuracies and the config text it belongs to.
It is written to a temporary file in the same folder, flushed, then renamed over the old one
(spikemem.files.atomic_path), so an interruption leaves either the old or the new checkpoint.
"""
from __future__ import annotations

import os
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


def load(path) -> dict:
    """{'model': {...}, 'method': {...}, 'matrix', 'done', 'baseline', 'config'}."""
    try:
        with np.load(path, allow_pickle=False) as z:
            d = {k: z[k] for k in z.files}
    except (OSError, ValueError) as e:
        raise ModelFileError(f"checkpoint {path} cannot be read: {e}") from None
    return {"model": {k[6:]: v for k, v in d.items() if k.startswith("model/")},
            "method": {k[7:]: v for k, v in d.items() if k.startswith("method/")},
            "matrix": d["matrix"], "done": int(d["done"]), "baseline": d["baseline"],
            "config": str(d["config"])}
