"""The conformance harness itself: fake targets registered like real ones must be refused,
passed or failed exactly as their SPEC says (numpy runs underneath, so these are fast)."""
import sys
import types

import numpy as np
import pytest

from spikemem.errors import UnsupportedFeatureError
from spikemem.model.features import FEATURES
from spikemem.targets import TARGET_MODULES, TargetSpec, Tolerance, Variant
from spikemem.targets import compile as compile_for
from spikemem.targets.numpy_target import NumpySimulation

from .agreement import count_agreement, time_agreement, weight_error
from .catalogue import CATALOGUE
from .harness import check_case


class _Perturbed(NumpySimulation):
    """The numpy target with every spike of the last population moved `shift` steps later."""

    shift = 0

    def _run(self, steps, drive, batch, progress):
        out = super()._run(steps, drive, batch, progress)
        if self.shift:
            name = list(self.net.populations)[-1]
            if name in out["spikes"]:
                out["spikes"][name] = np.roll(out["spikes"][name], self.shift, axis=1)
        return out


def _register(monkeypatch, name, capabilities, variants, shift=0):
    module = types.ModuleType(f"spikemem.targets._fake_{name}")

    def compile_network(net, seed=0):
        sim = _Perturbed(net, seed)
        sim.shift = shift
        return sim
    module.SPEC = TargetSpec(name=name, description="fake", requires=("numpy",),
                             capabilities=frozenset(capabilities), variants=variants)
    module.compile_network = compile_network
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(TARGET_MODULES, name, f"_fake_{name}")


def test_missing_capability_must_be_refused(monkeypatch):
    _register(monkeypatch, "noplastic", set(FEATURES) - {"plasticity"}, (Variant("v"),))
    assert check_case(CATALOGUE["oja_rates"], "noplastic", Variant("v")) is None


def test_missing_batch_is_refused_at_run(monkeypatch):
    # compile accepts the network; the batched run() must raise naming 'batch'
    _register(monkeypatch, "nobatch", set(FEATURES) - {"batch"}, (Variant("v"),))
    assert check_case(CATALOGUE["batched_plastic"], "nobatch", Variant("v")) is None


def test_exact_variant_must_be_identical(monkeypatch):
    _register(monkeypatch, "late", FEATURES, (Variant("v"),), shift=1)
    with pytest.raises(AssertionError, match="not identical"):
        check_case(CATALOGUE["winner_take_all"], "late", Variant("v"))


def test_approximate_variant_is_held_to_its_tolerance(monkeypatch):
    loose = Variant("loose", tolerance=Tolerance(count_agreement=0.5, time_agreement=0.9,
                                                 time_window=1))
    _register(monkeypatch, "late", FEATURES, (loose,), shift=1)
    measured = check_case(CATALOGUE["winner_take_all"], "late", loose)
    assert measured[0].time >= 0.9 and not measured[0].identical
    strict = Variant("strict", tolerance=Tolerance(count_agreement=0.5, time_agreement=0.9,
                                                   time_window=0))
    with pytest.raises(AssertionError, match="promised"):
        check_case(CATALOGUE["winner_take_all"], "late", strict)


def test_agreement_measures():
    ref = np.zeros((10, 3), dtype=bool)
    ref[[2, 5, 8], [0, 1, 2]] = True
    got = np.zeros_like(ref)
    got[[3, 5, 1], [0, 1, 2]] = True  # neuron 0 one step late, 1 exact, 2 far off
    assert time_agreement(ref, got, 1) == pytest.approx(2 / 3)
    assert time_agreement(ref, got, 0) == pytest.approx(1 / 3)
    assert count_agreement(ref, got) == 1.0
    got[9, 2] = True
    assert count_agreement(ref, got) == pytest.approx(2 / 3)
    assert weight_error(np.array([1.0, -2.0]), np.array([1.0, -1.9])) == pytest.approx(0.05)


def test_refusal_names_the_feature(monkeypatch):
    _register(monkeypatch, "nosparse", set(FEATURES) - {"sparse"}, (Variant("v"),))
    with pytest.raises(UnsupportedFeatureError, match="sparse"):
        compile_for(CATALOGUE["sparse_connectors"].build(), target="nosparse")
