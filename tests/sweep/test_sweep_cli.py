"""`spikemem sweep` and `spikemem results`, run as a user would."""
import pytest

from spikemem.cli import main

TOML = """experiment = "sweep_fixtures:{name}"
description = "a small test study"
seeds = {seeds}
[fixed]
{fixed}
[grid]
a = [1.0, {second}]
"""


def write_config(tmp_path, name="counting", seeds=2, fixed="steps = 2", second="2.0"):
    path = tmp_path / f"{name}.toml"
    path.write_text(TOML.format(name=name, seeds=seeds, fixed=fixed, second=second))
    return path


def test_sweep_writes_the_store_and_results_prints_it(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sweep", str(write_config(tmp_path)), "--out", str(out), "--executor",
                 "serial", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "sweep_fixtures:counting: a small test study" in printed
    assert "fixed: steps=2" in printed and "4 trials (2 seeds): 4 ok, 0 failed, 0 pending" \
        in printed
    assert "| a | trials | mean (mean ± std) |" in printed
    for name in ("trials.csv", "summary.csv", "summary.md", "sweep.json", "plots"):
        assert (out / name).exists()
    assert main(["results", str(out)]) == 0
    assert capsys.readouterr().out.strip() == printed.strip()
    assert main(["results", str(out), "--metric", "product"]) == 0
    assert "| a | trials | product (mean ± std) |\n|---|---|---|\n| 1.0 | 2 | 1 ± 0 |" in \
        capsys.readouterr().out
    assert main(["results", str(out), "--trials"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 5


def test_failed_trials_are_listed_and_set_the_exit_code(tmp_path, capsys):
    out = tmp_path / "out"
    config = write_config(tmp_path, "failing", seeds=1, fixed="", second="-1.0")
    assert main(["sweep", str(config), "--out", str(out), "--executor", "serial",
                 "--no-progress"]) == 1
    printed = capsys.readouterr().out
    assert "2 trials (1 seeds): 1 ok, 1 failed, 0 pending" in printed
    assert "failed: trial" in printed and "ValueError: a = -1.0 must be >= 0" in printed
    assert "result.json" in printed


def test_results_of_a_running_sweep_show_pending_trials(tmp_path, capsys):
    from spikemem import sweep
    s = sweep.load(write_config(tmp_path))
    s.write(tmp_path / "out")
    assert main(["results", str(tmp_path / "out")]) == 0
    assert "4 trials (2 seeds): 0 ok, 0 failed, 4 pending" in capsys.readouterr().out


def test_experiments_are_listed_with_their_parameters(capsys):
    assert main(["sweep", "--experiments"]) == 0
    out = capsys.readouterr().out
    assert "lsm-reservoir" in out and "n=135, connectivity='grid'" in out
    assert "continual" in out and "ca3-noise" in out


@pytest.mark.parametrize("argv, message", [
    (["sweep"], "give a sweep TOML"),
    (["sweep", "no_such_sweep"], "sweep_example"),
    (["results", "no_such_folder"], "holds no sweep"),
])
def test_mistakes_exit_2_with_a_message(argv, message, capsys):
    assert main(argv) == 2
    assert message in capsys.readouterr().out


@pytest.mark.parametrize("cmd", ["sweep", "results"])
def test_help(cmd, capsys):
    with pytest.raises(SystemExit) as e:
        main([cmd, "--help"])
    assert e.value.code == 0 and "usage: spikemem" in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_shipped_example_runs_as_it_is(tmp_path, capsys):
    """experiments/sweep_example.toml: 2 swept parameters x 2 seeds of the LSM study."""
    import pandas as pd
    out = tmp_path / "example"
    assert main(["sweep", "sweep_example", "--out", str(out), "--no-progress"]) == 0
    assert "8 trials (2 seeds): 8 ok, 0 failed, 0 pending" in capsys.readouterr().out
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 4 and (summary["trials_ok"] == 2).all()
    assert (summary["accuracy_mean"] > 0.6).all()          # chance is 0.1
    assert (out / "plots" / "accuracy.png").exists()
