"""Running a catalogue case on a target and holding it to the numpy reference."""
from __future__ import annotations

import numpy as np
import pytest

import spikemem as sm
from spikemem.errors import UnsupportedFeatureError
from spikemem.targets import missing_features, spec

from .agreement import Agreement, measure
from .catalogue import Case

#: (target, variant label) pairs too slow for the default run: Brian2's cython mode compiles
#: each new code object (seconds each, cached on disk), cpp_standalone a C++ project per run
SLOW_VARIANTS = {("brian2", "cython"), ("brian2", "cpp_standalone")}

_REFERENCE: dict = {}


def run_case(case: Case, target: str, options: dict) -> list:
    """Compile case's network for `target` and run it: one Result per run() call."""
    net = case.build()
    sim = sm.compile(net, target=target, seed=0, **options)
    return [sim.run(steps, inputs=case.inputs(net, k), batch=case.batch)
            for k, steps in enumerate(case.runs)]


def reference(case: Case) -> list:
    """The numpy target's Results for `case` (computed once per session)."""
    if case.name not in _REFERENCE:
        _REFERENCE[case.name] = run_case(case, "numpy", {})
    return _REFERENCE[case.name]


def check_case(case: Case, target: str, variant) -> list[Agreement] | None:
    """Assert `target` (compiled with variant.options) conforms on `case`.

    A target lacking a feature the case uses must raise UnsupportedFeatureError naming each
    missing feature (returns None). Otherwise exact variants (tolerance None) must give the
    reference's spikes, counts and plastic weights bit for bit, and v/i/a traces within
    1e-12; approximate variants must keep every bound of their declared Tolerance
    (Agreement.broken; chaotic cases: population spike counts only). Returns the measured
    agreement of each run.
    """
    missing = missing_features(case.build(), target, batched=case.batch is not None)
    if missing:
        assert_refused(lambda: run_case(case, target, variant.options), target, missing)
        return None
    tol = variant.tolerance
    got = run_case(case, target, variant.options)
    out = []
    for k, (r, g) in enumerate(zip(reference(case), got)):
        a = measure(r, g, tol.time_window if tol is not None else 1)
        where = f"{case.name} run {k} on {target}[{variant.label}]"
        if tol is None:
            assert a.identical, f"{where}: not identical to numpy: {a.row()}"
            for name, traces in r.traces.items():
                for var, arr in traces.items():
                    np.testing.assert_allclose(g.traces[name][var], arr, rtol=1e-12, atol=1e-12,
                                               err_msg=f"{where}: {name}.{var}")
        else:
            broken = a.broken(tol, case.chaotic)
            assert not broken, f"{where}: breaks {broken}: {a.row()}; promised {tol.describe()}"
        out.append(a)
    return out


def assert_refused(run, target: str, missing: list[str]) -> None:
    """Assert run() raises UnsupportedFeatureError naming each of `missing`."""
    with pytest.raises(UnsupportedFeatureError) as err:
        run()
    for feature in missing:
        assert feature in str(err.value), f"{target}: error does not name {feature!r}"


def variant_params() -> list:
    """pytest.param(target, variant) for every available target and variant, marked slow
    for SLOW_VARIANTS; ids 'target-label'."""
    return [pytest.param(target, variant, id=f"{target}-{variant.label}",
                         marks=[pytest.mark.slow] if (target, variant.label) in SLOW_VARIANTS
                         else [])
            for target in sm.targets() for variant in spec(target).variants]
