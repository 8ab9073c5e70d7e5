"""The `spikemem` command: every subcommand of the core, run as a user would."""
import json
import subprocess
import sys

import numpy as np
import pytest

import spikemem as sm
from spikemem.cli import main


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for cmd in ("targets", "info", "run", "demo", "experiment"):
        assert cmd in out


@pytest.mark.parametrize("cmd", ["targets", "info", "run", "demo", "experiment"])
def test_every_command_has_help(cmd, capsys):
    with pytest.raises(SystemExit) as e:
        main([cmd, "--help"])
    assert e.value.code == 0
    assert "usage: spikemem" in capsys.readouterr().out


def test_targets_lists_numpy_and_what_each_lacks(capsys):
    assert main(["targets", "--features"]) == 0
    out = capsys.readouterr().out
    assert "numpy" in out and "available" in out and "lacks: nothing" in out
    assert "per_synapse_delays" in out  # the feature table


def test_info_describes_a_saved_model(tmp_path, capsys):
    net = sm.Network(dt=0.5)
    net.source("in", 3)
    net.population("p", 4, sm.IF(tau_syn=0.0))
    net.connect("in", "p", np.ones((3, 4)), delay=2)
    net.save(tmp_path / "m.npz")
    assert main(["info", str(tmp_path / "m.npz")]) == 0
    out = capsys.readouterr().out
    assert "dt = 0.5 ms" in out and "12 synapses" in out and "IF" in out
    assert "delays" in out and "numpy      runs it" in out


def test_run_writes_spikes_summary_and_raster(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "demo", "--steps", "200", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    with np.load(out / "spikes.npz") as f:
        spikes = {k: f[k] for k in f.files}
    assert set(spikes) == {"input", "exc", "inh"}
    assert spikes["exc"].shape == (200, 100) and spikes["exc"].dtype == bool
    assert summary["spikes"]["exc"] == int(spikes["exc"].sum()) > 0
    assert (out / "raster.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_run_with_inputs_file(tmp_path):
    net = sm.Network()
    net.source("in", 2)
    net.population("p", 2, sm.LIF(tau_syn=0.0, v_th=0.5))
    net.connect("in", "p", np.eye(2))
    net.save(tmp_path / "m.npz")
    x = np.zeros((10, 2), bool)
    x[3, 1] = True
    np.savez(tmp_path / "x.npz", **{"in": x})
    assert main(["run", str(tmp_path / "m.npz"), "--steps", "10", "--inputs",
                 str(tmp_path / "x.npz"), "--out", str(tmp_path / "o")]) == 0
    with np.load(tmp_path / "o" / "spikes.npz") as f:
        assert np.argwhere(f["p"]).tolist() == [[4, 1]]  # arrives one step later


def test_run_reports_bad_model_and_target(tmp_path, capsys):
    assert main(["run", "no-such-model", "--out", str(tmp_path)]) == 2
    assert "neither a model file nor a built-in" in capsys.readouterr().out
    assert main(["run", "demo", "--target", "nope", "--out", str(tmp_path)]) == 2
    assert "unknown target 'nope'" in capsys.readouterr().out


def test_demo_runs_as_a_console_script(tmp_path):
    exe = [sys.executable, "-m", "spikemem.cli.__main__"]
    proc = subprocess.run(exe + ["demo", "--steps", "100", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "demo ran on numpy" in proc.stdout
    assert (tmp_path / "raster.png").exists()


def test_docs_support_table_is_generated_from_the_specs():
    """docs/targets/index.md carries the table `spikemem targets --markdown` prints."""
    from pathlib import Path

    from spikemem.cli.cmd_targets import support_table
    doc = (Path(__file__).resolve().parents[2] / "docs" / "targets" / "index.md").read_text()
    assert support_table() in doc, "regenerate: spikemem targets --markdown"


def test_export_functions_survive_repeated_calls():
    """sm.export.<name> stays a function after its module has been imported."""
    import spikemem.export as ex
    for name in ("nir", "lava", "run_lava", "pynn"):
        fn = getattr(ex, name)
        try:
            fn(None)
        except Exception:  # noqa: BLE001 - any failure; only the binding matters here
            pass
        assert callable(getattr(ex, name)) and getattr(ex, name) is fn
