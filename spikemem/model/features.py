"""The features a network uses, by name. Targets declare which they support
(capabilities are data); compile refuses a network using a feature its target lacks."""
from __future__ import annotations

import numpy as np

from .sources import CurrentSource, InputSource, PoissonSource, SpikeTimesSource

#: every feature name with a one-line meaning (the docs table is generated from this)
FEATURES = {
    "lif": "leaky integrate-and-fire neurons (finite tau_mem > 0)",
    "if": "integrate-and-fire neurons (tau_mem = inf)",
    "tau_mem_zero": "neurons without membrane memory (tau_mem = 0: coincidence detectors)",
    "alif": "adaptive-threshold neurons (sm.ALIF: threshold v_th + beta_adapt * a)",
    "li": "non-spiking leaky integrators (sm.LI: readouts recording v)",
    "cond_lif": "conductance-based LIF neurons (sm.CondLIF: reversal potential per receptor)",
    "tau_syn_zero": "instantaneous synaptic current (tau_syn = 0)",
    "multi_receptor": "several current receptors with their own tau_syn",
    "reset_zero": "reset to v_reset after a spike",
    "reset_subtract": "reset by subtracting v_th",
    "refractory": "refractory period > 0 steps",
    "per_neuron_params": "neuron parameters given per neuron (arrays of tau_mem, tau_syn, "
                         "v_th, v_reset, tau_adapt or beta_adapt)",
    "bias": "constant bias input (scalar or per neuron)",
    "v_init": "non-zero initial membrane potential",
    "delay_1": "synaptic delay of one step",
    "delays": "delays > 1 step, uniform per projection",
    "per_synapse_delays": "a delay per synapse",
    "dense": "dense projections",
    "sparse": "sparse projections",
    "tied_weights": "projections whose synapses share a parameter tensor (sm.Conv2d, "
                    "sm.TokenLinear, pools; run as their expansion)",
    "input_source": "spikes given at run time",
    "graded_input": "input sources whose events carry an integer payload (payload_bits > 0: "
                    "counts per bin, Loihi 2 graded spikes), each adding payload * weight",
    "current_input": "analog input currents given at run time (net.current: a float per "
                     "neuron and step, as Brian2's TimedArray), each value adding value * "
                     "weight",
    "poisson_source": "seeded Poisson sources",
    "spike_times_source": "spike-time list sources",
    "plasticity": "plasticity rules (traces and sum-of-products dw)",
    "trace_init": "plasticity traces starting at a non-zero value (Trace init)",
    "stp": "short-term plasticity: Tsodyks-Markram dynamic synapses (sm.TsodyksMarkram)",
    "batch": "several independent trials in one run",
    "record_v": "recording the membrane potential",
    "record_i": "recording the synaptic current",
    "record_a": "recording the adaptation variable of ALIF neurons",
}


def network_features(net, batched: bool = False) -> set[str]:
    """The feature names `net` uses (plus 'batch' if batched)."""
    used: set[str] = set()
    for p in net.populations.values():
        used |= p.model.features()
        if np.any(p.bias != 0):
            used.add("bias")
        if np.any(p.v_init != 0):
            used.add("v_init")
    kinds = {InputSource: "input_source", CurrentSource: "current_input",
             PoissonSource: "poisson_source",
             SpikeTimesSource: "spike_times_source"}
    for s in net.sources.values():
        used.add(kinds[type(s)])
        if getattr(s, "payload_bits", 0):
            used.add("graded_input")
    for pr in net.projections.values():
        used.add("sparse" if pr.is_sparse else "dense")
        if pr.tied is not None:
            used.add("tied_weights")
        if pr.uniform_delay is None:
            used.add("per_synapse_delays")
        elif pr.uniform_delay > 1:
            used.add("delays")
        else:
            used.add("delay_1")
        if pr.plasticity is not None:
            used.add("plasticity")
            if any(t.init != 0 for t in pr.plasticity.traces):
                used.add("trace_init")
        if getattr(pr, "stp", None) is not None:
            used.add("stp")
    for probe in net.probes:
        if probe.variable not in ("spikes", "counts"):
            used.add(f"record_{probe.variable}")
    if batched:
        used.add("batch")
    return used
