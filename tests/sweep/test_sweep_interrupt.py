"""Interrupting `spikemem sweep` (Ctrl-C: SIGINT to its process group; `kill -9` of the
command alone) and running it again gives the same table as an uninterrupted run and runs
no finished trial again; no worker outlives the command."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

from spikemem import sweep

HERE = Path(__file__).resolve().parent
CONFIG = """experiment = "sweep_fixtures:counting"
seeds = 2
[fixed]
steps = 4
step_s = 0.15
[grid]
a = [1.0, 2.0]
b = [0.5, 1.5]
"""


def command(config, out):
    return [sys.executable, "-m", "spikemem", "sweep", str(config), "--out", str(out),
            "--workers", "2", "--no-progress"]


def env():
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get(
        "PYTHONPATH", "")])}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The uninterrupted run's trials.csv (same command, same machine)."""
    folder = tmp_path_factory.mktemp("reference")
    (folder / "sweep.toml").write_text(CONFIG)
    subprocess.run(command(folder / "sweep.toml", folder / "out"), env=env(), check=True,
                   capture_output=True, timeout=120)
    return (folder / "out" / "trials.csv").read_text()


def alive(pid: int) -> bool:
    """True if `pid` runs (a zombie waiting for its reaper does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def wait_for(condition, timeout=60.0):
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


@pytest.mark.parametrize("how", ["sigint", "sigkill"])
def test_interrupted_sweep_resumes_to_the_same_table(tmp_path, reference, how):
    config, out = tmp_path / "sweep.toml", tmp_path / "out"
    config.write_text(CONFIG)
    s = sweep.load(config)
    proc = subprocess.Popen(command(config, out), env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        def state():
            done = [t for t in s.trials if sweep.trial.finished(t, out)]
            started = [t for t in s.trials if (t.folder(out) / "state.json").exists()]
            return done, [t for t in started if t not in done]
        wait_for(lambda: len(state()[0]) >= 2 and state()[1])   # some done, some mid-trial
        if how == "sigint":
            os.killpg(proc.pid, signal.SIGINT)                  # Ctrl-C in a terminal
        else:
            os.kill(proc.pid, signal.SIGKILL)                   # the command alone
        printed, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    done, running = state()
    if how == "sigint":
        assert proc.returncode == 130
        assert f"interrupted: {len(done)} of 8 trials finished" in printed
    else:
        assert proc.returncode == -signal.SIGKILL
    assert 2 <= len(done) < 8 and running
    workers = {a["pid"] for t in s.trials for a in sweep.trial.attempts(t, out)}
    wait_for(lambda: not any(alive(pid) for pid in workers), timeout=10)
    stamps = {t.key: (t.folder(out) / "result.json").stat().st_mtime_ns for t in done}
    again = subprocess.run(command(config, out), env=env(), capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    assert (out / "trials.csv").read_text() == reference
    for t in done:                                              # not run again
        assert (t.folder(out) / "result.json").stat().st_mtime_ns == stamps[t.key]
        assert len(sweep.trial.attempts(t, out)) == 1
    for t in running:                                           # resumed, no step twice
        log = (t.folder(out) / "steps.log").read_text().split()
        assert len(log) == len(set(log)) and len(sweep.trial.attempts(t, out)) == 2
