"""Targets: one package per target (spikemem/targets/<name>/), each defining SPEC (what it
can express, as data) and compile_network(net.snapshot(), seed, **options) -> Simulation.

This module is also the public call that lists the targets usable here: `sm.targets()`
(the module is callable), while `import spikemem.targets.numpy` reaches a target's package.
"""
from __future__ import annotations

import importlib
import sys
import types

import numpy as np

from ..errors import ModelError, UnsupportedFeatureError
from ..model.features import FEATURES, network_features
from ..model.network import Network
from ..model.sizes import check_fits, simulation_bytes
from .simulation import Result, RunWarning, Simulation
from .spec import TargetSpec, Tolerance, Variant

#: target name -> its package (relative to spikemem.targets)
TARGET_MODULES = {
    "numpy": "numpy",
    "loihi2": "loihi2",
    "spinnaker": "spinnaker",
    "brian2": "brian2",
    "torch": "torch",
    "numba": "numba",
}


def _package(name: str):
    if name not in TARGET_MODULES:
        raise ModelError(f"unknown target {name!r}: use one of {sorted(TARGET_MODULES)}")
    return importlib.import_module(f".{TARGET_MODULES[name]}", __name__)


def spec(name: str) -> TargetSpec:
    """The declared spec of target `name`."""
    return _package(name).SPEC


def all_specs() -> list[TargetSpec]:
    return [spec(n) for n in TARGET_MODULES]


def targets() -> list[str]:
    """Names of the targets usable on this machine (their packages are installed)."""
    return [s.name for s in all_specs() if s.available()]


def missing_features(net: Network, target: str, batched: bool = False) -> list[str]:
    """Features of `net` that `target` cannot express, sorted."""
    return sorted(network_features(net, batched) - spec(target).capabilities)


def compile(net: Network, target: str = "numpy", seed: int = 0, **options) -> Simulation:
    """Compile a snapshot of `net` for `target` (later changes to `net` do not reach the
    simulation); raises UnsupportedFeatureError naming each feature the target lacks."""
    if not isinstance(net, Network):
        raise ModelError(f"compile() needs a spikemem Network, got {type(net).__name__}")
    if isinstance(target, bool) or not isinstance(target, str):
        raise ModelError(f"compile(target={target!r}): give a target name, one of "
                         f"{sorted(TARGET_MODULES)}")
    s = spec(target)
    if not s.available():
        raise ModelError(f"target {target!r} needs the packages {list(s.requires)}: "
                         f"pip install 'spikemem[{target}]'")
    missing = missing_features(net, target)
    if missing:
        lines = ", ".join(f"{f} ({FEATURES[f]})" for f in missing)
        raise UnsupportedFeatureError(f"target {target!r} cannot express: {lines}. "
                                      "Use another target or change the network.")
    unknown = set(options) - set(s.options)
    if unknown:
        raise ModelError(f"target {target!r} has no option(s) {sorted(unknown)}; options: "
                         f"{sorted(s.options)}")
    check_fits(simulation_bytes(net), f"compiling this network ({net.n_neurons} neurons, "
               f"{net.n_synapses} synapses) for {target!r}",
               "shrink the populations, shorten the delays or use fewer synapses")
    seed = _check_seed(seed)
    sim = _package(target).compile_network(net.snapshot(), seed=seed, **options)
    sim.capabilities = s.capabilities
    return sim


def _check_seed(seed) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) \
            or seed < 0:
        raise ModelError(f"compile(seed={seed!r}): the seed must be an int >= 0")
    return int(seed)


class _CallableModule(types.ModuleType):
    """`spikemem.targets()` lists the usable targets; attributes are this module's."""

    def __call__(self) -> list[str]:
        return targets()


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["Result", "RunWarning", "Simulation", "TargetSpec", "Tolerance", "Variant", "compile",
           "spec", "all_specs", "targets", "missing_features", "TARGET_MODULES"]
