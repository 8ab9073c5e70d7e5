"""Targets: one module per target, listed in TARGET_MODULES (see base.py for the contract)."""
from __future__ import annotations

import importlib

from ..errors import ModelError, UnsupportedFeatureError
from ..model.features import FEATURES, network_features
from ..model.network import Network
from .base import Result, Simulation, TargetSpec, Tolerance, Variant

#: target name -> module (relative to spikemem.targets) defining SPEC and compile_network
TARGET_MODULES = {
    "numpy": "numpy_target",
    "loihi2": "loihi_target",
    "spinnaker": "spinnaker_target",
    "brian2": "brian2_target",
    "torch": "torch_target",
}


def spec(name: str) -> TargetSpec:
    """The declared spec of target `name`."""
    if name not in TARGET_MODULES:
        raise ModelError(f"unknown target {name!r}: use one of {sorted(TARGET_MODULES)}")
    return importlib.import_module(f".{TARGET_MODULES[name]}", __name__).SPEC


def all_specs() -> list[TargetSpec]:
    return [spec(n) for n in TARGET_MODULES]


def targets() -> list[str]:
    """Names of the targets usable on this machine (their packages are installed)."""
    return [s.name for s in all_specs() if s.available()]


def missing_features(net: Network, target: str, batched: bool = False) -> list[str]:
    """Features of `net` that `target` cannot express, sorted."""
    return sorted(network_features(net, batched) - spec(target).capabilities)


def compile(net: Network, target: str = "numpy", seed: int = 0, **options) -> Simulation:
    """Compile `net` for `target`; raises UnsupportedFeatureError naming what it lacks."""
    if not isinstance(net, Network):
        raise ModelError(f"compile() needs a spikemem Network, got {type(net).__name__}")
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
    module = importlib.import_module(f".{TARGET_MODULES[target]}", __name__)
    sim = module.compile_network(net, seed=seed, **options)
    sim.capabilities = s.capabilities
    return sim


__all__ = ["Result", "Simulation", "TargetSpec", "Tolerance", "Variant", "compile", "spec", "all_specs",
           "targets", "missing_features", "TARGET_MODULES"]
