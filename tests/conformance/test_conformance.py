"""Every catalogue network on every available target and variant, held to numpy.

New targets join by being listed in spikemem.targets.TARGET_MODULES with a SPEC (its
capabilities and variants); nothing here names a target (slow variants: harness.py).
"""
import numpy as np
import pytest

import spikemem as sm
from spikemem.model.features import FEATURES, network_features
from spikemem.targets import spec

from . import conftest
from .catalogue import CATALOGUE
from .harness import check_case, reference, variant_params


def _params():
    return [pytest.param(name, *p.values, marks=p.marks, id=f"{name}-{p.id}")
            for p in variant_params() for name in CATALOGUE]


def test_parametrisation_covers_every_target_and_case():
    """An empty registry or catalogue must fail, not give zero conformance tests."""
    assert "numpy" in sm.targets() and len(CATALOGUE) >= 12
    got = {(name, target, variant.label) for name, target, variant in
           (p.values for p in _params())}
    want = {(name, target, variant.label) for target in sm.targets()
            for variant in spec(target).variants for name in CATALOGUE}
    assert want and got == want


@pytest.mark.parametrize("case_name,target,variant", _params())
def test_conforms(case_name, target, variant):
    case = CATALOGUE[case_name]
    measured = check_case(case, target, variant)
    label = f"{target}[{variant.label}]"
    if measured is None:
        conftest.record(case_name, label, "refused at compile (UnsupportedFeatureError)")
    else:
        conftest.record(case_name, label, "; ".join(a.row() for a in measured))


def test_catalogue_covers_every_feature():
    assert len(CATALOGUE) >= 12
    used = set()
    for case in CATALOGUE.values():
        used |= network_features(case.build(), batched=case.batch is not None)
    assert used == set(FEATURES), f"features no catalogue network uses: {set(FEATURES) - used}"


@pytest.mark.parametrize("case_name", list(CATALOGUE))
def test_catalogue_network_is_active(case_name):
    """A silent network would conform trivially: every population spikes in the reference
    and every plastic projection changes its weights."""
    case = CATALOGUE[case_name]
    net = case.build()
    results = reference(case)
    for name, pop in net.populations.items():
        if isinstance(pop.model, sm.LI):  # a readout never spikes: its v must move
            assert any(np.any(r.traces[name]["v"] != 0) for r in results), \
                f"{case_name}: readout {name!r} never moves"
            continue
        fired = sum(int(r.spikes[name].sum()) if name in r.spikes else int(r.counts[name].sum())
                    for r in results)
        assert fired > 0, f"{case_name}: population {name!r} never spikes"
    for name, proj in net.projections.items():
        if proj.plasticity is not None:
            w0 = proj.weights.data if proj.is_sparse else proj.weights
            assert not np.array_equal(results[-1].weights[name].reshape(-1, *np.shape(w0))[0],
                                      w0), f"{case_name}: {name} weights never change"
