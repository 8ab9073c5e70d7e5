"""The harness: resume after an interruption reproduces the uninterrupted accuracy matrix,
checkpoints are atomic npz files tied to their config, methods x seeds run as sweep trials
(resumed, in parallel), the CLI writes metrics.json."""
import json

import numpy as np
import pytest

pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")

from spikemem import ModelError  # noqa: E402
from spikemem.cli.app import run as cli  # noqa: E402
from spikemem.continual import checkpoint, resolve, run  # noqa: E402
from spikemem.continual.methods import build_method  # noqa: E402
from spikemem.continual.runner import Interrupted, plan, run_one  # noqa: E402

TINY = {
    "tasks": {"dataset": "digits", "sequence": "permuted", "n_tasks": 3, "limit_train": 120,
              "limit_test": 40},
    "network": {"hidden": [24, 16], "steps": 4},
    "train": {"epochs": 2, "lr": 0.1, "batch": 10},
    "evaluate": {"targets": ["numpy"], "samples": 8},
    "methods": {"finetune": {}, "ewc": {"lam": 50.0, "fisher_samples": 40},
                "hlop": {"dims_first": [8, 6, 6], "dims_inc": [4, 3, 3]}},
}


@pytest.mark.parametrize("method", ["ewc", "hlop"])
def test_resume_after_interruption_gives_the_same_matrix(tmp_path, method):
    cfg = resolve(TINY)
    full = run_one(cfg, method, 0, tmp_path / "a.npz")["matrix"]
    with pytest.raises(Interrupted):
        run_one(cfg, method, 0, tmp_path / "b.npz", stop_after=0)
    assert checkpoint.load(tmp_path / "b.npz")["done"] == 1
    resumed = run_one(cfg, method, 0, tmp_path / "b.npz")["matrix"]
    assert np.array_equal(resumed, full)
    assert full[0, 0] > 0.25           # it learned (chance is 0.1)


def test_checkpoint_of_another_config_is_refused(tmp_path):
    cfg = resolve(TINY)
    with pytest.raises(Interrupted):
        run_one(cfg, "finetune", 0, tmp_path / "c.npz", stop_after=0)
    other = resolve({**TINY, "train": {"epochs": 2}})
    with pytest.raises(ModelError, match="another config"):
        run_one(other, "finetune", 0, tmp_path / "c.npz")


def test_checkpoint_is_plain_npz_and_atomic(tmp_path):
    path = tmp_path / "k.npz"
    checkpoint.save(path, model={"w0": np.ones((2, 2))}, method={"fisher0": np.zeros(3)},
                    matrix=np.eye(2), done=1, baseline=[0.1, 0.2], config="{}")
    with np.load(path, allow_pickle=False) as z:
        assert set(z.files) >= {"model/w0", "method/fisher0", "matrix", "done"}
    assert [p.name for p in tmp_path.iterdir()] == ["k.npz"]
    d = checkpoint.load(path)
    assert d["done"] == 1 and np.array_equal(d["model"]["w0"], np.ones((2, 2)))


def test_run_writes_metrics_plots_and_resumes_without_retraining(tmp_path):
    cfg = {**TINY, "tasks": {**TINY["tasks"], "n_tasks": 2},
           "methods": {"finetune": {}, "multitask": {}}}
    metrics = run(cfg, 1, tmp_path, progress=False)
    for name in ("finetune", "multitask"):
        m = metrics[name]
        assert np.asarray(m["matrix"]).shape == (2, 2)
        assert m["acc"] == pytest.approx(np.mean(m["matrix"][-1]))
        assert m["targets"]["numpy"]["acc"] == pytest.approx(m["targets"]["numpy"]["torch_acc"],
                                                             abs=0.05)
    assert (tmp_path / "plots" / "matrix.png").stat().st_size > 1000
    assert (tmp_path / "plots" / "curves.png").stat().st_size > 1000
    trials = plan(resolve(cfg), [0]).trials
    assert [t.params["method"] for t in trials] == ["finetune", "multitask"]
    ckpt = trials[0].folder(tmp_path) / "checkpoint.npz"
    assert checkpoint.load(ckpt)["done"] == 2
    stamps = [t.folder(tmp_path).joinpath("result.json").stat().st_mtime_ns for t in trials]
    again = run(cfg, 1, tmp_path, progress=False)
    assert [t.folder(tmp_path).joinpath("result.json").stat().st_mtime_ns
            for t in trials] == stamps
    assert again["finetune"]["matrix"] == metrics["finetune"]["matrix"]


def test_run_resumes_a_trial_from_its_checkpoint_and_matches(tmp_path):
    """A trial interrupted after its first task (its checkpoint left in its folder) is resumed
    by run(): the result equals an uninterrupted run's."""
    cfg = {**TINY, "methods": {"ewc": TINY["methods"]["ewc"]}}
    full = run(cfg, 1, tmp_path / "full", progress=False)
    (trial,) = plan(resolve(cfg), [0]).trials
    with pytest.raises(Interrupted):
        run_one(resolve(trial.params["config"]), "ewc", 0,
                trial.folder(tmp_path / "cut") / "checkpoint.npz", stop_after=0)
    resumed = run(cfg, 1, tmp_path / "cut", progress=False)
    assert resumed["ewc"]["matrix"] == full["ewc"]["matrix"]


def test_a_failing_method_fails_the_run_naming_it_and_keeps_the_others(tmp_path):
    cfg = {**TINY, "tasks": {**TINY["tasks"], "n_tasks": 2},
           "methods": {"finetune": {}, "ewc": {"lambda": 3}}}
    with pytest.raises(ModelError, match="1 of 2 trials failed.*'ewc' seed 0.*bad options"):
        run(cfg, 1, tmp_path, progress=False)
    ok, bad = plan(resolve(cfg), [0]).trials
    assert json.loads((ok.folder(tmp_path) / "result.json").read_text())["status"] == "ok"
    assert "Traceback" in json.loads((bad.folder(tmp_path) / "result.json").read_text())[
        "traceback"]


def test_cli_continual_writes_metrics_json(tmp_path, capsys):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[tasks]\nn_tasks = 2\nlimit_train = 80\nlimit_test = 30\n'
                   '[network]\nhidden = [16, 16]\nsteps = 4\n[train]\nepochs = 1\n'
                   '[evaluate]\nsamples = 4\n[methods.finetune]\n'
                   '[quick]\ntrain = { epochs = 1, batch = 40 }\n')
    out = tmp_path / "out"
    assert cli(["continual", str(cfg), "--seeds", "2", "--out", str(out), "--quick",
                "--no-progress", "--executor", "serial"]) == 0
    m = json.loads((out / "metrics.json").read_text())
    assert set(m) == {"finetune"}
    assert 0 <= m["finetune"]["acc"] <= 1 and -1 <= m["finetune"]["bwt"] <= 1
    assert len(m["finetune"]["per_seed"]["acc"]) == 2
    assert json.loads((out / "run.json").read_text())["config"]["train"]["batch"] == 40
    table = (out / "results.md").read_text().splitlines()
    assert table[0].startswith("| method | ACC (%) | BWT (%) | FWT (%) | numpy ACC (%, first seed)")
    acc, std = 100 * m["finetune"]["acc"], 100 * m["finetune"]["acc_std"]
    assert table[2].startswith(f"| finetune | {acc:.1f} ± {std:.1f} |")
    assert '"finetune"' in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_methods_x_seeds_in_a_process_pool_equal_the_serial_run(tmp_path):
    """The trials in spawned worker processes (the CLI's default, --executor local) give the
    metrics of one after the other in this process; `spikemem results` reads the folder."""
    cfg = {**TINY, "tasks": {**TINY["tasks"], "n_tasks": 2}}
    serial = run(cfg, 2, tmp_path / "serial", progress=False)
    pooled = run(cfg, 2, tmp_path / "pool", progress=False, executor="local", workers=2)
    assert pooled == serial
    assert cli(["results", str(tmp_path / "pool")]) == 0


def test_bad_config_and_method_names(tmp_path):
    with pytest.raises(ModelError, match="unknown sections"):
        resolve({"taks": {}})
    with pytest.raises(ModelError, match="unknown method"):
        build_method("replay")
    with pytest.raises(ModelError, match="bad options"):
        build_method("ewc", {"lambda": 3})
    bad = tmp_path / "bad.toml"
    bad.write_text("[tasks\n")
    assert cli(["continual", str(bad), "--out", str(tmp_path)]) == 2


def test_online_trace_training_learns():
    """The online rule (per-step loss, presynaptic traces, no BPTT) learns a task."""
    from spikemem.continual import FineTune, TrainConfig, make_tasks
    from spikemem.continual.metrics import accuracy
    from spikemem.continual.network import Classifier, mlp
    task = make_tasks("digits", "split", 5, limit_train=300, limit_test=100)[1]
    model = Classifier(mlp([64, 24, 10], seed=0), 4)
    before = accuracy(model.predict(task.x_test), task.y_test, task.classes)
    cfg = TrainConfig(epochs=2, lr=0.05, batch=10, online=True)
    FineTune().train_task(model, [task], 0, cfg, np.random.default_rng(0), scenario="task")
    after = accuracy(model.predict(task.x_test), task.y_test, task.classes)
    assert after > 0.85 and after > before + 0.2


def test_shipped_configs_load_by_name(tmp_path):
    """The experiment configs are package data: a bare name loads the shipped file, an unknown
    name's error lists the shipped ones."""
    from pathlib import Path

    from spikemem.continual.config import load_config, shipped_configs
    root = Path(__file__).resolve().parents[2] / "experiments"
    shipped = shipped_configs()
    assert set(shipped) == {p.stem for p in root.glob("*.toml")}
    assert load_config("permuted_digits") == load_config(root / "permuted_digits.toml")
    with pytest.raises(ModelError, match="permuted_digits"):
        load_config(tmp_path / "no_such_config")
