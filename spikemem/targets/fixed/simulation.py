"""What the fixed-point emulators (loihi2, spinnaker) share: a simulation on the shared step
loop (spikemem/targets/engine/loop.py) with an int64 arrival ring, and their static synapses.

The network's integers come from the mapping's quantisation plan (Mapping.plan, computed once
per compile). Neuron blocks are lowered through the chip's table (blocks_for). One step's
arrivals are `signs * n_rec` lanes of N columns, lane (signs * receptor + sign) holding the
integer input of that receptor (and sign, for SpiNNaker's positive and negative 16-bit
rings) of every neuron. Static synapses are grouped per projection and delay (and sign);
each step the integer weights of a group's spiking presynaptic neurons are summed per target,
transformed as the chip does (Loihi: shifted by the projection's weight exponent) and added
to the ring at t + delay. Neuron blocks count the values that leave their range (Overflows);
each run's Result.warnings names them per population, after the plan's warnings.
"""
from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from functools import partial

import numpy as np
import scipy.sparse as sp

from ..engine.loop import ArraySimulation, blocks_for


@dataclass
class Group:
    """Synapses of one projection with one delay. wt: int64 (n_post, n_pre) CSR (transposed
    weights); column: first ring column of its targets; shift: weight exponent applied to
    each step's sum (None for none)."""

    pre: slice
    wt: sp.csr_array
    delay: int
    column: int
    shift: int | None = None

    def input(self, spikes: np.ndarray) -> np.ndarray:
        """(batch, n_post) int64 summed input from spikes (batch, n_pre), bool or integer
        payloads."""
        acc = np.asarray(self.wt @ spikes.T.astype(np.int64)).T
        if self.shift is None or self.shift == 0:
            return acc
        return np.left_shift(acc, self.shift) if self.shift > 0 else \
            np.right_shift(acc, -self.shift)


def groups_of(proj, values: np.ndarray, pre: slice, column: int, n_post: int,
              shift: int | None = None, select=None) -> list[Group]:
    """One Group per distinct delay of `proj`; values: int weights per synapse (CSR order);
    select: optional bool mask of the synapses to include."""
    i_pre, i_post, _, delay = proj.synapses()
    keep = np.ones(i_pre.size, dtype=bool) if select is None else select
    out = []
    for d in np.unique(delay[keep]):
        m = keep & (delay == d)
        wt = sp.csr_array((values[m].astype(np.int64), (i_post[m], i_pre[m])),
                          shape=(n_post, proj.shape[0]))
        out.append(Group(pre, wt, int(d), column, shift))
    return out


class Overflows:
    """Per neuron counts of the steps (summed over trials) at which a fixed-point value left
    its range, by kind (a sentence such as "its current u wrapped around 24 bits")."""

    def __init__(self, n: int):
        self.n = n
        self.counts: dict[str, np.ndarray] = {}

    def add(self, kind: str, mask: np.ndarray) -> None:
        """Count the True entries of bool `mask` (..., n) per neuron."""
        if mask.any():
            hits = mask.reshape(-1, self.n).sum(axis=0)
            self.counts[kind] = self.counts.get(kind, 0) + hits

    def take(self) -> dict:
        """{kind: (n,) counts} since the last take()."""
        out, self.counts = self.counts, {}
        return out


def per_neuron(pops: list, values: list, dtype=np.int64) -> np.ndarray:
    """One (n,) array over a block's populations from one value (scalar or (p.n,)) each."""
    return np.concatenate([np.broadcast_to(x, (p.n,)) for p, x in zip(pops, values)]) \
        .astype(dtype)


class FixedPointSimulation(ArraySimulation):
    """A network on a fixed-point chip. table: the chip's lowering table {model class: block
    class}, a block built as cls(populations, start, plan=, chip=, n_rec=); a subclass sets
    `target`, `signs` and builds the synapses."""

    #: arrival lanes per receptor (SpiNNaker: 2, its positive and negative rings)
    signs: int = 1

    def __init__(self, net, seed: int, mapping, table: dict):
        super().__init__(net, seed)
        self.mapping, self.plan, self.chip = mapping, mapping.plan, mapping.chip
        pops = list(net.populations.values())
        self.n_rec = max([len(p.receptors) for p in pops], default=1)
        self.receptor_index = {(p.name, r): k for p in pops for k, r in enumerate(p.receptors)}
        self.blocks = blocks_for(net, {cls: partial(make, plan=self.plan, chip=self.chip,
                                                    n_rec=self.n_rec)
                                       for cls, make in table.items()}, self.target)
        self.groups, self.plastic = self.synapses()
        self.ring = max([g.delay for g in self.groups] + [p.delay for p in self.plastic],
                        default=1) + 1

    @abstractmethod
    def synapses(self) -> tuple[list, list]:
        """(static Groups, plastic projections) of the network, from the plan."""

    def _run_warnings(self) -> list[str]:
        """The plan's losses, then what left its range in this run, per population (each
        block counts its neurons' Overflows)."""
        out = list(self.plan.warnings)
        for blk in self.blocks:
            for kind, counts in blk.overflows.take().items():
                for name, sl in self.pop_slice.items():
                    if blk.start_index <= sl.start < blk.stop_index:
                        c = counts[sl.start - blk.start_index:sl.stop - blk.start_index]
                        if c.any():
                            out.append(f"population {name!r}: {kind} {int(c.sum())} time(s) "
                                       f"in this run, in {int(np.count_nonzero(c))} of "
                                       f"{c.size} neurons")
        for p in self.plastic:
            if p.saturated:
                out.append(f"projection {p.proj.name!r}: a plastic weight reached the "
                           f"{self.chip.name} weight range (beyond it, inside the rule's "
                           f"bounds) {p.saturated} time(s) in this run and was clipped")
                p.saturated = 0
        return out

    def column(self, proj, sign: int = 0) -> int:
        """The arrival column of the first target neuron of `proj` (in lane `sign`)."""
        r = self.receptor_index[(proj.post, proj.receptor)]
        return (self.signs * r + sign) * self.n_neurons + self.pop_slice[proj.post].start

    # ---- hooks of the shared loop --------------------------------------------------------
    @property
    def width(self) -> int:
        return self.signs * self.n_rec * self.n_neurons

    def zeros(self, shape, kind):
        return np.zeros(shape, dtype={"bool": bool, "int": np.int64, "float": np.float64,
                                      "buffer": np.int64}[kind])

    def arrivals(self, current, block):
        """(batch, n_rec, n) int64, or (batch, n_rec, signs, n) with several signs."""
        lanes = (self.n_rec,) if self.signs == 1 else (self.n_rec, self.signs)
        cur = current.reshape((current.shape[0],) + lanes + (self.n_neurons,))
        return cur[..., block.start_index:block.stop_index]

    def propagate(self, spikes, t: int) -> None:
        """Add each static group's summed input from `spikes` at t + its delay; a graded
        source's group sums payload * integer weight (Loihi 2's graded spikes)."""
        for grp in self.groups:
            pre = spikes[:, grp.pre]
            if pre.any():
                if self.graded and grp.pre.stop <= self.n_src:
                    pre = self.payload[:, grp.pre]
                acc = grp.input(pre)
                slot = self.buffer[(t + grp.delay) % self.ring]
                slot[:, grp.column:grp.column + acc.shape[1]] += acc
