"""Run a trained transformer on spikemem's targets and measure it: accuracy and bits per
answer, agreement with the numpy reference, spike rates, and the loihi2 / spinnaker2
mapping with the energy of one inference.

The answer to question g of a sample is the argmax of the `out` spike counts of its
n_classes neurons (`out` neuron g * n_classes + k is class k); bits are the cross-entropy
of softmax(scale * counts) in bits (bits per character for the language model).
"""
from __future__ import annotations

import math
import time

import numpy as np

import spikemem as sm

#: compile options: float64 torch (exact), Brian2's numpy code generation (exact as cython,
#: no compiler needed), the chips of the hardware report on the fixed-point emulators
TARGET_OPTIONS = {"numpy": {}, "torch": {"dtype": "float64"}, "brian2": {"mode": "numpy"},
                  "loihi2": {"chip": "loihi2"}, "spinnaker": {"chip": "spinnaker2"}}
#: chips of the mapping and energy report
CHIPS = ("loihi2", "spinnaker2")


def probed(net: sm.Network) -> sm.Network:
    """A snapshot of `net` that also records the spike counts of every population and
    source (the energy estimate needs them)."""
    copy = net.snapshot()
    for name in list(copy.populations) + list(copy.sources):
        copy.record(name, "counts")
    return copy


def run(net: sm.Network, x: np.ndarray, target: str = "numpy"):
    """The Result of the samples x bool (samples, steps, n_inputs) on `target`."""
    sim = sm.compile(probed(net), target=target, **TARGET_OPTIONS[target])
    return sim.run(x.shape[1], inputs={"in": x})


def answers(counts: np.ndarray, n_answers: int) -> np.ndarray:
    """out counts (samples, n_answers * n_classes) -> answers int (samples, n_answers)."""
    return counts.reshape(len(counts), n_answers, -1).argmax(-1)


def score(counts: np.ndarray, y: np.ndarray, n_answers: int, scale: float) -> dict:
    """{'accuracy', 'bits'} of out counts (samples, n_out) (or baseline logits with
    scale 1) against labels y (samples,) or (samples, n_answers)."""
    logits = scale * np.asarray(counts, dtype=np.float64).reshape(len(counts), n_answers, -1)
    labels = np.asarray(y).reshape(len(counts), n_answers)
    top = logits.max(-1, keepdims=True)
    log_z = np.log(np.exp(logits - top).sum(-1)) + top[..., 0]
    picked = np.take_along_axis(logits, labels[..., None], -1)[..., 0]
    return {"accuracy": float(np.mean(answers(np.asarray(counts), n_answers) == labels)),
            "bits": float(np.mean(log_z - picked) / math.log(2))}


def on_targets(net: sm.Network, x: np.ndarray, y: np.ndarray, n_answers: int, scale: float,
               samples: dict) -> tuple[dict, object]:
    """Each target in `samples` (name -> how many of the samples it runs, the first ones)
    scored, timed and compared with numpy on the same samples: 'identical_out' (fraction
    of samples whose out spikes equal numpy's) and 'same_answers'. numpy runs all samples;
    returns ({target: metrics}, numpy's Result)."""
    t0 = time.perf_counter()
    ref = run(net, x, "numpy")
    out = {"numpy": {"samples": len(x), "seconds": time.perf_counter() - t0,
                     **score(ref.counts["out"], y, n_answers, scale)}}
    for target, n in samples.items():
        if target == "numpy":
            continue
        t0 = time.perf_counter()
        res = run(net, x[:n], target)
        got, want = res.spikes["out"], ref.spikes["out"][:n]
        same = answers(res.counts["out"], n_answers) == answers(ref.counts["out"][:n], n_answers)
        out[target] = {"samples": n, "seconds": time.perf_counter() - t0,
                       **score(res.counts["out"], y[:n], n_answers, scale),
                       "numpy_accuracy_same_samples":
                           score(ref.counts["out"][:n], y[:n], n_answers, scale)["accuracy"],
                       "identical_out": float(np.mean(np.all(got == want, axis=(1, 2)))),
                       "same_answers": float(np.mean(same))}
    return out, ref


def rates(result) -> dict:
    """Spikes per neuron per step of every population, over all samples."""
    return {name: float(np.mean(c)) / result.steps for name, c in result.counts.items()
            if name != "in"}


def hardware(net: sm.Network, result) -> dict:
    """Per chip of CHIPS: the mapping (cores, chips, synapse memory expanded and with each
    shared parameter stored once) and the energy and synaptic operations of one inference,
    from `result` (a run of `net` with counts recorded, see probed)."""
    out = {}
    for chip in CHIPS:
        mapping = sm.map(net, chip=chip)
        m = mapping.to_dict()
        e = mapping.energy(result)
        out[chip] = {"cores": m["cores_used"], "chips": m["chips_used"],
                     "synapse_bits": m["synapse_bits"],
                     "shared_synapse_bits": m["shared_synapse_bits"],
                     "energy_per_inference_j": e["energy_j"] / e["trials"],
                     "latency_per_step_s": e["latency_per_step_s"],
                     "per_inference": {op: n / e["trials"] for op, n in e["counts"].items()}}
    return out
