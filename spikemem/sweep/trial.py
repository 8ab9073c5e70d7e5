"""One trial: an experiment, its parameters and a seed, run in its own folder.

The folder is `OUT/trials/<key>`, key = a fingerprint (SHA-256 of the canonical JSON) of
(experiment, params, seed). It holds `trial.json` (what runs), `attempts.json` (one entry
per start: pid, host, time), the experiment's own files (checkpoints, plots) and, once it
ends, `result.json`: {"status": "ok", "metrics": {...}} or {"status": "failed", "error",
"traceback"}, with the seconds it took. Every file is written atomically, so an
interruption leaves a trial either finished or resumable from its own checkpoints.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from ..files import write_json
from .experiment import find


def canonical(obj) -> str:
    """The canonical JSON text of `obj` (sorted keys, no spaces)."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


@dataclass(frozen=True)
class Trial:
    """`experiment` (the name a sweep gives), its `params` and the `seed`."""

    experiment: str
    params: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0

    @property
    def key(self) -> str:
        text = canonical({"experiment": self.experiment, "params": dict(self.params),
                          "seed": self.seed})
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def folder(self, out) -> Path:
        return Path(out) / "trials" / self.key

    def to_dict(self) -> dict:
        return {"key": self.key, "experiment": self.experiment, "params": dict(self.params),
                "seed": self.seed}


def read_result(trial: Trial, out) -> dict | None:
    """The trial's result record, or None while it has not ended."""
    path = trial.folder(out) / "result.json"
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def finished(trial: Trial, out) -> bool:
    record = read_result(trial, out)
    return record is not None and record["status"] == "ok"


def attempts(trial: Trial, out) -> list[dict]:
    """One entry per start of the trial ({pid, host, started (unix s)})."""
    try:
        return json.loads((trial.folder(out) / "attempts.json").read_text())
    except FileNotFoundError:
        return []


def record_failure(trial: Trial, out, error: str, trace: str = "") -> dict:
    """Write (and return) a failed result for `trial`."""
    record = {**trial.to_dict(), "status": "failed", "error": error, "traceback": trace}
    write_json(trial.folder(out) / "result.json", record)
    return record


def execute(trial: Trial, ref: str, out) -> dict:
    """Run `trial` (its experiment found by `ref`, "module:NAME") in its folder under `out`
    and write its result; an exception becomes a failed result with its traceback. This is
    what a worker process runs."""
    folder = trial.folder(out)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "result.json").unlink(missing_ok=True)    # a failure of an earlier run
    write_json(folder / "trial.json", trial.to_dict())
    started = attempts(trial, out) + [{"pid": os.getpid(), "host": socket.gethostname(),
                                       "started": time.time()}]
    write_json(folder / "attempts.json", started)
    t0 = time.perf_counter()
    try:
        metrics = find(ref).run(trial.params, trial.seed, folder)
        write_json(folder / "result.json", {
            **trial.to_dict(), "status": "ok", "metrics": metrics,
            "seconds": time.perf_counter() - t0, "attempt": len(started)})
    except Exception as e:
        return record_failure(trial, out, f"{type(e).__name__}: {e}", traceback.format_exc())
    return read_result(trial, out)
