"""Op sequences of the CA3 experiments: the paper's three tests and random workloads.

Each paper workload gives the memory's size and op timing (as in the authors' test scripts,
so the input raster equals theirs step for step), its ops, and the name of its block in the
reference traces.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .memory import Learn, RecallContent, RecallCue


@dataclass(frozen=True)
class Workload:
    """A memory configuration (ContentAddressableMemory keyword arguments) and its ops."""

    name: str
    memory: dict
    ops: tuple
    reference: str = ""  #: experiment block in cam_traces.txt ("" for none)


def functional() -> Workload:
    """The paper's functional test: 5 cues x 10 bits, ops every 10 ms, with an overwrite."""
    ops = (Learn(0, (0, 1, 8, 9)), Learn(4, (1, 5, 6)), Learn(3, (4, 5, 6)), RecallCue(0),
           RecallContent((6,)), RecallContent((0, 4)), Learn(3, (1, 3, 4, 8)), RecallCue(3),
           RecallContent((6,)))
    return Workload("ca3-functional", {"n_cues": 5, "n_bits": 10, "learn_steps": 10,
                                       "recall_steps": 10}, ops,
                    "1_learn_recall_by_cue_and_cont_forget")


def binary(value: int, n_bits: int) -> tuple:
    """Bits set in value, least significant bit = content bit 0."""
    return tuple(b for b in range(n_bits) if value >> b & 1)


def stress(n_cues: int = 5, n_bits: int = 10) -> Workload:
    """The paper's stress test: learn binary(i+1) under cue i, recall every cue and every
    content bit; again with the complements; again with the originals (60 ops, 14 ms)."""
    ops = []
    for phase in range(3):
        for i in range(n_cues):
            bits = binary(i + 1, n_bits)
            if phase == 1:
                bits = tuple(b for b in range(n_bits) if b not in bits)
            ops.append(Learn(i, bits))
        ops += [RecallCue(i) for i in range(n_cues)]
        ops += [RecallContent((b,)) for b in range(n_bits)]
    return Workload("ca3-stress", {"n_cues": n_cues, "n_bits": n_bits, "learn_steps": 14,
                                   "recall_steps": 14, "start_step": 1}, tuple(ops),
                    "2_tb2_piramidal_sequence_cont")


#: the paper's 4 x 4 map, row-major; flags: 0 unknown, 1 start, 2 goal, 3 free, 4 path,
#: 5 obstacle
MAP = ((0, 5, 1, 3), (0, 3, 4, 5), (0, 5, 4, 3), (2, 4, 4, 3))
MAP_QUERIES = ((1, 2, 4), (3,), (5,), (0,))  #: route, free cells, obstacles, unexplored


def state_map() -> Workload:
    """The paper's applicability test: one cue per map cell holding its state flag (16
    learns, 7 ms apart), then 4 queries by flag (6 ms apart)."""
    ops = [Learn(4 * r + c, (flag,)) for r, row in enumerate(MAP) for c, flag in enumerate(row)]
    ops += [RecallContent(q) for q in MAP_QUERIES]
    return Workload("ca3-map", {"n_cues": 16, "n_bits": 6, "learn_steps": 7,
                                "recall_steps": 6}, tuple(ops), "3_state_map_app")


PAPER = {"ca3-functional": functional, "ca3-stress": stress, "ca3-map": state_map}


def random_ops(n_cues: int, n_bits: int, n_ops: int, density: tuple, seed: int,
               overlap: bool = False) -> tuple:
    """A random op sequence: first a learn per cue, then learns (25%), cue recalls (35%) and
    content recalls of 1-3 bit fragments (40%). density: (low, high) fraction of bits set.
    overlap: contents are 4 shared prototypes with 10% of bits flipped (non-orthogonal)."""
    rng = np.random.default_rng(seed)
    protos = rng.random((4, n_bits)) < np.mean(density)

    def content():
        if overlap:
            bits = protos[rng.integers(4)] ^ (rng.random(n_bits) < 0.1)
        else:
            bits = rng.random(n_bits) < rng.uniform(*density)
        if not bits.any():
            bits[rng.integers(n_bits)] = True
        return tuple(int(b) for b in np.flatnonzero(bits))

    ops = [Learn(c, content()) for c in range(min(n_cues, n_ops))]
    while len(ops) < n_ops:
        u = rng.random()
        if u < 0.25:
            ops.append(Learn(int(rng.integers(n_cues)), content()))
        elif u < 0.6:
            ops.append(RecallCue(int(rng.integers(n_cues))))
        else:
            k = int(rng.integers(1, 4))
            ops.append(RecallContent(tuple(int(b) for b in rng.choice(n_bits, k, replace=False))))
    return tuple(ops)
