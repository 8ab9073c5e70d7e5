"""target="spinnaker": the canonical update in SpiNNaker's s16.15 arithmetic with 16-bit
ring buffers (see neurons.py, the lowering table, and docs/targets/spinnaker.md). The
network is partitioned by the mapper first (sim.mapping, whose plan holds every integer run
here); delays longer than the chip's limit and networks that break a per-core limit are
refused at compile time."""
from __future__ import annotations

from ..engine.layout import spike_slices
from ..fixed.simulation import FixedPointSimulation, groups_of
from ..spec import TargetSpec, Tolerance, Variant

CAPABILITIES = frozenset({
    "lif", "if", "tau_mem_zero", "alif", "tau_syn_zero", "multi_receptor", "reset_zero",
    "reset_subtract", "refractory", "bias", "v_init", "delay_1", "delays", "per_synapse_delays",
    "dense", "sparse",
    "tied_weights",
    "input_source", "poisson_source", "spike_times_source", "plasticity", "trace_init", "batch",
    "record_v", "record_i", "record_a"})

SPEC = TargetSpec(
    name="spinnaker",
    description="SpiNNaker fixed-point emulator (s16.15 state and plasticity, 16-bit "
                "weights with ring-buffer shift)",
    requires=("numpy", "scipy"),
    capabilities=CAPABILITIES,
    options={"chip": "chip description (default 'spinnaker1'; 'spinnaker2' or a .toml path)",
             "weight_rounding": "how plastic weights take dw: 'nearest' (default, as sPyNNaker's "
                                "fixed-point STDP) or 'stochastic' (unbiased, seeded by the "
                                "compile seed: updates under half a weight unit are not lost)",
             "weight_fraction_bits": "bits (0..16, default 0) each plastic synapse keeps below "
                                     "its 16-bit weight: learning adds to them, spikes deliver "
                                     "the weight rounded to nearest",
             "trace_rounding": "how plastic traces decay: 'nearest' (default) or 'stochastic' "
                               "(unbiased, seeded by the compile seed: a slow trace rounded to "
                               "nearest holds a rate only to a band of values)",
             "max_summed_weight": "{population: model units, or {receptor: units}}: the largest "
                                  "one-step input its ring buffers are expected to sum, which "
                                  "sets their shift instead of the largest possible input "
                                  "(sPyNNaker's max_expected_summed_weight; more is saturated "
                                  "and reported)"},
    variants=(Variant("s16.15", {}, Tolerance(count_agreement=0.3, time_agreement=0.9,
                                              time_window=1, weight_rtol=0.25,
                                              rate_rtol=0.1, trace_rtol=0.005)),),
)




def compile_network(net, seed: int = 0, chip="spinnaker1", weight_rounding: str = "nearest",
                    weight_fraction_bits: int = 0, max_summed_weight: dict | None = None,
                    trace_rounding: str = "nearest"):
    from ...errors import ModelError
    from ...hal.chips import load_chip
    from ...hal.mapping import map_network
    from ..fixed.plastic import check_roundings
    check_roundings("spinnaker", weight_rounding=weight_rounding, trace_rounding=trace_rounding)
    chip = load_chip(chip)
    if chip.family != "spinnaker":
        raise ModelError(f"target 'spinnaker' needs a SpiNNaker chip description, "
                         f"{chip.name!r} is a {chip.family} chip: use target='loihi2'")
    # the mapper checks weight_fraction_bits and max_summed_weight
    mapping = map_network(net, chip, chips=None, weight_fraction_bits=weight_fraction_bits,
                          max_summed_weight=max_summed_weight)
    return SpinnakerSimulation(net, seed, mapping, weight_rounding, weight_fraction_bits,
                               trace_rounding)


class SpinnakerSimulation(FixedPointSimulation):
    """A network on SpiNNaker: two arrival lanes per receptor (its positive and negative
    16-bit rings); static projections as groups of 16-bit magnitudes per sign, plastic ones
    with signed 16-bit weights (spikemem/targets/fixed/plastic.py)."""

    target = "spinnaker"
    signs = 2

    def __init__(self, net, seed: int, mapping, weight_rounding: str = "nearest",
                 weight_fraction_bits: int = 0, trace_rounding: str = "nearest"):
        from .neurons import LOWERING
        self.weight_rounding = weight_rounding
        self.weight_fraction_bits = weight_fraction_bits
        self.trace_rounding = trace_rounding
        super().__init__(net, seed, mapping, LOWERING)

    def synapses(self) -> tuple[list, list]:
        from ..fixed.plastic import PlasticS1615
        groups, plastic = [], []
        weight_max = 2 ** self.chip.arith("weight_bits") - 1
        for name, p in self.net.projections.items():
            q = self.plan.weights[name]
            pre, post = spike_slices(self.offset, p)
            if p.plasticity is not None:
                plastic.append(PlasticS1615(p, self.net.dt, q, pre, post, self.column(p, 0),
                                            self.column(p, 1), weight_max,
                                            self.weight_rounding, self.seed,
                                            self.weight_fraction_bits, self.trace_rounding))
                continue
            for sign, mask in ((0, ~q.negative), (1, q.negative)):
                if mask.any():
                    groups += groups_of(p, q.magnitude, pre, self.column(p, sign), p.shape[1],
                                        select=mask)
        return groups, plastic
