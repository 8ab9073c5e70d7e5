"""Neuron kernels: one step of a population's LIF update (docs/semantics.md, rules 2-3).

A kernel maps the arrivals of one step, a list of (batch, n) tensors (one per receptor, in
declaration order), and the state (i: list of (batch, n) per receptor, v: (batch, n),
ref: int (batch, n)) to the spikes (batch, n) in the kernel's float dtype and the new state.

Two kernels, chosen per population by `lower_population` (a lowering table, not a branch
spread through the engine):

* `SnnTorchKernel` runs snnTorch 1.0's own `Synaptic` (or `Leaky` for tau_syn = 0) with
  `reset_mechanism="zero", reset_delay=False`. That update equals the canonical one bit for
  bit exactly when the population has one receptor, no refractory period, no bias,
  v_reset = 0, v_th >= 0 and v_init <= v_th (see docs/targets/torch.md for the derivation).
* `OwnKernel` is spikemem's torch code for everything else (several receptors, refractory
  counters, bias, v_reset != 0, reset by subtraction) and for trainable taus/thresholds.

The spike function `spike_fn(x)` receives v - v_th: a Heaviside step when simulating, a
snnTorch surrogate (e.g. snntorch.surrogate.atan()) when training. Resets use the detached
spike, as snnTorch does.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn


def heaviside(x: torch.Tensor) -> torch.Tensor:
    """Spike where x > 0 (strict), as a float tensor of x's dtype; no gradient."""
    return (x > 0).to(x.dtype)


class PopulationParams(nn.Module):
    """Per-population constants as tensors, some optionally trainable.

    tau_mem (ms), v_th are scalars per population (the model is per population); bias and
    v_init are (n,). Trainable ones are nn.Parameters: 'tau_mem', 'v_th', 'bias'.
    """

    def __init__(self, pop, dt: float, dtype, trainable=frozenset()):
        super().__init__()
        m = pop.model
        self.name, self.n, self.dt = pop.name, pop.n, dt
        self.receptors = m.receptor_names
        self.alpha = [float(a) for a in m.alphas(dt).values()]
        self.subtract = m.reset == "subtract"
        self.refractory = int(m.refractory)
        self.v_reset = float(m.v_reset)
        self.is_if = m.is_if
        self.beta_const = m.beta(dt)
        self.train_tau = "tau_mem" in trainable and not m.is_if
        bias = torch.as_tensor(np.broadcast_to(pop.bias, (pop.n,)).copy(), dtype=dtype)
        self._put("tau_mem", torch.tensor(m.tau_mem if not m.is_if else math.inf, dtype=dtype),
                  self.train_tau)
        self._put("v_th", torch.tensor(m.v_th, dtype=dtype), "v_th" in trainable)
        self._put("bias", bias, "bias" in trainable)
        self.register_buffer("v_init", torch.as_tensor(
            np.broadcast_to(pop.v_init, (pop.n,)).copy(), dtype=dtype))
        self.has_bias = bool(np.any(pop.bias != 0)) or "bias" in trainable

    def _put(self, name, value, trainable):
        if trainable:
            setattr(self, name, nn.Parameter(value))
        else:
            self.register_buffer(name, value)

    def beta(self):
        """Membrane decay per step: a float when fixed (the model's own value, so float64
        matches numpy bit for bit), a tensor when tau_mem is trained."""
        if self.train_tau:
            return torch.exp(-self.dt / self.tau_mem)
        return self.beta_const

    def init_state(self, batch: int, dtype, device) -> dict:
        zeros = torch.zeros((batch, self.n), dtype=dtype, device=device)
        return {"i": [zeros for _ in self.receptors],
                "v": self.v_init.to(device).expand(batch, self.n).clone(),
                "ref": torch.zeros((batch, self.n), dtype=torch.int32, device=device)}


class OwnKernel:
    """spikemem's torch implementation of rules 2-3 for any LIF/IF population."""

    uses_snntorch = False

    def __init__(self, params: PopulationParams):
        self.p = params

    def step(self, arrivals, state, spike_fn):
        p = self.p
        i = [a * i_r + arr for a, i_r, arr in zip(p.alpha, state["i"], arrivals)]
        total = i[0]
        for i_r in i[1:]:
            total = total + i_r
        v = p.beta() * state["v"] + total
        if p.has_bias:
            v = v + p.bias
        ref = state["ref"]
        if p.refractory:
            clamped = ref > 0
            v = torch.where(clamped, p.v_reset, v)
        above = v - p.v_th
        s = spike_fn(above).to(v.dtype)
        if p.refractory:
            s = s * (~clamped).to(v.dtype)
            fired = s.detach() > 0
            ref = torch.where(fired, p.refractory, ref - clamped.int())
        else:
            fired = s.detach() > 0
        if p.subtract:
            v = torch.where(fired, above, v)
        else:
            v = torch.where(fired, p.v_reset, v)
        return s, {"i": i, "v": v, "ref": ref}


class SnnTorchKernel:
    """snnTorch's Synaptic/Leaky neuron (reset to zero, applied in the same step)."""

    uses_snntorch = True

    def __init__(self, params: PopulationParams, dtype):
        import snntorch as snn

        self.p = params
        self.spike_fn = heaviside
        beta = torch.tensor(params.beta_const, dtype=dtype)
        thr = torch.tensor(float(params.v_th), dtype=dtype)
        grad = self._spike  # snnTorch calls it with mem - threshold
        self.synaptic = params.alpha[0] != 0.0
        if self.synaptic:
            self.cell = snn.Synaptic(alpha=torch.tensor(params.alpha[0], dtype=dtype), beta=beta,
                                     threshold=thr, spike_grad=grad, reset_mechanism="zero",
                                     reset_delay=False)
        else:
            self.cell = snn.Leaky(beta=beta, threshold=thr, spike_grad=grad,
                                  reset_mechanism="zero", reset_delay=False)

    def _spike(self, x):
        return self.spike_fn(x).to(x.dtype)

    def to(self, device):
        self.cell.to(device)
        return self

    def step(self, arrivals, state, spike_fn):
        self.spike_fn = spike_fn
        if self.synaptic:
            s, syn, mem = self.cell(arrivals[0], state["i"][0], state["v"])
        else:
            s, mem = self.cell(arrivals[0], state["v"])
            syn = arrivals[0].clone()  # the arrival buffer is reused next step
        return s.to(mem.dtype), {"i": [syn], "v": mem, "ref": state["ref"]}


def snntorch_exact(pop, trainable=frozenset()) -> bool:
    """True when snnTorch's Synaptic/Leaky (zero reset, reset_delay=False) computes exactly
    the canonical update of `pop` (see the module docstring)."""
    m = pop.model
    return (len(m.receptors) == 1 and m.refractory == 0 and m.reset == "zero"
            and m.v_reset == 0.0 and m.v_th >= 0.0 and not np.any(pop.bias != 0)
            and bool(np.all(np.asarray(pop.v_init) <= m.v_th))
            and not ({"tau_mem", "v_th", "bias"} & set(trainable)))


def lower_population(params: PopulationParams, pop, dtype, use_snntorch: bool,
                     trainable=frozenset()):
    """The kernel for `pop`: snnTorch's neuron where it is exact and allowed, else our own."""
    if use_snntorch and snntorch_exact(pop, trainable):
        return SnnTorchKernel(params, dtype)
    return OwnKernel(params)
