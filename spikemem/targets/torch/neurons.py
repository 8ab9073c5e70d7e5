"""The torch lowering table: one step of a population's update (docs/semantics.md rules
2-3; the ALIF threshold), shared by the simulation (simulate.py) and the training module
(spikemem/torch/module.py).

`LOWERING[model class](pop, dt, dtype, use_snntorch, trainable)` gives (params, kernel):
params is an nn.Module of the population's constants (some trainable); the kernel maps the
arrivals of one step, a list of (batch, n) tensors (one per receptor, in declaration order),
and the state (i: list of (batch, n) per receptor, v: (batch, n), ref: int (batch, n); ALIF
also a: (batch, n)) to the spikes (batch, n) in the float dtype and the new state:

* LIF / IF: `SnnTorchKernel` (snnTorch 1.0's `Synaptic`, or `Leaky` for tau_syn = 0, with
  `reset_mechanism="zero", reset_delay=False`) where that update equals the canonical one
  bit for bit (one receptor, no refractory period, no bias, v_reset = 0, v_th >= 0, v_init
  <= v_th, no neuron parameter trained; docs/targets/torch.md has the derivation), else
  `LIFKernel`, spikemem's own;
* ALIF: `ALIFKernel`, LIFKernel with theta = v_th + beta_adapt * a, then a = rho * a + s.

The spike function `spike_fn(x)` receives v - theta: a Heaviside step when simulating, a
snnTorch surrogate (e.g. snntorch.surrogate.atan()) when training. Resets use the detached
spike, as snnTorch does; ALIF's `a` accumulates the undetached spike, so gradients flow
through the adaptive threshold. In float64 every kernel does the numpy target's float
operations in its order (spikemem/targets/numpy/neurons.py).
"""
from __future__ import annotations


import numpy as np
import torch
from torch import nn

from ...model.neurons import ALIF, LI, LIF, CondLIF
from ..engine.loop import NeuronBlock, blocks_for


def heaviside(x: torch.Tensor) -> torch.Tensor:
    """Spike where x > 0 (strict), as a float tensor of x's dtype; no gradient."""
    return (x > 0).to(x.dtype)


def summed(currents: list) -> torch.Tensor:
    """I = ((i_1 + i_2) + i_3) ...: the receptor currents summed in declaration order."""
    total = currents[0]
    for i_r in currents[1:]:
        total = total + i_r
    return total


def recorded(state: dict, var: str) -> torch.Tensor:
    """A recordable variable (batch, n) of a kernel state: 'v', 'i' (summed) or 'a'."""
    return summed(state["i"]) if var == "i" else state[var]


def constant(value, dtype):
    """A model constant for the kernels: a float as it is (so float64 products match numpy
    bit for bit), a per-neuron array as an (n,) tensor of `dtype`."""
    return float(value) if np.ndim(value) == 0 else torch.as_tensor(np.array(value),
                                                                     dtype=dtype)


class LIFParams(nn.Module):
    """Per-population constants of an LIF/IF population as tensors, some trainable.

    tau_mem (ms) and v_th are scalars, or (n,) where the model gives them per neuron (then
    trained per neuron); bias and v_init are (n,). Trainable (TRAINABLE, as nn.Parameters):
    'tau_mem' (finite, > 0 only), 'v_th', 'bias'.
    """

    TRAINABLE = ("tau_mem", "v_th", "bias")

    def __init__(self, pop, dt: float, dtype, trainable=frozenset()):
        super().__init__()
        m = pop.model
        self.name, self.n, self.dt = pop.name, pop.n, dt
        self.receptors = m.receptor_names
        self.per_neuron = bool(m.per_neuron_parameters())
        self.alpha = [constant(a, dtype) for a in m.alphas(dt).values()]
        self.subtract = m.reset == "subtract"
        self.refractory = int(m.refractory)
        self.v_reset = constant(m.v_reset, dtype)
        self.beta_const = constant(m.beta(dt), dtype)
        self.train_tau = "tau_mem" in trainable and bool(np.all((0 < np.asarray(m.tau_mem))
                                                                & np.isfinite(m.tau_mem)))
        bias = torch.as_tensor(np.broadcast_to(pop.bias, (pop.n,)).copy(), dtype=dtype)
        self._put("tau_mem", torch.tensor(np.asarray(m.tau_mem), dtype=dtype), self.train_tau)
        self._put("v_th", torch.tensor(np.asarray(m.v_th), dtype=dtype), "v_th" in trainable)
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

    def trained_model_fields(self) -> dict:
        """{model field: float or (n,) array} of the trained parameters (bias is the
        population's)."""
        def value(t):
            x = t.detach().cpu().numpy().astype(np.float64)
            return float(x) if x.ndim == 0 else x

        return {name: value(getattr(self, name)) for name in self.TRAINABLE
                if name != "bias" and isinstance(getattr(self, name), nn.Parameter)}

    def init_state(self, batch: int) -> dict:
        zeros = self.v_init.new_zeros((batch, self.n))
        return {"i": [zeros for _ in self.receptors],
                "v": self.v_init.expand(batch, self.n).clone(),
                "ref": torch.zeros((batch, self.n), dtype=torch.int32,
                                   device=self.v_init.device)}


class ALIFParams(LIFParams):
    """LIFParams plus tau_adapt (ms) and beta_adapt, scalars per population; trainable also
    'tau_adapt' (finite only) and 'beta_adapt'."""

    TRAINABLE = LIFParams.TRAINABLE + ("tau_adapt", "beta_adapt")

    def __init__(self, pop, dt: float, dtype, trainable=frozenset()):
        super().__init__(pop, dt, dtype, trainable)
        m = pop.model
        self.rho_const = constant(m.rho(dt), dtype)
        self.train_tau_adapt = "tau_adapt" in trainable and \
            not np.any(np.isinf(m.tau_adapt))
        self._put("tau_adapt", torch.tensor(np.asarray(m.tau_adapt), dtype=dtype),
                  self.train_tau_adapt)
        self._put("beta_adapt", torch.tensor(np.asarray(m.beta_adapt), dtype=dtype),
                  "beta_adapt" in trainable)

    def rho(self):
        """Decay of a per step: a float when fixed (the model's value), a tensor when
        tau_adapt is trained."""
        if self.train_tau_adapt:
            return torch.exp(-self.dt / self.tau_adapt)
        return self.rho_const

    def init_state(self, batch: int) -> dict:
        state = super().init_state(batch)
        state["a"] = self.v_init.new_zeros((batch, self.n))
        return state


class LIFKernel:
    """spikemem's torch implementation of rules 2-3 for any LIF/IF population."""

    uses_snntorch = False

    def __init__(self, params: LIFParams):
        self.p = params

    def threshold(self, state):
        """theta in force this step: v_th (scalar tensor) or (batch, n)."""
        return self.p.v_th

    def after_spikes(self, state: dict, s: torch.Tensor) -> dict:
        """Model-specific state after the step's spikes s (none for LIF)."""
        return {}

    def integrate(self, v, i: list):
        """Rule 3's membrane update: (beta * v + I) + bias."""
        v = self.p.beta() * v + summed(i)
        return v + self.p.bias if self.p.has_bias else v

    def step(self, arrivals, state, spike_fn):
        p = self.p
        i = [a * i_r + arr for a, i_r, arr in zip(p.alpha, state["i"], arrivals)]
        v = self.integrate(state["v"], i)
        ref = state["ref"]
        if p.refractory:
            clamped = ref > 0
            v = torch.where(clamped, p.v_reset, v)
        above = v - self.threshold(state)
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
        return s, {"i": i, "v": v, "ref": ref, **self.after_spikes(state, s)}


class ALIFKernel(LIFKernel):
    """ALIF: the LIF step with theta = v_th + beta_adapt * a (a from the previous step; a
    subtract reset removes theta), then a = rho * a + s."""

    def threshold(self, state):
        return self.p.v_th + self.p.beta_adapt * state["a"]

    def after_spikes(self, state, s):
        return {"a": self.p.rho() * state["a"] + s}


class CondParams(LIFParams):
    """LIFParams plus CondLIF's Euler step k = dt / tau_mem, v_rest and one reversal
    potential per receptor (floats, or (n,) tensors per neuron)."""

    def __init__(self, pop, dt: float, dtype, trainable=frozenset()):
        super().__init__(pop, dt, dtype, frozenset(trainable) - {"tau_mem"})
        m = pop.model
        self.k = constant(m.k(dt), dtype)
        self.v_rest = float(m.v_rest)
        self.e_rev = list(m.reversals)


class CondKernel(LIFKernel):
    """CondLIF: v + k * (((v_rest - v) + g_1 * (e_1 - v)) + ... + bias), the receptor
    currents being conductances g_r (tau_mem is not trained)."""

    def integrate(self, v, i: list):
        p = self.p
        drive = p.v_rest - v
        for g, e in zip(i, p.e_rev):
            drive = drive + (e - v) * g
        return v + (drive + p.bias) * p.k


class SnnTorchKernel:
    """snnTorch's Synaptic/Leaky neuron (reset to zero, applied in the same step)."""

    uses_snntorch = True

    def __init__(self, params: LIFParams, dtype):
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
    the canonical update of the LIF population `pop` (see the module docstring)."""
    m = pop.model
    return (not m.per_neuron_parameters() and len(m.receptors) == 1 and m.refractory == 0
            and m.reset == "zero"
            and m.v_reset == 0.0 and m.v_th >= 0.0 and not np.any(pop.bias != 0)
            and bool(np.all(np.asarray(pop.v_init) <= m.v_th))
            and not (set(LIFParams.TRAINABLE) & set(trainable)))


def lower_lif(pop, dt, dtype, use_snntorch: bool, trainable=frozenset()):
    """LIF/IF: snnTorch's neuron where it is exact and allowed, else LIFKernel."""
    params = LIFParams(pop, dt, dtype, trainable)
    if use_snntorch and snntorch_exact(pop, trainable):
        return params, SnnTorchKernel(params, dtype)
    return params, LIFKernel(params)


def lower_alif(pop, dt, dtype, use_snntorch: bool, trainable=frozenset()):
    """ALIF: ALIFKernel (snnTorch has no adaptive threshold)."""
    params = ALIFParams(pop, dt, dtype, trainable)
    return params, ALIFKernel(params)


def lower_li(pop, dt, dtype, use_snntorch: bool, trainable=frozenset()):
    """LI: LIFKernel with v_th = inf (never crossed: no spike, no reset; v_th is not
    trained)."""
    params = LIFParams(pop, dt, dtype, frozenset(trainable) - {"v_th"})
    return params, LIFKernel(params)


def lower_cond(pop, dt, dtype, use_snntorch: bool, trainable=frozenset()):
    """CondLIF: CondKernel (snnTorch has no conductance-based neuron)."""
    params = CondParams(pop, dt, dtype, trainable)
    return params, CondKernel(params)


#: neuron model class -> lowering (pop, dt, dtype, use_snntorch, trainable) -> (params, kernel)
LOWERING = {LIF: lower_lif, ALIF: lower_alif, LI: lower_li, CondLIF: lower_cond}


class PopulationBlock(NeuronBlock):
    """One population lowered to (params, kernel): a block of the shared step loop when
    simulating (start/step/variable, Heaviside spikes), its parts when training."""

    def __init__(self, pop, start: int, params: LIFParams, kernel):
        self.name, self.start_index, self.stop_index = pop.name, start, start + pop.n
        self.params, self.kernel = params, kernel
        self.n_receptors = len(params.receptors)
        self.state = None

    def to(self, device):
        self.params.to(device)
        if self.kernel.uses_snntorch:
            self.kernel.cell.to(device)
        return self

    def start(self, batch: int) -> None:
        self.state = self.params.init_state(batch)

    def step(self, arrivals, out) -> None:
        """arrivals: (batch, receptors >= own, n) of this step; out: bool (batch, n)."""
        own = [arrivals[:, r] for r in range(self.n_receptors)]
        s, self.state = self.kernel.step(own, self.state, heaviside)
        out.copy_(s > 0)

    def variable(self, name: str):
        return recorded(self.state, name)


def lower_network(net, dtype, use_snntorch: bool = True, trainable=frozenset(),
                  target: str = "torch") -> list[PopulationBlock]:
    """One PopulationBlock per population of `net` (in order) through LOWERING; a model class
    missing from the table is refused with UnsupportedFeatureError."""
    def entry(lower):
        return lambda pops, start: PopulationBlock(
            pops[0], start, *lower(pops[0], net.dt, dtype, use_snntorch, trainable))

    return blocks_for(net, {cls: entry(lower) for cls, lower in LOWERING.items()}, target,
                      merge=False)
