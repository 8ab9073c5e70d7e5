"""Continual learning of spiking networks: task sequences, the accuracy matrix and its
metrics (ACC, BWT, FWT), a method plug-in interface with baselines (fine-tuning, EWC,
multitask), checkpointed and resumable runs, JSON results and plots.

    from spikemem.continual import run, load_config
    metrics = run(load_config("experiments/permuted_digits.toml"), seeds=3, out="out")

Each method x seed is a trial of spikemem.sweep: run(..., executor="local", workers=4) runs
them in a process pool, executor="ray" on a Ray cluster (default: one after the other here).
"""
from .config import load_config, resolve
from .data import Task, make_tasks
from .methods import EWC, METHODS, FineTune, Method, Multitask, TrainConfig, build_method, fit
from .metrics import acc, accuracy, bwt, fwt, summarize
from .runner import run, run_one

__all__ = ["load_config", "resolve", "Task", "make_tasks", "EWC", "METHODS", "FineTune",
           "Method", "Multitask", "TrainConfig", "build_method", "fit", "acc", "accuracy",
           "bwt", "fwt", "summarize", "run", "run_one"]
