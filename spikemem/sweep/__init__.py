"""Sweeps: run an experiment over a grid and random draws of its parameters and over seeds,
in parallel (a local process pool or Ray), losing nothing, into one results store.

    from spikemem import sweep
    s = sweep.load("sweep_example")              # a TOML path or a shipped sweep's name
    store = sweep.run_sweep(s, "out/example", executor="local", workers=2)
    store["summary"]                             # pandas: mean and std over seeds

An experiment is `fn(out_dir, **params) -> metrics` kept in a module's EXPERIMENTS dict
(experiment.py); each trial runs in its own folder keyed by a fingerprint of its
configuration (trial.py); the runner skips finished trials, resumes interrupted ones and
retries those whose worker died (runner.py); tables.py and plots.py make the store.
Command line: `spikemem sweep CONFIG.toml`, `spikemem results DIR`.
"""
from .executors import EXECUTORS
from .experiment import Experiment, available, find, from_function
from .runner import run_sweep, run_trials
from .spec import Sweep, from_dict, load, read
from .trial import Trial

__all__ = ["EXECUTORS", "Experiment", "available", "find", "from_function", "run_sweep",
           "run_trials", "Sweep", "from_dict", "load", "read", "Trial"]
