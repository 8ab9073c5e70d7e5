"""Map a network onto a chip: partition populations over cores within every per-core limit
(split large populations, pack small ones where the chip allows), place cores on chips, count
axons, synapse memory and routing entries, and plan quantisation per projection.

`sm.map(net, chip="loihi2")` is map_network. Sources are injected by the host (they use no
neuron core) but their spikes occupy input axons and routing entries like any other.
Synapse memory is counted expanded (the chips store every synapse, tied or not);
`shared_synapse_bits` (per projection and in total) is what it would be if each shared
parameter of a tied projection (sm.Conv2d, ...) were stored once.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import MappingError, ModelError, UnsupportedFeatureError
from ..model.features import FEATURES, network_features
from ..model.sizes import SYNAPSE_BYTES, check_fits
from .chips import Chip, load_chip
from .quantize import loihi_plan, spinnaker_plan

#: bytes per neuron of the mapper's arrays (core index, in-degree, bits, quantised values)
MAPPING_BYTES_PER_NEURON = 64
#: most weight_fraction_bits (SpiNNaker): a 32-bit word per plastic weight
MAX_FRACTION_BITS = 16


@dataclass
class Core:
    """One neuron core: the population slices [start, stop) it holds and what they use."""

    index: int
    chip: int
    slices: list = field(default_factory=list)
    neurons: int = 0
    synapse_bits: int = 0
    input_axons: int | None = 0  # None where the chip has no input-axon limit
    output_axons: int = 0

    def to_dict(self) -> dict:
        return {"index": self.index, "chip": self.chip, "neurons": self.neurons,
                "synapse_bits": self.synapse_bits, "input_axons": self.input_axons,
                "output_axons": self.output_axons,
                "slices": [{"population": p, "start": a, "stop": b} for p, a, b in self.slices]}


@dataclass
class Mapping:
    """The result of map_network: cores, per-projection resources and quantisation. plan:
    the chip's integers for the network (quantize.LoihiPlan or SpinnakerPlan), computed once
    and run by the fixed-point targets."""

    net: object
    chip: Chip
    cores: list
    chips_used: int
    routing_entries: list
    projections: dict
    core_of: dict  # population -> (n,) core index per neuron
    plan: object = None

    @property
    def cores_used(self) -> int:
        return len(self.cores)

    @property
    def warnings(self) -> list[str]:
        """What the chip's integers lose beyond the stated fractions (quantize.py)."""
        return list(self.plan.warnings)

    def to_dict(self) -> dict:
        c = self.chip
        return {
            "chip": c.name, "family": c.family, "chips_used": self.chips_used,
            "cores_used": self.cores_used,
            "limits": {"neurons_per_core": c.limit("neurons_per_core"),
                       "synapse_memory_bits_per_core": c.limit("synapse_memory_bits_per_core"),
                       "input_axons_per_core": c.limit("input_axons_per_core"),
                       "output_axons_per_core": c.limit("output_axons_per_core"),
                       "routing_entries_per_chip": c.limit("routing_entries_per_chip")},
            "synapse_bits": int(sum(k.synapse_bits for k in self.cores)),
            "shared_synapse_bits": int(sum(q["shared_synapse_bits"]
                                           for q in self.projections.values())),
            "routing_entries": self.routing_entries,
            "populations": {name: sorted({int(i) for i in np.unique(cores)})
                            for name, cores in self.core_of.items()},
            "cores": [k.to_dict() for k in self.cores],
            "projections": self.projections,
            "warnings": self.warnings,
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def energy(self, result) -> dict:
        """Energy and latency estimate of a run of this network (see spikemem.hal.energy)."""
        from .energy import estimate
        return estimate(self, result)

    def __str__(self) -> str:
        from .report import format_mapping
        return format_mapping(self)


#: features the chips' quantisation plans cannot hold
NOT_QUANTISED = frozenset({"per_neuron_params", "li", "cond_lif", "stp"})


def map_network(net, chip="loihi2", *, chips: int | None = 1,
                neurons_per_core: int | None = None, headroom_bits: int | None = None,
                weight_fraction_bits: int = 0,
                max_summed_weight: dict | None = None) -> Mapping:
    """Partition, place and quantise `net` for `chip` (a name in spikemem.hardware or a .toml
    path). chips: how many chips may be used (None: as many as needed). neurons_per_core:
    a lower cap than the chip's (to relieve axon or routing limits). weight_fraction_bits
    (SpiNNaker): bits each plastic synapse keeps below its weight (the spinnaker target's
    option of that name), counted in synapse memory. max_summed_weight (SpiNNaker):
    {population: model units, or {receptor: model units}}, the largest one-step input a
    neuron's ring buffer is expected to sum (sPyNNaker's max_expected_summed_weight); its
    shift is set by it instead of by the largest possible input (finer weights; a larger
    input saturates, which runs report). Raises MappingError naming what does not fit, the
    limit, the number needed and what to change."""
    from ..model.network import Network
    if not isinstance(net, Network):
        raise ModelError(f"map() needs a spikemem Network, got {type(net).__name__}")
    chip = load_chip(chip)
    extra = _fraction_bits(chip, weight_fraction_bits)
    expected = _expected_sums(net, chip, max_summed_weight)
    unmapped = sorted(network_features(net) & NOT_QUANTISED)
    if unmapped:
        raise UnsupportedFeatureError(
            f"map() onto {chip.name}: the quantisation plan holds one LIF/ALIF parameter set per "
            "population and static or rule-plastic synapses, and cannot express " +
            ", ".join(f"{f} ({FEATURES[f]})" for f in unmapped) + "; run it on a float target")
    check_fits(MAPPING_BYTES_PER_NEURON * net.n_neurons + SYNAPSE_BYTES * net.n_synapses,
               f"mapping this network ({net.n_neurons} neurons, {net.n_synapses} synapses)",
               "shrink the populations or use fewer synapses")
    if chips is not None and (isinstance(chips, bool) or not isinstance(chips, int) or chips < 1):
        raise ModelError(f"chips={chips!r} must be an int >= 1 or None (as many as needed)")
    cap = chip.limit("neurons_per_core")
    if neurons_per_core is not None:
        if not isinstance(neurons_per_core, int) or not 1 <= neurons_per_core <= cap:
            raise ModelError(f"neurons_per_core={neurons_per_core!r} must be an int in 1..{cap}"
                             f" ({chip.name}'s limit)")
        cap = neurons_per_core
    syn = {name: p.synapses() for name, p in net.projections.items()}
    _check_delays(net, chip)
    explicit = neurons_per_core is not None
    caps = {name: cap for name in net.populations}
    solo: set = set()  # populations placed unpacked after an output-axon overflow
    while True:  # shrink the cores of populations whose output axons overflow until they fit
        slices = []
        for pop in net.populations.values():
            slices += _split(net, pop, chip, caps[pop.name], syn, extra)
        cores = _pack(slices, chip, solo)
        core_of = {pop.name: np.zeros(pop.n, dtype=np.int64) for pop in net.populations.values()}
        for core in cores:
            for name, a, b in core.slices:
                core_of[name][a:b] = core.index
        over = _count_output_axons(net, chip, cores, core_of, syn)
        shrink = {name for name, _, _ in over.slices if caps[name] > 1} if over else set()
        if not shrink or explicit:
            break
        for name in shrink:
            caps[name] = max(1, int(min(caps[name], over.neurons) * 0.8))
        solo |= shrink
    if over is not None:
        pops = sorted({s[0] for s in over.slices})
        raise MappingError(
            f"population(s) {pops} on core {over.index}: {over.output_axons} output axons "
            f"(neuron, destination core) needed, {chip.name} allows "
            f"{chip.limit('output_axons_per_core')} per core; pass a smaller neurons_per_core= "
            "to map() or reduce the fan-out")
    n_avail = None if chips is None else chips * chip.limit("cores_per_chip")
    if n_avail is not None and len(cores) > n_avail:
        raise MappingError(
            f"network needs {len(cores)} cores but {chips} {chip.name} chip(s) have {n_avail}: "
            f"pass chips={math.ceil(len(cores) / chip.limit('cores_per_chip'))} (or chips=None),"
            " or shrink the populations")
    chips_used = max(k.chip for k in cores) + 1 if cores else 0
    routing = _routing(net, chip, core_of, syn, chips_used, cap)
    _check_chip_memory(chip, cores, chips_used)
    plan = _plan(net, chip, headroom_bits, expected)
    return Mapping(net, chip, cores, chips_used, routing, _quantisation(net, chip, plan, extra),
                   core_of, plan)


def _fraction_bits(chip, bits) -> int:
    """weight_fraction_bits checked: an int in 0..MAX_FRACTION_BITS, and above 0 only on
    SpiNNaker chips."""
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) \
            or not 0 <= bits <= MAX_FRACTION_BITS:
        raise ModelError(f"weight_fraction_bits={bits!r} must be an int in "
                         f"0..{MAX_FRACTION_BITS}")
    if bits and chip.family != "spinnaker":
        raise ModelError(f"weight_fraction_bits={bits}: only SpiNNaker chips keep bits below a "
                         f"plastic weight; {chip.name} is a {chip.family} chip (pass 0)")
    return int(bits)


def _expected_sums(net, chip, given) -> dict:
    """max_summed_weight checked and spelt out per receptor: {(population, receptor): model
    units}."""
    if not given:
        return {}
    if chip.family != "spinnaker":
        raise ModelError(f"max_summed_weight sets SpiNNaker ring-buffer shifts; {chip.name} is a "
                         f"{chip.family} chip (leave it out)")
    if not isinstance(given, dict):
        raise ModelError(f"max_summed_weight must be a dict {{population: model units or "
                         f"{{receptor: model units}}}}, got {type(given).__name__}")
    out = {}
    for name, value in given.items():
        pop = net.populations.get(name)
        if pop is None:
            raise ModelError(f"max_summed_weight: no population {name!r}; the network's are "
                             f"{sorted(net.populations)}")
        per = value if isinstance(value, dict) else {r: value for r in pop.receptors}
        for receptor, units in per.items():
            if receptor not in pop.receptors:
                raise ModelError(f"max_summed_weight[{name!r}]: population {name!r} has no "
                                 f"receptor {receptor!r}; its receptors are {list(pop.receptors)}")
            if isinstance(units, bool) or not isinstance(units, (int, float, np.floating)) \
                    or not (math.isfinite(units) and units > 0):
                raise ModelError(f"max_summed_weight[{name!r}][{receptor!r}] = {units!r} must "
                                 "be a finite number > 0 (model units)")
            out[(name, receptor)] = float(units)
    return out


def _bits_per_synapse(chip, p, extra: int) -> int:
    """Memory bits of one synapse of projection p: the chip's, plus `extra` fraction bits
    where p is plastic."""
    return chip.limit("bits_per_synapse") + (extra if p.plasticity is not None else 0)


def _check_delays(net, chip):
    top = chip.limit("max_delay_steps")
    for p in net.projections.values():
        if p.max_delay > top:
            raise MappingError(f"projection {p.name!r}: delay {p.max_delay} steps exceeds "
                               f"{chip.name}'s maximum of {top} steps; shorten the delay or "
                               "chain relay neurons")


def _split(net, pop, chip, cap, syn, extra: int = 0):
    """Contiguous slices (pop, start, stop, bits, input_axons) within the per-core limits;
    extra: fraction bits per plastic synapse."""
    indeg = np.zeros(pop.n, dtype=np.int64)
    bits = np.zeros(pop.n, dtype=np.int64)
    incoming = [name for name, p in net.projections.items() if p.post == pop.name]
    for name in incoming:
        count = np.bincount(syn[name][1], minlength=pop.n)
        indeg += count
        bits += count * _bits_per_synapse(chip, net.projections[name], extra)
    mem = chip.limit("synapse_memory_bits_per_core")
    if mem is not None and bits.max(initial=0) > mem:
        j = int(np.argmax(bits))
        raise MappingError(
            f"population {pop.name!r}: neuron {j} has {int(indeg[j])} incoming synapses = "
            f"{int(bits[j])} bits, more than {chip.name}'s synapse memory per core "
            f"({mem} bits); reduce its fan-in below {mem * int(indeg[j]) // int(bits[j])} "
            "synapses")
    cum = np.concatenate([[0], np.cumsum(bits)])
    bounds, a = [], 0
    while a < pop.n:
        b = min(a + cap, pop.n)
        if mem is not None:
            b = min(b, int(np.searchsorted(cum, cum[a] + mem, side="right")) - 1)
        bounds.append((a, b))
        a = b
    axon_limit = chip.limit("input_axons_per_core")
    out = []
    if axon_limit is None:  # not a resource of this chip
        return [(pop.name, a, b, int(cum[b] - cum[a]), None) for a, b in bounds]
    while bounds:
        axons = _input_axons(net, incoming, syn, bounds, cum, axon_limit)
        retry = []
        for (a, b), n_ax in zip(bounds, axons):
            if n_ax <= axon_limit:
                out.append((pop.name, a, b, int(cum[b] - cum[a]), int(n_ax)))
            elif b - a == 1:
                raise MappingError(
                    f"population {pop.name!r}: neuron {a} receives from {int(n_ax)} distinct "
                    f"presynaptic neurons, more than {chip.name}'s {axon_limit} input axons "
                    "per core; reduce its fan-in (distinct sources)")
            else:
                retry += [(a, (a + b) // 2), ((a + b) // 2, b)]
        bounds = retry
    return sorted(out, key=lambda s: s[1])


def _input_axons(net, incoming, syn, bounds, cum, limit) -> np.ndarray:
    """Per slice [a, b): distinct presynaptic neurons (per pre node) with a synapse into it.
    A slice with at most `limit` incoming synapses cannot exceed the limit: not counted."""
    starts = np.array([a for a, _ in bounds])
    stops = np.array([b for _, b in bounds])
    n_syn = cum[stops] - cum[starts]
    axons = n_syn.copy()
    need = np.flatnonzero(n_syn > limit)
    if need.size == 0:
        return axons
    axons[need] = 0
    keys: dict = {}
    for name in incoming:
        pre, post = syn[name][0], syn[name][1]
        k = np.searchsorted(starts, post, side="right") - 1
        sel = np.isin(k, need) & (post < stops[np.maximum(k, 0)])
        node = net.projections[name].pre
        keys.setdefault(node, []).append(k[sel].astype(np.int64) * net.size(node) + pre[sel])
    for node, parts in keys.items():
        uniq = np.unique(np.concatenate(parts))
        axons += np.bincount(uniq // net.size(node), minlength=len(bounds))
    return axons


def _pack(slices, chip, solo=frozenset()):
    """First-fit decreasing by neurons where the chip packs populations, else one slice per
    core; slices of `solo` populations get cores of their own. Axons of packed slices add up
    (an upper bound)."""
    limits = (chip.limit("neurons_per_core"), chip.limit("synapse_memory_bits_per_core"),
              chip.limit("input_axons_per_core"))
    per_chip = chip.limit("cores_per_chip")
    cores: list[Core] = []
    order = sorted(slices, key=lambda s: -(s[2] - s[1])) if chip.limit("pack_populations") \
        else slices
    for name, a, b, bits, axons in order:
        need = (b - a, bits, axons or 0)
        target = None
        if chip.limit("pack_populations") and name not in solo:
            for core in cores:
                if any(s[0] in solo for s in core.slices):
                    continue
                used = (core.neurons, core.synapse_bits, core.input_axons or 0)
                if all(lim is None or u + n <= lim for u, n, lim in zip(used, need, limits)):
                    target = core
                    break
        if target is None:
            target = Core(len(cores), len(cores) // per_chip)
            cores.append(target)
        target.slices.append((name, a, b))
        target.neurons += b - a
        target.synapse_bits += bits
        target.input_axons = None if axons is None else target.input_axons + axons
    return cores


def _count_output_axons(net, chip, cores, core_of, syn):
    """Count each core's output axons (distinct (source neuron, destination core) pairs);
    returns the first core over the chip's limit, or None."""
    for name, p in net.projections.items():
        if p.pre not in net.populations:
            continue
        pre, post = syn[name][0], syn[name][1]
        dst_core = core_of[p.post][post]
        n_cores = len(cores)
        pairs = np.unique(pre.astype(np.int64) * n_cores + dst_core)
        per_core = np.bincount(core_of[p.pre][pairs // n_cores], minlength=n_cores)
        for core, count in zip(cores, per_core):
            core.output_axons += int(count)
    limit = chip.limit("output_axons_per_core")
    if limit is None:
        return None
    return next((core for core in cores if core.output_axons > limit), None)


def _routing(net, chip, core_of, syn, chips_used, cap) -> list[int]:
    """Routing entries per chip: distinct (source key, destination chip) pairs, where a key
    is a population's core or a block of `cap` neurons of a source."""
    per_chip = chip.limit("cores_per_chip")
    n_chips = max(chips_used, 1)
    base, k = {}, 1 + max((int(c.max(initial=0)) for c in core_of.values()), default=0)
    for src in net.sources.values():
        base[src.name] = k
        k += -(-src.n // cap)
    by_proj = {}
    for name, p in net.projections.items():
        pre, post = syn[name][0], syn[name][1]
        key = core_of[p.pre][pre] if p.pre in core_of else base[p.pre] + pre // cap
        dst_chip = core_of[p.post][post] // per_chip
        by_proj[name] = np.unique(key.astype(np.int64) * n_chips + dst_chip)
    pairs = np.unique(np.concatenate(list(by_proj.values()))) if by_proj else np.zeros(0, int)
    keys = np.bincount(pairs % n_chips, minlength=n_chips)
    limit = chip.limit("routing_entries_per_chip")
    if limit is not None and keys.max(initial=0) > limit:
        worst = int(np.argmax(keys))
        proj = max(by_proj, key=lambda k: int(np.count_nonzero(by_proj[k] % n_chips == worst)))
        raise MappingError(
            f"chip {worst} needs {int(keys[worst])} routing entries, {chip.name} has {limit}; "
            f"projection {proj!r} contributes most: use fewer, larger source populations or "
            "more local connectivity so fewer source cores target each chip")
    return [int(k) for k in keys]


def _check_chip_memory(chip, cores, chips_used):
    limit = chip.limit("synapse_memory_bits_per_chip")
    if limit is None:
        return
    used = np.zeros(max(chips_used, 1), dtype=np.int64)
    for core in cores:
        used[core.chip] += core.synapse_bits
    if used.max(initial=0) > limit:
        worst = int(np.argmax(used))
        pops = sorted({s[0] for k in cores if k.chip == worst for s in k.slices})
        raise MappingError(
            f"chip {worst} (populations {pops}) needs {int(used[worst])} bits of synapse memory,"
            f" {chip.name} has {limit}; use a smaller neurons_per_core= so they spread over more"
            " chips, or reduce the synapse count")


def _plan(net, chip, headroom_bits, expected):
    """The chip family's quantisation plan of `net`; what it cannot represent is refused."""
    try:
        if chip.family == "loihi":
            return loihi_plan(net, chip, headroom_bits)
        return spinnaker_plan(net, chip, expected)
    except ModelError as e:
        raise MappingError(f"cannot quantise for {chip.name}: {e}") from None


def _quantisation(net, chip, plan, extra: int = 0) -> dict:
    """Per projection: its resources and how its weights were quantised (extra: fraction
    bits per plastic synapse)."""
    out = {}
    for name, q in plan.weights.items():
        if chip.family == "loihi":
            out[name] = {"weight_exp": q.weight_exp, "sign_mode": q.sign_mode,
                         "sums_truncated": q.truncates_sums, **q.stats.to_dict()}
        else:
            out[name] = {"ring_buffer_shift": q.shift, **q.stats.to_dict()}
    for name, p in net.projections.items():
        bits_per = _bits_per_synapse(chip, p, extra)
        out[name] = {"pre": p.pre, "post": p.post, "n_synapses": p.n_synapses,
                     "synapse_bits": p.n_synapses * bits_per, "n_parameters": p.n_parameters,
                     "shared_synapse_bits": p.n_parameters * bits_per,
                     "max_delay": p.max_delay, **out[name]}
    return out
