"""Helpers shared by CLI commands: resolving MODEL arguments and output folders."""
from __future__ import annotations

from pathlib import Path

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


def output_folder(path) -> Path:
    """`path` as an existing folder (created with its parents); ModelError when it is a
    file or cannot be created."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ModelError(f"--out {str(path)!r} is a file, not a folder: choose a folder path")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ModelError(f"--out {str(path)!r}: cannot create the folder ({e.strerror or e}); "
                         "choose a folder you can write to") from None
    return path
