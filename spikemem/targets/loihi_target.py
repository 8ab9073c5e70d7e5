"""target="loihi2": integer emulator of Loihi's CUBA LIF and Dense synapses, bit-exact to
Lava's bit-accurate (fixed_pt) models; see spikemem/hal/loihi_fixed.py and
docs/targets/loihi.md. The network is first mapped onto the chip (sim.mapping), so a network
that does not fit is refused at compile time."""
from __future__ import annotations

from .base import TargetSpec, Tolerance, Variant

CAPABILITIES = frozenset({
    "lif", "if", "tau_syn_zero", "multi_receptor", "reset_zero", "reset_subtract",
    "refractory", "bias", "v_init", "delay_1",
    "delays", "per_synapse_delays", "dense", "sparse", "input_source", "poisson_source",
    "spike_times_source", "plasticity", "trace_init", "batch", "record_v", "record_i"})

SPEC = TargetSpec(
    name="loihi2",
    description="Loihi fixed-point emulator (24-bit u/v, 12-bit decays, 8-bit weights with "
                "exponent), bit-exact to Lava fixed_pt on Lava's LIF/Dense subset",
    requires=("numpy", "scipy"),
    capabilities=CAPABILITIES,
    options={"chip": "chip description (default 'loihi2'; 'loihi1' or a .toml path)",
             "headroom_bits": "bits of u/v range kept above the threshold (default None: "
                              "enough that u cannot wrap, 3..10)"},
    # 8-bit weights: counts drift by a spike or two over long runs and plastic weights move
    # in mantissa steps, so spike times and weights are what this target promises
    variants=(Variant("fixed_pt", {}, Tolerance(count_agreement=0.0, time_agreement=0.85,
                                                time_window=2, weight_rtol=0.4,
                                                rate_rtol=0.15)),),
)


def compile_network(net, seed: int = 0, chip="loihi2", headroom_bits: int | None = None):
    from ..hal.chips import load_chip
    from ..hal.fixed_sim import FixedPointSimulation
    from ..hal.loihi_fixed import LoihiCore
    from ..hal.mapping import map_network
    chip = load_chip(chip)
    if chip.family != "loihi":
        from ..errors import ModelError
        raise ModelError(f"target 'loihi2' needs a Loihi chip description, {chip.name!r} is "
                         f"a {chip.family} chip: use target='spinnaker'")
    mapping = map_network(net, chip, chips=None, headroom_bits=headroom_bits)
    return FixedPointSimulation(net, seed, LoihiCore(net, chip, headroom_bits, seed), SPEC.name,
                                mapping)
