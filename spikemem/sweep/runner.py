"""Run a sweep's trials on an executor: finished ones are skipped, interrupted ones resume,
a failing one records its traceback and the others go on, one whose worker died is retried.

Only one run at a time may write into an output folder (a lock file, released when the
process ends, however it ends).
"""
from __future__ import annotations

import os
from collections import Counter, deque
from contextlib import contextmanager
from pathlib import Path

from ..errors import ModelError
from .executors import Crash, open_executor
from .experiment import find
from .spec import Sweep
from .trial import attempts, finished, read_result, record_failure

#: seconds between progress-bar refreshes while trials run
TICK_S = 1.0


def run_trials(sweep: Sweep, out, *, executor: str = "local", workers: int | None = None,
               address: str | None = None, retries: int = 2, progress: bool = True) -> list:
    """Run every trial of `sweep` not finished in `out`; returns all result records in the
    sweep's order. A trial whose worker dies is run again, at most `retries` more times."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ref = find(sweep.experiment).ref
    with _lock(out):
        sweep.write(out)
        records = {t.key: read_result(t, out) for t in sweep.trials if finished(t, out)}
        todo = deque(t for t in sweep.trials if t.key not in records)
        bar = _Progress(len(sweep.trials), len(records), progress, sweep.experiment)
        try:
            if todo:
                _run(open_executor(executor, workers, address), todo, ref, out, retries,
                     records, bar)
        finally:
            bar.close()
    return [records[t.key] for t in sweep.trials]


def _run(pool, todo: deque, ref: str, out: Path, retries: int, records: dict, bar) -> None:
    """Keep `pool` full until `todo` is empty; stop its workers on any interruption."""
    try:
        _drain(pool, todo, ref, out, retries, records, bar)
    except BaseException:
        pool.close(kill=True)
        raise
    pool.close()


def _drain(pool, todo: deque, ref: str, out: Path, retries: int, records: dict, bar) -> None:
    """Submit, collect, retry. A crash counts against a trial only if it had started (its
    attempts grew since it was submitted): trials still queued in a broken pool just go back."""
    running, starts, crashes = {}, {}, Counter()
    while todo or running:
        slots, depth = pool.slots, pool.depth
        while todo and len(running) < depth:
            trial = todo.popleft()
            starts[trial.key] = len(attempts(trial, out))
            running[pool.submit(trial, ref, out)] = trial
        bar.show(min(len(running), slots))
        for handle, outcome in pool.wait(list(running), TICK_S):
            trial = running.pop(handle)
            if isinstance(outcome, Crash):
                crashes[trial.key] += len(attempts(trial, out)) > starts[trial.key]
                if crashes[trial.key] <= retries:
                    todo.appendleft(trial)
                    continue
                outcome = record_failure(trial, out, f"{outcome}, {crashes[trial.key]} times: "
                                         "gave up (out of memory? a crash in native code?)")
            records[trial.key] = outcome
            bar.ended(outcome["status"] == "ok")


class _Progress:
    """tqdm bar over all trials: done / running / failed, and the time left."""

    def __init__(self, total: int, done: int, enabled: bool, label: str):
        from tqdm import tqdm
        self.failed = 0
        self.bar = tqdm(total=total, initial=done, desc=label, unit="trial",
                        disable=not enabled, dynamic_ncols=True)

    def show(self, running: int) -> None:
        self.bar.set_postfix_str(f"running {running}, failed {self.failed}", refresh=True)

    def ended(self, ok: bool) -> None:
        self.failed += not ok
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


@contextmanager
def _lock(out: Path):
    """Hold OUT/.lock (an flock) while running; refuse a second run on the same folder."""
    import fcntl
    path = out / ".lock"
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            raise ModelError(f"another run (pid {f.read().strip() or '?'}) is writing into "
                             f"{str(out)!r}: wait for it to end or use another --out") from None
        f.truncate(0)
        f.write(str(os.getpid()))
        f.flush()
        yield


def run_sweep(sweep: Sweep, out, **options) -> dict:
    """run_trials(sweep, out, **options), then write the results store (tables.write)."""
    from .tables import require_pandas, write
    require_pandas()   # before the trials, not after them
    run_trials(sweep, out, **options)
    return write(sweep, out)
