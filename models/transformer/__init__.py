"""Spiking transformers (spike-driven self-attention), defined once, trained with
sm.torch.module, run on every spikemem target. Documentation: docs/models/transformer.md."""
from .builder import Transformer, build
from .config import TransformerConfig
from .experiments import EXPERIMENTS

__all__ = ["Transformer", "TransformerConfig", "build", "EXPERIMENTS"]
