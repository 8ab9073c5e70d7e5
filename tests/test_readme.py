"""The README's Python examples run as written and give what their comments say."""
import re
from pathlib import Path

import pytest

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, re.S)


def check_quick_start(ns):
    assert ns["same"].n_neurons == ns["net"].n_neurons == 400
    assert ns["res"].spikes["exc"].shape == (300, 400)


def check_models_and_weights(ns):
    proj = ns["net"].projections["img->fmap"]
    assert (proj.n_parameters, proj.n_synapses) == (72, 3872)
    assert ns["res"].traces["fmap"]["a"].shape == (50, 256)
    assert ns["res"].traces["fmap"]["a"].max() > 0       # the neurons adapted


def check_memory_models(ns):
    assert list(ns["out"][1].cues) == [0] and list(ns["out"][1].content) == [8]
    assert ns["H"].shape == (2, 6)
    assert ns["f_tr"].shape[0] == ns["x_tr"].shape[0]


#: a word only that block uses -> the check of its results
CHECKS = {"net.save(": check_quick_start, "sm.Conv2d(": check_models_and_weights,
          "ca3.ContentAddressableMemory": check_memory_models}


def test_every_example_has_a_check():
    assert len(BLOCKS) == len(CHECKS)
    for block in BLOCKS:
        assert sum(key in block for key in CHECKS) == 1, block[:80]


@pytest.mark.slow
@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the quick start saves net.npz
    namespace = {}
    exec(compile(BLOCKS[index], f"README block {index}", "exec"), namespace)
    check = next(c for key, c in CHECKS.items() if key in BLOCKS[index])
    check(namespace)
