"""HLOP: Hebbian learning based orthogonal projection for continual learning of spiking
networks (Xiao et al., ICLR 2024; github pkuxmq/HLOP-SNN).

    from spikemem.models import hlop
    H = hlop.learn_subspace(X, k, target="numpy")      # (k, n), the spiking circuit
    method = hlop.HLOPMethod(dims_first=[...], dims_inc=[...])   # spikemem.continual

- circuit: the lateral subspace circuit as a spikemem Network with local
  Hebbian/anti-Hebbian plasticity rules (runs on any target that supports them).
- subspace / method: the same rule in matrix form inside torch training, with
  gradients projected out of the old tasks' subspaces (BPTT or online traces).
- experiments: EXPERIMENTS, `spikemem experiment hlop-permuted | hlop-split |
  hlop-loihi-hebbian`.
"""
from __future__ import annotations

from .circuit import learn_subspace, principal_angles
from .experiments import EXPERIMENTS, hebbian_experiment, permuted_experiment, split_experiment
from .method import HLOPMethod

__all__ = ["learn_subspace", "principal_angles", "HLOPMethod", "EXPERIMENTS",
           "hebbian_experiment", "permuted_experiment", "split_experiment"]
