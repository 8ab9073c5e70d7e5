"""A sweep: one experiment over a grid and random draws of its parameters, times seeds.

TOML (every table optional but `experiment`):

    experiment = "lsm-reservoir"     # a name (`spikemem sweep --experiments`) or "pkg.mod:NAME"
    description = "..."
    seeds = 2                        # seeds 0, 1; or a list [0, 7]
    metrics = ["accuracy"]           # the summary's and plots' metrics (default: every number)
    [fixed]                          # parameters every trial gets
    quick = true
    [grid]                           # every combination of these values
    n = [50, 200]
    connectivity = ["grid", "random"]
    [random]                         # `samples` draws (generator seeded by `seed`) of these
    samples = 4
    seed = 0
    lam = { log_uniform = [0.5, 8.0] }   # also uniform = [lo, hi], int = [lo, hi], choice = [...]

The trials are every grid point x every random draw x every seed; `sweep.json` in the
output folder records the sweep and its trials (what `spikemem results` reads).
"""
from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..errors import ModelError
from ..files import write_json
from .experiment import find
from .trial import Trial

KEYS = ("experiment", "description", "seeds", "metrics", "fixed", "grid", "random")
DISTRIBUTIONS = ("uniform", "log_uniform", "int", "choice")


@dataclass(frozen=True)
class Sweep:
    """What to run: `experiment` (as named), parameters `fixed` for all trials, the names
    `swept` (the summary groups trials by them), `seeds`, and the `trials` themselves."""

    experiment: str
    trials: tuple[Trial, ...]
    fixed: Mapping[str, Any] = field(default_factory=dict)
    swept: tuple[str, ...] = ()
    seeds: tuple[int, ...] = (0,)
    metrics: tuple[str, ...] = ()
    description: str = ""

    def to_dict(self) -> dict:
        return {"experiment": self.experiment, "description": self.description,
                "fixed": dict(self.fixed), "swept": list(self.swept), "seeds": list(self.seeds),
                "metrics": list(self.metrics), "trials": [t.to_dict() for t in self.trials]}

    def write(self, out) -> Path:
        path = Path(out) / "sweep.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_json(path, self.to_dict())
        return path


def read(out) -> Sweep:
    """The sweep recorded in folder `out` (its sweep.json)."""
    path = Path(out) / "sweep.json"
    try:
        d = json.loads(path.read_text())
    except FileNotFoundError:
        raise ModelError(f"{str(out)!r} holds no sweep (no sweep.json): give the --out folder "
                         "of `spikemem sweep` or `spikemem continual`") from None
    trials = tuple(Trial(t["experiment"], t["params"], t["seed"]) for t in d["trials"])
    return Sweep(d["experiment"], trials, d["fixed"], tuple(d["swept"]), tuple(d["seeds"]),
                 tuple(d["metrics"]), d["description"])


def load(path) -> Sweep:
    """Read a sweep TOML (a path, or the name of a shipped one such as "sweep_example")."""
    from ..continual.config import load_config
    return from_dict(load_config(path), where=str(path))


def from_dict(d: Mapping, where: str = "sweep") -> Sweep:
    """Check a sweep's tables (as read from TOML) and expand them into trials."""
    unknown = sorted(set(d) - set(KEYS))
    if unknown:
        raise ModelError(f"{where}: unknown key(s) {unknown}; a sweep has {list(KEYS)}")
    if not isinstance(d.get("experiment"), str):
        raise ModelError(f"{where}: name the experiment, e.g. experiment = \"lsm-reservoir\"")
    fixed = _table(d, "fixed", where)
    grid = _table(d, "grid", where)
    random = dict(_table(d, "random", where))
    samples, draw_seed = random.pop("samples", 1), random.pop("seed", 0)
    for name, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ModelError(f"{where}: grid.{name} must be a non-empty list of values")
    both = sorted((set(fixed) & set(grid)) | (set(fixed) & set(random)) |
                  (set(grid) & set(random)))
    if both:
        raise ModelError(f"{where}: parameter(s) {both} appear in more than one of fixed, grid "
                         "and random: keep each in one")
    draws = _draws(random, samples, draw_seed, where)
    experiment = find(d["experiment"])
    experiment.check({**fixed, **grid, **random})
    seeds = _seeds(d.get("seeds", 1), where)
    if not experiment.seeded and seeds != (0,):
        raise ModelError(f"{where}: experiment {d['experiment']!r} takes no seed, so its trials "
                         "do not depend on one: set seeds = 1")
    metrics = d.get("metrics", [])
    if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
        raise ModelError(f"{where}: metrics must be a list of metric names")
    trials = [Trial(d["experiment"], {**fixed, **dict(zip(grid, point)), **draw}, seed)
              for point in itertools.product(*grid.values()) for draw in draws
              for seed in seeds]
    return Sweep(d["experiment"], tuple(trials), fixed, (*grid, *random), seeds, tuple(metrics),
                 str(d.get("description", "")))


def _table(d: Mapping, name: str, where: str) -> dict:
    value = d.get(name, {})
    if not isinstance(value, dict):
        raise ModelError(f"{where}: [{name}] must be a table of parameters")
    return value


def _seeds(seeds, where: str) -> tuple[int, ...]:
    if isinstance(seeds, int) and not isinstance(seeds, bool) and seeds >= 1:
        return tuple(range(seeds))
    if isinstance(seeds, list) and seeds and len(set(seeds)) == len(seeds) and all(
            isinstance(s, int) and not isinstance(s, bool) for s in seeds):
        return tuple(seeds)
    raise ModelError(f"{where}: seeds must be a count >= 1 or a list of distinct ints, "
                     f"got {seeds!r}")


def _draws(random: dict, samples, seed, where: str) -> list[dict]:
    """`samples` dicts {name: value}, each value drawn from its distribution."""
    if not random:
        return [{}]
    if not isinstance(samples, int) or isinstance(samples, bool) or samples < 1:
        raise ModelError(f"{where}: random.samples must be an int >= 1, got {samples!r}")
    rng = np.random.default_rng(seed)
    columns = {name: _draw(name, spec, rng, samples, where) for name, spec in random.items()}
    return [{name: values[k] for name, values in columns.items()} for k in range(samples)]


def _draw(name: str, spec, rng, n: int, where: str) -> list:
    if not (isinstance(spec, dict) and len(spec) == 1 and next(iter(spec)) in DISTRIBUTIONS):
        raise ModelError(f"{where}: random.{name} must be one of {{ uniform = [lo, hi] }}, "
                         "{ log_uniform = [lo, hi] }, { int = [lo, hi] }, { choice = [...] }")
    kind, arg = next(iter(spec.items()))
    if kind == "choice":
        if not isinstance(arg, list) or not arg:
            raise ModelError(f"{where}: random.{name}.choice must be a non-empty list")
        return [arg[i] for i in rng.integers(len(arg), size=n)]
    ok = isinstance(arg, list) and len(arg) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in arg) and arg[0] <= arg[1]
    if kind == "int":
        ok = ok and all(isinstance(v, int) for v in arg)
    if not ok or (kind == "log_uniform" and arg[0] <= 0):
        raise ModelError(f"{where}: random.{name}.{kind} must be [lo, hi] with lo <= hi"
                         + {"log_uniform": " and lo > 0", "int": ", both ints"}.get(kind, ""))
    lo, hi = arg
    if kind == "int":
        return [int(v) for v in rng.integers(lo, hi + 1, size=n)]
    if kind == "log_uniform":
        return [float(v) for v in np.exp(rng.uniform(math.log(lo), math.log(hi), size=n))]
    return [float(v) for v in rng.uniform(lo, hi, size=n)]
