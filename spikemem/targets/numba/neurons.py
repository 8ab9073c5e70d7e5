"""The numba target's neuron lowering table: one entry per neuron model, giving a
population's row of the kernel's block tables (kernel.Neurons) and the model id that the
compiled step switches on (kernel.step_block).

`LOWERING[model class](population, dt, n_rec) -> Row`; a class missing from the table is
refused at compile time, naming it (engine.loop.blocks_for). Every parameter is laid out
per neuron (a model's scalar repeated, or its per-neuron array).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...model.neurons import ALIF, LI, LIF, CondLIF
from ..engine.loop import blocks_for
from . import kernel


@dataclass
class Row:
    """One population's block: model id, refractory period (steps), the float parameters
    in kernel.N_* order (each a float or an (n,) array), alpha per receptor slot (R, n)."""

    model: int
    refractory: int
    params: list
    alpha: np.ndarray
    e_rev: tuple = ()  # reversal potential per receptor (CondLIF)


def lower_lif(pop, dt: float, n_rec: int) -> Row:
    """LIF / IF (any tau_mem, including 0 and inf): no adaptation."""
    m = pop.model
    alpha = np.zeros((n_rec, pop.n))
    for r, a in enumerate(m.alphas(dt).values()):
        alpha[r] = a
    return Row(kernel.LIF_ID, int(m.refractory),
               [m.beta(dt), m.v_th, m.v_reset, float(m.reset == "subtract"), 0.0, 0.0, 0.0, 0.0],
               alpha)


def lower_alif(pop, dt: float, n_rec: int) -> Row:
    """ALIF: LIF's row with rho = exp(-dt / tau_adapt) and beta_adapt."""
    row = lower_lif(pop, dt, n_rec)
    row.model = kernel.ALIF_ID
    row.params[kernel.N_RHO] = pop.model.rho(dt)
    row.params[kernel.N_BETA_ADAPT] = pop.model.beta_adapt
    return row


def lower_cond(pop, dt: float, n_rec: int) -> Row:
    """CondLIF: LIF's row with the Euler step k = dt / tau_mem, v_rest and e_rev."""
    row = lower_lif(pop, dt, n_rec)
    row.model = kernel.COND_ID
    row.params[kernel.N_K] = pop.model.k(dt)
    row.params[kernel.N_V_REST] = pop.model.v_rest
    row.e_rev = pop.model.reversals
    return row


#: neuron model class -> lowering (population, dt, n_rec) -> Row (LI: LIF's row, whose
#: threshold inf is never crossed)
LOWERING = {LIF: lower_lif, ALIF: lower_alif, LI: lower_lif, CondLIF: lower_cond}


def lower_network(net, n_rec: int) -> tuple[kernel.Neurons, np.ndarray]:
    """(Neurons, v_init (N,)): one block per population of `net`, in order."""
    def entry(lower):
        def block(pops, start):
            return start, pops[0], lower(pops[0], net.dt, n_rec)
        return block

    blocks = blocks_for(net, {cls: entry(lower) for cls, lower in LOWERING.items()}, "numba",
                        merge=False)
    n = net.n_neurons
    bias, v_init = np.zeros(n), np.zeros(n)
    for start, pop, _ in blocks:
        bias[start:start + pop.n] = pop.bias
        v_init[start:start + pop.n] = pop.v_init
    table = np.array([(start, start + pop.n, row.model, row.refractory)
                      for start, pop, row in blocks], dtype=np.int32).reshape(-1, 4)
    params, alpha, e_rev = np.zeros((8, n)), np.zeros((n_rec, n)), np.zeros((n_rec, n))
    for start, pop, row in blocks:
        for k, value in enumerate(row.params):
            params[k, start:start + pop.n] = value
        alpha[:, start:start + pop.n] = row.alpha
        for r, e in enumerate(row.e_rev):
            e_rev[r, start:start + pop.n] = e
    return kernel.Neurons(table, params, alpha, e_rev, bias), v_init
