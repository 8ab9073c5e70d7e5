"""benchmarks/hlop_width_budget.py's n = 8 run: timed per step and scaled to the steps the run
had when the budget was first measured, so that longer traces do not grow the budget."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[3] / "benchmarks"))

import hlop_width_budget  # noqa: E402
import numba_models  # noqa: E402
from spikemem.models.hlop import circuit as hc  # noqa: E402


@pytest.mark.slow
def test_small_run_is_timed_with_its_steps():
    seconds, steps = hlop_width_budget.small_run_seconds(repeats=1)
    scaled = hc.scale_rows(numba_models.hlop_data())
    _, present, silence = hc.presentation(scaled, rest=numba_models.HLOP_SCHEDULE["rest"])
    assert steps == 6 * 150 * (present + silence)
    assert seconds > 0
    assert hlop_width_budget.SMALL_STEPS == 6 * 150 * 30      # rows shown for 30 steps
