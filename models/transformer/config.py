"""The configuration of a spike-driven transformer: sizes, timing and neuron parameters.

Sizes count neurons per token: the input has `d_in` features per token, the residual stream
`channels`. Times are in ms (`dt`, `tau_mem`); `frames` is the number of input steps a
sample is shown for. Every invalid field raises ModelError naming it and the fix.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from spikemem.errors import ModelError

#: attention kinds the builder writes (spikemem.models.transformer.attention.ATTENTION)
ATTENTION_KINDS = ("sdsa", "ssa", "none")

RESETS = ("zero", "subtract")
_COUNTS = ("n_tokens", "d_in", "channels", "n_classes", "n_answers", "heads", "depth",
           "mlp_ratio", "frames")


@dataclass(frozen=True)
class TransformerConfig:
    """A spike-driven transformer.

    n_tokens (N), d_in (input features per token), channels (D, stream width per token),
    n_classes (out neurons per answer), n_answers (answer groups: `out` has
    n_answers * n_classes neurons), heads (SSA's heads; SDSA is channel-wise, heads do not
    change it), depth (blocks), mlp_ratio (hidden width = mlp_ratio * D), frames (input
    steps per sample), attention ('sdsa', 'ssa' or 'none': the ablation without
    attention). Neurons: tau_mem (ms) of the stream, Q/K/V, MLP and out neurons (LIF,
    tau_syn = 0), v_th their threshold, reset theirs ('zero': NIR and snnTorch's Leaky
    express it exactly; or 'subtract'); mask_threshold the SDSA mask neuron's threshold on
    its count of Q AND K coincidences (0.5: at least one); ssa_scale Spikformer's s; dt (ms)
    the time step.
    """

    n_tokens: int
    d_in: int
    channels: int = 32
    n_classes: int = 10
    n_answers: int = 1
    heads: int = 1
    depth: int = 1
    mlp_ratio: int = 2
    frames: int = 8
    attention: str = "sdsa"
    tau_mem: float = 10.0
    v_th: float = 1.0
    reset: str = "zero"
    mask_threshold: float = 0.5
    ssa_scale: float = 0.125
    dt: float = 1.0

    def __post_init__(self):
        for name in _COUNTS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ModelError(f"TransformerConfig: {name}={value!r} must be an int >= 1")
        if self.attention not in ATTENTION_KINDS:
            raise ModelError(f"TransformerConfig: attention={self.attention!r} is unknown; "
                             f"use one of {ATTENTION_KINDS}")
        if self.reset not in RESETS:
            raise ModelError(f"TransformerConfig: reset={self.reset!r} is unknown; use one "
                             f"of {RESETS}")
        if self.channels % self.heads:
            raise ModelError(f"TransformerConfig: channels={self.channels} must be a multiple "
                             f"of heads={self.heads}")
        for name in ("tau_mem", "v_th", "mask_threshold", "ssa_scale", "dt"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
                raise ModelError(f"TransformerConfig: {name}={value!r} must be a finite "
                                 "number > 0")

    @property
    def n_inputs(self) -> int:
        """Neurons of the input source `in`: n_tokens * d_in (token-major)."""
        return self.n_tokens * self.d_in

    @property
    def n_out(self) -> int:
        """Neurons of `out`: n_answers * n_classes (answer-major)."""
        return self.n_answers * self.n_classes

    @property
    def hidden(self) -> int:
        """MLP hidden channels per token."""
        return self.mlp_ratio * self.channels
