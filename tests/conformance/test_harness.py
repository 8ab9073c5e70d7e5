"""The conformance harness itself: fake targets registered like real ones must be refused,
passed or failed exactly as their SPEC says (numpy runs underneath, so these are fast)."""
import sys
import types

import numpy as np
import pytest

from spikemem.errors import UnsupportedFeatureError
from spikemem.model.features import FEATURES
from spikemem.targets import (TARGET_MODULES, TargetSpec, Tolerance, Variant, all_specs,
                              missing_features)
from spikemem.targets import compile as compile_for
from spikemem.targets.numpy import NumpySimulation

from .agreement import (before_divergence, count_agreement, matched, relative_error,
                        time_agreement)
from .catalogue import CATALOGUE
from .harness import check_case


class _Perturbed(NumpySimulation):
    """The numpy target with every spike of the last population moved `shift` steps later,
    or (saturate) every population firing on every step."""

    shift = 0
    saturate = False

    def _run(self, steps, drive, batch, progress):
        out = super()._run(steps, drive, batch, progress)
        if self.shift:
            name = list(self.net.populations)[-1]
            if name in out["spikes"]:
                out["spikes"][name] = np.roll(out["spikes"][name], self.shift, axis=1)
        if self.saturate:
            for name in self.net.populations:
                if name in out["spikes"]:
                    out["spikes"][name] = np.ones_like(out["spikes"][name])
                if name in out["counts"]:
                    out["counts"][name] = np.full_like(out["counts"][name], steps)
        return out


def _register(monkeypatch, name, capabilities, variants, shift=0, saturate=False,
              options=None):
    module = types.ModuleType(f"spikemem.targets._fake_{name}")

    def compile_network(net, seed=0, **_options):
        sim = _Perturbed(net, seed)
        sim.shift, sim.saturate = shift, saturate
        return sim
    module.SPEC = TargetSpec(name=name, description="fake", requires=("numpy",),
                             capabilities=frozenset(capabilities), options=options or {},
                             variants=variants)
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
    assert relative_error(np.array([1.0, -2.0]), np.array([1.0, -1.9])) == pytest.approx(0.05)


def test_added_spikes_lower_time_agreement():
    # every reference spike is matched (recall 1), but 3 of the target's 4 spikes are extra
    ref = np.zeros((10, 2), dtype=bool)
    ref[4, 0] = True
    got = ref.copy()
    got[[0, 8], 0] = True
    got[2, 1] = True
    assert matched(ref, got, 1) == 1.0
    assert matched(got, ref, 1) == pytest.approx(1 / 4)
    assert time_agreement(ref, got, 1) == pytest.approx(1 / 4)


def test_traces_compared_before_divergence():
    ref_s = np.zeros((5, 2), dtype=bool)
    ref_s[3, 0] = True
    got_s = ref_s.copy()
    got_s[3, 0], got_s[2, 0] = False, True  # neuron 0 fires a step early
    mask = before_divergence(ref_s, got_s)
    np.testing.assert_array_equal(mask[:, 0], [True, True, False, False, False])
    assert mask[:, 1].all()
    ref_v = np.array([[0.0, 0.0], [0.5, 1.0], [0.9, 2.0], [0.0, 2.0], [0.2, 4.0]])
    got_v = ref_v + np.array([0.0, 0.01])
    got_v[2:, 0] = [0.0, 0.5, 0.7]  # diverged after its early spike: not a trace error
    assert relative_error(ref_v, got_v, mask) == pytest.approx(0.01 / 4.0)


@pytest.mark.parametrize("target_spec", all_specs(), ids=lambda s: s.name)
def test_firing_on_every_step_fails_every_variant(monkeypatch, target_spec):
    """A target that adds spikes must fail every registered variant, exact or approximate:
    its rasters keep every reference spike (recall 1), so approximate variants must be
    caught by precision (and population rates)."""
    name = f"saturated_{target_spec.name}"
    _register(monkeypatch, name, target_spec.capabilities, target_spec.variants,
              saturate=True, options=target_spec.options)
    case = CATALOGUE["winner_take_all"]
    assert not missing_features(case.build(), name)
    for variant in target_spec.variants:
        expected = "not identical" if variant.tolerance is None else r"breaks \[.*'precision'"
        with pytest.raises(AssertionError, match=expected):
            check_case(case, name, variant)


def test_refusal_names_the_feature(monkeypatch):
    _register(monkeypatch, "nosparse", set(FEATURES) - {"sparse"}, (Variant("v"),))
    with pytest.raises(UnsupportedFeatureError, match="sparse"):
        compile_for(CATALOGUE["sparse_connectors"].build(), target="nosparse")
