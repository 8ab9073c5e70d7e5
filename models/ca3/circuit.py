"""The CA3 content-addressable memory circuit of Casanueva-Morato et al. (2024), in spikemem.

The paper's PyNN network (IF_curr_exp neurons, currents in nA, 1 ms steps on SpiNNaker) is
kept as data (PAPER_NEURONS, PAPER_SYNAPSES) and translated by one rule:

- v is measured from rest in mV: v_th = V_thresh - V_rest (3 mV; 2.5 mV for the output
  layer), v_reset = 0, refractory = tau_refrac / dt steps.
- A current jump of w nA becomes a jump of w * k_post mV in spikemem's per-step current,
  k = (1 - exp(-dt/tau_m)) * (tau_m / cm) * (tau_syn / dt) * (1 - exp(-dt/tau_syn)):
  the exact-integration update of an exponential current synapse and a leaky membrane over
  one step (sPyNNaker's), which is spikemem's update with alpha = exp(-dt/tau_syn),
  beta = exp(-dt/tau_m). Inhibitory weights are negative (tau_syn_E == tau_syn_I, so one
  receptor carries both).
- Delays in ms become delay / dt steps (spikemem: a spike at t arrives at t + d).
- The two all-to-all STDP projections use cam_stdp() (see its docstring).
"""
from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from spikemem import LIF, Network, PlasticityRule, Term, Trace
from spikemem.errors import ModelError

DT = 1.0  #: ms, the paper's time step

#: IF_curr_exp parameters as published (cm nF, tau ms, voltages mV), per population
_SLOW = {"cm": 0.27, "tau_m": 3.0, "tau_refrac": 1.0, "tau_syn": 0.3, "v_rest": -60.0,
         "v_reset": -60.0, "v_thresh": -57.0}
_FAST = {**_SLOW, "cm": 0.14, "tau_m": 0.5}
PAPER_NEURONS = {
    "CA3cueCueRecall": _SLOW, "CA3cueContRecall": _FAST, "CA3contCueRecall": _SLOW,
    "CA3contContRecall": _SLOW, "CA3contCond": _FAST, "CA3contCondInt": _FAST,
    "CA3mergeCue": _SLOW, "CA3mergeCont": _SLOW,
    "OUT": {**_SLOW, "v_thresh": -57.5},  # the output layer of the authors' test script
}

#: (name, pre, post, connectivity, weight nA (negative: inhibitory), delay ms).
#: "in"/"out" are the input source and output layer of C + B neurons (cue bits first);
#: "*B" weights are multiplied by the number of content bits, as in the authors' code.
PAPER_SYNAPSES = (
    ("in-cueCue", "in:cue", "CA3cueCueRecall", "one_to_one", 6.0, 1.0),
    ("in-contCue", "in:cont", "CA3contCueRecall", "one_to_one", 6.0, 1.0),
    ("cueCue-cueCont", "CA3cueCueRecall", "CA3cueContRecall", "one_to_one", 6.0, 2.0),
    ("cueCue-cueCont-inh", "CA3cueCueRecall", "CA3cueContRecall", "all_but_self", "-6*B", 3.0),
    ("cueCue-contCond", "CA3cueCueRecall", "CA3contCond", "all_to_all", -6.0, 2.0),
    ("contCue-contCond", "CA3contCueRecall", "CA3contCond", "one_to_one", 9.0, 1.0),
    ("contCond-contCont", "CA3contCond", "CA3contContRecall", "one_to_one", 6.0, 1.0),
    ("contCue-contCondInt", "CA3contCueRecall", "CA3contCondInt", "all_to_all", 6.0, 1.0),
    ("contCondInt-contCond", "CA3contCondInt", "CA3contCond", "all_to_all", 2.0, 1.0),
    ("cueCont-cueCont-inh", "CA3cueContRecall", "CA3cueContRecall", "all_but_self", "-6*B", 2.0),
    ("cueCue-mergeCue", "CA3cueCueRecall", "CA3mergeCue", "one_to_one", 6.0, 3.0),
    ("cueCont-mergeCue", "CA3cueContRecall", "CA3mergeCue", "one_to_one", 6.0, 1.0),
    ("contCue-mergeCont", "CA3contCueRecall", "CA3mergeCont", "one_to_one", 6.0, 3.0),
    ("contCont-mergeCont", "CA3contContRecall", "CA3mergeCont", "one_to_one", 6.0, 1.0),
    ("mergeCue-out", "CA3mergeCue", "out:cue", "one_to_one", 6.0, 1.0),
    ("mergeCont-out", "CA3mergeCont", "out:cont", "one_to_one", 6.0, 1.0),
)

#: the two plastic projections: all-to-all, initial weight 0, delay 1 ms, SpikePairRule
#: tau+ = tau- = 3 ms, A+ = A- = w_max = 6 nA, w_min = 0 (additive weight dependence)
PAPER_STDP = {"tau_plus": 3.0, "tau_minus": 3.0, "A": 6.0, "w_max": 6.0, "w_min": 0.0,
              "delay": 1.0}
PLASTIC = (("cue_to_cont", "CA3cueCueRecall", "CA3contCueRecall"),
           ("cont_to_cue", "CA3contContRecall", "CA3cueContRecall"))

#: depression strength of cam_stdp, in units of A (see cam_stdp)
DEPRESSION = 5.0


def mv_per_na(p: dict, dt: float = DT) -> float:
    """mV added to spikemem's per-step current by a 1 nA jump into a neuron with params p."""
    beta = math.exp(-dt / p["tau_m"])
    alpha = math.exp(-dt / p["tau_syn"])
    return (1.0 - beta) * (p["tau_m"] / p["cm"]) * (p["tau_syn"] / dt) * (1.0 - alpha)


def neuron_model(p: dict, dt: float = DT) -> LIF:
    """The spikemem LIF of one IF_curr_exp parameter set (v in mV above rest)."""
    return LIF(tau_mem=p["tau_m"], tau_syn=p["tau_syn"], v_th=p["v_thresh"] - p["v_rest"],
               v_reset=p["v_reset"] - p["v_rest"], reset="zero",
               refractory=int(round(p["tau_refrac"] / dt)))


def cam_stdp(a: float, tau_plus: float = 3.0, tau_minus: float = 3.0,
             depression: float = DEPRESSION, dt: float = DT) -> PlasticityRule:
    """The paper's one-shot pair STDP (A = w_max = a, in mV) in spikemem's synchronous timing.

    On SpiNNaker a pre spike is paired at emission and the weight it carries already holds
    its own pairing; spikemem pairs at arrival (one delay later) and a change counts from the
    next step. A plain pair rule therefore sees the co-active cue and content one step apart
    and the recalled old content coincident with its cue, and learns or forgets nothing
    (tests/models/ca3/test_ca3_memory.py shows it). This rule keeps tau+, tau- and A and
    gives the circuit the paper's behaviours:

      dw = a e^(2dt/tau+) post (x - pre)^2  -  depression * a * pre * post * (y - 1)^2

    x: nearest-neighbour pre trace (tau+), y: all-to-all post trace (tau-), w in [0, a].
    - one-shot learning: a post spike one step after a pre arrival potentiates by exactly a
      (= w_max); the square narrows the window so that ops 7 steps apart stay unassociated;
    - recall changes nothing: a post spike in the step a pre arrives (a recall, or another
      bit of a content fragment) neither potentiates nor, unless the post neuron spiked
      shortly before, depresses;
    - overwrite: a post spike caused by the arriving pre while the post neuron spiked 2 steps
      earlier (the old content answering the learning cue's second spike) depresses by
      depression * e^(-4dt/tau-) * a >= a, i.e. to 0. A post spike 6 or more steps earlier
      costs at most depression * e^(-4) * a < 0.1 a.
    """
    rise = a * math.exp(2.0 * dt / tau_plus)
    c = depression * a
    return PlasticityRule(
        name="cam_stdp",
        traces=(Trace("x_pre", "pre", tau_plus, 1.0, saturate=True),
                Trace("y_post", "post", tau_minus, 1.0)),
        terms=(Term(rise, ("x_pre", "x_pre", "post")),
               Term(-2.0 * rise, ("x_pre", "pre", "post")),
               Term(-c, ("y_post", "y_post", "pre", "post")),
               Term(2.0 * c, ("y_post", "pre", "post")),
               Term(rise - c, ("pre", "post"))),
        w_min=0.0, w_max=a)


def sizes(n_cues: int, n_bits: int) -> dict:
    """Neurons per population for C cues and B content bits (3C + 4B + 1 in the memory)."""
    c, b = n_cues, n_bits
    return {"CA3cueCueRecall": c, "CA3cueContRecall": c, "CA3contCueRecall": b,
            "CA3contContRecall": b, "CA3contCond": b, "CA3contCondInt": 1, "CA3mergeCue": c,
            "CA3mergeCont": b, "OUT": c + b}


def _check_size(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ModelError(f"CA3 memory {what}={value!r} must be an int >= 1")
    return int(value)


def _matrix(kind: str, n_pre: int, n_post: int, w: float, pre_off: int = 0, post_off: int = 0):
    """Sparse (n_pre, n_post) weights for a connectivity kind on index ranges."""
    if kind == "one_to_one":
        k = min(n_pre - pre_off, n_post - post_off)
        rows, cols = np.arange(k) + pre_off, np.arange(k) + post_off
    elif kind == "all_to_all":
        rows, cols = np.divmod(np.arange(n_pre * n_post), n_post)
    else:  # all_but_self
        rows, cols = np.nonzero(~np.eye(n_pre, n_post, dtype=bool))
    return sp.csr_array((np.full(rows.size, w), (rows, cols)), shape=(n_pre, n_post))


def network(n_cues: int, n_bits: int, *, record_all: bool = False) -> Network:
    """The CA3 memory for n_cues one-hot cues and n_bits content bits (dt = 1 ms).

    Input source "in" and output layer "out" have n_cues + n_bits neurons (cue bits first);
    "out" spikes are always recorded, every population too if record_all.
    """
    c, b = _check_size(n_cues, "n_cues"), _check_size(n_bits, "n_bits")
    n = sizes(c, b)
    net = Network(dt=DT)
    net.source("in", c + b)
    for name, p in PAPER_NEURONS.items():
        net.population(name.lower() if name == "OUT" else name, n[name], neuron_model(p))
    k = {name: mv_per_na(p) for name, p in PAPER_NEURONS.items()}
    for name, pre, post, kind, w_na, delay in PAPER_SYNAPSES:
        pre_pop, _, pre_part = pre.partition(":")
        post_pop, _, post_part = post.partition(":")
        w = -6.0 * b if w_na == "-6*B" else float(w_na)
        k_post = k["OUT" if post_pop == "out" else post_pop]
        n_pre = c + b if pre_pop == "in" else n[pre_pop]
        n_post = c + b if post_pop == "out" else n[post_pop]
        off_pre = c if pre_part == "cont" else 0
        off_post = c if post_part == "cont" else 0
        wm = _matrix(kind, n_pre, n_post, w * k_post, off_pre, off_post)
        net.connect(pre_pop, post_pop, wm, delay=int(round(delay / DT)), name=name)
    for name, pre, post in PLASTIC:
        a = PAPER_STDP["A"] * k[post]
        rule = cam_stdp(a, PAPER_STDP["tau_plus"], PAPER_STDP["tau_minus"])
        net.connect(pre, post, np.zeros((n[pre], n[post])),
                    delay=int(round(PAPER_STDP["delay"] / DT)), plasticity=rule, name=name)
    net.record("out", "spikes")
    if record_all:
        net.record("in", "spikes")
        for name in net.populations:
            if name != "out":
                net.record(name, "spikes")
    return net


def translation_table() -> list[dict]:
    """One row per population: the paper's parameters and spikemem's (for docs/tests)."""
    rows = []
    for name, p in PAPER_NEURONS.items():
        m = neuron_model(p)
        rows.append({"population": name, "cm_nF": p["cm"], "tau_m_ms": p["tau_m"],
                     "tau_syn_ms": p["tau_syn"], "v_th_mV": m.v_th, "refractory_steps":
                     m.refractory, "beta": m.beta(DT), "alpha": m.alphas(DT)["syn"],
                     "mV_per_nA": mv_per_na(p)})
    return rows
