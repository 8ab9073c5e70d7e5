"""target="loihi2": integer emulator of Loihi's CUBA LIF and Dense synapses, bit-exact to
Lava's bit-accurate (fixed_pt) models, and of ALIF on Loihi 2's programmable neurons; see
neurons.py (the lowering table) and docs/targets/loihi.md. The network is first mapped onto
the chip (sim.mapping, whose plan holds every integer run here), so a network that does not
fit is refused at compile time."""
from __future__ import annotations

from ..engine.layout import spike_slices
from ..fixed.simulation import FixedPointSimulation, groups_of
from ..spec import TargetSpec, Tolerance, Variant

CAPABILITIES = frozenset({
    "lif", "if", "tau_mem_zero", "alif", "tau_syn_zero", "multi_receptor", "reset_zero",
    "reset_subtract", "refractory", "bias", "v_init", "delay_1",
    "delays", "per_synapse_delays", "dense", "sparse", "tied_weights",
    "input_source", "poisson_source",
    "spike_times_source", "plasticity", "trace_init", "batch", "record_v", "record_i",
    "record_a",
    "graded_input"})

SPEC = TargetSpec(
    name="loihi2",
    description="Loihi fixed-point emulator (24-bit u/v, 12-bit decays, 8-bit weights with "
                "exponent), bit-exact to Lava fixed_pt on Lava's LIF/Dense subset",
    requires=("numpy", "scipy"),
    # graded inputs: integer payloads of up to 24 bits (Loihi 2's graded spikes), each
    # event adding payload * integer weight before the weight exponent
    capabilities=CAPABILITIES,
    options={"chip": "chip description (default 'loihi2'; 'loihi1' or a .toml path)",
             "headroom_bits": "bits of u/v range kept above the (highest ALIF) threshold "
                              "(default None: enough that u cannot wrap; 0..22 by hand, and "
                              "the run reports any wrap in Result.warnings)",
             "trace_rounding": "how plastic traces decay: 'nearest' (default) or 'stochastic' "
                               "(unbiased, seeded by the compile seed, as Lava's learning "
                               "engine decays its traces)"},
    # 8-bit weights: counts drift by a spike or two over long runs and plastic weights move
    # in mantissa steps, so spike times and weights are what this target promises
    variants=(Variant("fixed_pt", {}, Tolerance(count_agreement=0.0, time_agreement=0.85,
                                                time_window=2, weight_rtol=0.4,
                                                rate_rtol=0.15, trace_rtol=0.2)),),
)


def compile_network(net, seed: int = 0, chip="loihi2", headroom_bits: int | None = None,
                    trace_rounding: str = "nearest"):
    from ...hal.chips import load_chip
    from ...hal.mapping import map_network
    from ..fixed.plastic import check_roundings
    check_roundings("loihi2", trace_rounding=trace_rounding)
    chip = load_chip(chip)
    if chip.family != "loihi":
        from ...errors import ModelError
        raise ModelError(f"target 'loihi2' needs a Loihi chip description, {chip.name!r} is "
                         f"a {chip.family} chip: use target='spinnaker'")
    return LoihiSimulation(net, seed, map_network(net, chip, chips=None,
                                                  headroom_bits=headroom_bits), trace_rounding)


class LoihiSimulation(FixedPointSimulation):
    """A network on Loihi: one arrival lane per receptor; static projections as Dense groups
    (8-bit mantissas, the sum shifted by the weight exponent), plastic ones learning on their
    mantissas (spikemem/targets/fixed/plastic.py)."""

    target = "loihi2"

    def __init__(self, net, seed: int, mapping, trace_rounding: str = "nearest"):
        from .neurons import LOWERING
        self.trace_rounding = trace_rounding
        super().__init__(net, seed, mapping, LOWERING)

    def synapses(self) -> tuple[list, list]:
        from ...hal.quantize import mantissa_range
        from ..fixed.plastic import LoihiPlastic
        groups, plastic = [], []
        for name, p in self.net.projections.items():
            q = self.plan.weights[name]
            pre, post = spike_slices(self.offset, p)
            if p.plasticity is None:
                groups += groups_of(p, q.weights, pre, self.column(p), p.shape[1],
                                    shift=q.weight_exp)
                continue
            plastic.append(LoihiPlastic(
                p, self.net.dt, q, self.plan.neurons[p.post].scale, pre, post, self.column(p),
                mantissa_range(q.sign_mode, self.chip), self.chip.arith("activation_shift"),
                self.seed, self.trace_rounding))
        return groups, plastic
