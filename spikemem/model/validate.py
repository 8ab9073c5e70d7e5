"""Small checks shared by the model description; each raises ModelError naming the object.

Two limits keep every target's arithmetic finite and its integers in range:
MAX_MAGNITUDE bounds every real model value (weights, potentials, biases, plasticity
coefficients; time constants excepted), so that no sum of inputs can overflow float64 or
float32 in any network that fits in memory; MAX_STEPS bounds step counts (delays, refractory
periods), which targets hold in 32-bit integers.
"""
from __future__ import annotations

import math
import re

import numpy as np
import scipy.sparse as sp

from ..errors import ModelError

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")

#: the largest |x| of a real model value (weights, v_th, v_reset, bias, v_init, coefficients)
MAX_MAGNITUDE = 1e12
#: the largest step count (delay, refractory period), in steps
MAX_STEPS = 2 ** 31 - 1


def check_name(name: str, what: str) -> str:
    """A name for a population, source, projection or receptor: letters, digits, _ . -"""
    if not isinstance(name, str) or not _NAME.match(name):
        raise ModelError(
            f"{what} name {name!r} is not valid: use letters, digits, '_', '.' or '-' "
            "and start with a letter or '_'"
        )
    return name


def _too_large(what: str, x: float) -> ModelError:
    return ModelError(f"{what} = {x:g} is beyond ±{MAX_MAGNITUDE:g}, the largest magnitude "
                      "spikemem accepts (so that no sum of inputs can overflow): rescale the "
                      "model's units")


def finite_float(value, what: str, *, allow_inf: bool = False, bounded: bool = True) -> float:
    """A scalar float that is finite (or +inf where allowed) and, when `bounded`, at most
    MAX_MAGNITUDE in magnitude."""
    if isinstance(value, (complex, np.complexfloating)):
        raise ModelError(f"{what} is the complex number {value!r}: give a real number")
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ModelError(f"{what} must be a number, got {value!r}") from None
    if math.isnan(x) or (math.isinf(x) and not (allow_inf and x > 0)):
        raise ModelError(f"{what} must be finite, got {x}: give a real number")
    if bounded and math.isfinite(x) and abs(x) > MAX_MAGNITUDE:
        raise _too_large(what, x)
    return x


def positive_tau(value, what: str, *, allow_zero: bool = False, allow_inf: bool = False) -> float:
    """A time constant in ms: > 0 (or == 0 / inf where allowed)."""
    x = finite_float(value, what, allow_inf=allow_inf, bounded=False)
    if x < 0 or (x == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ModelError(f"{what} = {x} ms is not allowed: a time constant must be {bound} ms")
    return x


def steps_int(value, what: str, *, minimum: int = 0) -> int:
    """An integer count of steps in minimum..MAX_STEPS."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        if isinstance(value, (float, np.floating)) and float(value).is_integer():
            value = int(value)
        else:
            raise ModelError(f"{what} must be an integer number of steps, got {value!r}")
    if value < minimum:
        raise ModelError(f"{what} = {value} must be >= {minimum} steps")
    if value > MAX_STEPS:
        raise ModelError(f"{what} = {value} steps is beyond {MAX_STEPS} (2**31 - 1), the "
                         "longest step count the targets hold: shorten it")
    return int(value)


def real_array(values, what: str) -> np.ndarray:
    """`values` as a float64 array; complex, non-numeric or ragged values are refused."""
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError):
        raise ModelError(f"{what} must be a numeric array") from None
    if np.iscomplexobj(arr):
        raise ModelError(f"{what} are complex numbers: give real values (e.g. x.real)")
    try:
        return arr.astype(np.float64)
    except (TypeError, ValueError):
        raise ModelError(f"{what} must be a numeric array, got dtype {arr.dtype}") from None


def check_finite_bounded(arr: np.ndarray, what: str) -> np.ndarray:
    """`arr` (float64) if all values are finite and at most MAX_MAGNITUDE in magnitude
    (checked through its min and max: no temporary array)."""
    lo, hi = (float(arr.min()), float(arr.max())) if arr.size else (0.0, 0.0)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ModelError(f"{what} contain NaN or inf: replace them with finite values "
                         "(e.g. np.nan_to_num)")
    if max(-lo, hi) > MAX_MAGNITUDE:
        raise _too_large(f"the largest |value| of {what}", max(-lo, hi))
    return arr


def finite_array(values, what: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """A float64 array of finite, bounded values, optionally of a given shape."""
    arr = real_array(values, what)
    if shape is not None and arr.shape != shape:
        raise ModelError(f"{what} has shape {arr.shape}, expected {shape}")
    return check_finite_bounded(arr, what)


def scalar_or_vector(value, n: int, what: str):
    """A finite float, or a float64 vector of length n (per neuron)."""
    if np.ndim(value) == 0:
        return finite_float(value, what)
    return finite_array(value, what, (n,))


def csr_from_arrays(data, indices, indptr, shape: tuple[int, int], what: str) -> sp.csr_array:
    """A CSR array (n_pre, n_post) from its three arrays, after checking that they describe
    one: indptr (n_pre + 1,) from 0, non-decreasing, ending at len(indices) == len(data),
    and every column index inside 0..n_post - 1."""
    n_rows, n_cols = shape
    indptr, indices = np.asarray(indptr), np.asarray(indices)
    for key, a in (("indptr", indptr), ("indices", indices)):
        if a.ndim != 1 or not (np.issubdtype(a.dtype, np.integer) or a.size == 0):
            raise ModelError(f"{what}: sparse {key} must be a 1-D integer array, got "
                             f"{a.dtype} shape {a.shape}")
    data = real_array(data, f"{what} values")
    if indptr.shape != (n_rows + 1,):
        raise ModelError(f"{what}: sparse indptr has {indptr.size} entries, expected n_pre + 1 "
                         f"= {n_rows + 1}")
    if indptr[0] != 0 or np.any(np.diff(indptr) < 0) or indptr[-1] != indices.size \
            or data.shape != indices.shape:
        raise ModelError(f"{what}: sparse arrays disagree (indptr from {int(indptr[0])} to "
                         f"{int(indptr[-1])}, {indices.size} indices, {data.size} values): "
                         "rebuild the matrix with scipy.sparse")
    if indices.size and (indices.min() < 0 or indices.max() >= n_cols):
        bad = int(indices.max() if indices.max() >= n_cols else indices.min())
        raise ModelError(f"{what}: sparse column index {bad} lies outside the post population "
                         f"(n_post = {n_cols}, indices 0..{n_cols - 1}); fix the matrix's "
                         "indices or its shape")
    return sp.csr_array((data, indices.astype(np.int64), indptr.astype(np.int64)), shape=shape)
