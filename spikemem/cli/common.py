"""Helpers shared by CLI commands: resolving MODEL arguments."""
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
