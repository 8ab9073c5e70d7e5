"""The lsm-* experiments: registered for `spikemem experiment`, results written as JSON and
plots; quick runs on numpy (slow) and the per-target accuracy check (slow)."""
import json

import numpy as np
import pytest

import spikemem as sm
from spikemem.cli import app
from spikemem.models import lsm
from spikemem.models.lsm.experiments import _classify
from spikemem.targets import spec

NAMES = ["lsm-digits", "lsm-sweep", "lsm-separation", "lsm-zeroshot", "lsm-throughput",
         "lsm-xor"]


def test_experiments_are_registered_and_listed(capsys):
    assert sorted(lsm.EXPERIMENTS) == sorted(NAMES)
    assert app.run(["experiment"]) == 0
    listed = capsys.readouterr().out
    for name in NAMES:
        assert name in listed


def check_outputs(out, name, summary):
    data = json.loads((out / f"{name}-numpy.json").read_text())
    assert data["experiment"] == name and data["target"] == "numpy" and data["quick"]
    for plot in summary["plots"]:
        assert (out / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(out.glob("*.tmp"))
    return data


@pytest.mark.slow
def test_digits_quick(tmp_path):
    s = lsm.EXPERIMENTS["lsm-digits"](tmp_path, "numpy", True)
    check_outputs(tmp_path, "lsm-digits", s)
    assert s["results"]["event_digits"]["ridge"] >= 0.85
    assert s["results"]["spoken_digits"]["ridge"] >= 0.9


@pytest.mark.slow
def test_sweep_quick(tmp_path):
    s = lsm.EXPERIMENTS["lsm-sweep"](tmp_path, "numpy", True)
    check_outputs(tmp_path, "lsm-sweep", s)
    acc = {(r["connectivity"], r["n"]): r["accuracy"] for r in s["rows"] if r["sweep"] == "size"}
    assert acc[("grid", 100)] > acc[("grid", 25)] and acc[("random", 100)] > acc[("random", 25)]


@pytest.mark.slow
def test_separation_quick(tmp_path):
    s = lsm.EXPERIMENTS["lsm-separation"](tmp_path, "numpy", True)
    check_outputs(tmp_path, "lsm-separation", s)
    for conn in ("grid", "random"):
        c = s["curves"][conn]
        assert c["input_distance"][0] == 0 and c["mean_state_distance"][0] == 0
        assert np.all(np.diff(c["input_distance"]) > 0)
        assert np.all(np.diff(c["mean_state_distance"]) > 0)  # separation property


@pytest.mark.slow
def test_zeroshot_quick(tmp_path):
    pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")
    s = lsm.EXPERIMENTS["lsm-zeroshot"](tmp_path, "numpy", True)
    check_outputs(tmp_path, "lsm-zeroshot", s)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert set(metrics) == {"audio_to_image", "image_to_audio"}
    assert len(s["per_seed"]) == 3 and s["trained_on"] == [1, 2, 3, 4, 5, 6, 7]
    for direction, row in s["results"].items():
        assert metrics[direction] == {k: row[k] for k in ("seen_top1", "unseen_top1")}
        assert row["seen_top1"] > 0.8 and row["seen_top1_std"] < 0.1  # chance 1/7
        assert 0.0 <= row["unseen_top1_std"] <= 0.5
        # picking the step on the unseen classes themselves can only raise their accuracy
        assert row["unseen_top1_best_on_test"] >= row["unseen_top1"]
    assert set(s["diagnosis"]["aligned"]) == {"audio_to_image", "image_to_audio"}


@pytest.mark.slow
def test_throughput_quick(tmp_path):
    s = lsm.EXPERIMENTS["lsm-throughput"](tmp_path, "numpy", True)
    check_outputs(tmp_path, "lsm-throughput", s)
    rate = {r["batch_size"]: r["samples_per_s"] for r in s["rows"]}
    assert rate[16] > rate[1]


@pytest.fixture(scope="module")
def numpy_accuracy():
    """Ridge accuracy per dataset on numpy, quick subsets (computed once)."""
    return {name: _classify(name, "numpy", True)["ridge"]
            for name in ("event_digits", "spoken_digits")}


@pytest.mark.slow
@pytest.mark.parametrize("target", [t for t in sm.targets() if t != "numpy"])
def test_every_target_within_2_points_of_numpy(numpy_accuracy, target):
    """The lsm-digits pipeline (quick subsets: 600 train / 300 test) on every other target
    is within 2 accuracy points of numpy (exact targets: equal)."""
    exact = spec(target).variants[0].tolerance is None
    for name, ref in numpy_accuracy.items():
        acc = _classify(name, target, True)["ridge"]
        assert abs(acc - ref) <= (0.0 if exact else 0.02), (name, acc, ref)
