"""What the sweep runner runs: an experiment is `fn(out_dir: Path, **params) -> dict`.

Every model package keeps its experiments in a dict `EXPERIMENTS = {name: fn}` (the
convention of `spikemem experiment`: `fn(out_dir, target, quick)`); a function's keyword
parameters are what a sweep may set, `seed` among them. `Experiment.run(params, seed,
out_dir)` calls it with the parameters and the seed, in the trial's own folder, and returns
its metrics. An experiment is named by its key in one of MODULES' dicts or, for one of your
own, as "package.module:NAME" (a module with an EXPERIMENTS dict).
"""
from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from ..cli.cmd_experiment import EXPERIMENT_MODULES
from ..errors import ModelError

#: modules whose EXPERIMENTS a sweep can run: those of `spikemem experiment`, then the
#: parametrised studies (beside their models) and the continual-learning trial
MODULES = (*EXPERIMENT_MODULES, "spikemem.models.lsm.studies", "spikemem.continual.runner")
#: defaults of the `spikemem experiment` convention's positional parameters
CONVENTION_DEFAULTS = {"target": "numpy", "quick": False}
REQUIRED = inspect.Parameter.empty


@dataclass(frozen=True)
class Experiment:
    """One experiment: `ref` ("package.module:NAME"), its function and the parameters it
    takes (name -> default, REQUIRED for none); `any_keyword` if it takes **params."""

    ref: str
    function: Callable[..., dict]
    parameters: Mapping[str, Any]
    any_keyword: bool = False

    @property
    def name(self) -> str:
        return self.ref.rpartition(":")[2]

    @property
    def seeded(self) -> bool:
        return self.any_keyword or "seed" in self.parameters

    @property
    def doc(self) -> str:
        lines = (self.function.__doc__ or "").strip().splitlines()
        return lines[0] if lines else ""

    def check(self, params: Mapping[str, Any]) -> None:
        """Refuse unknown or missing parameters, naming them and the accepted ones."""
        if "seed" in params:
            raise ModelError(f"experiment {self.name!r}: give seeds with `seeds`, not as the "
                             "parameter 'seed'")
        unknown = sorted(set(params) - set(self.parameters)) if not self.any_keyword else []
        if unknown:
            raise ModelError(f"experiment {self.name!r} takes no parameter(s) {unknown}; it "
                             f"takes {self.signature()}")
        missing = sorted(k for k, v in self.parameters.items()
                         if v is REQUIRED and k != "seed" and k not in params)
        if missing:
            raise ModelError(f"experiment {self.name!r} needs parameter(s) {missing}: set them "
                             "under [fixed] or sweep them")

    def signature(self) -> str:
        """The parameters as `name=default` text (required ones bare)."""
        text = [k if v is REQUIRED else f"{k}={v!r}" for k, v in self.parameters.items()]
        return ", ".join(text + (["**params"] if self.any_keyword else [])) or "(none)"

    def run(self, params: Mapping[str, Any], seed: int, out_dir: Path) -> dict:
        """Run in `out_dir` with `params` (and `seed` when it takes one); returns its metrics."""
        kwargs = {**{k: v for k, v in self.parameters.items() if v is not REQUIRED}, **params}
        if self.seeded:
            kwargs["seed"] = seed
        metrics = self.function(Path(out_dir), **kwargs)
        if not isinstance(metrics, dict):
            raise ModelError(f"experiment {self.name!r} returned {type(metrics).__name__}, "
                             "not a dict of metrics")
        return metrics


def from_function(ref: str, fn: Callable) -> Experiment:
    """An Experiment from `fn(out_dir, ...)`: every parameter after the first is settable;
    `target` and `quick` without a default get the convention's ("numpy", False)."""
    params = list(inspect.signature(fn).parameters.values())
    if not params or params[0].kind not in (params[0].POSITIONAL_ONLY,
                                            params[0].POSITIONAL_OR_KEYWORD):
        raise ModelError(f"experiment {ref!r} must take the output folder as its first "
                         "argument: fn(out_dir, **params) -> dict")
    accepted = {}
    for p in params[1:]:
        if p.kind is p.VAR_KEYWORD:
            continue
        if p.kind is p.VAR_POSITIONAL:
            raise ModelError(f"experiment {ref!r}: *{p.name} cannot be set by a sweep")
        accepted[p.name] = CONVENTION_DEFAULTS.get(p.name, REQUIRED) if p.default is REQUIRED \
            else p.default
    return Experiment(ref, fn, accepted, any(p.kind is p.VAR_KEYWORD for p in params))


def _experiments_of(module: str) -> dict:
    try:
        mod = importlib.import_module(module)
    except ImportError as e:
        raise ModelError(f"cannot import the experiments of {module!r}: {e}") from None
    found = getattr(mod, "EXPERIMENTS", None)
    if not isinstance(found, dict):
        raise ModelError(f"module {module!r} has no EXPERIMENTS dict {{name: fn(out_dir, ...)}}")
    return found


def available() -> dict[str, str]:
    """name -> "module:name" of every experiment whose module imports on this machine."""
    found = {}
    for module in MODULES:
        try:
            names = _experiments_of(module)
        except ModelError:
            continue
        found.update({name: f"{module}:{name}" for name in names})
    return found


def find(name: str) -> Experiment:
    """The experiment `name`: a registered name or "package.module:NAME"."""
    if ":" in name:
        module, _, key = name.partition(":")
        funcs = _experiments_of(module)
        if key not in funcs:
            raise ModelError(f"module {module!r} has no experiment {key!r}; it has "
                             f"{sorted(funcs)}")
        return from_function(name, funcs[key])
    known = available()
    if name not in known:
        raise ModelError(f"unknown experiment {name!r}; known: {sorted(known)} (or give "
                         "'package.module:NAME' for one of your own)")
    return find(known[name])
