"""CA3 experiments for `spikemem experiment NAME --target T --out DIR` (JSON + PNG each).

ca3-functional, ca3-stress, ca3-map: the paper's three tests, checked against the ideal
memory and the authors' SpiNNaker rasters (shipped in data/, read by reference.py).
ca3-scale: 100 cues x 100 bits, 1,000 ops, sparse and heavily overlapping contents; ops/s.
ca3-noise: recall accuracy of the stress test under spurious / missing input spikes
(0-20%), per target (`--target all` runs every available target).
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from spikemem import files
from spikemem.errors import ModelError, UnsupportedFeatureError

from . import plots as ca3_plots
from . import reference as ca3_reference
from . import workloads as ca3_workloads
from .memory import LATENCY, LEARN_HOLD, ContentAddressableMemory, IdealMemory, Learn

NOISE_RATES = (0.0, 0.025, 0.05, 0.1, 0.15, 0.2)


def write_json(path, data) -> str:
    """Write data as JSON atomically; returns the path."""
    files.write_json(path, data)
    return str(path)


def op_dict(op) -> dict:
    return {"op": op.kind, "cue": getattr(op, "cue", None),
            "content": list(getattr(op, "content", ()))}


def score(results) -> tuple[list, int, int]:
    """(per-op records, recalls equal to the ideal memory, number of recalls). Each record
    has `bits_wrong`: output neurons that differ from the ideal memory's answer."""
    ideal, records, good, recalls = IdealMemory(), [], 0, 0
    for r in results:
        cues, content = ideal.apply(r.op)
        ok = r.cues == cues and r.content == content
        wrong = len(set(r.cues) ^ set(cues)) + len(set(r.content) ^ set(content))
        if r.op.kind != "learn":
            recalls += 1
            good += ok
        records.append({**op_dict(r.op), "t_start": r.t_start, "cues": r.cues,
                        "content": r.content, "ideal_cues": cues, "ideal_content": content,
                        "equal": ok, "bits_wrong": wrong})
    return records, good, recalls


def bit_accuracy(records, n_outputs: int) -> float:
    """Mean fraction of output neurons that are right in the recalls of scored records."""
    recalls = [r for r in records if r["op"] != "learn"]
    return float(np.mean([1 - r["bits_wrong"] / n_outputs for r in recalls]))


def overwrite_echoes(ops, starts, n_cues: int) -> dict:
    """{step: output indices} of the old-content echo of each overwriting Learn: the old bits
    answer the learning cue's second spike too, LATENCY + 3 steps after the op starts (on
    SpiNNaker the weight drops before that spike is delivered; see docs/models/ca3.md)."""
    store, echoes = {}, {}
    for op, t0 in zip(ops, starts):
        if isinstance(op, Learn):
            old = store.get(op.cue, set()) - set(op.content)
            if old:
                echoes[t0 + LATENCY + LEARN_HOLD] = {n_cues + b for b in old}
            store[op.cue] = set(op.content)
    return echoes


def compare_reference(cam, run, workload, traces=None) -> dict:
    """Compare a run of a paper workload with the authors' SpiNNaker raster (traces: the
    blocks of ca3_reference.load_traces(); default the packaged ones). `matches` is true
    when the inputs are equal, every op window decodes alike and the outputs differ only
    at the overwrite echoes."""
    traces = ca3_reference.load_traces() if traces is None else traces
    if workload.reference not in traces:
        raise ModelError(f"no block {workload.reference!r} in the CA3 reference traces "
                         f"(blocks: {sorted(traces)})")
    rows = traces[workload.reference]
    steps = max(run.inputs.shape[0], rows[-1][0] + 1)
    ref_in, ref_out = ca3_reference.rasters(rows, cam.n_cues, cam.n_bits, steps)
    ops = [r.op for r in run.results]
    out = np.zeros_like(ref_out)
    out[:run.inputs.shape[0]] = run.result.spikes["out"]
    inputs = np.zeros_like(ref_in)
    inputs[:run.inputs.shape[0]] = run.inputs
    ref_results = cam.decode(ref_out[:run.inputs.shape[0]], ops, run.starts)
    echoes = overwrite_echoes(ops, run.starts, cam.n_cues)
    unexplained = []
    for t in np.flatnonzero((out != ref_out).any(axis=1)):
        extra = set(np.flatnonzero(out[t] & ~ref_out[t]).tolist())
        if ref_out[t].any() or extra != echoes.get(int(t)):
            unexplained.append(int(t))
    same = [r.cues == q.cues and r.content == q.content
            for r, q in zip(run.results, ref_results)]
    inputs_equal = bool(np.array_equal(inputs, ref_in))
    return {"name": workload.reference, "inputs_equal": inputs_equal,
            "op_results_equal": int(sum(same)), "ops": len(same),
            "reference_recalls_equal_ideal": score(ref_results)[1],
            "echo_steps": sorted(echoes), "unexplained_steps": unexplained,
            "matches": inputs_equal and all(same) and not unexplained}


def _paper_experiment(name: str):
    def experiment(out_dir: Path, target: str, quick: bool) -> dict:
        workload = ca3_workloads.PAPER[name]()
        cam = ContentAddressableMemory(**workload.memory, record_all=True)
        t = time.perf_counter()
        run = cam.simulate(workload.ops, target)
        wall = time.perf_counter() - t
        records, good, recalls = score(run.results)
        reference = compare_reference(cam, run, workload)
        out_dir = Path(out_dir)
        layers = [("in", run.inputs)] + [(p, run.result.spikes[p]) for p in cam.network.populations]
        png = ca3_plots.raster(out_dir / f"{name}_{target}.png",
                               f"{name} on {target} ({cam.n_cues} cues x {cam.n_bits} bits)",
                               layers, cam.n_cues)
        summary = {"experiment": name, "target": target, "n_cues": cam.n_cues,
                   "n_bits": cam.n_bits, "ops": len(records), "steps": int(run.inputs.shape[0]),
                   "recalls": recalls, "recalls_equal_ideal": good,
                   "all_recalls_equal_ideal": good == recalls,
                   "matches_reference": reference["matches"], "wall_s": round(wall, 3),
                   "reference": reference, "png": png}
        summary["json"] = write_json(out_dir / f"{name}_{target}.json",
                                     {**summary, "results": records})
        return summary

    experiment.__doc__ = ca3_workloads.PAPER[name].__doc__
    return experiment


def scale(out_dir: Path, target: str, quick: bool) -> dict:
    """Scale: 100 cues x 100 bits, 1,000 ops (sparse and heavily overlapping contents); ops/s."""
    n, n_ops = (20, 150) if quick else (100, 1000)
    workloads = {"sparse": dict(density=(0.05, 0.15), overlap=False),
                 "overlap": dict(density=(0.4, 0.4), overlap=True)}
    out_dir, summary = Path(out_dir), {"experiment": "ca3-scale", "target": target,
                                       "n_cues": n, "n_bits": n, "ops": n_ops}
    for label, spec in workloads.items():
        ops = ca3_workloads.random_ops(n, n, n_ops, seed=7, **spec)
        cam = ContentAddressableMemory(n, n)
        t = time.perf_counter()
        run = cam.simulate(ops, target)
        wall = time.perf_counter() - t
        records, good, recalls = score(run.results)
        by_kind = {}
        for r in records:
            if r["op"] != "learn":
                k = by_kind.setdefault(r["op"], [0, 0])
                k[0] += r["equal"]
                k[1] += 1
        summary[label] = {"recalls": recalls, "recalls_equal_ideal": good,
                          "accuracy": good / recalls, "by_kind": by_kind,
                          "steps": int(run.inputs.shape[0]), "wall_s": round(wall, 3),
                          "ops_per_s": round(n_ops / wall, 1),
                          "steps_per_s": round(run.inputs.shape[0] / wall, 1),
                          "mean_content_bits": float(np.mean(
                              [len(o.content) for o in ops if isinstance(o, Learn)]))}
    net = ContentAddressableMemory(n, n).network
    summary.update(neurons=net.n_neurons, synapses=net.n_synapses)
    summary["json"] = write_json(out_dir / f"ca3-scale_{target}.json", summary)
    return summary


def add_noise(x: np.ndarray, windows, kind: str, rate: float, rng) -> np.ndarray:
    """Copy of raster x with noise inside each op's input window (slice of steps): "spurious"
    turns silent entries on, "missing" turns spikes off, each with probability rate."""
    y = x.copy()
    for w in windows:
        block = y[w]
        flip = rng.random(block.shape) < rate
        block[flip & (~block if kind == "spurious" else block)] = kind == "spurious"
    return y


def noise(out_dir: Path, target: str, quick: bool) -> dict:
    """Noise: recall accuracy of the stress test with 0-20% spurious or missing input spikes."""
    from spikemem import targets as available

    names = available() if target == "all" else [target]
    trials = 2 if quick else 8
    rates = NOISE_RATES[::2] if quick else NOISE_RATES
    workload = ca3_workloads.stress()
    cam = ContentAddressableMemory(**workload.memory)
    ops, starts, _ = cam.schedule(workload.ops)
    windows = [slice(t, t + (LEARN_HOLD if isinstance(op, Learn) else 1))
               for op, t in zip(ops, starts)]
    clean = cam.encode(ops)
    out_dir = Path(out_dir)
    summary = {"experiment": "ca3-noise", "targets": {}, "rates": list(rates),
               "trials": trials, "ops": len(ops)}
    series = {}
    n_out = cam.n_cues + cam.n_bits
    for name in names:
        curves = {}
        try:
            for kind in ("spurious", "missing"):
                exact, bits = [], []
                for rate in rates:
                    scores = []
                    for trial in range(trials if rate else 1):
                        seed = [trial, int(rate * 1000), int(kind == "missing")]
                        rng = np.random.default_rng(seed)
                        x = add_noise(clean, windows, kind, rate, rng)
                        records, good, recalls = score(cam.simulate(ops, name, inputs=x).results)
                        scores.append((good / recalls, bit_accuracy(records, n_out)))
                    exact.append(float(np.mean([a for a, _ in scores])))
                    bits.append(float(np.mean([b for _, b in scores])))
                curves[kind] = exact
                curves[f"{kind}_bits"] = bits
                series[f"{name} {kind}: exact"] = ([100 * r for r in rates], exact)
                series[f"{name} {kind}: output bits"] = ([100 * r for r in rates], bits)
        except UnsupportedFeatureError as e:
            summary["targets"][name] = {"unsupported": str(e)}
            continue
        summary["targets"][name] = curves
    summary["png"] = ca3_plots.curves(out_dir / f"ca3-noise_{target}.png",
                                      "CA3 stress test under input noise", "noise rate (%)",
                                      "recall accuracy", series)
    summary["json"] = write_json(out_dir / f"ca3-noise_{target}.json", summary)
    return summary


EXPERIMENTS = {name: _paper_experiment(name) for name in ca3_workloads.PAPER}
EXPERIMENTS.update({"ca3-scale": scale, "ca3-noise": noise})
