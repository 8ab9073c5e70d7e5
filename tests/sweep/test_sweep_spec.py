"""Sweep specs: the TOML tables expand into grid x random draws x seeds; every mistake is
refused naming the key and the fix; experiments plug in through their EXPERIMENTS dict."""
from pathlib import Path

import pytest

from spikemem import ModelError, sweep
from spikemem.sweep.experiment import REQUIRED

ROOT = Path(__file__).resolve().parents[2]


def spec(**tables):
    return {"experiment": "sweep_fixtures:counting", **tables}


def test_grid_random_and_seeds_expand_to_every_combination():
    s = sweep.from_dict(spec(fixed={"steps": 2}, grid={"a": [1.0, 2.0, 3.0]},
                             random={"samples": 2, "seed": 5, "b": {"log_uniform": [0.5, 8]}},
                             seeds=[3, 4]))
    assert len(s.trials) == 3 * 2 * 2
    assert s.swept == ("a", "b") and s.seeds == (3, 4) and s.fixed == {"steps": 2}
    assert [t.seed for t in s.trials[:4]] == [3, 4, 3, 4]
    bs = sorted({t.params["b"] for t in s.trials})
    assert len(bs) == 2 and all(0.5 <= b <= 8 for b in bs)
    assert {t.params["b"] for t in s.trials if t.params["a"] == 1.0} == set(bs)  # grid x draws
    assert all(t.params["steps"] == 2 for t in s.trials)
    again = sweep.from_dict(spec(fixed={"steps": 2}, grid={"a": [1.0, 2.0, 3.0]},
                                 random={"samples": 2, "seed": 5,
                                         "b": {"log_uniform": [0.5, 8]}}, seeds=[3, 4]))
    assert [t.key for t in again.trials] == [t.key for t in s.trials]
    assert len({t.key for t in s.trials}) == len(s.trials)


def test_random_distributions():
    s = sweep.from_dict(spec(random={"samples": 50, "a": {"uniform": [-1, 1]},
                                     "b": {"choice": [0.5, 2.0]}, "steps": {"int": [1, 3]}}))
    a = [t.params["a"] for t in s.trials]
    assert all(-1 <= v <= 1 for v in a) and len(set(a)) == 50
    assert {t.params["b"] for t in s.trials} == {0.5, 2.0}
    assert {t.params["steps"] for t in s.trials} == {1, 2, 3}
    assert all(type(t.params["steps"]) is int for t in s.trials)


@pytest.mark.parametrize("tables, message", [
    ({"grids": {}}, r"unknown key\(s\) \['grids'\]"),
    ({"grid": {"a": 1.0}}, "grid.a must be a non-empty list"),
    ({"fixed": {"a": 1.0}, "grid": {"a": [2.0]}}, r"\['a'\] appear in more than one"),
    ({"grid": {"a": [1.0], "c": [1]}}, r"takes no parameter\(s\) \['c'\]; it takes a, b=1.0"),
    ({"grid": {"b": [1.0]}}, r"needs parameter\(s\) \['a'\]"),
    ({"fixed": {"a": 1.0, "seed": 3}}, "give seeds with `seeds`"),
    ({"fixed": {"a": 1.0}, "seeds": 0}, "seeds must be a count >= 1"),
    ({"fixed": {"a": 1.0}, "seeds": [1, 1]}, "list of distinct ints"),
    ({"fixed": {"a": 1.0}, "random": {"b": {"normal": [0, 1]}}}, "random.b must be one of"),
    ({"fixed": {"a": 1.0}, "random": {"b": {"log_uniform": [0, 1]}}}, "lo > 0"),
    ({"fixed": {"a": 1.0}, "random": {"steps": {"int": [1, 2.5]}}}, "both ints"),
    ({"fixed": {"a": 1.0}, "random": {"samples": 0, "b": {"uniform": [0, 1]}}},
     "samples must be an int >= 1"),
    ({"fixed": {"a": 1.0}, "metrics": "mean"}, "metrics must be a list"),
])
def test_mistakes_are_refused_by_name(tables, message):
    with pytest.raises(ModelError, match=message):
        sweep.from_dict(spec(**tables))


def test_unknown_experiments_and_modules_are_named():
    with pytest.raises(ModelError, match="unknown experiment 'nope'.*lsm-reservoir"):
        sweep.from_dict({"experiment": "nope"})
    with pytest.raises(ModelError, match="module 'sweep_fixtures' has no experiment 'nope'"):
        sweep.from_dict({"experiment": "sweep_fixtures:nope"})
    with pytest.raises(ModelError, match="cannot import the experiments of 'no_such_module'"):
        sweep.from_dict({"experiment": "no_such_module:x"})
    with pytest.raises(ModelError, match="name the experiment"):
        sweep.from_dict({"grid": {}})


def test_an_experiment_without_a_seed_runs_once_per_setting():
    e = sweep.find("sweep_fixtures:unseeded")
    assert not e.seeded and e.parameters == {"target": "numpy", "quick": False}
    s = sweep.from_dict({"experiment": "sweep_fixtures:unseeded", "grid": {"quick": [0, 1]}})
    assert len(s.trials) == 2
    with pytest.raises(ModelError, match="takes no seed.*seeds = 1"):
        sweep.from_dict({"experiment": "sweep_fixtures:unseeded", "seeds": 2})


def test_every_shipped_experiment_plugs_in_through_its_experiments_dict():
    """The models' `spikemem experiment` functions (out_dir, target, quick) are sweep
    experiments as they are; the parametrised study and the continual trial take more."""
    from spikemem.cli.cmd_experiment import available as cli_experiments
    found = sweep.available()
    assert set(cli_experiments()) <= set(found)
    assert {"lsm-reservoir", "continual"} <= set(found)
    for name in cli_experiments():
        assert {"target", "quick"} <= set(sweep.find(name).parameters)
    lsm = sweep.find("lsm-reservoir")
    assert lsm.seeded and lsm.parameters["n"] == 135 and lsm.parameters["target"] == "numpy"
    cont = sweep.find("continual")
    assert cont.parameters["config"] is REQUIRED and cont.parameters["method"] is REQUIRED


def test_an_experiment_with_keyword_arguments_takes_any_parameter(tmp_path):
    e = sweep.find("sweep_fixtures:anything")
    assert e.seeded and e.signature() == "seed=0, **params"
    s = sweep.from_dict({"experiment": "sweep_fixtures:anything", "grid": {"x": [1, 2]},
                         "fixed": {"y": "z"}, "seeds": 2})
    assert len(s.trials) == 4
    assert e.run(s.trials[3].params, s.trials[3].seed, tmp_path) == {"given": 2, "seed": 1}
    with pytest.raises(ModelError, match="give seeds with `seeds`"):
        e.check({"seed": 1})


def test_experiment_run_passes_params_and_seed(tmp_path):
    e = sweep.find("sweep_fixtures:counting")
    m = e.run({"a": 2.0, "steps": 1}, 7, tmp_path)
    assert m["product"] == 2.0 and m["nested"]["a_plus_seed"] == 9.0
    assert (tmp_path / "state.json").exists()


def test_shipped_example_is_a_real_small_study():
    s = sweep.load("sweep_example")
    assert s.experiment == "lsm-reservoir" and len(s.swept) >= 2 and len(s.seeds) >= 2
    assert s == sweep.load(ROOT / "experiments" / "sweep_example.toml")
    assert len(s.trials) == 8


def test_sweep_json_round_trips(tmp_path):
    s = sweep.from_dict(spec(fixed={"steps": 2}, grid={"a": [1.0, 2.0]}, seeds=2,
                             metrics=["mean"], description="d"))
    s.write(tmp_path)
    assert sweep.read(tmp_path) == s
    with pytest.raises(ModelError, match="holds no sweep"):
        sweep.read(tmp_path / "elsewhere")


def test_bad_experiment_functions_are_refused(tmp_path):
    def no_folder(*, seed=0):
        return {}

    def star(out_dir, *values):
        return {}

    def not_a_dict(out_dir):
        return 3
    with pytest.raises(ModelError, match="output folder as its first argument"):
        sweep.from_function("m:no_folder", no_folder)
    with pytest.raises(ModelError, match=r"\*values cannot be set"):
        sweep.from_function("m:star", star)
    with pytest.raises(ModelError, match="returned int, not a dict of metrics"):
        sweep.from_function("m:not_a_dict", not_a_dict).run({}, 0, tmp_path)
