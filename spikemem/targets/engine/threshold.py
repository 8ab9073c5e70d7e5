"""Rule 3's refractory clamp and strict threshold (docs/semantics.md), in place on numpy
arrays: shared by the numpy target and the fixed-point targets, whose numbers differ but
whose order of operations is the same."""
from __future__ import annotations

import numpy as np


def spike(v, theta, out, ref=None, refractory=None, v_clamp=None) -> None:
    """out = v > theta (strict). With a refractory counter `ref` (batch, n): where ref > 0,
    first v = v_clamp and no spike, and ref counts down by one; where a neuron spikes,
    ref = refractory. All arrays are updated in place; theta, refractory and v_clamp
    broadcast against v."""
    if ref is None:
        np.greater(v, theta, out=out)
        return
    clamped = ref > 0
    np.copyto(v, v_clamp, where=clamped)
    np.greater(v, theta, out=out)
    out &= ~clamped
    ref -= clamped
    np.copyto(ref, refractory, where=out)
