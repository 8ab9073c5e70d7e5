"""The ca3-* experiments of `spikemem experiment`: registry and CLI, the paper's experiments
checked against the reference traces, noise and scale."""
import json
from pathlib import Path

import numpy as np
import pytest

from spikemem.models import ca3
from spikemem.models.ca3 import experiments, workloads


def test_experiment_registry_and_cli(tmp_path, capsys):
    from spikemem.cli.app import run

    assert set(ca3.EXPERIMENTS) == {"ca3-functional", "ca3-stress", "ca3-map", "ca3-scale",
                                    "ca3-noise"}
    assert run(["experiment", "ca3-map", "--target", "numpy", "--out", str(tmp_path)]) == 0
    data = json.loads((tmp_path / "ca3-map_numpy.json").read_text())
    assert data["all_recalls_equal_ideal"] and data["recalls"] == 4
    assert [r["cues"] for r in data["results"][16:]] == [[2, 6, 10, 12, 13, 14],
                                                         [3, 5, 11, 15], [1, 7, 9], [0, 4, 8]]
    assert (tmp_path / "ca3-map_numpy.png").stat().st_size > 1000
    assert '"experiment": "ca3-map"' in capsys.readouterr().out
    assert data["matches_reference"] and data["reference"]["name"] == "3_state_map_app"


@pytest.mark.parametrize("name", ["ca3-functional", "ca3-stress"])
def test_paper_experiments_check_the_packaged_reference(tmp_path, name):
    """`spikemem experiment ca3-functional | ca3-stress | ca3-map` compare every run with the
    authors' SpiNNaker raster (shipped with the package, experiment 1 included)."""
    s = ca3.EXPERIMENTS[name](tmp_path, "numpy", True)
    w = workloads.PAPER[name]()
    assert s["all_recalls_equal_ideal"] and s["matches_reference"]
    ref = s["reference"]
    assert ref["name"] == w.reference and ref["inputs_equal"]
    assert ref["op_results_equal"] == ref["ops"] == len(w.ops)
    assert ref["unexplained_steps"] == []
    saved = json.loads(Path(s["json"]).read_text())
    assert saved["reference"] == ref


def test_noise_experiment_quick(tmp_path):
    s = ca3.EXPERIMENTS["ca3-noise"](tmp_path, "numpy", True)
    curves = s["targets"]["numpy"]
    assert s["rates"][0] == 0 and curves["spurious"][0] == curves["missing"][0] == 1.0
    assert curves["spurious_bits"][0] == 1.0
    assert min(curves["spurious"] + curves["missing"]) < 1.0
    assert all(b >= e for b, e in zip(curves["missing_bits"], curves["missing"]))
    assert json.loads(Path(s["json"]).read_text())["targets"] == s["targets"]
    assert Path(s["png"]).is_file()


def test_add_noise_touches_only_op_windows():
    x = np.zeros((10, 4), bool)
    x[2, 1] = x[6, 0] = True
    windows = [slice(2, 3), slice(6, 7)]
    rng = np.random.default_rng(0)
    on = experiments.add_noise(x, windows, "spurious", 1.0, rng)
    assert on[2].all() and on[6].all() and on.sum() == 8
    off = experiments.add_noise(x, windows, "missing", 1.0, rng)
    assert not off.any()
    assert np.array_equal(experiments.add_noise(x, windows, "missing", 0.0, rng), x)


def test_random_workloads_are_seeded_and_overlapping():
    a = workloads.random_ops(10, 30, 60, (0.3, 0.5), seed=3, overlap=True)
    assert a == workloads.random_ops(10, 30, 60, (0.3, 0.5), seed=3, overlap=True)
    learns = [set(op.content) for op in a if op.kind == "learn"]
    shared = np.mean([len(p & q) / len(p | q) for p in learns for q in learns if p is not q])
    assert shared > 0.3 and len(a) == 60


def test_scale_quick_on_numpy(tmp_path):
    s = ca3.EXPERIMENTS["ca3-scale"](tmp_path, "numpy", True)
    for label in ("sparse", "overlap"):
        assert s[label]["accuracy"] == 1.0 and s[label]["ops_per_s"] > 0


@pytest.mark.slow
def test_scale_100x100_1000_ops_on_numpy(tmp_path):
    s = ca3.EXPERIMENTS["ca3-scale"](tmp_path, "numpy", False)
    assert s["n_cues"] == s["n_bits"] == 100 and s["ops"] == 1000
    for label in ("sparse", "overlap"):
        print(f"ca3-scale {label}: {s[label]['ops_per_s']} ops/s on numpy")
        assert s[label]["accuracy"] == 1.0, s[label]
    assert s["overlap"]["mean_content_bits"] > 30
