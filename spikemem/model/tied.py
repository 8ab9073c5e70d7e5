"""Tied weights: projections whose synapses share one small parameter tensor.

A structure (TokenLinear, Conv1d, Conv2d, SumPool2d, AvgPool2d) is a frozen dataclass of its
geometry and its parameter tensor `weight`. It connects a flattened pre layer to a flattened
post layer, `shape = (n_pre, n_post)`, and expands to synapses `(pre, post, param_index)` in
CSR order (by pre, then post), each of weight `parameters.ravel()[param_index]`. That one
expansion is what every consumer uses: targets run it (Projection.weights is its CSR form),
training gathers the parameters with param_index (one gradient per shared weight), model
files store the geometry and the parameters only. A synapse exists whatever its weight's
value (a zero weight stays a synapse that training or set_weights may change).

Layouts follow NIR, PyTorch and snnTorch: channel-first C-order flattening (index of
(c, y, x) = (c * H + y) * W + x); tokens token-major (index = token * d + feature).
Pools have one parameter, the weight of every synapse (SumPool2d: 1, AvgPool2d: 1/(kh * kw)
by default), a trainable scalar that also carries an input gain.
"""
from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
import difflib
import math
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar

import numpy as np
import scipy.sparse as sp

from ..errors import ModelError
from . import serial
from .validate import finite_float

#: kind -> structure class (filled as structures are defined)
TIED: dict[str, type] = {}


def as_tuple(value, nd: int, what: str, minimum: int = 0) -> tuple[int, ...]:
    """An int or nd ints (>= minimum) as a tuple of nd ints."""
    try:
        a = np.asarray(value, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        a = np.zeros(0)
    if a.size == 1:
        a = np.repeat(a, nd)
    if a.size != nd or not all(v.is_integer() and v >= minimum for v in a.tolist()):
        raise ModelError(f"{what}={value!r} must be an int >= {minimum} or {nd} such ints")
    return tuple(int(v) for v in a)


def _count(value, what: str) -> int:
    """An int >= 1 (n_tokens, groups)."""
    if isinstance(value, (bool, np.bool_)):
        raise ModelError(f"{what}={value!r} must be an int >= 1")
    return as_tuple(value, 1, what, 1)[0]


def _read_only(values, what: str, ndim: int | None = None) -> np.ndarray:
    if np.iscomplexobj(values):
        raise ModelError(f"{what} holds complex numbers: give real weights")
    try:
        a = np.array(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ModelError(f"{what} must be a numeric array, got {type(values).__name__}") from None
    if ndim is not None and a.ndim != ndim:
        raise ModelError(f"{what} has shape {a.shape}; it must have {ndim} dimensions")
    if not np.all(np.isfinite(a)):
        raise ModelError(f"{what} contains NaN or inf: replace them with finite values")
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False, repr=False)
class TiedWeights(ABC):
    """Base of the structures (see the module docstring). Subclasses set `kind`, declare a
    field `weight` (the parameters) and implement `shape` and `_synapses()`."""

    kind: ClassVar[str] = ""

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if cls.__dict__.get("kind"):
            TIED[cls.kind] = cls

    @property
    @abstractmethod
    def shape(self) -> tuple[int, int]:
        """(n_pre, n_post)."""

    @property
    def parameters(self) -> np.ndarray:
        """The shared parameter tensor (read-only; for a pool a 0-d array of its weight)."""
        return np.asarray(self.weight)

    @property
    def n_parameters(self) -> int:
        return int(self.parameters.size)

    def expand(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(pre, post, param_index) int64 arrays, one entry per synapse, in CSR order."""
        return self._expansion

    @cached_property
    def _expansion(self):
        arrays = tuple(np.ascontiguousarray(a, dtype=np.int64) for a in self._synapses())
        for a in arrays:
            a.flags.writeable = False
        return arrays

    @abstractmethod
    def _synapses(self):
        """(pre, post, parameter index) of every synapse, int arrays (n_synapses,)."""

    def csr(self) -> sp.csr_array:
        """The expanded (n_pre, n_post) weights; its data are in expand() order."""
        pre, post, index = self.expand()
        indptr = np.concatenate([[0], np.cumsum(np.bincount(pre, minlength=self.shape[0]))])
        return sp.csr_array((self.parameters.ravel()[index], post.copy(), indptr),
                            shape=self.shape)

    def with_parameters(self, values) -> "TiedWeights":
        """The same structure with new parameters: an array of parameters.shape, or expanded
        weights (dense (n_pre, n_post) or sparse) that are still tied."""
        if not sp.issparse(values):
            values = np.asarray(values, dtype=np.float64)
        if sp.issparse(values) or values.shape != self.parameters.shape:
            values = self._retie(values)
        new = dataclasses.replace(self, weight=values)
        if "_expansion" in self.__dict__:  # same geometry: share the expansion
            new.__dict__["_expansion"] = self._expansion
        return new

    def _retie(self, weights) -> np.ndarray:
        """The parameters of expanded (n_pre, n_post) weights; ModelError if not tied."""
        if weights.shape != self.shape:
            raise ModelError(f"sm.{self.kind}: new weights have shape {weights.shape}; give the "
                             f"parameters {self.parameters.shape} (or the expanded "
                             f"(n_pre, n_post) = {self.shape} weights)")
        pre, post, index = self.expand()
        values = np.asarray(weights[pre, post], dtype=np.float64).ravel()
        params = self.parameters.ravel().copy()
        params[index] = values
        if not np.array_equal(params[index], values):
            raise ModelError(f"sm.{self.kind}: the new weights differ between synapses that "
                             f"share a parameter; give the {self.parameters.shape} parameters")
        return params.reshape(self.parameters.shape)

    def __repr__(self):
        def show(name):
            value = getattr(self, name)
            return f"<array {value.shape}>" if isinstance(value, np.ndarray) else repr(value)
        fields = ", ".join(f"{f.name}={show(f.name)}" for f in dataclasses.fields(self))
        return f"{self.kind}({fields})"

    def to_dict(self) -> dict:
        """The geometry as a JSON-safe table (the parameters are stored as an array)."""
        return {"type": self.kind,
                **{f.name: serial.encode(getattr(self, f.name))
                   for f in dataclasses.fields(self) if f.name != "weight"}}

    @staticmethod
    def from_dict(d, parameters) -> "TiedWeights":
        """The structure a to_dict() table and its parameter array describe."""
        if not isinstance(d, dict) or d.get("type") not in TIED:
            kind = d.get("type") if isinstance(d, dict) else d
            near = difflib.get_close_matches(str(kind), list(TIED), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ModelError(f"tied-weight structure {kind!r} is unknown{hint}: known types "
                             f"are {sorted(TIED)}")
        fields = {k: v for k, v in d.items() if k != "type"}
        return serial.from_dict(TIED[d["type"]], {**fields, "weight": parameters},
                                f"sm.{d['type']}")


@dataclass(frozen=True, eq=False, repr=False)
class TokenLinear(TiedWeights):
    """The same linear map applied to each of `n_tokens` tokens (a transformer's per-token
    projection). weight (d_in, d_out); pre (n_tokens * d_in), post (n_tokens * d_out), both
    token-major: synapse (t * d_in + i) -> (t * d_out + j) has weight[i, j]."""

    kind = "TokenLinear"
    n_tokens: int
    weight: np.ndarray

    def __post_init__(self):
        object.__setattr__(self, "n_tokens", _count(self.n_tokens, "sm.TokenLinear n_tokens"))
        object.__setattr__(self, "weight", _read_only(self.weight,
                                                      "sm.TokenLinear weight (d_in, d_out)", 2))

    @property
    def shape(self) -> tuple[int, int]:
        d_in, d_out = self.weight.shape
        return self.n_tokens * d_in, self.n_tokens * d_out

    def _synapses(self):
        d_in, d_out = self.weight.shape
        t, i, j = np.meshgrid(np.arange(self.n_tokens), np.arange(d_in), np.arange(d_out),
                              indexing="ij")
        return (t * d_in + i).ravel(), (t * d_out + j).ravel(), (i * d_out + j).ravel()


@dataclass(frozen=True, eq=False, repr=False)
class Window(TiedWeights):
    """A sliding window over a channel-first input (abstract): the geometry shared by
    convolutions and pools. Subclasses have a field in_shape and give the rest in _args()."""

    nd: ClassVar[int] = 2

    @abstractmethod
    def _args(self):
        """(kernel, c_out, c_in per group, groups, stride, padding, dilation)."""

    @property
    def out_shape(self) -> tuple[int, ...]:
        """(channels, *spatial) of the output."""
        kernel, c_out, _, _, stride, padding, dilation = self._args()
        return (c_out,) + self._out_spatial(kernel, stride, padding, dilation)

    @property
    def shape(self) -> tuple[int, int]:
        return math.prod(self.in_shape), math.prod(self.out_shape)

    def _check_in_shape(self):
        """Normalise in_shape to a tuple of nd + 1 ints >= 1."""
        try:
            shape = np.asarray(self.in_shape, dtype=np.float64).ravel()
        except (TypeError, ValueError):
            shape = np.zeros(0)
        if shape.size != self.nd + 1 or not all(v.is_integer() and v >= 1 for v in shape.tolist()):
            dims = "H, W" if self.nd == 2 else "L"
            raise ModelError(f"sm.{self.kind}: in_shape={self.in_shape!r} must be {self.nd + 1} "
                             f"ints >= 1: (channels, {dims})")
        object.__setattr__(self, "in_shape", tuple(int(v) for v in shape))

    def _check_geometry(self, kernel, c_out, c_in_group, groups, stride, padding, dilation):
        """(stride, padding, dilation) normalised to tuples ('same' kept), checked to fit."""
        what = f"sm.{self.kind}"
        nd = self.nd
        if self.in_shape[0] != c_in_group * groups or c_out % groups:
            raise ModelError(f"{what}: {self.in_shape[0]} input channels (in_shape[0]) and "
                             f"{c_out} output channels must both be multiples of groups="
                             f"{groups}, and the weight's dimension 1 must be in_channels / "
                             f"groups = {self.in_shape[0] / groups:g}")
        stride = as_tuple(stride, nd, f"{what} stride", 1)
        dilation = as_tuple(dilation, nd, f"{what} dilation", 1)
        if isinstance(padding, bytes):
            padding = padding.decode("utf8")
        if isinstance(padding, str):
            if padding == "valid":
                padding = (0,) * nd
            elif padding != "same":
                raise ModelError(f"{what}: padding={padding!r} is unknown: use 'same', "
                                 "'valid' or ints")
            elif stride != (1,) * nd:
                raise ModelError(f"{what}: padding='same' needs stride 1 (as in PyTorch); "
                                 "give the padding as ints")
        else:
            padding = as_tuple(padding, nd, f"{what} padding")
        if min(self._out_spatial(kernel, stride, padding, dilation)) < 1:
            raise ModelError(f"{what}: the kernel {tuple(kernel)} (dilation {dilation}) does "
                             f"not fit the input {self.in_shape[1:]} padded by {padding}")
        return stride, padding, dilation

    def _out_spatial(self, kernel, stride, padding, dilation) -> tuple[int, ...]:
        spatial = self.in_shape[1:]
        if padding == "same":
            return tuple(spatial)
        return tuple((spatial[i] + 2 * padding[i] - dilation[i] * (kernel[i] - 1) - 1)
                     // stride[i] + 1 for i in range(self.nd))

    def _window(self):
        """(pre, post, tap) of the grouped convolution of _args(); tap indexes a
        (c_out, c_in per group, *kernel) tensor in C order."""
        kernel, c_out, c_in_group, groups, stride, padding, dilation = self._args()
        nd = self.nd
        spatial = self.in_shape[1:]
        out_sp = self.out_shape[1:]
        if padding == "same":  # PyTorch's: any odd extra padding goes after
            padding = tuple(dilation[i] * (kernel[i] - 1) // 2 for i in range(nd))
        k_pos = np.indices(kernel).reshape(nd, -1)  # (nd, K)
        o_pos = np.indices(out_sp).reshape(nd, -1)  # (nd, O)
        inside = np.ones((k_pos.shape[1], o_pos.shape[1]), dtype=bool)
        flat = np.zeros(inside.shape, dtype=np.int64)
        for i in range(nd):
            pos = o_pos[i][None, :] * stride[i] - padding[i] + k_pos[i][:, None] * dilation[i]
            inside &= (pos >= 0) & (pos < spatial[i])
            flat = flat * spatial[i] + pos
        k_sel, o_sel = np.nonzero(inside)  # every (tap, output position) inside the input
        co = np.arange(c_out)[:, None, None]
        cl = np.arange(c_in_group)[None, :, None]
        ci = (co // (c_out // groups)) * c_in_group + cl
        pre, post, tap = np.broadcast_arrays(
            ci * math.prod(spatial) + flat[k_sel, o_sel],
            co * math.prod(out_sp) + o_sel,
            (co * c_in_group + cl) * math.prod(kernel) + k_sel)
        pre, post, tap = pre.ravel(), post.ravel(), tap.ravel()
        order = np.lexsort((post, pre))
        return pre[order], post[order], tap[order]


@dataclass(frozen=True, eq=False, repr=False)
class Conv(Window):
    """A convolution (PyTorch's Conv1d/Conv2d without bias; abstract: see Conv1d, Conv2d).

    in_shape: (C_in, H, W) (Conv2d) or (C_in, L) (Conv1d). weight: (C_out, C_in / groups,
    *kernel). stride, dilation: int >= 1 or one per dimension; padding: int >= 0 per
    dimension (zeros around the input), 'valid' (0) or 'same' (output as large as the input;
    stride 1). Output (C_out, *out) with out = (in + 2 pad - dilation (k - 1) - 1) // stride
    + 1; synapse (ci, in position) -> (co, out position) has weight[co, ci % (C_in /
    groups), k] where in position = out * stride - pad + k * dilation.
    """

    in_shape: tuple
    weight: np.ndarray
    stride: object = 1
    padding: object = 0
    dilation: object = 1
    groups: int = 1

    def __post_init__(self):
        what = f"sm.{self.kind}"
        weight = _read_only(self.weight, f"{what} weight (C_out, C_in / groups, *kernel)",
                            self.nd + 2)
        if 0 in weight.shape:
            raise ModelError(f"{what} weight has shape {weight.shape}: no dimension may be 0")
        object.__setattr__(self, "weight", weight)
        object.__setattr__(self, "groups", _count(self.groups, f"{what} groups"))
        self._check_in_shape()
        stride, padding, dilation = self._check_geometry(*self._args())
        for key, value in (("stride", stride), ("padding", padding), ("dilation", dilation)):
            object.__setattr__(self, key, value)

    def _args(self):
        w = self.weight
        return (w.shape[2:], w.shape[0], w.shape[1], self.groups, self.stride, self.padding,
                self.dilation)

    def _synapses(self):
        return self._window()


@dataclass(frozen=True, eq=False, repr=False)
class Conv1d(Conv):
    """A 1-d convolution: in_shape (C_in, L), weight (C_out, C_in / groups, k) (see Conv)."""

    kind = "Conv1d"
    nd = 1


@dataclass(frozen=True, eq=False, repr=False)
class Conv2d(Conv):
    """A 2-d convolution: in_shape (C_in, H, W), weight (C_out, C_in / groups, kh, kw)
    (see Conv)."""

    kind = "Conv2d"
    nd = 2


@dataclass(frozen=True, eq=False, repr=False)
class Pool2d(Window):
    """2-d pooling over each channel of in_shape (C, H, W) (abstract: see SumPool2d,
    AvgPool2d). kernel_size, stride (default: kernel_size), padding (>= 0): an int or
    (h, w). Output (C, H', W') as a convolution's; every synapse has weight `weight`, the
    pool's one parameter."""

    in_shape: tuple
    kernel_size: object
    stride: object = None
    padding: object = 0
    weight: float | None = None

    def __post_init__(self):
        what = f"sm.{self.kind}"
        kernel = as_tuple(self.kernel_size, 2, f"{what} kernel_size", 1)
        object.__setattr__(self, "kernel_size", kernel)
        if self.stride is None:
            object.__setattr__(self, "stride", kernel)
        self._check_in_shape()
        stride, padding, _ = self._check_geometry(*self._args())
        object.__setattr__(self, "stride", stride)
        object.__setattr__(self, "padding", padding)
        weight = self.default_weight() if self.weight is None else self.weight
        if isinstance(weight, np.ndarray) and weight.size == 1:
            weight = weight.item()
        object.__setattr__(self, "weight", finite_float(weight, f"{what} weight"))

    @abstractmethod
    def default_weight(self) -> float:
        """The pool's weight when none is given."""

    def _args(self):
        c = self.in_shape[0]
        return self.kernel_size, c, 1, c, self.stride, self.padding, (1, 1)

    def _synapses(self):
        pre, post, _ = self._window()
        return pre, post, np.zeros_like(pre)


@dataclass(frozen=True, eq=False, repr=False)
class SumPool2d(Pool2d):
    """Sum pooling: every synapse has weight `weight`, default 1 (see Pool2d)."""

    kind = "SumPool2d"

    def default_weight(self) -> float:
        return 1.0


@dataclass(frozen=True, eq=False, repr=False)
class AvgPool2d(Pool2d):
    """Average pooling: every synapse has weight `weight`, default 1 / (kh * kw) (padding
    counts, as PyTorch's count_include_pad=True) (see Pool2d)."""

    kind = "AvgPool2d"

    def default_weight(self) -> float:
        return 1.0 / (self.kernel_size[0] * self.kernel_size[1])
