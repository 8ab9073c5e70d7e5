"""The transformer-* experiments: registered for `spikemem experiment`; quick runs (slow)
write a network and test set that sm.load + sm.compile alone score as metrics.json says,
identical out spikes on numpy, torch float64 and Brian2, the fixed-point targets within
their declared tolerance, and the task's comparison (baseline, ablation, unigram)."""
import json

import numpy as np
import pytest

import spikemem as sm
from spikemem.cli import app
from spikemem.models import transformer
from spikemem.targets import spec

from conformance.agreement import time_agreement

NAMES = ["transformer-digits", "transformer-recall", "transformer-charlm"]


def test_experiments_are_registered_and_listed(capsys):
    assert sorted(transformer.EXPERIMENTS) == sorted(NAMES)
    assert app.run(["experiment"]) == 0
    listed = capsys.readouterr().out
    for name in NAMES:
        assert name in listed


def test_an_unusable_target_is_refused_by_name(tmp_path):
    with pytest.raises(sm.ModelError, match="target 'fpga' is not usable here"):
        transformer.EXPERIMENTS["transformer-digits"](tmp_path, "fpga", True)


@pytest.mark.parametrize("quick", [True, False])
def test_charlm_starts_from_a_network_that_fires(quick):
    """One-hot characters drive one input of 33 per token: the setup's gain must make the
    untrained network spike, or training gets no gradient through `out`."""
    from spikemem.models.transformer import build, data
    from spikemem.models.transformer.evaluate import rates, run
    from spikemem.models.transformer.experiments import CHARLM

    setup = CHARLM[quick]
    cfg = setup.config
    model = build(cfg, gain=setup.gain)
    split = data.charlm(cfg.n_tokens, cfg.frames, model.steps, 1, 50)
    assert rates(run(model.network, split.x_test))["out"] > 0.01


def check_run(out, name):
    """The files, the score from the files alone, and agreement across targets."""
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["experiment"] == name and metrics["quick"]
    for f in metrics["files"]:
        assert (out / f).stat().st_size > 0
    assert not list(out.glob(".*.tmp"))
    net = sm.load(out / "network.npz")
    assert list(net.sources) == ["in"] and ("out", "spikes") in \
        {(p.target, p.variable) for p in net.probes}
    test = np.load(out / "test.npz")
    x, labels = test["inputs"], test["labels"]
    assert x.dtype == bool and x.shape[2] == net.sources["in"].n
    res = sm.compile(net).run(x.shape[1], inputs={"in": x})
    counts = res.counts["out"] if "out" in res.counts else res.spikes["out"].sum(1)
    n_answers = metrics["config"]["n_answers"]
    pred = counts.reshape(len(x), n_answers, -1).argmax(-1)
    accuracy = float(np.mean(pred == labels.reshape(len(x), n_answers)))
    assert accuracy == pytest.approx(metrics["targets"]["numpy"]["accuracy"])
    targets = metrics["targets"]
    for exact in ("torch", "brian2"):
        if exact in targets:
            assert targets[exact]["identical_out"] == 1.0, exact
    for fixed in ("loihi2", "spinnaker"):
        opts = {"chip": "loihi2"} if fixed == "loihi2" else {"chip": "spinnaker2"}
        got = sm.compile(net, target=fixed, **opts).run(x.shape[1], inputs={"in": x})
        tol = spec(fixed).variants[0].tolerance
        assert time_agreement(res.spikes["out"], got.spikes["out"], tol.time_window) >= \
            tol.time_agreement, fixed
        assert abs(targets[fixed]["accuracy"] - targets["numpy"]["accuracy"]) <= 0.05, fixed
    for chip in ("loihi2", "spinnaker2"):
        hw = metrics["hardware"][chip]
        assert hw["cores"] >= 1 and hw["energy_per_inference_j"] > 0
        assert hw["shared_synapse_bits"] < hw["synapse_bits"]
    assert metrics["training"]["losses"][-1] < metrics["training"]["losses"][0]
    return metrics


@pytest.mark.slow
def test_digits_quick_through_the_cli(tmp_path):
    assert app.run(["experiment", "transformer-digits", "--quick", "--out", str(tmp_path)]) == 0
    m = check_run(tmp_path, "transformer-digits")
    assert m["targets"]["numpy"]["accuracy"] > 0.6 and m["baseline"]["accuracy"] > 0.8


@pytest.mark.slow
def test_recall_quick_beats_the_network_without_attention(tmp_path):
    transformer.EXPERIMENTS["transformer-recall"](tmp_path, "numpy", True)
    m = check_run(tmp_path, "transformer-recall")
    assert m["targets"]["numpy"]["accuracy"] > m["no_attention"]["accuracy"] + 0.1
    assert m["no_attention"]["accuracy"] < m["chance"] + 0.1


@pytest.mark.slow
def test_charlm_quick_reports_bits_per_character_beside_the_baselines(tmp_path):
    transformer.EXPERIMENTS["transformer-charlm"](tmp_path, "loihi2", True)
    m = check_run(tmp_path, "transformer-charlm")
    assert m["target"] == "loihi2"
    assert 0 < m["baseline"]["bits"] < m["unigram_bits"] + 0.5
    assert 0 < m["targets"]["numpy"]["bits"] < 8
