"""Experiments for the sweep tests (importable as `sweep_fixtures:NAME`; the tests put this
folder on PYTHONPATH for subprocesses and Ray workers)."""
import json
import os
import signal
import time
from pathlib import Path

import numpy as np

from spikemem.files import write_json


def counting(out_dir: Path, *, a: float, b: float = 1.0, seed: int = 0, steps: int = 3,
             step_s: float = 0.0) -> dict:
    """Draws from N(a, b) seeded per (seed, step), summed over `steps` steps of `step_s`
    seconds each; checkpoints after every step (state.json) and resumes from it. Appends
    each step it computes to steps.log."""
    path = out_dir / "state.json"
    state = json.loads(path.read_text()) if path.exists() else {"done": 0, "total": 0.0}
    for k in range(state["done"], steps):
        time.sleep(step_s)
        state["total"] += float(np.random.default_rng([seed, k]).normal(a, b))
        state["done"] = k + 1
        write_json(path, state)
        with open(out_dir / "steps.log", "a") as f:
            f.write(f"{k}\n")
    return {"mean": state["total"] / steps, "product": a * b, "positive": state["total"] > 0,
            "nested": {"a_plus_seed": a + seed}, "series": [a, b], "note": "text"}


def failing(out_dir: Path, *, a: float, seed: int = 0) -> dict:
    """Fails for a < 0."""
    if a < 0:
        raise ValueError(f"a = {a} must be >= 0")
    return {"double": 2 * a, "a": a}


def dying(out_dir: Path, *, times: int = 1, seed: int = 0) -> dict:
    """Kills its own process on its first `times` runs (a worker that dies mid-trial)."""
    runs = len(list(out_dir.glob("run-*"))) + 1
    (out_dir / f"run-{runs}").touch()
    if runs <= times:
        os.kill(os.getpid(), signal.SIGKILL)
    return {"value": 10 * seed + 1, "runs": runs}


def unseeded(out_dir: Path, target: str, quick: bool) -> dict:
    """The `spikemem experiment` convention: no seed."""
    return {"quick": quick, "length": len(target)}


def anything(out_dir: Path, *, seed: int = 0, **params) -> dict:
    """Takes any parameter."""
    return {"given": len(params), "seed": seed}


EXPERIMENTS = {"counting": counting, "failing": failing, "dying": dying, "unseeded": unseeded,
               "anything": anything}
