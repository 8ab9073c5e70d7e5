"""`spikemem run MODEL --target nest --threads N`: the PyNN export run on NEST from the CLI
(the same spikes as the numpy target up to the export's documented one-step hops), and an
exported script run as it is (how it runs under MPI)."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from spikemem.cli import main
from spikemem.networks import cuba


def run_cli(*argv):
    return subprocess.run([sys.executable, "-m", "spikemem", "run", *argv], capture_output=True,
                          text=True, timeout=300, env={**os.environ, "OMP_NUM_THREADS": "2"})


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_nest_with_threads_matches_numpy_and_runs_its_exported_script(tmp_path):
    pytest.importorskip("pyNN.nest", reason="needs PyNN and NEST: pip install 'spikemem[pynn]'")
    cuba(1000, p=0.05).save(tmp_path / "cuba.npz")
    ran = run_cli(str(tmp_path / "cuba.npz"), "--target", "nest", "--threads", "2", "--steps",
                  "1000", "--out", str(tmp_path / "nest"))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    summary = json.loads((tmp_path / "nest" / "summary.json").read_text())
    assert summary["threads"] == 2 and summary["neurons"] == 1000 and summary["steps"] == 1000
    assert (tmp_path / "nest" / "raster.png").stat().st_size > 1000
    assert main(["run", str(tmp_path / "cuba.npz"), "--steps", "1000", "--out",
                 str(tmp_path / "numpy")]) == 0
    reference = json.loads((tmp_path / "numpy" / "summary.json").read_text())["spikes"]
    for pop, count in reference.items():
        assert count > 100 and summary["spikes"][pop] == pytest.approx(count, rel=0.1)
    again = run_cli(str(tmp_path / "nest" / "pynn" / "model.py"), "--target", "nest",
                    "--out", str(tmp_path / "script"))
    assert again.returncode == 0, again.stdout + again.stderr
    with np.load(tmp_path / "nest" / "spikes.npz") as a, \
            np.load(tmp_path / "script" / "spikes.npz") as b:
        assert all(np.array_equal(a[k], b[k]) for k in a.files)  # 1 thread = 2 threads


@pytest.mark.parametrize("argv, message", [
    (["cuba", "--target", "nest", "--threads", "0"], "--threads must be >= 1"),
    (["missing.py", "--target", "nest"], "give an existing script written by sm.export.pynn"),
    (["demo", "--target", "nest", "--steps", "10"], "weights must be >= 0"),
    (["demo", "--threads", "2"], "use it with --target nest"),
])
def test_nest_mistakes_are_named(tmp_path, capsys, argv, message):
    assert main(["run", *argv, "--out", str(tmp_path)]) == 2
    assert message in capsys.readouterr().out
