"""Packaging: every package directory is installed, hardware/, the models' data (models/*/data/)
and the experiment configs included."""
import json
import os
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
INSTALLED_AS = {"spikemem": "spikemem", "hardware": "spikemem.hardware",
                "models": "spikemem.models", "experiments": "spikemem.experiments"}


def package_dirs() -> set[str]:
    found = set()
    for top, dotted in INSTALLED_AS.items():
        for init in (ROOT / top).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / top)
            if "__pycache__" not in rel.parts:
                found.add(".".join([dotted, *rel.parts]))
    return found


def test_every_package_directory_is_listed_in_pyproject():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    assert package_dirs() - listed == set(), "add these to [tool.setuptools] packages"
    assert listed - package_dirs() == set(), "these listed packages do not exist"


def test_console_script_and_python_floor():
    assert PYPROJECT["project"]["scripts"]["spikemem"] == "spikemem.cli:main"
    assert PYPROJECT["project"]["requires-python"] == ">=3.10"
    extras = PYPROJECT["project"]["optional-dependencies"]
    for extra in ("brian2", "torch", "nir", "lava", "pynn", "all", "dev"):
        assert extra in extras


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel built from this checkout (once per module)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-w", str(out), str(ROOT)], check=True, capture_output=True)
    return next(out.glob("spikemem-*.whl"))


@pytest.mark.slow
def test_wheel_contains_hardware_and_model_data(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"spikemem/hardware/{p.name}" for p in (ROOT / "hardware").glob("*.toml")}
    model_data = [p for p in (ROOT / "models").glob("*/data/*") if p.is_file()]
    assert {p.parent.parent.name for p in model_data} >= {"ca3", "lsm"}
    expected |= {f"spikemem/{p.relative_to(ROOT).as_posix()}" for p in model_data}
    expected |= {f"spikemem/models/{m}/__init__.py" for m in ("ca3", "lsm", "hlop")}
    expected |= {f"spikemem/experiments/{p.name}" for p in (ROOT / "experiments").glob("*.toml")}
    expected |= {"spikemem/__init__.py", "spikemem/targets/numpy/__init__.py"}
    assert expected <= names, sorted(expected - names)


@pytest.mark.slow
def test_installed_wheel_runs_the_ca3_experiment_with_its_reference(wheel, tmp_path):
    """From an installed wheel (no source checkout on the path), `spikemem experiment
    ca3-functional` finds the packaged SpiNNaker traces and matches them."""
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile",
                    "--target", str(site), str(wheel)], check=True, capture_output=True)
    out = tmp_path / "out"
    script = ("import sys, spikemem; assert spikemem.__file__.startswith(sys.argv[1]), "
              "spikemem.__file__; from spikemem.cli import main; "
              "sys.exit(main(['experiment', 'ca3-functional', '--out', sys.argv[2]]))")
    subprocess.run([sys.executable, "-c", script, str(site), str(out)], check=True,
                   capture_output=True, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(site)})
    data = json.loads((out / "ca3-functional_numpy.json").read_text())
    assert data["all_recalls_equal_ideal"] and data["matches_reference"]
    assert data["reference"]["name"] == "1_learn_recall_by_cue_and_cont_forget"
