"""The projections of a spike-driven transformer as tied-weight structures.

Every population of `n_tokens` tokens of `d` channels is laid out token-major (neuron
t * d + c), which is the C-order flattening of a one-channel (1, n_tokens, d) image: so the
fixed wiring is a pool or a convolution over that image and shares its weights, and the
learned maps are per-token linear maps (sm.TokenLinear).
"""
from __future__ import annotations

import numpy as np

import spikemem as sm


def identity(n_tokens: int, d: int, gain: float = 1.0) -> sm.SumPool2d:
    """Neuron i -> neuron i with one shared weight `gain` ((n_tokens * d) -> same)."""
    return sm.SumPool2d(in_shape=(1, n_tokens, d), kernel_size=1, weight=gain)


def token_sum(n_tokens: int, d: int) -> sm.SumPool2d:
    """Column sum over tokens, weight 1: (t, c) -> c ((n_tokens * d) -> d)."""
    return sm.SumPool2d(in_shape=(1, n_tokens, d), kernel_size=(n_tokens, 1), weight=1.0)


def broadcast(n_tokens: int, d: int) -> sm.Conv2d:
    """Channel c -> (t, c) of every token, weight 1 (d -> (n_tokens * d)): a (n_tokens, 1)
    convolution over the (1, 1, d) input padded by n_tokens - 1 tokens on both sides, so
    output token t sees the input through kernel tap n_tokens - 1 - t only."""
    return sm.Conv2d(in_shape=(1, 1, d), weight=np.ones((1, 1, n_tokens, 1)),
                     padding=(n_tokens - 1, 0))


def linear(n_tokens: int, d_in: int, d_out: int, rng: np.random.Generator,
           gain: float) -> sm.TokenLinear:
    """The same learned (d_in, d_out) map on every token, drawn N(0, gain^2 / d_in)."""
    return sm.TokenLinear(n_tokens, rng.normal(0.0, gain / np.sqrt(d_in), (d_in, d_out)))


def ssa_triples(n_tokens: int, d: int, heads: int):
    """Spikformer's Q Kᵀ V as coincidences of three spikes. Neuron (h, i, j, a, b) of
    heads * n_tokens² * dh² (dh = d / heads, C order) fires when Q[i, h dh + a],
    K[j, h dh + a] and V[j, h dh + b] all spike; summed over (j, a) it is
    (Q Kᵀ V)[i, h dh + b] for head h, the product of spike matrices without any product
    of counts. Returns (q, k, v, out) CSR 0/1 matrices: q, k, v (n_tokens * d, n_triples)
    into the triples, out (n_triples, n_tokens * d) from them."""
    import scipy.sparse as sp

    dh = d // heads
    h, i, j, a, b = np.indices((heads, n_tokens, n_tokens, dh, dh)).reshape(5, -1)
    n = h.size
    cols = np.arange(n)

    def wires(rows, shape):
        return sp.csr_array((np.ones(n), (rows, cols)), shape=shape)

    stream = n_tokens * d
    q = wires(i * d + h * dh + a, (stream, n))
    k = wires(j * d + h * dh + a, (stream, n))
    v = wires(j * d + h * dh + b, (stream, n))
    out = wires(i * d + h * dh + b, (stream, n)).T.tocsr()
    return q, k, v, out
