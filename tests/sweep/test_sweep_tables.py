"""The results store: one table of every trial (parameters and metrics), a summary of mean ±
std over seeds, its markdown text and a plot of each metric against each swept parameter."""
import numpy as np
import pandas as pd
import pytest

from spikemem import ModelError, sweep
from spikemem.sweep import tables


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    out = tmp_path_factory.mktemp("store")
    s = sweep.from_dict({"experiment": "sweep_fixtures:counting", "seeds": 3,
                         "fixed": {"steps": 2}, "grid": {"a": [1.0, 2.0], "b": [0.5, 3.0]}})
    records = sweep.run_trials(s, out, executor="serial", progress=False)
    return s, out, records, tables.write(s, out)


def test_trials_table_has_one_row_per_trial_with_parameters_and_metrics(store):
    s, out, records, written = store
    table = pd.read_csv(out / "trials.csv")
    assert list(table.columns) == ["trial", "status", "error", "seed", "a", "b", "mean",
                                   "product", "positive", "nested.a_plus_seed"]
    assert list(table["trial"]) == [t.key for t in s.trials]
    assert (table["status"] == "ok").all() and list(table["seed"][:3]) == [0, 1, 2]
    assert np.allclose(table["mean"], [r["metrics"]["mean"] for r in records])
    assert table.equals(pd.read_csv(out / "trials.csv"))
    assert written["trials"]["trial"].tolist() == table["trial"].tolist()
    assert np.allclose(written["trials"]["mean"], table["mean"])


def test_summary_is_mean_and_std_over_seeds_per_setting(store):
    s, out, records, written = store
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 4 and list(summary.columns[:4]) == ["a", "b", "trials_ok",
                                                               "trials_failed"]
    first = [r["metrics"]["mean"] for r in records[:3]]
    row = summary.iloc[0]
    assert (row["a"], row["b"], row["trials_ok"]) == (1.0, 0.5, 3)
    assert row["mean_mean"] == pytest.approx(np.mean(first))
    assert row["mean_std"] == pytest.approx(np.std(first))      # ddof 0, like continual
    assert row["positive_mean"] == pytest.approx(np.mean([m > 0 for m in first]))
    text = (out / "summary.md").read_text().splitlines()
    assert text[0] == ("| a | b | trials | mean (mean ± std) | product (mean ± std) | "
                       "positive (mean ± std) | nested.a_plus_seed (mean ± std) |")
    assert text[2].startswith(f"| 1.0 | 0.5 | 3 | {np.mean(first):.4g} ± ")


def test_plots_each_varying_metric_against_the_swept_parameters(store):
    s, out, records, written = store
    names = sorted(p.name for p in written["plots"])
    # `positive` is True in every trial: a constant is not plotted
    assert written["trials"]["positive"].all()
    assert names == ["mean.png", "nested.a_plus_seed.png", "product.png"]
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in written["plots"])


def test_chosen_metrics_pending_and_failed_trials(tmp_path):
    s = sweep.from_dict({"experiment": "sweep_fixtures:failing", "grid": {"a": [1.0, -1.0]},
                         "metrics": ["double"]})
    sweep.run_trials(sweep.Sweep(s.experiment, s.trials[:1], swept=s.swept,
                                 metrics=s.metrics), tmp_path, executor="serial",
                     progress=False)
    s.write(tmp_path)
    table = tables.trials(s, tmp_path)
    assert list(table["status"]) == ["ok", "pending"]
    sweep.run_trials(s, tmp_path, executor="serial", progress=False)
    written = tables.write(s, tmp_path)
    assert list(written["trials"]["status"]) == ["ok", "failed"]
    assert written["trials"]["error"][1] == "ValueError: a = -1.0 must be >= 0"
    assert "| -1.0 | 0 (1 failed) | — |" in written["markdown"]
    bad = sweep.Sweep(s.experiment, s.trials, swept=s.swept, metrics=("accuracy",))
    with pytest.raises(ModelError, match=r"metric\(s\) \['accuracy'\] are not among"):
        tables.write(bad, tmp_path)


def test_flatten_keeps_numbers_and_bools_and_names_collisions(tmp_path):
    assert tables.flatten({"a": 1, "b": {"c": 2.5, "d": [1]}, "e": "x", "f": True}) == \
        {"a": 1, "b.c": 2.5, "f": True}
    s = sweep.from_dict({"experiment": "sweep_fixtures:failing", "grid": {"a": [1.0]}})
    sweep.run_trials(s, tmp_path, executor="serial", progress=False)
    table = tables.trials(s, tmp_path)      # the metric `a` meets the parameter `a`
    assert list(table.columns)[-3:] == ["a", "double", "metric.a"]


def test_without_pandas_the_store_says_how_to_install_it_before_any_trial(tmp_path,
                                                                          monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "pandas", None)
    s = sweep.from_dict({"experiment": "sweep_fixtures:failing", "grid": {"a": [1.0]}})
    with pytest.raises(ModelError, match=r"pip install 'spikemem\[sweep\]'"):
        sweep.run_sweep(s, tmp_path, executor="serial", progress=False)
    assert not (tmp_path / "trials").exists()
