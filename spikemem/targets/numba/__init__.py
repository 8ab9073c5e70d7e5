"""The numba target: the canonical semantics compiled to machine code (float64, exact).

The numpy target's operations in the numpy target's order, fused into one compiled loop per
step with no Python and no allocation in it (kernel.py), over the spike-vector layout the
array targets share: identical spikes, currents, potentials and plastic weights. The
compiled code is cached on disk, so only the first process on a machine compiles it.
Neuron models lower through one table (neurons.py); synapses: synapses.py.
"""
from __future__ import annotations

from ...errors import ModelError
from ..spec import TargetSpec

CAPABILITIES = frozenset({
    "lif", "if", "tau_mem_zero", "alif", "tau_syn_zero", "multi_receptor", "reset_zero",
    "reset_subtract", "refractory", "bias", "v_init", "delay_1", "delays",
    "per_synapse_delays", "dense", "sparse", "tied_weights", "input_source", "poisson_source",
    "spike_times_source", "plasticity", "trace_init", "batch", "record_v", "record_i",
    "record_a",
    "stp",
    "per_neuron_params", "graded_input", "li", "current_input", "cond_lif"})

SPEC = TargetSpec(
    name="numba",
    description="the numpy reference compiled with numba (float64, exact; CPU threads)",
    requires=("numba",),
    capabilities=CAPABILITIES,
    options={"threads": "None (default: numba's thread count) or int >= 1: threads for "
                        "the trials of a batch and the parts of a large network"},
)


def compile_network(net, seed: int = 0, threads=None):
    """A NumbaSimulation (simulate.py)."""
    import numba

    from .simulate import NumbaSimulation

    if threads is None:
        threads = numba.config.NUMBA_NUM_THREADS
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ModelError(f"numba target: threads={threads!r} must be None or an int >= 1")
    return NumbaSimulation(net, seed, threads)
