"""Energy and latency of a run on a mapped chip, from the run's actual spike counts.

ops: synaptic events (each spike times the synapses it reaches), neuron updates (every
neuron every step), spikes routed (each spike of a node with outgoing projections). Energy is
ops times the chip's per-operation figures (pJ). Latency per step: Loihi cores run in
parallel, so the slowest core's neuron updates plus synaptic ops plus the barrier; SpiNNaker
runs in real time, one step per dt unless the busiest core needs more CPU cycles (overrun).
"""
from __future__ import annotations

import numpy as np

from ..errors import ModelError


def _node_counts(result, name: str) -> np.ndarray:
    """Spikes per neuron of `name` summed over trials, from counts or a spike raster."""
    if name in result.counts:
        c = np.asarray(result.counts[name])
    elif name in result.spikes:
        s = np.asarray(result.spikes[name])
        c = s.sum(axis=-2)
    else:
        raise ModelError(f"the energy estimate needs the spikes of {name!r}: record them with "
                         f"net.record({name!r}, 'counts') (or 'spikes') before running")
    return c.reshape(-1, c.shape[-1]).sum(axis=0)


def _trials(result) -> int:
    for s in result.spikes.values():
        return s.shape[0] if s.ndim == 3 else 1
    for c in result.counts.values():
        return c.shape[0] if c.ndim == 2 else 1
    return 1


def estimate(m, result) -> dict:
    """{'energy_j', 'latency_per_step_s', 'counts', 'figures', ...} for `result` (a Result
    of a run of the mapped network) on mapping `m`."""
    net, chip = m.net, m.chip
    trials = _trials(result)
    steps = int(result.steps)
    counts = {}
    synops = 0
    per_core = np.zeros(m.cores_used)
    routed = 0
    for p in net.projections.values():
        if p.pre not in counts:
            counts[p.pre] = _node_counts(result, p.pre)
            routed += int(counts[p.pre].sum())
        pre, post, _, _ = p.synapses()
        per_syn = counts[p.pre][pre]
        synops += int(per_syn.sum())
        per_core += np.bincount(m.core_of[p.post][post], weights=per_syn, minlength=m.cores_used)
    updates = net.n_neurons * steps * trials
    e = chip.energy
    ops = {"synaptic_op": synops, "neuron_update": updates, "spike_route": routed}
    pj = {op: e[f"{op}_pj"].value for op in ops}
    energy_j = sum(ops[op] * pj[op] for op in ops) * 1e-12
    neurons = np.array([k.neurons for k in m.cores], dtype=np.float64)
    syn_per_step = per_core / (steps * trials)
    t = chip.timing
    if chip.family == "loihi":
        core_ns = neurons * t["neuron_update_ns"].value + syn_per_step * t["synaptic_op_ns"].value
        latency = (core_ns.max(initial=0.0) + t["barrier_sync_ns"].value) * 1e-9
        load = None
    else:
        cycles = neurons * t["cycles_per_neuron_update"].value + \
            syn_per_step * t["cycles_per_synaptic_op"].value
        budget = t["cpu_hz"].value * net.dt * 1e-3
        load = float(cycles.max(initial=0.0) / budget)
        latency = max(net.dt * 1e-3, float(cycles.max(initial=0.0)) / t["cpu_hz"].value)
    figures = {op: chip.cite("energy", f"{op}_pj", "pJ") for op in ops}
    figures.update({f"timing.{k}": chip.cite("timing", k) for k in t})
    return {"chip": chip.name, "steps": steps, "trials": trials, "counts": ops,
            "energy_j": energy_j, "energy_per_step_j": energy_j / (steps * trials),
            "latency_per_step_s": latency, "max_core_load": load, "figures": figures}
