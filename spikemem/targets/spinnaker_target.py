"""target="spinnaker": the canonical update in SpiNNaker's s16.15 arithmetic with 16-bit
ring buffers (see spikemem/hal/spinnaker_fixed.py and docs/targets/spinnaker.md). The
network is partitioned by the mapper first (sim.mapping); delays longer than the chip's limit
and networks that break a per-core limit are refused at compile time."""
from __future__ import annotations

from ..model.features import FEATURES
from .base import TargetSpec, Tolerance, Variant

SPEC = TargetSpec(
    name="spinnaker",
    description="SpiNNaker fixed-point emulator (s16.15 state and plasticity, 16-bit "
                "weights with ring-buffer shift)",
    requires=("numpy", "scipy"),
    capabilities=frozenset(FEATURES),
    options={"chip": "chip description (default 'spinnaker1'; 'spinnaker2' or a .toml path)"},
    variants=(Variant("s16.15", {}, Tolerance(count_agreement=0.3, time_agreement=0.9,
                                              time_window=1, weight_rtol=0.25,
                                              rate_rtol=0.1)),),
)


def compile_network(net, seed: int = 0, chip="spinnaker1"):
    from ..errors import ModelError
    from ..hal.chips import load_chip
    from ..hal.fixed_sim import FixedPointSimulation
    from ..hal.mapping import map_network
    from ..hal.spinnaker_fixed import SpinnakerCore
    chip = load_chip(chip)
    if chip.family != "spinnaker":
        raise ModelError(f"target 'spinnaker' needs a SpiNNaker chip description, "
                         f"{chip.name!r} is a {chip.family} chip: use target='loihi2'")
    mapping = map_network(net, chip, chips=None)
    return FixedPointSimulation(net, seed, SpinnakerCore(net, chip), SPEC.name, mapping)
