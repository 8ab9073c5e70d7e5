"""How each NIR neuron node reads as spikemem's discrete update, per step of dt seconds.

Forward Euler, as snnTorch and Norse integrate (docs/interop/nir.md): a node with time
constant tau decays by 1 - dt/tau per step and scales its input by (dt/tau) * r. The table
READERS maps each NIR neuron type to its reading; `read_li` reads an LI node used as the
synaptic current of a neuron.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import ModelError
from .nir_values import per_neuron


@dataclass(frozen=True)
class Reading:
    """One NIR neuron node as spikemem parameters (n neurons)."""

    beta: float | np.ndarray    # membrane decay per step: 1 is IF, 0 no membrane memory
    gain: np.ndarray            # (n,) input gain, folded into the incoming weights
    bias: np.ndarray            # (n,) constant added to v every step
    v_th: float | np.ndarray
    v_reset: float | np.ndarray
    alpha: float | np.ndarray | None  # decay per step of a CubaLIF node's own current
    # (each float | ndarray: one value for all neurons, or (n,) where they differ)


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
    alpha = _decay(1.0 - _compact(k), dt, what, "tau")
    return alpha, k * per_neuron(node.r, n, what + " r")


def _lif(node, n, step: Step) -> Reading:
    k = step.dt / per_neuron(node.tau, n, step.what + " tau")
    beta = _decay(1.0 - _compact(k), step.dt, step.what, "tau")
    return Reading(beta, k * per_neuron(node.r, n, step.what + " r"),
                   k * per_neuron(node.v_leak, n, step.what + " v_leak"),
                   *_threshold_reset(node, n, step), None)


def _cuba_dynamics(node, n, step: Step) -> tuple:
    """(beta, gain, leak, alpha) of a CubaLIF or CubaLI node read with step.dt."""
    k = step.dt / per_neuron(node.tau_mem, n, step.what + " tau_mem")
    ks = step.dt / per_neuron(node.tau_syn, n, step.what + " tau_syn")
    beta = _decay(1.0 - _compact(k), step.dt, step.what, "tau_mem")
    alpha = _decay(1.0 - _compact(ks), step.dt, step.what, "tau_syn")
    gain = (ks * per_neuron(node.w_in, n, step.what + " w_in") *
            k * per_neuron(node.r, n, step.what + " r"))
    return beta, gain, k * per_neuron(node.v_leak, n, step.what + " v_leak"), alpha


def _cubalif(node, n, step: Step) -> Reading:
    beta, gain, leak, alpha = _cuba_dynamics(node, n, step)
    return Reading(beta, gain, leak, *_threshold_reset(node, n, step), alpha)


def _if(node, n, step: Step) -> Reading:
    r = per_neuron(node.r, n, step.what + " r")
    return Reading(1.0, r if step.discrete else step.dt * r, np.zeros(n),
                   *_threshold_reset(node, n, step), None)


def _li(node, n, step: Step) -> Reading:
    """LI (not a synapse): a non-spiking readout; v_th inf stands for no threshold."""
    k = step.dt / per_neuron(node.tau, n, step.what + " tau")
    beta = _decay(1.0 - _compact(k), step.dt, step.what, "tau")
    return Reading(beta, k * per_neuron(node.r, n, step.what + " r"),
                   k * per_neuron(node.v_leak, n, step.what + " v_leak"), math.inf, 0.0, None)


def _cubali(node, n, step: Step) -> Reading:
    """CubaLI: CubaLIF's reading without threshold."""
    beta, gain, leak, alpha = _cuba_dynamics(node, n, step)
    return Reading(beta, gain, leak, math.inf, 0.0, alpha)


def _integrator(node, n, step: Step) -> Reading:
    """I (dv/dt = r * x): a non-spiking perfect integrator, IF's gain."""
    r = per_neuron(node.r, n, step.what + " r")
    return Reading(1.0, r if step.discrete else step.dt * r, np.zeros(n), math.inf, 0.0, None)


def _threshold(node, n, step: Step) -> Reading:
    v_th = _compact(per_neuron(node.threshold, n, step.what + " threshold"))
    return Reading(0.0, np.ones(n), np.zeros(n), v_th, 0.0, None)


#: NIR neuron type -> its reading (v_th inf: a non-spiking readout, spikemem's LI)
READERS = {"LIF": _lif, "CubaLIF": _cubalif, "IF": _if, "Threshold": _threshold, "LI": _li,
           "CubaLI": _cubali, "I": _integrator}
#: the node types read as non-spiking readouts (an Output reading one carries its v)
READOUTS = ("LI", "CubaLI", "I")


def _threshold_reset(node, n, step: Step) -> tuple[float, float]:
    return (_compact(per_neuron(node.v_threshold, n, step.what + " v_threshold")),
            _compact(per_neuron(node.v_reset, n, step.what + " v_reset")))


def _compact(values: np.ndarray):
    """One float where all neurons share the value (to 1e-12), else the (n,) array: a
    per-neuron parameter of the population's model (trained graphs carry them)."""
    v = np.ravel(values)
    if v.size and np.allclose(v, v[0], rtol=1e-12, atol=0):
        return float(v[0])
    return v.astype(np.float64)


def _decay(decay, dt: float, what: str, field: str):
    bad = (np.asarray(decay) < 0.0) | (np.asarray(decay) > 1.0)
    if np.any(bad):
        worst = float(np.ravel(decay)[np.argmax(np.ravel(bad))])
        raise ModelError(f"{what}: with dt = {dt} s its {field} gives a decay of {worst:.4g} "
                         "per step (forward Euler needs dt <= tau); dt is in seconds: check "
                         "its value")
    return decay
