"""Liquid state machines for event data, defined once, run on every spikemem target.

    from spikemem.models import lsm
    x_tr, y_tr, x_te, y_te = lsm.event_digits()        # bool (samples, steps, channels)
    res = lsm.Reservoir(n_inputs=x_tr.shape[2], n=200, seed=0)
    f_tr = res.features(x_tr, target="numpy")           # (samples, features), batched
    readout = lsm.fit_ridge(f_tr, y_tr)
    readout.accuracy(res.features(x_te), y_te)
    res.network                                         # the plain spikemem Network

Anchors: Maass, Natschlaeger & Markram 2002 (the LSM) and Lin et al. 2025 (arXiv
2307.00771: a fixed random 200-neuron reservoir as event encoder, trainable projections,
contrastive zero-shot retrieval). Documentation: docs/models/lsm.md.
"""
from __future__ import annotations

from .contrastive import (ContrastiveHead, prototype_accuracy, retrieval_accuracy,
                          train_contrastive)
from .data import EVENT_DIGITS, event_digits, load_spoken_digits, spoken_digits
from .encoders import cochlea_events, cochlea_levels, erb_space, saccade_events, saccade_path
from .experiments import EXPERIMENTS
from .readers import (EVENT_DTYPE, NMNIST_SENSOR, events_to_raster, read_nmnist,
                      read_tonic)
from .readout import (LinearReadout, bin_counts, exp_traces, fit_logistic, fit_ridge,
                      state_features)
from .reservoir import MAASS_C, Reservoir, draw_weights, grid_positions

__all__ = ["ContrastiveHead", "prototype_accuracy", "retrieval_accuracy", "train_contrastive",
           "EVENT_DIGITS", "event_digits", "load_spoken_digits", "spoken_digits",
           "cochlea_events", "cochlea_levels", "erb_space", "saccade_events", "saccade_path",
           "EXPERIMENTS", "EVENT_DTYPE", "NMNIST_SENSOR", "events_to_raster", "read_nmnist",
           "read_tonic", "LinearReadout", "bin_counts", "exp_traces", "fit_logistic",
           "fit_ridge", "state_features", "MAASS_C", "Reservoir", "draw_weights",
           "grid_positions"]
