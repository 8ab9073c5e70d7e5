"""Issue 18 for the continual harness and the command line: every config key and value is
checked before any work (misspelt keys name the nearest known one), damaged checkpoints name
the file to delete, and the `spikemem` command answers bad input with one line and exit
code 2, never a traceback."""
import numpy as np
import pytest

import spikemem as sm
from spikemem.cli.app import run as cli
from spikemem.continual import checkpoint, resolve
from spikemem.errors import ModelError, ModelFileError


@pytest.mark.parametrize("cfg, pattern", [
    ({"train": {"epoch": 1}}, r"config \[train\]: unknown key 'epoch' \(did you mean 'epochs'\?\)"),
    ({"tasks": {"sequnce": "split"}},
     r"config \[tasks\]: unknown key 'sequnce' \(did you mean 'sequence'\?\)"),
    ({"quick": {"network": {"hiden": [4]}}},
     r"config \[quick.network\]: unknown key 'hiden' \(did you mean 'hidden'\?\)"),
    ({"quick": {"trian": {}}}, r"config \[quick\] has unknown sections \['trian'\] \(did you mean "
                               r"'train'\?\)"),
    ({"evalute": {}}, r"config has unknown sections \['evalute'\] \(did you mean 'evaluate'\?\)"),
    ({"train": {"lr": -1}}, r"config \[train\] lr = -1: must be a number in \(0, inf\)"),
    ({"train": {"epochs": 0}}, r"config \[train\] epochs = 0: must be an integer >= 1"),
    ({"train": {"batch": 0}}, r"config \[train\] batch = 0: must be an integer >= 1"),
    ({"train": {"momentum": 1.0}},
     r"config \[train\] momentum = 1.0: must be a number in \[0, 1\)"),
    ({"train": {"online": "yes"}}, r"config \[train\] online = 'yes': must be true or false"),
    ({"network": {"steps": 0}}, r"config \[network\] steps = 0: must be an integer >= 1"),
    ({"network": {"hidden": "big"}}, r"config \[network\] hidden = 'big': must be a list of "
                                     r"integers >= 1"),
    ({"network": {"tau_mem": float("nan")}}, r"config \[network\] tau_mem = nan"),
    ({"tasks": {"n_tasks": 2.5}}, r"config \[tasks\] n_tasks = 2.5: must be an integer >= 1"),
    ({"tasks": {"dataset": "cifar"}}, r"config \[tasks\] dataset = 'cifar': must be one of "
                                      r"\['digits', 'mnist'\]"),
    ({"evaluate": {"targets": ["gpu"]}}, r"config \[evaluate\] targets = \['gpu'\]: must be "
                                         r"target names from .*'gpu' is not a spikemem target"),
    ({"evaluate": {"targets": ["numpi"]}}, r"'numpi' is not a spikemem target \(did you mean "
                                           r"'numpy'\?\)"),
    ({"evaluate": {"samples": -5}}, r"config \[evaluate\] samples = -5"),
    ({"methods": {"ewc": 3}}, r"config \[methods.ewc\] must be a table"),
])
def test_config_keys_and_values_are_checked_before_any_work(cfg, pattern):
    with pytest.raises(ModelError, match=pattern):
        resolve(cfg)


def test_quick_values_are_checked_when_used():
    cfg = {"quick": {"train": {"epochs": 0}}}
    resolve(cfg)  # not used without --quick: only its keys are checked
    with pytest.raises(ModelError, match=r"config \[train\] epochs = 0"):
        resolve(cfg, quick=True)


def test_shipped_configs_pass():
    from spikemem.continual.config import load_config
    for name in ("permuted_digits", "split_digits"):
        resolve(load_config(name))
        resolve(load_config(name), quick=True)


def save_checkpoint(path, done=1):
    checkpoint.save(path, model={"w": np.ones(3)}, method={}, matrix=np.zeros((2, 2)), done=done,
                    baseline=np.zeros(2), config="{}")


@pytest.mark.parametrize("damage", ["truncated", "partial", "empty", "not a zip", "done"])
def test_a_damaged_checkpoint_names_the_file_to_delete(tmp_path, damage):
    path = tmp_path / "ck.npz"
    save_checkpoint(path, done=5 if damage == "done" else 1)
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[:200])
    elif damage == "partial":
        np.savez(path, matrix=np.zeros((2, 2)))
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "not a zip":
        path.write_bytes(b"checkpoint?")
    with pytest.raises(ModelFileError, match=r"checkpoint '.*ck.npz' is damaged or incomplete .*"
                                             r"delete it, and this method and seed restart"):
        checkpoint.load(path)


def test_an_intact_checkpoint_loads(tmp_path):
    save_checkpoint(tmp_path / "ck.npz")
    state = checkpoint.load(tmp_path / "ck.npz")
    assert state["done"] == 1 and state["model"]["w"].tolist() == [1.0, 1.0, 1.0]


# ---- the command line ------------------------------------------------------------------------
def one_line_error(capsys, pattern):
    out = capsys.readouterr()
    assert "Traceback" not in out.out + out.err
    lines = out.out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("spikemem run: error: "), out.out
    assert __import__("re").search(pattern, lines[0]), lines[0]


def saved_model(tmp_path):
    net = sm.Network()
    net.source("in", 2)
    net.population("p", 2)
    net.connect("in", "p", np.eye(2))
    net.save(tmp_path / "m.npz")
    return str(tmp_path / "m.npz")


@pytest.mark.parametrize("args, pattern", [
    (["--steps", "1000000000000"], r"run\(1000000000000\).*would need about .* of memory"),
    (["--steps", "0"], r"run\(steps=0\): steps must be an int >= 1"),
    (["--out", "{tmp}/file.txt"], r"--out '.*file.txt' is a file, not a folder"),
    (["--out", "/proc/spikemem/out"], r"--out '/proc/spikemem/out': cannot create the folder"),
    (["--inputs", "{tmp}/missing.npz"], r"--inputs '.*missing.npz'.*\(it does not exist\)"),
    (["--inputs", "{tmp}/file.txt"], r"--inputs '.*file.txt'.*not an .npz \(zip\) archive"),
    (["--inputs", "{tmp}/wrong.npz"], r"input 'in' has 3 steps but run\(\) was asked for 10"),
    (["--inputs", "{tmp}/floats.npz"], r"input 'in' has dtype float64; spikes must be bool"),
    (["--inputs", "{tmp}/other.npz"], r"--inputs: 'nope' is not an input source"),
    (["--seed", "-1"], r"compile\(seed=-1\)"),
])
def test_cli_run_answers_bad_input_with_one_line(tmp_path, capsys, args, pattern):
    (tmp_path / "file.txt").write_text("x")
    np.savez(tmp_path / "wrong.npz", **{"in": np.zeros((3, 2), bool)})
    np.savez(tmp_path / "floats.npz", **{"in": np.zeros((10, 2))})
    np.savez(tmp_path / "other.npz", nope=np.zeros((10, 2), bool))
    argv = ["run", saved_model(tmp_path), "--steps", "10", "--out", str(tmp_path / "o")]
    argv += [a.format(tmp=tmp_path) for a in args]
    assert cli(argv) == 2
    one_line_error(capsys, pattern)


def test_cli_model_errors_are_one_line_and_warnings_go_to_stderr(tmp_path, capsys):
    (tmp_path / "bad.npz").write_bytes(b"\x00" * 100)
    assert cli(["run", str(tmp_path / "bad.npz"), "--out", str(tmp_path / "o")]) == 2
    one_line_error(capsys, r"'.*bad.npz' is not a spikemem model file")
    # an input source given no input: a one-line warning on stderr, and the run succeeds
    assert cli(["run", saved_model(tmp_path), "--steps", "5", "--out", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert "spikemem run: warning: input source 'in' was given no input" in err
    assert "Traceback" not in err
