"""Small checks shared by the model description; each raises ModelError naming the object."""
from __future__ import annotations

import math
import re

import numpy as np

from ..errors import ModelError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def check_name(name: str, what: str) -> str:
    """A name for a population, source, projection or receptor: letters, digits, _ . -"""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ModelError(
            f"{what} name {name!r} is not valid: use letters, digits, '_', '.' or '-' "
            "and start with a letter or '_'"
        )
    return name


def finite_float(value, what: str, *, allow_inf: bool = False) -> float:
    """A scalar float that is finite (or +inf where allowed)."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ModelError(f"{what} must be a number, got {value!r}") from None
    if math.isnan(x) or (math.isinf(x) and not (allow_inf and x > 0)):
        raise ModelError(f"{what} must be finite, got {x}: give a real number")
    return x


def positive_tau(value, what: str, *, allow_zero: bool = False, allow_inf: bool = False) -> float:
    """A time constant in ms: > 0 (or == 0 / inf where allowed)."""
    x = finite_float(value, what, allow_inf=allow_inf)
    if x < 0 or (x == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ModelError(f"{what} = {x} ms is not allowed: a time constant must be {bound} ms")
    return x


def steps_int(value, what: str, *, minimum: int = 0) -> int:
    """A non-negative integer count of steps."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise ModelError(f"{what} must be an integer number of steps, got {value!r}")
    if value < minimum:
        raise ModelError(f"{what} = {value} must be >= {minimum} steps")
    return int(value)


def finite_array(values, what: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """A float64 array without NaN/inf, optionally of a given shape."""
    arr = np.asarray(values, dtype=np.float64)
    if shape is not None and arr.shape != shape:
        raise ModelError(f"{what} has shape {arr.shape}, expected {shape}")
    if not np.all(np.isfinite(arr)):
        raise ModelError(f"{what} contains NaN or inf: replace them with finite values")
    return arr


def scalar_or_vector(value, n: int, what: str):
    """A finite float, or a float64 vector of length n (per neuron)."""
    if np.ndim(value) == 0:
        return finite_float(value, what)
    return finite_array(value, what, (n,))
