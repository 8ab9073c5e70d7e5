"""Convolution and pooling layers of a NIR graph as sparse (n_in, n_out) matrices."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..errors import ModelError


def as_tuple(x, nd: int) -> tuple:
    """An int or nd ints as a tuple of nd ints."""
    a = np.asarray(x, dtype=np.int64).ravel()
    if a.size == 1:
        return (int(a[0]),) * nd
    if a.size != nd:
        raise ModelError(f"expected {nd} values, got {a.tolist()}")
    return tuple(int(v) for v in a)


def window_matrix(weight: np.ndarray, in_shape: tuple, stride, padding, dilation, groups):
    """A convolution as a sparse (n_in, n_out) matrix (channel-first, C-order flattening).

    weight (C_out, C_in / groups, *kernel); in_shape (C_in, *spatial). Returns (A, out_shape).
    """
    nd = weight.ndim - 2
    c_out, c_in_g = weight.shape[:2]
    kernel = weight.shape[2:]
    c_in, spatial = in_shape[0], tuple(in_shape[1:])
    if len(spatial) != nd or c_in != c_in_g * groups or c_out % groups:
        raise ModelError(f"input shape {in_shape} does not fit weights {weight.shape} with "
                         f"groups={groups}")
    stride, dilation = as_tuple(stride, nd), as_tuple(dilation, nd)
    same = False
    if isinstance(padding, (str, bytes)):
        padding = padding.decode("utf8") if isinstance(padding, bytes) else padding
        if padding == "valid":
            pad = (0,) * nd
        elif padding == "same":
            same = True
            pad = tuple(dilation[i] * (kernel[i] - 1) // 2 for i in range(nd))
        else:
            raise ModelError(f"padding {padding!r} is unknown: use 'same', 'valid' or ints")
    else:
        pad = as_tuple(padding, nd)
    if same:
        out_sp = spatial
    else:
        out_sp = tuple((spatial[i] + 2 * pad[i] - dilation[i] * (kernel[i] - 1) - 1)
                       // stride[i] + 1 for i in range(nd))
    if min(out_sp) < 1:
        raise ModelError(f"the kernel {kernel} does not fit the input {spatial}")
    in_flat = np.arange(int(np.prod(in_shape))).reshape(in_shape)
    out_flat = np.arange(c_out * int(np.prod(out_sp))).reshape((c_out,) + out_sp)
    grids = np.meshgrid(*[np.arange(o) for o in out_sp], indexing="ij")
    rows, cols, vals = [], [], []
    per_group = c_out // groups
    for co in range(c_out):
        g = co // per_group
        for cl in range(c_in_g):
            ci = g * c_in_g + cl
            for k in np.ndindex(*kernel):
                w = weight[(co, cl) + k]
                if w == 0:
                    continue
                pos = [grids[i] * stride[i] - pad[i] + k[i] * dilation[i] for i in range(nd)]
                ok = np.ones(out_sp, dtype=bool)
                for i in range(nd):
                    ok &= (pos[i] >= 0) & (pos[i] < spatial[i])
                rows.append(in_flat[(ci,) + tuple(p[ok] for p in pos)])
                cols.append(out_flat[co][ok])
                vals.append(np.full(int(ok.sum()), w))
    n_in, n_out = in_flat.size, out_flat.size
    if not rows:
        return sp.csr_array((n_in, n_out)), (c_out,) + out_sp
    a = sp.coo_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                     shape=(n_in, n_out))
    return a.tocsr(), (c_out,) + out_sp
