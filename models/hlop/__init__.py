"""HLOP: Hebbian learning based orthogonal projection for continual learning of spiking
networks (Xiao et al., ICLR 2024; github pkuxmq/HLOP-SNN).

    from spikemem.models import hlop
    H = hlop.learn_subspace(X, k, target="numpy")      # (k, n), the spiking circuit
    method = hlop.HLOPMethod(dims_first=[...], dims_inc=[...])   # spikemem.continual

- circuit: the lateral subspace circuit as a spikemem Network with local
  Hebbian/anti-Hebbian plasticity rules (runs on any target that supports them).
- subspace / method: the same rule in matrix form inside torch training, with
  gradients projected out of the old tasks' subspaces (BPTT or online traces);
  CircuitHLOPMethod (`hlop_circuit`) learns each task's rows with the circuit instead.
- rate_form: the circuit's loop at steady state and one update per row, in float64
  (`learn_subspace_rate`, the same schedule, schedule.py): a schedule tried in seconds.
- angles: the circuit's principal angles against width, subspace size and eigen-gap.
- experiments: EXPERIMENTS, `spikemem experiment hlop-permuted | hlop-split |
  hlop-loihi-hebbian | hlop-circuit-angles | hlop-rate-form`.
"""
from __future__ import annotations

from .circuit import learn_subspace
from .experiments import (EXPERIMENTS, angles_experiment, hebbian_experiment,
                          permuted_experiment, rate_form_experiment, split_experiment)
from .method import CircuitHLOPMethod, HLOPMethod
from .rate_form import learn_subspace_rate
from .schedule import principal_angles

__all__ = ["learn_subspace", "learn_subspace_rate", "principal_angles", "HLOPMethod",
           "CircuitHLOPMethod", "EXPERIMENTS", "angles_experiment", "hebbian_experiment",
           "permuted_experiment", "rate_form_experiment", "split_experiment"]
