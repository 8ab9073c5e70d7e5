"""Memory estimates made before allocating: a network, run or connector too large for this
machine is refused with the estimate (ModelError) instead of failing inside numpy or a
target. The estimates count the arrays the array engines allocate (8-byte numbers, 1-byte
spikes); other targets need about as much.
"""
from __future__ import annotations

import os

from ..errors import ModelError

#: bytes per stored synapse (weight, pre and post index, delay)
SYNAPSE_BYTES = 32
#: bytes per neuron and trial of state (v, refractory counter, current sum, threshold, ...)
NEURON_BYTES = 48


def memory_limit() -> int | None:
    """This machine's physical memory in bytes (None where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def describe(nbytes: float) -> str:
    """`nbytes` in readable units (KiB ... PiB)."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if nbytes < 1024:
            return f"{nbytes:.0f} {unit}" if unit == "bytes" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.1f} PiB"


def check_fits(nbytes: float, what: str, fix: str) -> None:
    """Refuse (ModelError) when `what` would need more than this machine's memory."""
    limit = memory_limit()
    if limit is not None and nbytes > limit:
        raise ModelError(f"{what} would need about {describe(nbytes)} of memory, more than this "
                         f"machine's {describe(limit)}: {fix}")


def simulation_bytes(net, batch: int = 1) -> float:
    """Estimated bytes of a compiled simulation of `net` running `batch` trials: synapses,
    neuron state, and the rings of past spikes and future input (max delay + 1 slots)."""
    n_src = sum(s.n for s in net.sources.values())
    n_neurons = sum(p.n for p in net.populations.values())
    receptors = max([len(p.receptors) for p in net.populations.values()], default=1)
    ring = 1 + max([p.max_delay for p in net.projections.values()], default=1)
    plastic = sum(p.n_synapses for p in net.projections.values() if p.plasticity is not None)
    return (float(net.n_synapses) * SYNAPSE_BYTES
            + float(batch) * (n_neurons * NEURON_BYTES + plastic * 8
                              + ring * ((n_src + n_neurons) + 8 * receptors * n_neurons)))


def run_bytes(net, steps: int, batch: int = 1) -> float:
    """Estimated bytes of the arrays one run of `steps` steps allocates: the sources' spikes
    (Poisson draws as 8-byte numbers) and every probe's record (spikes 1 byte, traces 8)."""
    per_step = 0.0
    for src in net.sources.values():
        per_step += src.n * (9 if src.kind == "poisson" else 1)
    for probe in net.probes:
        n = net.node(probe.target).n
        per_step += n * {"spikes": 1, "counts": 0}.get(probe.variable, 16)
    return float(steps) * float(batch) * per_step
