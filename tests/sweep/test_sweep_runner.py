"""The runner loses nothing: finished trials are skipped, interrupted ones resume from their
checkpoints, a failing trial records its traceback without stopping the others, a trial
whose worker process dies is run again, and two runs never write into one folder."""
import json

import pytest

from spikemem import ModelError, sweep
from spikemem.sweep import trial as trials


def counting_sweep(**extra):
    return sweep.from_dict({"experiment": "sweep_fixtures:counting", "seeds": 2,
                            "grid": {"a": [1.0, 2.0], "b": [0.5, 1.5]}, **extra})


def results(records):
    return [(r["key"], r["status"], r.get("metrics")) for r in records]


@pytest.mark.parametrize("executor", ["serial", "local"])
def test_executors_give_the_same_results_and_reruns_skip_finished_trials(tmp_path, executor):
    s = counting_sweep()
    reference = sweep.run_trials(s, tmp_path / "ref", executor="serial", progress=False)
    records = sweep.run_trials(s, tmp_path / executor, executor=executor, workers=2,
                               progress=False)
    assert results(records) == results(reference)
    assert all(r["status"] == "ok" for r in records) and len(records) == 8
    stamps = {t.key: (t.folder(tmp_path / executor) / "result.json").stat().st_mtime_ns
              for t in s.trials}
    again = sweep.run_trials(s, tmp_path / executor, executor=executor, progress=False)
    assert results(again) == results(records)
    assert stamps == {t.key: (t.folder(tmp_path / executor) / "result.json").stat().st_mtime_ns
                      for t in s.trials}
    assert all(len(trials.attempts(t, tmp_path / executor)) == 1 for t in s.trials)


def test_a_trial_folder_holds_its_configuration_result_and_files(tmp_path):
    s = counting_sweep()
    sweep.run_trials(s, tmp_path, executor="serial", progress=False)
    t = s.trials[0]
    folder = tmp_path / "trials" / t.key
    assert json.loads((folder / "trial.json").read_text()) == t.to_dict()
    record = json.loads((folder / "result.json").read_text())
    assert record["status"] == "ok" and record["params"] == {"a": 1.0, "b": 0.5}
    assert record["seconds"] >= 0 and record["attempt"] == 1
    assert (folder / "state.json").exists()                     # the experiment's own file
    assert json.loads((tmp_path / "sweep.json").read_text())["trials"][0]["key"] == t.key
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_an_interrupted_trial_resumes_from_its_checkpoint(tmp_path):
    s = sweep.from_dict({"experiment": "sweep_fixtures:counting", "fixed": {"a": 1.0,
                                                                          "steps": 4}})
    (t,) = s.trials
    full = sweep.run_trials(s, tmp_path / "full", executor="serial", progress=False)
    # a previous run stopped after two steps: its checkpoint is in the trial's folder
    part = sweep.find("sweep_fixtures:counting")
    t.folder(tmp_path / "cut").mkdir(parents=True)
    part.run({"a": 1.0, "steps": 2}, 0, t.folder(tmp_path / "cut"))
    state = json.loads((t.folder(tmp_path / "cut") / "state.json").read_text())
    assert state["done"] == 2
    resumed = sweep.run_trials(s, tmp_path / "cut", executor="serial", progress=False)
    assert resumed[0]["metrics"] == full[0]["metrics"]
    log = (t.folder(tmp_path / "cut") / "steps.log").read_text().split()
    assert log == ["0", "1", "2", "3"]                          # no step computed twice


@pytest.mark.parametrize("executor", ["serial", "local"])
def test_a_failing_trial_records_its_traceback_and_the_others_finish(tmp_path, executor):
    s = sweep.from_dict({"experiment": "sweep_fixtures:failing", "grid": {"a": [1.0, -1.0,
                                                                              2.0]}})
    records = sweep.run_trials(s, tmp_path, executor=executor, workers=2, progress=False)
    assert [r["status"] for r in records] == ["ok", "failed", "ok"]
    assert records[1]["error"] == "ValueError: a = -1.0 must be >= 0"
    assert "Traceback" in records[1]["traceback"] and "def failing" not in records[1]["error"]
    again = sweep.run_trials(s, tmp_path, executor="serial", progress=False)
    assert len(trials.attempts(s.trials[1], tmp_path)) == 2     # failed: tried again
    assert len(trials.attempts(s.trials[0], tmp_path)) == 1     # finished: skipped
    assert again[1]["status"] == "failed"


def test_a_worker_that_dies_mid_trial_is_replaced_and_the_trial_retried(tmp_path):
    s = sweep.from_dict({"experiment": "sweep_fixtures:dying", "fixed": {"times": 1},
                         "seeds": 3})
    records = sweep.run_trials(s, tmp_path, executor="local", workers=2, progress=False)
    assert [r["status"] for r in records] == ["ok"] * 3
    assert [r["metrics"]["value"] for r in records] == [1, 11, 21]
    # each trial killed its worker on its first run; a pool that loses a worker is replaced,
    # and the trials running beside it start once more, so how many runs a trial took
    # depends on which trials shared a pool when one died: at least two
    assert all(r["metrics"]["runs"] >= 2 for r in records)
    assert all(len(trials.attempts(t, tmp_path)) >= 2 for t in s.trials)


def test_a_trial_that_keeps_killing_its_worker_fails_after_the_retries(tmp_path):
    s = sweep.from_dict({"experiment": "sweep_fixtures:dying", "fixed": {"times": 9}})
    (record,) = sweep.run_trials(s, tmp_path, executor="local", workers=1, retries=1,
                                 progress=False)
    assert record["status"] == "failed"
    assert record["error"].startswith("its worker process died, 2 times: gave up")


def test_a_second_run_on_the_same_folder_is_refused(tmp_path):
    from spikemem.sweep.runner import _lock
    with _lock(tmp_path):
        with pytest.raises(ModelError, match="another run .* is writing into"):
            sweep.run_trials(counting_sweep(), tmp_path, executor="serial", progress=False)
    sweep.run_trials(counting_sweep(), tmp_path, executor="serial", progress=False)


def test_bad_executor_options_are_refused(tmp_path):
    for options, message in (({"executor": "dask"}, "unknown executor 'dask'"),
                             ({"address": "1.2.3.4:6379"}, "add --executor ray"),
                             ({"workers": 0}, "--workers must be >= 1")):
        with pytest.raises(ModelError, match=message):
            sweep.run_trials(counting_sweep(), tmp_path, progress=False, **options)


def test_ray_executor_without_ray_says_how_to_install_it(tmp_path, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ModelError, match=r"pip install 'spikemem\[ray\]'"):
        sweep.run_trials(counting_sweep(), tmp_path, executor="ray", progress=False)
