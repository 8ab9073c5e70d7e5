"""Every catalogue network on every available target and variant, held to numpy.

New targets join by being listed in spikemem.targets.TARGET_MODULES with a SPEC (its
capabilities and variants); nothing here names a target except SLOW_VARIANTS.
"""
import numpy as np
import pytest

import spikemem as sm
from spikemem.model.features import FEATURES, network_features
from spikemem.targets import spec

from . import conftest
from .catalogue import CATALOGUE
from .harness import check_case, reference

#: (target, variant label) pairs too slow for the default run: Brian2's cython mode compiles
#: each new code object (seconds each, cached on disk), cpp_standalone a C++ project per run
SLOW_VARIANTS = {("brian2", "cython"), ("brian2", "cpp_standalone")}


def _params():
    out = []
    for target in sm.targets():
        for variant in spec(target).variants:
            marks = [pytest.mark.slow] if (target, variant.label) in SLOW_VARIANTS else []
            for name in CATALOGUE:
                out.append(pytest.param(name, target, variant, marks=marks,
                                        id=f"{name}-{target}-{variant.label}"))
    return out


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
    for name in net.populations:
        fired = sum(int(r.spikes[name].sum()) if name in r.spikes else int(r.counts[name].sum())
                    for r in results)
        assert fired > 0, f"{case_name}: population {name!r} never spikes"
    for name, proj in net.projections.items():
        if proj.plasticity is not None:
            w0 = proj.weights.data if proj.is_sparse else proj.weights
            assert not np.array_equal(results[-1].weights[name].reshape(-1, *np.shape(w0))[0],
                                      w0), f"{case_name}: {name} weights never change"
