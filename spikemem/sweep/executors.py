"""Where trials run. Each executor submits `trial.execute(trial, ref, out)` and reports, per
handle, the trial's result record or a Crash (its worker process died: the runner retries);
`slots` trials run at once, `depth` are kept submitted.

    serial  one after the other in this process (no parallelism; a debugger works)
    local   a pool of `workers` processes on this machine (spawned; the default)
    ray     Ray tasks, on a cluster joined at `address` or one started here (ray_executor.py)
"""
from __future__ import annotations

import os
import signal
import sys
from concurrent import futures
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial

from .trial import execute


@dataclass(frozen=True)
class Crash:
    """A trial's worker died (killed, out of memory, a crash in native code)."""

    reason: str

    def __str__(self) -> str:
        return self.reason


class SerialExecutor:
    """Runs each trial in this process when it is waited for."""

    def __init__(self, workers: int | None = None, address: str | None = None):
        self.slots = self.depth = 1

    def submit(self, trial, ref: str, out):
        return partial(execute, trial, ref, out)

    def wait(self, handles: list, timeout: float) -> list:
        return [(handles[0], handles[0]())]

    def close(self, kill: bool = False) -> None:
        pass


class LocalExecutor:
    """A pool of `workers` (default: CPU count) spawned processes. A worker that dies breaks
    the pool: every trial it was running is reported as a Crash and a fresh pool replaces it.
    Workers ignore SIGINT (the parent stops them) and, on Linux, die with the parent."""

    def __init__(self, workers: int | None = None, address: str | None = None):
        self.slots = int(workers or os.cpu_count() or 1)
        self.depth = 2 * self.slots   # a worker that ends a trial finds the next one queued
        self._pool = self._new_pool()

    def _new_pool(self):
        import multiprocessing
        return futures.ProcessPoolExecutor(self.slots, multiprocessing.get_context("spawn"),
                                           initializer=_worker_start, initargs=(os.getpid(),))

    def submit(self, trial, ref: str, out):
        return self._pool.submit(execute, trial, ref, out)

    def wait(self, handles: list, timeout: float) -> list:
        done, _ = futures.wait(handles, timeout, return_when=futures.FIRST_COMPLETED)
        if not any(isinstance(f.exception(), BrokenProcessPool) for f in done):
            return [(f, f.result()) for f in done]
        # the pool is broken: its running trials are lost; the finished ones are kept
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = self._new_pool()
        return [(f, f.result() if f.done() and f.exception() is None else
                 Crash("its worker process died")) for f in handles]

    def close(self, kill: bool = False) -> None:
        if kill:
            # Python 3.14 has ProcessPoolExecutor.kill_workers(); before, the pool's processes
            for process in list(getattr(self._pool, "_processes", {}).values()):
                process.kill()
        self._pool.shutdown(wait=not kill, cancel_futures=kill)


def _worker_start(parent: int) -> None:
    """In each worker: leave SIGINT to the parent; die with the parent (Linux)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform == "linux":
        import ctypes
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def open_executor(name: str, workers: int | None, address: str | None):
    """The executor `name` (see EXECUTORS)."""
    from ..errors import ModelError
    if name not in EXECUTORS:
        raise ModelError(f"unknown executor {name!r}: use one of {sorted(EXECUTORS)}")
    if address is not None and name != "ray":
        raise ModelError("--address joins a Ray cluster: add --executor ray")
    if workers is not None and workers < 1:
        raise ModelError(f"--workers must be >= 1, got {workers}")
    return EXECUTORS[name](workers, address)


def _ray(workers, address):
    from .ray_executor import RayExecutor
    return RayExecutor(workers, address)


EXECUTORS = {"serial": SerialExecutor, "local": LocalExecutor, "ray": _ray}
