"""Sweeps on Ray: a real cluster on 127.0.0.1 (a head and one worker node, `ray start`), a
sweep joined through --address whose worker node is killed mid-trial still completes with
the results of `--executor local`; and Ray started in-process without an address."""
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from spikemem import sweep

pytest.importorskip("ray", reason="needs Ray: pip install 'spikemem[ray]'")

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
CONFIG = """experiment = "sweep_fixtures:counting"
seeds = 2
[fixed]
steps = 3
step_s = 0.4
[grid]
a = [1.0, 2.0]
b = [0.5, 1.5]
"""


@pytest.fixture(autouse=True)
def ray_auth(tmp_path, monkeypatch):
    """Ray's token authentication with a token of this test's own (not ~/.ray/auth_token),
    for the cluster, the drivers and this process."""
    token = tmp_path / "ray_auth_token"
    token.write_text(secrets.token_hex(32))
    monkeypatch.setenv("RAY_AUTH_MODE", "token")
    monkeypatch.setenv("RAY_AUTH_TOKEN_PATH", str(token))


# in a process of its own: this one imported Ray before the test set its authentication
WAIT_FOR_TWO_NODES = """import sys, time, ray
ray.init(address=sys.argv[1], logging_level="ERROR")
end = time.monotonic() + 120
while ray.cluster_resources().get("CPU", 0) < 2:
    assert time.monotonic() < end, "the worker node did not join"
    time.sleep(0.2)
"""


def env():
    return {**os.environ, "RAY_USAGE_STATS_ENABLED": "0",
            "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> set[int]:
    """Every process below `pid` (from /proc)."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def sigkill(pids) -> None:
    """SIGKILL each of `pids` that still exists."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def kill_tree(proc) -> None:
    """SIGKILL a `ray start --block` process, its group and every process below it."""
    sigkill(descendants(proc.pid) | {proc.pid})
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def wait_for(condition, timeout=120.0, what=""):
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.05)


@pytest.fixture
def cluster(ray_auth):
    """A head (1 CPU) and a worker node (1 CPU) on 127.0.0.1; yields (address, worker)."""
    temp = tempfile.mkdtemp(prefix="smray", dir="/tmp")   # short: Ray's socket paths
    port = free_port()
    common = ["--node-ip-address=127.0.0.1", "--num-cpus=1", "--disable-usage-stats",
              "--block", f"--dashboard-agent-listen-port={free_port()}"]
    started = []

    def start(*args, log):
        proc = subprocess.Popen([str(BIN / "ray"), "start", *args, *common], env=env(),
                                stdout=open(Path(temp) / log, "w"), stderr=subprocess.STDOUT,
                                start_new_session=True)
        started.append(proc)
        return proc

    try:
        start("--head", f"--port={port}", f"--temp-dir={temp}", "--include-dashboard=false",
              f"--ray-client-server-port={free_port()}", log="head.log")
        address = f"127.0.0.1:{port}"

        def gcs_up():
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0
        wait_for(gcs_up, what="the head node")
        worker = start(f"--address={address}", log="worker.log")
        subprocess.run([sys.executable, "-c", WAIT_FOR_TWO_NODES, address], env=env(),
                       check=True, timeout=180)
        yield address, worker
    finally:
        for proc in reversed(started):
            kill_tree(proc)
        leftovers = kill_stragglers(temp)
        assert not leftovers, f"Ray processes left: {leftovers}"


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text()
    except OSError:
        return ""


def kill_stragglers(temp: str, timeout: float = 30.0) -> list[int]:
    """SIGKILL every process whose command line names the cluster's `temp` folder until
    none is left (one started while the trees were being killed is left to init, outside
    the trees listed); returns those still alive after `timeout` seconds."""
    end = time.monotonic() + timeout
    while True:
        left = [p for p in descendants(1) if temp in _cmdline(p)]
        if not left or time.monotonic() > end:
            return left
        sigkill(left)
        time.sleep(0.2)


def sweep_command(config, out, *options):
    return [sys.executable, "-m", "spikemem", "sweep", str(config), "--out", str(out),
            "--no-progress", *options]


def test_killed_worker_node_mid_trial_and_the_sweep_completes_as_local(tmp_path, cluster):
    address, worker = cluster
    config = tmp_path / "sweep.toml"
    config.write_text(CONFIG)
    s = sweep.load(config)
    local = subprocess.run(sweep_command(config, tmp_path / "local", "--workers", "2"),
                           env=env(), capture_output=True, text=True, timeout=120)
    assert local.returncode == 0, local.stdout + local.stderr
    out = tmp_path / "ray"
    proc = subprocess.Popen(sweep_command(config, out, "--executor", "ray", "--address",
                                          address), env=env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        def on_worker_node():
            """A trial started but not finished, whose process runs on the worker node."""
            node = descendants(worker.pid)
            return [t for t in s.trials if not sweep.trial.finished(t, out)
                    and (t.folder(out) / "state.json").exists()
                    and any(a["pid"] in node for a in sweep.trial.attempts(t, out))]
        wait_for(on_worker_node, what="a trial running on the worker node")
        (victim, *_) = on_worker_node()
        kill_tree(worker)                                       # the node dies mid-trial
        printed, _ = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, printed
    assert "8 trials (2 seeds): 8 ok, 0 failed, 0 pending" in printed
    assert (out / "trials.csv").read_text() == (tmp_path / "local" / "trials.csv").read_text()
    assert len(sweep.trial.attempts(victim, out)) == 2          # retried, on the head node
    log = (victim.folder(out) / "steps.log").read_text().split()
    assert len(log) == len(set(log))                            # resumed, no step twice


def test_ray_without_an_address_starts_here_and_matches_serial(tmp_path):
    config = tmp_path / "sweep.toml"
    config.write_text(CONFIG.replace("step_s = 0.4", "step_s = 0.0"))
    ran = subprocess.run(sweep_command(config, tmp_path / "ray", "--executor", "ray",
                                       "--workers", "2"), env=env(), capture_output=True,
                         text=True, timeout=180)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    sweep.run_sweep(sweep.load(config), tmp_path / "serial", executor="serial", progress=False)
    assert (tmp_path / "ray" / "trials.csv").read_text() == \
        (tmp_path / "serial" / "trials.csv").read_text()
