"""Trials as Ray tasks (one CPU each). With an `address` the sweep joins that running
cluster (`ray start --head` on one machine, `ray start --address=HEAD:PORT` on the others,
or Ray on Slurm / Kubernetes); without one Ray starts here, with `workers` CPUs.

The output folder must be reachable at the same path from every node (a shared file system):
workers write each trial's folder, the driver only reads it. A task whose worker or node dies
comes back as a Crash and the runner submits it again (Ray's own retries are off, so every
executor retries the same way); the trial resumes from whatever checkpoint it left.
"""
from __future__ import annotations

import logging

from ..errors import ModelError
from .executors import Crash
from .trial import execute

INSTALL = "pip install 'spikemem[ray]'"


class RayExecutor:
    def __init__(self, workers: int | None = None, address: str | None = None):
        try:
            import ray
        except ImportError:
            raise ModelError(f"--executor ray needs Ray: {INSTALL}") from None
        self._ray = ray
        self._workers = workers
        try:
            ray.init(address=address or "local", num_cpus=None if address else workers,
                     include_dashboard=False, log_to_driver=False,
                     logging_level=logging.WARNING, configure_logging=True)
        except ConnectionError as e:
            raise ModelError(f"cannot join the Ray cluster at {address!r}: {e} (start one with "
                             "`ray start --head`, or leave out --address to run Ray here)") \
                from None
        self._task = ray.remote(num_cpus=1, max_retries=0)(execute)

    @property
    def slots(self) -> int:
        """Trials in flight: the cluster's CPUs now (it may grow or shrink), at most workers."""
        cpus = max(1, int(self._ray.cluster_resources().get("CPU", 1)))
        return min(cpus, self._workers) if self._workers else cpus

    @property
    def depth(self) -> int:
        """Trials submitted: as many as run, so that --workers caps what runs at once."""
        return self.slots

    def submit(self, trial, ref: str, out):
        return self._task.remote(trial, ref, str(out))

    def wait(self, handles: list, timeout: float) -> list:
        ray = self._ray
        ready, _ = ray.wait(handles, num_returns=1, timeout=timeout)
        if ready:
            ready, _ = ray.wait(handles, num_returns=len(handles), timeout=0)
        out = []
        for ref in ready:
            try:
                out.append((ref, ray.get(ref)))
            except ray.exceptions.RayError as e:
                out.append((ref, Crash(f"Ray: {type(e).__name__}: {str(e).splitlines()[0]}")))
        return out

    def close(self, kill: bool = False) -> None:
        self._ray.shutdown()
