"""The CA3 memory on every target: it runs the paper's experiments (every recall equals the
ideal memory; exact variants give numpy's rasters) or refuses at compile time with
UnsupportedFeatureError."""
import numpy as np
import pytest

import spikemem as sm
from spikemem.models import ca3
from spikemem.models.ca3 import workloads
from spikemem.targets import missing_features, spec

PAPER = sorted(workloads.PAPER)


@pytest.mark.parametrize("target", [t for t in sm.targets() if t != "numpy"])
def test_target_refuses_or_is_covered(target):
    """A target that cannot express the memory says so at compile time; the others run the
    paper's experiments in test_paper_experiments_on_target (slow)."""
    net = ca3.network(5, 10)
    if missing_features(net, target):
        with pytest.raises(sm.UnsupportedFeatureError):
            ca3.ContentAddressableMemory(5, 10).run([ca3.RecallCue(0)], target=target)
    else:
        assert target in {param.values[0] for param in _target_variants()}


def _target_variants():
    """(target, variant label, options, exact, workloads): a target's first variant runs the
    paper's three experiments, its other variants the stress test (60 ops, 10 overwrites)."""
    out = []
    for t in sm.targets():
        if t == "numpy" or missing_features(ca3.network(5, 10), t):
            continue
        for k, v in enumerate(spec(t).variants):
            names = PAPER if k == 0 else ["ca3-stress"]
            out.append(pytest.param(t, v.label, v.options, v.tolerance is None, names,
                                    id=f"{t}-{v.label}"))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("target,label,options,exact,names", _target_variants())
def test_paper_experiments_on_target(numpy_runs, ideal_pairs, target, label, options, exact,
                                     names):
    """Every recall equals the ideal memory; exact variants give numpy's rasters."""
    for name in names:
        w = workloads.PAPER[name]()
        cam = ca3.ContentAddressableMemory(**w.memory, record_all=True)
        run = cam.simulate(w.ops, target, **options)
        assert [(r.cues, r.content) for r in run.results] == ideal_pairs(w.ops), name
        if exact:
            ref = numpy_runs[name][1].result
            for pop, spikes in ref.spikes.items():
                np.testing.assert_array_equal(run.result.spikes[pop], spikes,
                                              err_msg=f"{name} {pop}")
