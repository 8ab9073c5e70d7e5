"""Packaging: every package directory is installed, hardware/, models/ and the experiment
configs included."""
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


@pytest.mark.slow
def test_wheel_contains_hardware_and_model_data(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("spikemem-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"spikemem/hardware/{p.name}" for p in (ROOT / "hardware").glob("*.toml")}
    expected |= {f"spikemem/models/data/{p.name}" for p in (ROOT / "models" / "data").glob("*")
                 if p.is_file()}
    expected |= {f"spikemem/experiments/{p.name}" for p in (ROOT / "experiments").glob("*.toml")}
    expected |= {"spikemem/__init__.py", "spikemem/targets/numpy_target.py"}
    assert expected <= names, sorted(expected - names)
