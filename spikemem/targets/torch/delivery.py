"""Spike delivery: W^T s for a block of spike vectors (docs/semantics.md, rule 1).

Two ways, one per engine mode:

* `EventTable` (simulation): synapses grouped by presynaptic index (CSR); the active
  presynaptic indices of a step are expanded to their synapses and added one by one with
  `index_add_`, in the same order as the numpy target (so float64 sums agree to the bit).
* `delayed_spike_product` (training): the arrivals of all steps at once, differentiable in
  the weights and the spikes. Spike matrices are mostly zeros, so a large, sparse one is
  summed through the indices of its ones (`embedding_bag` over the rows of W forward and
  over the rows of G for X^T @ G backward: O(spikes * n_post)); a delay shifts row indices.
"""
from __future__ import annotations

import numpy as np
import torch

#: spike matrices with at most this fraction of ones (and enough rows), into at least
#: SPARSE_MIN_COLUMNS postsynaptic neurons, use their indices (finding them costs about as
#: much as a dense product into a few dozen columns)
SPARSE_DENSITY = 0.15
SPARSE_MIN_ROWS = 256
SPARSE_MIN_COLUMNS = 64
#: the weight gradient sums rows of the output gradient in blocks of about this many bytes
#: (rows of a block are read many times: they should stay in cache)
GRADIENT_BLOCK_BYTES = 2**23


class EventTable:
    """Synapses sorted (stably) by presynaptic index: pre j owns entries start[j]:start[j+1].

    slot: the flat target index of each synapse (receptor * n + neuron, or whatever the
    caller's current layout is); weight: its weight.
    """

    def __init__(self, n_pre: int, pre: np.ndarray, slot: np.ndarray, weight: np.ndarray,
                 dtype, device):
        order = np.argsort(pre, kind="stable")
        start = np.zeros(n_pre + 1, dtype=np.int64)
        np.cumsum(np.bincount(pre, minlength=n_pre), out=start[1:])
        self.order = order
        self.start = torch.as_tensor(start, device=device)
        self.slot = torch.as_tensor(np.ascontiguousarray(slot[order]), dtype=torch.int64,
                                    device=device)
        self.weight = torch.as_tensor(np.ascontiguousarray(weight[order]), dtype=dtype,
                                      device=device)

    def expand(self, rows: torch.Tensor, pre: torch.Tensor):
        """For active (row, pre) pairs, sorted by row then pre: (row per synapse, positions)."""
        first = self.start[pre]
        count = self.start[pre + 1] - first
        ends = torch.cumsum(count, 0)
        total = int(ends[-1])
        k = torch.arange(total, device=pre.device)
        owner = torch.searchsorted(ends, k, right=True)  # the active pair each synapse is of
        return rows[owner], k - (ends - count - first)[owner]

    def add_into(self, out: torch.Tensor, spikes: torch.Tensor, weight=None):
        """out (rows, C) += contributions of spikes (rows, n_pre): bool, or numbers (graded
        events: each adds payload * w); weight: per-row weights (rows, n_synapses) in table
        order for plastic projections, else the table's."""
        rows, pre = torch.nonzero(spikes, as_tuple=True)
        if pre.numel() == 0:
            return
        r, pos = self.expand(rows, pre)
        if pos.numel() == 0:
            return
        width = out.shape[1]
        vals = self.weight[pos] if weight is None else weight[r, pos]
        if spikes.dtype != torch.bool:
            vals = vals * torch.repeat_interleave(spikes[rows, pre].to(vals.dtype),
                                                  self.start[pre + 1] - self.start[pre])
        out.view(-1).index_add_(0, r * width + self.slot[pos], vals)


def _bag_sum(indices: torch.Tensor, bags: torch.Tensor, table: torch.Tensor,
             n_bags: int) -> torch.Tensor:
    """out[k] = sum of table[indices[e]] over the entries e of bag k (bags sorted)."""
    offsets = torch.zeros(n_bags, dtype=torch.int64, device=bags.device)
    torch.cumsum(torch.bincount(bags, minlength=n_bags)[:-1], 0, out=offsets[1:])
    return torch.nn.functional.embedding_bag(indices, table, offsets, mode="sum")


class _ShiftedSparseProduct(torch.autograd.Function):
    """out[r] = sum_j x[r - shift, j] w[j] for a 0/1 matrix x given with the indices (rows,
    cols) of its ones, rows already shifted. Forward and the weight gradient are sums of
    table rows (embedding_bag): out = bags of w rows, dW = X_shifted^T G = bags of G rows;
    dX = G[shift:] W^T."""

    @staticmethod
    def forward(ctx, x, w, rows, cols, shift: int):
        ctx.save_for_backward(x, w)
        ctx.shift = shift
        return _bag_sum(cols, rows, w.detach(), x.shape[0])

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        shift, m = ctx.shift, x.shape[0]
        gx = gw = None
        if ctx.needs_input_grad[0]:
            g = grad[shift:]
            gx = torch.cat([g, grad.new_zeros((shift, grad.shape[1]))]) @ w.t()
        if ctx.needs_input_grad[1]:
            gw = _spike_gradient(x.detach()[:m - shift], grad[shift:].contiguous(), w.shape[0])
        return gx, gw, None, None, None


class _DenseProduct(torch.autograd.Function):
    """x @ w, with the weight gradient computed as (G^T X)^T: both operands read row by row
    (autograd's X^T G runs several times slower on a tall x)."""

    @staticmethod
    def forward(ctx, x, w):
        ctx.save_for_backward(x, w)
        return x @ w

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        gx = grad @ w.t() if ctx.needs_input_grad[0] else None
        gw = (grad.t() @ x).t() if ctx.needs_input_grad[1] else None
        return gx, gw


def _spike_gradient(x: torch.Tensor, grad: torch.Tensor, n_pre: int) -> torch.Tensor:
    """X^T G for a 0/1 matrix x (rows, n_pre) and grad (rows, n_post): per block of rows,
    the sums of the grad rows at each column's ones (bags of rows that stay in cache)."""
    out = grad.new_zeros((n_pre, grad.shape[1]))
    size = max(1, GRADIENT_BLOCK_BYTES // max(1, grad.shape[1] * grad.element_size()))
    for start in range(0, x.shape[0], size):
        ones = x[start:start + size]
        ones = (ones if ones.dtype == torch.bool else ones != 0).t().contiguous()
        cols_t, rows_t = torch.nonzero(ones, as_tuple=True)  # sorted by column
        out += _bag_sum(rows_t, cols_t, grad[start:start + size], n_pre)
    return out


def delayed_spike_product(x: torch.Tensor, w: torch.Tensor, shift: int = 0,
                          valued: bool = False) -> torch.Tensor:
    """out (rows, n_post) with out[r] = x[r - shift] @ w (zero for r < shift).

    x: (rows, n_pre) spikes, bool or exactly 0./1. (rows = steps * batch, so a delay of d
    steps is a shift of d * batch rows), or with valued=True any numbers (graded payloads,
    currents: always the dense product). A sparse spike matrix is used through the indices
    of its ones: the shift is a change of row indices and the cost follows the number of
    spikes, forward and backward (unless it drives only a few postsynaptic neurons).
    """
    m = x.shape[0]
    shift = min(shift, m)
    if not valued and m >= SPARSE_MIN_ROWS and w.shape[1] >= SPARSE_MIN_COLUMNS \
            and x.device.type == "cpu":
        rows, cols = torch.nonzero(x.detach()[:m - shift], as_tuple=True)
        if rows.numel() <= SPARSE_DENSITY * x.numel():
            return _ShiftedSparseProduct.apply(x, w, rows + shift, cols, shift)
    out = _DenseProduct.apply(x[:m - shift].to(w.dtype), w)
    if shift == 0:
        return out
    return torch.cat([out.new_zeros((shift, w.shape[1])), out])
