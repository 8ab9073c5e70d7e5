"""The numbers of NIR nodes, checked before use: real and finite, time constants positive,
delays non-negative, per-neuron values one per neuron. Each failure is a ModelError naming
the node, its type, the field and the fix."""
from __future__ import annotations

import numpy as np

from ..errors import ModelError

#: time constants (seconds): finite and > 0
TIME_CONSTANTS = {"LIF": ("tau",), "CubaLIF": ("tau_syn", "tau_mem"), "LI": ("tau",),
                  "CubaLI": ("tau_syn", "tau_mem")}
#: other real parameters: finite
REALS = {
    "LIF": ("r", "v_leak", "v_threshold", "v_reset"),
    "CubaLIF": ("r", "v_leak", "v_threshold", "v_reset", "w_in"),
    "IF": ("r", "v_threshold", "v_reset"),
    "LI": ("r", "v_leak"),
    "CubaLI": ("r", "v_leak", "w_in"),
    "I": ("r",),
    "Threshold": ("threshold",),
    "Linear": ("weight",), "Affine": ("weight", "bias"), "Scale": ("scale",),
    "Conv1d": ("weight", "bias"), "Conv2d": ("weight", "bias"),
}
#: durations (seconds): finite and >= 0
DURATIONS = {"Delay": ("delay",)}


def numbers(value, what: str) -> np.ndarray:
    """`value` (array, tensor or number) as a float64 array; `what` names it in errors."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    a = np.asarray(value)
    if a.dtype.kind not in "biuf":
        raise ModelError(f"{what} must be real numbers, got {a.dtype} values ({value!r:.60}): "
                         "fix the graph's parameter")
    return a.astype(np.float64)


def check_node(name: str, kind: str, node) -> None:
    """Raise ModelError if a numeric field of NIR node `name` is not real, is NaN or infinite,
    or is a time constant <= 0 or a delay < 0."""
    fields = ([(f, "real") for f in REALS.get(kind, ())] +
              [(f, "tau") for f in TIME_CONSTANTS.get(kind, ())] +
              [(f, "duration") for f in DURATIONS.get(kind, ())])
    for field, rule in fields:
        what = f"NIR node {name!r} ({kind}) {field}"
        a = numbers(getattr(node, field), what)
        bad = ~np.isfinite(a)
        if np.any(bad):
            raise ModelError(f"{what} has {_count(bad)} {_nonfinite(a)} value(s): "
                             "give finite numbers (time constants and delays in seconds)")
        if rule == "tau" and np.any(a <= 0):
            raise ModelError(f"{what} has value(s) <= 0 ({a.min():g}): a time constant must be "
                             "a positive number of seconds")
        if rule == "duration" and np.any(a < 0):
            raise ModelError(f"{what} has value(s) < 0 ({a.min():g}): a delay must be >= 0 s")


def per_neuron(value, n: int, what: str) -> np.ndarray:
    """A scalar or per-neuron NIR value as an (n,) array; ModelError naming `what` if it
    has neither one value nor n."""
    a = numbers(value, what).ravel()
    if a.size == 1:
        return np.full(n, a[0])
    if a.size != n:
        raise ModelError(f"{what} has {a.size} values but the node has {n} neurons (the size "
                         "its input gives): give one value per neuron, or a single value")
    return a


def _count(mask: np.ndarray) -> int:
    return int(np.count_nonzero(mask))


def _nonfinite(a: np.ndarray) -> str:
    return "NaN" if np.any(np.isnan(a)) else "infinite"
