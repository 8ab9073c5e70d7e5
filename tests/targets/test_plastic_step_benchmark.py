"""benchmarks/plastic_step.py runs (a few steps) and reports a time per step per target."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))

import plastic_step  # noqa: E402


def test_plastic_step_benchmark_reports_each_target(capsys):
    rows = plastic_step.main(["--steps", "30", "--repeats", "1", "--widths", "8",
                              "--targets", "numpy,spinnaker"])
    assert [(r["n"], r["k"]) for r in rows] == [(8, 3)]
    assert rows[0]["numpy"] > 0 and rows[0]["spinnaker"] > 0
    assert "| 8 | 3 |" in capsys.readouterr().out
