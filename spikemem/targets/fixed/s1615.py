"""s16.15 fixed-point helpers (SpiNNaker's accum): raw integers with 15 fraction bits."""
from __future__ import annotations

import numpy as np

ONE = 2 ** 15  # 1.0


def mul_decay(x: np.ndarray, d) -> np.ndarray:
    """x * d / 2**32 rounded to nearest (x raw s16.15, d an unsigned 0.32 fraction; d = 2**32
    is 1.0)."""
    return np.right_shift(x * d + 2 ** 31, 32)


def fx_mul(a: np.ndarray, b) -> np.ndarray:
    """Product of two s16.15 values, rounded to nearest."""
    return np.right_shift(a * b + 2 ** 14, 15)
