"""The authors' SpiNNaker rasters (shared/reference/ca3/cam_traces.txt) as arrays.

Each experiment block starts with a line `<name> (<column headers>)`; each following line is
`<t ms> IN <cue idx | -> <content idx | -> OUT <cue idx | -> <content idx | ->`.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import numpy as np

from spikemem.errors import ModelError

TRACE_FILE = "cam_traces.txt"
_ROW = re.compile(r"^(\d+) IN (\[[^\]]*\]|-) (\[[^\]]*\]|-) OUT (\[[^\]]*\]|-) (\[[^\]]*\]|-)\s*$")


def _indices(field: str) -> list[int]:
    return [] if field == "-" else [int(v) for v in ast.literal_eval(field)]


def load_traces(folder) -> dict[str, list[tuple]]:
    """{experiment name: [(t, in_cue, in_cont, out_cue, out_cont), ...]} from folder."""
    path = Path(folder) / TRACE_FILE
    if not path.is_file():
        raise ModelError(f"CA3 reference traces not found at {path}: put the shared reference "
                         "data (shared/reference/ca3/) beside the repository")
    blocks: dict[str, list[tuple]] = {}
    current = None
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        m = _ROW.match(line)
        if m:
            if current is None:
                raise ModelError(f"{path}:{n}: a trace row before any experiment header")
            t, *fields = m.groups()
            blocks[current].append((int(t), *(_indices(f) for f in fields)))
        elif re.match(r"^\d+_\w+ \(", line):
            current = line.split(" ", 1)[0]
            blocks[current] = []
        else:
            raise ModelError(f"{path}:{n}: cannot read line {line!r}")
    return blocks


def rasters(rows, n_cues: int, n_bits: int, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """(input, output) bool rasters (steps, n_cues + n_bits) of one experiment's rows."""
    x = np.zeros((steps, n_cues + n_bits), dtype=bool)
    y = np.zeros_like(x)
    for t, in_cue, in_cont, out_cue, out_cont in rows:
        if t >= steps:
            raise ModelError(f"reference row at t={t} ms lies beyond {steps} steps")
        x[t, in_cue] = True
        x[t, [n_cues + b for b in in_cont]] = True
        y[t, out_cue] = True
        y[t, [n_cues + b for b in out_cont]] = True
    return x, y
