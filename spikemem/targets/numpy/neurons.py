"""The numpy target's neuron lowering table: one block class per neuron model.

A block steps consecutive populations of one model (docs/semantics.md rules 2-3, and the
ALIF threshold) on per-neuron float64 parameter arrays, in place. Arrivals are the block's
(batch, n_rec, n) view of this step's buffer (n_rec: the network's largest receptor count;
a population with fewer receptors has alpha = 0 and no input on the others, exact no-ops).
"""
from __future__ import annotations

import numpy as np

from ...model.neurons import ALIF, LI, LIF, CondLIF
from ..engine.loop import NeuronBlock
from ..engine.threshold import spike


class LIFBlock(NeuronBlock):
    """LIF / IF populations (any tau_mem, including 0 and inf)."""

    def __init__(self, pops: list, start: int, dt: float, n_rec: int):
        n = sum(p.n for p in pops)
        self.start_index, self.stop_index, self.n_rec = start, start + n, n_rec
        self.alpha = np.zeros((n_rec, n))
        self.beta = np.ones(n)
        self.bias = np.zeros(n)
        self.v_th = np.zeros(n)
        self.v_reset = np.zeros(n)
        self.v_init = np.zeros(n)
        self.subtract = np.zeros(n, dtype=bool)
        self.refractory = np.zeros(n, dtype=np.int32)
        k = 0
        for p in pops:
            sl, m = slice(k, k + p.n), p.model
            for r, a in enumerate(m.alphas(dt).values()):
                self.alpha[r, sl] = a
            self.beta[sl] = m.beta(dt)
            self.bias[sl] = p.bias
            self.v_th[sl] = m.v_th
            self.v_reset[sl] = m.v_reset
            self.v_init[sl] = p.v_init
            self.subtract[sl] = m.reset == "subtract"
            self.refractory[sl] = m.refractory
            self.init_params(p, sl, dt)
            k += p.n
        self.zero_reset = ~self.subtract
        self.all_zero_reset = not self.subtract.any()
        self.any_refractory = bool(self.refractory.any())

    def init_params(self, pop, sl: slice, dt: float) -> None:
        """Model-specific per-neuron parameters of `pop` at `sl` (none for LIF)."""

    def start(self, batch: int) -> None:
        n = self.stop_index - self.start_index
        self.v = np.tile(self.v_init, (batch, 1))
        self.i = np.zeros((batch, self.n_rec, n))
        self.ref = np.zeros((batch, n), dtype=np.int32)
        self.i_sum = np.empty((batch, n))

    def current(self):
        """I_t = ((i_1 + i_2) + i_3) ...: (batch, n) (a view for one receptor)."""
        if self.n_rec == 1:
            return self.i[:, 0]
        np.add(self.i[:, 0], self.i[:, 1], out=self.i_sum)
        for r in range(2, self.n_rec):
            self.i_sum += self.i[:, r]
        return self.i_sum

    def threshold(self):
        """The threshold in force this step (batch, n) or (n,)."""
        return self.v_th

    def integrate(self) -> None:
        """Rule 3's membrane update, in place: v_t = (beta * v + I) + bias."""
        v = self.v
        v *= self.beta
        v += self.current()
        v += self.bias

    def step(self, arrivals, out) -> None:
        v, i = self.v, self.i
        i *= self.alpha                      # rule 2: i_t = alpha * i_{t-1} + a_t
        i += arrivals
        self.integrate()                     # rule 3
        theta = self.threshold()
        if self.any_refractory:
            spike(v, theta, out, self.ref, self.refractory, self.v_reset)
        else:
            spike(v, theta, out)
        if self.all_zero_reset:
            np.copyto(v, self.v_reset, where=out)
        else:
            np.copyto(v, self.v_reset, where=out & self.zero_reset)
            np.subtract(v, theta, out=v, where=out & self.subtract)
        self.after_spikes(out)

    def after_spikes(self, spikes) -> None:
        """Model-specific state update after the spikes of the step (none for LIF)."""

    def variable(self, name: str):
        if name == "v":
            return self.v
        if name == "i":
            return self.i[:, 0] if self.n_rec == 1 else self.i.sum(axis=1)
        raise KeyError(name)


class ALIFBlock(LIFBlock):
    """ALIF populations: the LIF update with theta = v_th + beta_adapt * a, then
    a = rho * a + spike."""

    def __init__(self, pops: list, start: int, dt: float, n_rec: int):
        n = sum(p.n for p in pops)
        self.rho = np.zeros(n)
        self.beta_adapt = np.zeros(n)
        super().__init__(pops, start, dt, n_rec)

    def init_params(self, pop, sl: slice, dt: float) -> None:
        self.rho[sl] = pop.model.rho(dt)
        self.beta_adapt[sl] = pop.model.beta_adapt

    def start(self, batch: int) -> None:
        super().start(batch)
        self.a = np.zeros_like(self.v)
        self.theta = np.empty_like(self.v)

    def threshold(self):
        np.multiply(self.beta_adapt, self.a, out=self.theta)
        np.add(self.v_th, self.theta, out=self.theta)
        return self.theta

    def after_spikes(self, spikes) -> None:
        self.a *= self.rho
        self.a += spikes

    def variable(self, name: str):
        return self.a if name == "a" else super().variable(name)


class CondBlock(LIFBlock):
    """CondLIF populations: the receptor currents are conductances g_r, and the membrane
    moves by Euler's step v += k * (((v_rest - v) + g_1 * (e_1 - v)) + ... + bias)."""

    def __init__(self, pops: list, start: int, dt: float, n_rec: int):
        n = sum(p.n for p in pops)
        self.k, self.v_rest, self.e_rev = np.zeros(n), np.zeros(n), np.zeros((n_rec, n))
        super().__init__(pops, start, dt, n_rec)

    def init_params(self, pop, sl: slice, dt: float) -> None:
        self.k[sl] = pop.model.k(dt)
        self.v_rest[sl] = pop.model.v_rest
        for r, e in enumerate(pop.model.reversals):
            self.e_rev[r, sl] = e

    def start(self, batch: int) -> None:
        super().start(batch)
        self.drive, self.term = np.empty_like(self.v), np.empty_like(self.v)

    def integrate(self) -> None:
        v, d, term = self.v, self.drive, self.term
        np.subtract(self.v_rest, v, out=d)
        for r in range(self.n_rec):          # receptors in declaration order
            np.subtract(self.e_rev[r], v, out=term)
            term *= self.i[:, r]
            d += term
        d += self.bias
        d *= self.k
        v += d


#: neuron model class -> block class (the numpy target's lowering table); LI is the LIF
#: update with a threshold of inf, which it never crosses
LOWERING = {LIF: LIFBlock, ALIF: ALIFBlock, LI: LIFBlock, CondLIF: CondBlock}
