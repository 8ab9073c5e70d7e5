"""Readable tables of a Mapping and of an energy estimate (what `spikemem map` prints)."""
from __future__ import annotations


def _pct(used, limit) -> str:
    return "-" if not limit or used is None else f"{100.0 * used / limit:5.1f}%"


def _shared(bits: int, shared_bits: int) -> str:
    """What tied weights would need if stored once, when that is less."""
    return f" ({shared_bits / 8 / 1024:.1f} KiB with shared weights)" if shared_bits < bits \
        else ""


def format_mapping(m) -> str:
    c = m.chip
    lim_n = c.limit("neurons_per_core")
    lim_mem = c.limit("synapse_memory_bits_per_core")
    lim_in = c.limit("input_axons_per_core")
    lim_out = c.limit("output_axons_per_core")
    lines = [f"{c.name} ({c.description})",
             f"cores used: {m.cores_used} on {m.chips_used} chip(s) of "
             f"{c.limit('cores_per_chip')} cores; synapse memory "
             f"{sum(k.synapse_bits for k in m.cores) / 8 / 1024:.1f} KiB"
             + _shared(sum(k.synapse_bits for k in m.cores),
                       sum(q["shared_synapse_bits"] for q in m.projections.values()))
             + "; routing entries per "
             f"chip {m.routing_entries}"
             + (f" (limit {c.limit('routing_entries_per_chip')})"
                if c.limit("routing_entries_per_chip") else ""),
             "",
             f"{'core':>5} {'chip':>4} {'neurons':>8} {'util':>6} {'syn mem':>7} "
             f"{'in axons':>8} {'out axons':>9}  populations"]
    shown = m.cores if len(m.cores) <= 40 else m.cores[:20] + m.cores[-5:]
    for k in shown:
        if len(m.cores) > 40 and k is m.cores[-5]:
            lines.append(f"{'...':>5} ({len(m.cores) - 25} more cores)")
        pops = ", ".join(f"{p}[{a}:{b}]" for p, a, b in k.slices)
        lines.append(f"{k.index:>5} {k.chip:>4} {k.neurons:>8} {_pct(k.neurons, lim_n):>6} "
                     f"{_pct(k.synapse_bits, lim_mem):>7} {_pct(k.input_axons, lim_in):>8} "
                     f"{_pct(k.output_axons, lim_out):>9}  {pops}")
    lines += ["", f"{'projection':<24} {'synapses':>9} {'params':>9} {'delay':>5} {'scale':>6} "
                  f"{'rms err':>8} {'max err':>8} {'loss':>7} {'lost':>7}"]
    for name, q in m.projections.items():
        scale = (f"e{q['weight_exp']:+d}" if "weight_exp" in q else f"<<{q['ring_buffer_shift']}")
        flag = "  (sums truncated)" if q.get("sums_truncated") else ""
        lines.append(f"{name:<24} {q['n_synapses']:>9} {q['n_parameters']:>9} "
                     f"{q['max_delay']:>5} {scale:>6} {q['rms_error']:>8.2%} "
                     f"{q['max_error']:>8.2%} {q['loss']:>7.2%} {q['zeroed']:>7}{flag}")
    lines.append("(errors and losses of each weight as a lone spike delivers it; lost: non-zero "
                 "weights delivered as 0)")
    if m.warnings:
        lines += ["", "warnings:"] + [f"  {w}" for w in m.warnings]
    return "\n".join(lines)


def format_energy(e: dict) -> str:
    lines = [f"energy estimate on {e['chip']} ({e['steps']} steps x {e['trials']} trial(s)):",
             f"  total {e['energy_j'] * 1e6:.3f} uJ, {e['energy_per_step_j'] * 1e9:.3f} nJ/step;"
             f" latency {e['latency_per_step_s'] * 1e6:.3f} us/step"]
    for op, n in e["counts"].items():
        lines.append(f"  {op:<18} {n:>14,d} x {e['figures'][op]}")
    return "\n".join(lines)
