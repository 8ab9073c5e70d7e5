"""How each NIR neuron node reads as spikemem's discrete update, per step of dt seconds.

Forward Euler, as snnTorch and Norse integrate (docs/interop/nir.md): a node with time
constant tau decays by 1 - dt/tau per step and scales its input by (dt/tau) * r. The table
READERS maps each NIR neuron type to its reading; `read_li` reads an LI node used as the
synaptic current of a neuron.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ModelError
from .nir_values import per_neuron


@dataclass(frozen=True)
class Reading:
    """One NIR neuron node as spikemem parameters (n neurons)."""

    beta: float            # membrane decay per step: 1 is IF, 0 no membrane memory
    gain: np.ndarray       # (n,) input gain, folded into the incoming weights
    bias: np.ndarray       # (n,) constant added to v every step
    v_th: float
    v_reset: float
    alpha: float | None    # decay per step of the node's own synaptic current (CubaLIF)


@dataclass(frozen=True)
class Step:
    """The reader's step and how IF nodes integrate; `what` names the node in errors."""

    dt: float              # seconds
    discrete: bool         # IF: v += r * x per step (Sinabs, Norse) instead of dt * r * x
    what: str


def read_neuron(name: str, kind: str, node, n: int, dt: float, discrete: bool) -> Reading:
    """The reading of neuron node `name` (kind in READERS) of n neurons."""
    return READERS[kind](node, n, Step(dt, discrete, f"NIR node {name!r} ({kind})"))


def read_li(name: str, node, n: int, dt: float) -> tuple[float, np.ndarray]:
    """(synaptic decay per step, input gain (n,)) of an LI node feeding one neuron node."""
    what = f"NIR node {name!r} (LI)"
    if np.any(per_neuron(node.v_leak, n, what + " v_leak") != 0):
        raise ModelError(f"{what}: a v_leak drives the synaptic current of a spikemem "
                         "receptor, which has no such term: set it to 0")
    k = dt / per_neuron(node.tau, n, what + " tau")
    alpha = _decay(1.0 - _uniform(k, what + " tau"), dt, what, "tau")
    return alpha, k * per_neuron(node.r, n, what + " r")


def _lif(node, n, step: Step) -> Reading:
    k = step.dt / per_neuron(node.tau, n, step.what + " tau")
    beta = _decay(1.0 - _uniform(k, step.what + " tau"), step.dt, step.what, "tau")
    return Reading(beta, k * per_neuron(node.r, n, step.what + " r"),
                   k * per_neuron(node.v_leak, n, step.what + " v_leak"),
                   *_threshold_reset(node, n, step), None)


def _cubalif(node, n, step: Step) -> Reading:
    k = step.dt / per_neuron(node.tau_mem, n, step.what + " tau_mem")
    ks = step.dt / per_neuron(node.tau_syn, n, step.what + " tau_syn")
    beta = _decay(1.0 - _uniform(k, step.what + " tau_mem"), step.dt, step.what, "tau_mem")
    alpha = _decay(1.0 - _uniform(ks, step.what + " tau_syn"), step.dt, step.what, "tau_syn")
    gain = (ks * per_neuron(node.w_in, n, step.what + " w_in") *
            k * per_neuron(node.r, n, step.what + " r"))
    return Reading(beta, gain, k * per_neuron(node.v_leak, n, step.what + " v_leak"),
                   *_threshold_reset(node, n, step), alpha)


def _if(node, n, step: Step) -> Reading:
    r = per_neuron(node.r, n, step.what + " r")
    return Reading(1.0, r if step.discrete else step.dt * r, np.zeros(n),
                   *_threshold_reset(node, n, step), None)


def _threshold(node, n, step: Step) -> Reading:
    v_th = _uniform(per_neuron(node.threshold, n, step.what + " threshold"),
                    step.what + " threshold")
    return Reading(0.0, np.ones(n), np.zeros(n), v_th, 0.0, None)


#: NIR neuron type -> its reading
READERS = {"LIF": _lif, "CubaLIF": _cubalif, "IF": _if, "Threshold": _threshold}


def _threshold_reset(node, n, step: Step) -> tuple[float, float]:
    return (_uniform(per_neuron(node.v_threshold, n, step.what + " v_threshold"),
                     step.what + " v_threshold"),
            _uniform(per_neuron(node.v_reset, n, step.what + " v_reset"),
                     step.what + " v_reset"))


def _uniform(values: np.ndarray, what: str) -> float:
    v = np.ravel(values)
    if v.size and not np.allclose(v, v[0], rtol=1e-12, atol=0):
        raise ModelError(f"{what} differs between neurons ({v.min()} .. {v.max()}); a spikemem "
                         "population shares one neuron model: split the node")
    return float(v[0])


def _decay(decay: float, dt: float, what: str, field: str) -> float:
    if not 0.0 <= decay <= 1.0:
        raise ModelError(f"{what}: with dt = {dt} s its {field} gives a decay of {decay:.4g} "
                         "per step (forward Euler needs dt <= tau); dt is in seconds: check "
                         "its value")
    return decay
