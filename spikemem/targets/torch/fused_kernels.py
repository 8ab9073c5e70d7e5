"""Compiled time loops of one LIF/ALIF population over a chunk of steps, for training on
the CPU (fused.py): the forward update of neurons.py's kernels, and its backward pass.

The forward does the kernels' float operations in their order, in the tensors' own dtype
(float32 numbers stay float32: every constant comes in as an array of that dtype), so its
results equal the step-by-step kernels bit for bit. Shapes: K steps, B trials, n neurons,
R receptors; per step and trial the neurons are a plain loop over contiguous rows, so that
it vectorises. The kernels are specialised by the population's Flags (each combination
compiled when first used; numba caches the compiled code on disk).

c (the dtype): beta, v_th, v_reset, rho, beta_adapt, 0, 1.
"""
from __future__ import annotations

import functools
from typing import NamedTuple

from numba import njit

BETA, V_TH, V_RESET, RHO, BETA_ADAPT, ZERO, ONE = range(7)
#: rows of the backward's per-neuron parameter gradients
G_BETA, G_V_TH, G_BIAS, G_RHO, G_BETA_ADAPT = range(5)


class Flags(NamedTuple):
    """What a population's loop does: refractory period (> 0 steps), subtractive reset,
    graded reset (snnTorch's zero reset v = u - s * u, differentiated through the spike s;
    otherwise the reset uses the detached spike, as spikemem's kernels), adaptive threshold
    (ALIF), bias."""

    refractory: bool
    subtract: bool
    graded: bool
    adaptive: bool
    bias: bool


@functools.lru_cache(maxsize=None)
def loop_kernels(flags: Flags):
    """(forward, backward) compiled for `flags` (see their docstrings below)."""
    refractory, subtract, graded, adaptive, has_bias = flags

    def forward(x, alpha, c, steps_held, bias, v0, a0, i, ref, s_out, v_out, i_out, a_out,
                h_out, u_out, held_out):
        """Steps of x (R, K, B, n) arrivals from the state v0, a0 (B, n), receptor currents
        i (R, B, n), refractory counters ref (int64 (B, n), steps; i and ref updated in
        place); steps_held: the refractory period (steps). Writes the spikes s_out, v
        after the reset v_out, summed current i_out, adaptation a_out, and for the backward
        h_out = u - theta, u_out = the membrane before the reset, held_out (bool: in the
        refractory clamp), all (K, B, n)."""
        n_rec, steps, batch, n = x.shape
        beta, v_th, v_reset, rho, beta_adapt = c[BETA], c[V_TH], c[V_RESET], c[RHO], \
            c[BETA_ADAPT]
        zero, one = c[ZERO], c[ONE]
        for t in range(steps):
            for b in range(batch):
                current = i_out[t, b]
                for r in range(n_rec):           # rule 2: i = alpha * i + a; I = sum
                    state, arrived, al = i[r, b], x[r, t, b], alpha[r]
                    for j in range(n):
                        y = al * state[j] + arrived[j]
                        state[j] = y
                        current[j] = y if r == 0 else current[j] + y
                v_prev = v0[b] if t == 0 else v_out[t - 1, b]
                a_prev = a0[b] if t == 0 else a_out[t - 1, b]
                s, v, a, h, u, held, count = s_out[t, b], v_out[t, b], a_out[t, b], \
                    h_out[t, b], u_out[t, b], held_out[t, b], ref[b]
                for j in range(n):               # rule 3
                    m = beta * v_prev[j] + current[j]
                    if has_bias:
                        m = m + bias[j]
                    clamped = refractory and count[j] > 0
                    m = v_reset if clamped else m
                    theta = v_th + beta_adapt * a_prev[j] if adaptive else v_th
                    above = m - theta
                    fired = (above > zero) & (not clamped)
                    spike = one if fired else zero
                    if refractory:
                        count[j] = steps_held if fired else count[j] - (1 if clamped else 0)
                    if graded:
                        v[j] = m - spike * m
                    else:
                        v[j] = ((above if subtract else v_reset) if fired else m)
                    a[j] = rho * a_prev[j] + spike if adaptive else zero
                    s[j], h[j], u[j], held[j] = spike, above, m, clamped

    def backward(g_s, g_v, g_i, g_a, slope, s, v, a, u, held, alpha, c, v0, a0, g_x,
                 g_param, gv, ga, gi):
        """The forward's gradients, last step first. g_s, g_v, g_i, g_a (K, B, n): those
        of its outputs; slope (K, B, n): the surrogate's derivative at h; gv, ga (B, n) and
        gi (R, B, n): on entry those of the final v, a and receptor currents, on return
        those of v0, a0 and the initial currents. Writes g_x (R, K, B, n); adds into g_param
        (float64 (5, n): per neuron, the gradients of beta, v_th, bias, rho, beta_adapt;
        per neuron, so that the loop has no sum across neurons and vectorises)."""
        n_rec, steps, batch, n = g_x.shape
        beta, rho, beta_adapt = c[BETA], c[RHO], c[BETA_ADAPT]
        zero, one = c[ZERO], c[ONE]
        g_beta, g_v_th, g_bias, g_rho, g_beta_adapt = g_param[0], g_param[1], g_param[2], \
            g_param[3], g_param[4]
        for t in range(steps - 1, -1, -1):
            for b in range(batch):
                v_prev = v0[b] if t == 0 else v[t - 1, b]
                a_prev = a0[b] if t == 0 else a[t - 1, b]
                gs_t, gv_t, gi_t, ga_t, slope_t = g_s[t, b], g_v[t, b], g_i[t, b], \
                    g_a[t, b], slope[t, b]
                s_t, u_t, held_t, gv_b, ga_b = s[t, b], u[t, b], held[t, b], gv[b], ga[b]
                # I's gradient, in receptor 0's row of g_x: the receptors are done last to
                # first, so that receptor 0 reads each value before it overwrites it
                g_current = g_x[0, t, b]
                for j in range(n):
                    g_vv = gv_b[j] + gv_t[j]
                    g_aa = ga_b[j] + ga_t[j] if adaptive else zero
                    g_spike = gs_t[j] + g_aa
                    fired = s_t[j] != zero
                    if graded:                   # v = u - s * u
                        g_u = g_vv * (one - s_t[j])
                        g_spike = g_spike - g_vv * u_t[j]
                        g_h = zero
                    else:                        # v = h (subtract) or v_reset where fired
                        g_u = zero if fired else g_vv
                        g_h = g_vv if subtract and fired else zero
                    clamped = refractory and held_t[j]
                    # s = spike_fn(h), zero while clamped; h = u - theta
                    g_h = g_h + (zero if clamped else g_spike * slope_t[j])
                    g_u = zero if clamped else g_u + g_h
                    g_v_th[j] -= g_h
                    if adaptive:                 # theta = v_th + beta_adapt * a_prev
                        g_beta_adapt[j] -= g_h * a_prev[j]
                        g_rho[j] += g_aa * a_prev[j]
                        ga_b[j] = g_aa * rho - g_h * beta_adapt
                    g_beta[j] += g_u * v_prev[j]  # u = (beta * v + I) + bias
                    g_bias[j] += g_u
                    gv_b[j] = g_u * beta
                    g_current[j] = g_u + gi_t[j]
                for r in range(n_rec - 1, -1, -1):  # i = alpha * i + a
                    g_state, g_arrived, al = gi[r, b], g_x[r, t, b], alpha[r]
                    for j in range(n):
                        g = g_state[j] + g_current[j]
                        g_arrived[j] = g
                        g_state[j] = g * al

    return (njit(cache=True, nogil=True)(forward), njit(cache=True, nogil=True)(backward))

