"""Tsodyks-Markram short-term plasticity state, stepped by the array engines (numpy, torch:
the same elementwise arithmetic in the same order, so float64 agrees to the bit).

Per step (docs/semantics.md, rule 3d), for every presynaptic neuron of the projection:
u <- d_fac * u; x <- 1 - d_rec * (1 - x); where it spiked: u <- u + U * (1 - u),
e = u * x, x <- x - e. The spike then delivers w * e.
"""
from __future__ import annotations


class TsodyksMarkramState:
    """u, x of one projection's presynaptic neurons, arrays (batch, n_pre) of the engine's
    number type; `where` is the engine's elementwise select (np.where, torch.where)."""

    def __init__(self, stp, dt: float, where):
        self.U = stp.U
        self.d_rec, self.d_fac = stp.decays(dt)
        self.where = where
        self.u = self.x = None

    def start(self, zeros, ones) -> None:
        """Initial state u = 0, x = 1 (given as arrays (batch, n_pre))."""
        self.u, self.x = zeros, ones

    def step(self, spikes):
        """Advance one step with the presynaptic spikes emitted now (bool (batch, n_pre));
        returns each neuron's efficacy e = u * x (0 where it did not spike)."""
        u = self.d_fac * self.u
        x = 1.0 - self.d_rec * (1.0 - self.x)
        u_spike = u + self.U * (1.0 - u)
        e = u_spike * x
        self.u = self.where(spikes, u_spike, u)
        self.x = self.where(spikes, x - e, x)
        return self.where(spikes, e, 0.0 * e)
