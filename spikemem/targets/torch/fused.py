"""A population's time loop as a few autograd Functions, for training on the CPU.

When every input of a population is known for all steps before it runs (no recurrent
projection within its group: spikemem.torch.schedule), its LIF/ALIF update runs as a
compiled loop over chunks of steps (fused_kernels.py, numba) instead of ~20 recorded torch
operations per step, and each chunk's backward pass is one hand-written reverse loop
instead of autograd's replay of them. Chunks of about CHUNK_ELEMENTS values keep the saved
tensors small (in cache, reused by the allocator). It computes what the step-by-step
kernels of neurons.py compute: the same forward floats (float64 still equals
target="numpy" bit for bit) and the same gradients (spikemem's kernels reset with the
detached spike; populations that snnTorch's Leaky/Synaptic steps keep snnTorch's reset
through the graded spike), up to the order of the sums in the parameters' gradients.

Used where numba is installed, the tensors are on the CPU and the surrogate's forward is
the Heaviside step (x > 0) the loop computes; spikemem.torch.module steps elsewhere.
"""
from __future__ import annotations

import importlib.util

import numpy as np
import torch

from .neurons import ALIFKernel, LIFKernel, SnnTorchKernel

#: values per (steps, batch, neurons) chunk
CHUNK_ELEMENTS = 2**20


def fusable(kernel, spike_fn, dtype) -> bool:
    """True when `kernel`'s population can run as ChunkLoops (on a CPU device)."""
    return (type(kernel) in (LIFKernel, ALIFKernel, SnnTorchKernel) and not kernel.p.per_neuron
            and importlib.util.find_spec("numba") is not None
            and heaviside_forward(spike_fn, dtype))


def heaviside_forward(spike_fn, dtype) -> bool:
    """True if spike_fn's forward is the step x > 0 (as snnTorch's surrogates are)."""
    x = torch.tensor([-1.0, -0.0, 0.0, 1e-30, 1.0], dtype=dtype)
    with torch.no_grad():
        out = spike_fn(x)
    return bool(torch.equal(out.to(dtype), (x > 0).to(dtype)))


class ChunkLoop(torch.autograd.Function):
    """forward(kernel, spike_fn, ref, x, v0, a0, i0, beta, v_th, bias, rho, beta_adapt)
    -> (spikes, v, i, a, i_r): x (R, K, B, n) the arrivals per receptor; the state before
    the chunk v0, a0 (B, n), i0 (R, B, n) receptor currents, ref (B, n) refractory counters
    (updated in place); beta, v_th, rho, beta_adapt 0-dim tensors, bias (n,). Returns
    (K, B, n) spikes, v after reset, summed current, adaptation, and the receptor currents
    after the chunk (R, B, n)."""

    @staticmethod
    def forward(ctx, kernel, spike_fn, ref, x, v0, a0, i0, beta, v_th, bias, rho, beta_adapt):
        from . import fused_kernels as k

        p = kernel.p
        n_rec, steps, batch, n = x.shape
        flags = k.Flags(p.refractory > 0, p.subtract, isinstance(kernel, SnnTorchKernel),
                        isinstance(kernel, ALIFKernel), p.has_bias)
        c = np.zeros(7, dtype={torch.float32: np.float32, torch.float64: np.float64}[x.dtype])
        c[[k.BETA, k.V_TH, k.V_RESET, k.RHO, k.BETA_ADAPT, k.ONE]] = [
            float(beta), float(v_th), p.v_reset, float(rho), float(beta_adapt), 1.0]
        alpha = np.array(p.alpha, dtype=c.dtype)
        i = i0.detach().clone(memory_format=torch.contiguous_format)
        out = [torch.empty((steps, batch, n), dtype=x.dtype) for _ in range(6)]
        held = torch.empty((steps, batch, n), dtype=torch.bool)
        v0, a0 = v0.detach().contiguous(), a0.detach().contiguous()
        forward, _ = k.loop_kernels(flags)
        forward(_np(x), alpha, c, p.refractory, _np(bias), v0.numpy(), a0.numpy(), i.numpy(),
                ref.numpy(), *(o.numpy() for o in out), held.numpy())
        s, v, current, a, h, u = out
        ctx.save_for_backward(s, v, a, h, u, held, v0, a0)
        ctx.spike_fn, ctx.flags, ctx.c, ctx.alpha, ctx.x_shape = spike_fn, flags, c, alpha, \
            x.shape
        return s, v, current, a, i

    @staticmethod
    def backward(ctx, g_s, g_v, g_current, g_a, g_i):
        from . import fused_kernels as k

        s, v, a, h, u, held, v0, a0 = ctx.saved_tensors
        with torch.enable_grad():   # the surrogate's derivative at every step of the chunk
            h_grad = h.detach().requires_grad_()
            slope, = torch.autograd.grad(ctx.spike_fn(h_grad), h_grad,
                                         torch.ones_like(h_grad))
        g_x = torch.empty(ctx.x_shape, dtype=h.dtype)
        g_param = np.zeros((5, ctx.x_shape[-1]))
        gv, ga = torch.zeros_like(v0), torch.zeros_like(a0)
        gi = g_i.clone(memory_format=torch.contiguous_format)
        _, backward = k.loop_kernels(ctx.flags)
        backward(*(_np(g) for g in (g_s, g_v, g_current, g_a, slope)), s.numpy(), v.numpy(),
                 a.numpy(), u.numpy(), held.numpy(), ctx.alpha, ctx.c, v0.numpy(), a0.numpy(),
                 g_x.numpy(), g_param, gv.numpy(), ga.numpy(), gi.numpy())
        need = ctx.needs_input_grad

        def grad(row, needed, total=True):
            if not needed:
                return None
            return torch.tensor(g_param[row].sum() if total else g_param[row], dtype=h.dtype)

        return (None, None, None, g_x if need[3] else None, gv if need[4] else None,
                ga if need[5] else None, gi if need[6] else None, grad(k.G_BETA, need[7]),
                grad(k.G_V_TH, need[8]), grad(k.G_BIAS, need[9], total=False),
                grad(k.G_RHO, need[10]), grad(k.G_BETA_ADAPT, need[11]))


def run(kernel, spike_fn, x: torch.Tensor, record=()) -> tuple:
    """(spikes (T, B, n), {var: (T, B, n)} for var in record ('v', 'i', 'a')) of kernel's
    population for the arrivals x (R, T, B, n): ChunkLoops of about CHUNK_ELEMENTS values,
    each starting from the state the previous one ended in."""
    p = kernel.p
    n_rec, steps, batch, n = x.shape
    adaptive = isinstance(kernel, ALIFKernel)

    def scalar(value):
        return value if torch.is_tensor(value) else torch.tensor(value, dtype=x.dtype)

    params = (scalar(p.beta()), p.v_th, p.bias, scalar(p.rho() if adaptive else 0.0),
              p.beta_adapt if adaptive else scalar(0.0))
    v = p.v_init.expand(batch, n)
    a = x.new_zeros((batch, n))
    i = x.new_zeros((n_rec, batch, n))
    ref = torch.zeros((batch, n), dtype=torch.int64)
    size = max(1, CHUNK_ELEMENTS // (batch * n))
    columns = {"spikes": 0, "v": 1, "i": 2, "a": 3}
    parts = {name: [] for name in ("spikes", *record)}
    for chunk in x.split(size, dim=1):  # one backward for all chunks, not a slice each
        part = ChunkLoop.apply(kernel, spike_fn, ref, chunk, v, a, i, *params)
        for name, chunks in parts.items():
            chunks.append(part[columns[name]])
        v, a, i = part[1][-1], part[3][-1], part[4]
    joined = {name: torch.cat(chunks) if len(chunks) > 1 else chunks[0]
              for name, chunks in parts.items()}
    spikes = joined.pop("spikes")
    return spikes, joined


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().contiguous().numpy()
