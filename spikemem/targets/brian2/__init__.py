"""The Brian2 target: a spikemem network as real Brian2 objects, bit-identical to numpy.

Modes (compile option `mode`): 'cython' (default) and 'numpy' run on Brian2's runtime
device and keep one Brian2 Network across run() calls; 'cpp_standalone' generates and
compiles a C++ project per run() and, since a compiled project cannot resume its spike
queues, re-simulates the whole history from step 0 (results are those of the new steps).
The mapping is in docs/targets/brian2.md; lowering (one table keyed by neuron-model class)
in lower.py, Brian2 objects in build.py, Brian2 global state in env.py.
"""
from __future__ import annotations

import numpy as np

from ...errors import ModelError
from ..simulation import Simulation
from ..spec import TargetSpec, Variant
from .lower import layout

MODES = ("cython", "numpy", "cpp_standalone")

CAPABILITIES = frozenset({
    "lif", "if", "tau_mem_zero", "alif", "tau_syn_zero", "multi_receptor", "reset_zero",
    "reset_subtract", "refractory", "bias", "v_init", "delay_1", "delays",
    "per_synapse_delays", "dense", "sparse", "tied_weights", "input_source", "poisson_source",
    "spike_times_source", "plasticity", "trace_init", "batch", "record_v", "record_i",
    "record_a",
    "stp",
    "per_neuron_params", "graded_input", "li", "current_input", "cond_lif"})

SPEC = TargetSpec(
    name="brian2",
    description="Brian2 simulator (cython, numpy or cpp_standalone code; float64, exact)",
    requires=("brian2",),
    capabilities=CAPABILITIES,
    options={"mode": "Brian2 code generation: 'cython' (default), 'numpy' or 'cpp_standalone'"},
    variants=tuple(Variant(m, {"mode": m}) for m in MODES),
)


def compile_network(net, seed: int = 0, mode: str = "cython"):
    if mode not in MODES:
        raise ModelError(f"brian2 target: mode={mode!r} is unknown; use one of {MODES}")
    return Brian2Simulation(net, seed, mode)


class Brian2Simulation(Simulation):
    """A network compiled for Brian2; its layout (lower.layout, which refuses a neuron model
    missing from the lowering table) is made here, Brian2 objects at the first run (when
    the number of trials is known) and dropped by reset()."""

    target = "brian2"

    def __init__(self, net, seed: int, mode: str):
        super().__init__(net, seed)
        self.mode = mode
        self.layout = layout(net)
        self.model = None
        self.history: list[dict] = []  # cpp_standalone: drives of all runs so far

    def _reset(self) -> None:
        self.model = None
        self.history = []

    def _run(self, steps: int, drive: dict, batch: int, progress: bool) -> dict:
        if self.mode == "cpp_standalone":
            return self._run_standalone(steps, drive, batch)
        from .build import Brian2Model
        from .env import exact_prefs, runtime_device
        with runtime_device(), exact_prefs(self.mode):
            if self.model is None:
                self.model = Brian2Model(self.net, self.layout, batch, drive)
            else:
                self.model.set_drive(self.t, drive)
            self.model.run(steps, progress)
            _check_clock(self.model, self.t + steps)
            return self.model.results(self.t, steps, drive)

    def _run_standalone(self, steps: int, drive: dict, batch: int) -> dict:
        from .build import Brian2Model
        from .env import exact_prefs, standalone_device, standalone_directory
        full = {name: np.concatenate([np.broadcast_to(h[name], (batch,) + h[name].shape[1:])
                                      for h in self.history + [drive]], axis=1)
                for name in self.net.sources}
        total = self.t + steps
        with exact_prefs("cython"), standalone_device() as dev:
            model = Brian2Model(self.net, self.layout, batch, full)
            if self.model is not None:
                model.count_base = self.model.count_base  # counts up to the previous run
            model.run(total)
            dev.build(directory=standalone_directory(), compile=True, run=True,
                      with_output=False)
            _check_clock(model, total)
            out = model.results(self.t, steps, drive)
        self.model = model
        self.history.append(drive)
        return out


def _check_clock(model, expected: int) -> None:
    if model.timestep() != expected:
        raise ModelError(f"brian2 target: Brian2 simulated {model.timestep()} steps, expected "
                         f"{expected}; dt = {model.dt} ms gives an inexact run duration")
