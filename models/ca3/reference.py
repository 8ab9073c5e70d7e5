"""The authors' reference data, shipped in this package's data/ folder (see data/README.md):
their SpiNNaker rasters (cam_traces.txt) as arrays and their network configuration
(cam_config.json).

Each experiment block starts with a line `<name> (<column headers>)`; each following line is
`<t ms> IN <cue idx | -> <content idx | -> OUT <cue idx | -> <content idx | ->`.
"""
from __future__ import annotations

import ast
import importlib.resources
import json
import re
from pathlib import Path

import numpy as np

from spikemem.errors import ModelError

TRACE_FILE = "cam_traces.txt"
CONFIG_FILE = "cam_config.json"
_ROW = re.compile(r"^(\d+) IN (\[[^\]]*\]|-) (\[[^\]]*\]|-) OUT (\[[^\]]*\]|-) (\[[^\]]*\]|-)\s*$")


def _indices(field: str) -> list[int]:
    return [] if field == "-" else [int(v) for v in ast.literal_eval(field)]


def data_file(name: str):
    """The packaged reference file `name` (an importlib.resources Traversable: works from a
    source checkout and from an installed wheel)."""
    return importlib.resources.files(__package__).joinpath("data", name)


def load_config() -> dict:
    """The authors' network configuration (cam_config.json: PyNN units nF, ms, mV, nA)."""
    return json.loads(data_file(CONFIG_FILE).read_text())


def load_traces(folder=None) -> dict[str, list[tuple]]:
    """{experiment name: [(t, in_cue, in_cont, out_cue, out_cont), ...]} from the packaged
    cam_traces.txt, or from `folder`/cam_traces.txt when folder is given."""
    path = data_file(TRACE_FILE) if folder is None else Path(folder) / TRACE_FILE
    if not path.is_file():
        raise ModelError(f"CA3 reference traces not found at {path}")
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
