"""The conformance catalogue: named small networks that together use every model feature.

Each Case builds its network with the public API and says how to run it: the steps of each
run() call (several entries = continuing runs) and the number of trials (batch). Inputs for
input sources are seeded per case and run, so every target sees the same spikes.
"""
from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from typing import Callable

import numpy as np
import scipy.sparse as sp

import spikemem as sm
from spikemem.model.sources import CurrentSource, InputSource
from spikemem.networks import coba, cuba


@dataclass(frozen=True)
class Case:
    """A catalogue entry. runs: steps of each consecutive run(); batch: trials or None;
    input_rate: spike probability per step of every input source neuron."""

    name: str
    build: Callable[[], sm.Network]
    runs: tuple[int, ...] = (200,)
    batch: int | None = None
    input_rate: float = 0.1
    chaotic: bool = False  # balanced E/I: approximate targets are held to population rates

    def inputs(self, net: sm.Network, run_index: int) -> dict:
        """Bool inputs {source: (steps, n) or (batch, steps, n)} of run `run_index`."""
        steps = self.runs[run_index]
        out = {}
        for name, src in net.sources.items():
            if isinstance(src, InputSource):
                rng = np.random.default_rng([zlib.crc32(f"{self.name}/{name}".encode()),
                                             run_index])
                shape = (steps, src.n) if self.batch is None else (self.batch, steps, src.n)
                out[name] = rng.random(shape) < self.input_rate
                if src.payload_bits:  # graded: a payload 1 .. max_payload per event
                    out[name] = out[name] * rng.integers(1, src.max_payload + 1, shape)
                if isinstance(src, CurrentSource):  # analog: a real value, often 0
                    out[name] = rng.normal(0.1, 0.3, shape) * (rng.random(shape) < 0.7)
        return out


def _record_all(net: sm.Network, v: bool = False) -> sm.Network:
    for name in list(net.sources) + list(net.populations):
        net.record(name, "spikes")
    if v:
        for name in net.populations:
            net.record(name, "v")
    return net


def ff_chain_delays() -> sm.Network:
    """input -> a -> b -> c, dense, a delay per synapse (1..5 steps); v and i recorded."""
    rng = np.random.default_rng(1)
    net = sm.Network(dt=1.0)
    net.source("in", 10)
    lif = sm.LIF(tau_mem=10.0, tau_syn=4.0, v_th=1.0)
    sizes = {"a": 12, "b": 10, "c": 8}
    prev = "in"
    for name, n in sizes.items():
        net.population(name, n, lif)
        n_pre = net.size(prev)
        net.connect(prev, name, rng.uniform(0.0, 0.6, (n_pre, n)),
                    delay=rng.integers(1, 6, (n_pre, n)))
        prev = name
    net.record("c", "v")
    net.record("c", "i")
    return _record_all(net)


def recurrent_ei() -> sm.Network:
    """Poisson-driven excitatory/inhibitory network, sparse, two receptors, refractory."""
    net = sm.Network(dt=0.5)
    net.poisson("drive", 40, rate_hz=60.0, seed=7)
    lif = sm.LIF(tau_mem=15.0, tau_syn={"exc": 3.0, "inh": 6.0}, v_th=1.0, refractory=3)
    net.population("e", 40, lif)
    net.population("i", 10, lif)
    net.connect("drive", "e", sm.FixedProbability(p=0.3, weight=0.5, seed=1), receptor="exc")
    net.connect("e", "e", sm.FixedProbability(p=0.1, weight=sm.Normal(0.2, 0.05), seed=2,
                                              allow_self=False), receptor="exc", delay=2)
    net.connect("e", "i", sm.FixedProbability(p=0.4, weight=0.3, seed=3), receptor="exc")
    net.connect("i", "e", sm.FixedProbability(p=0.5, weight=-0.6, seed=4), receptor="inh",
                delay=3)
    return _record_all(net)


def cuba_small() -> sm.Network:
    """Brian2's CUBA benchmark (spikemem.networks.cuba) at 400 neurons, p = 5%."""
    return cuba(n=400, dt=0.1, p=0.05, seed=3)


def winner_take_all() -> sm.Network:
    """Inputs excite one-to-one; all-to-all lateral inhibition without self-inhibition."""
    net = sm.Network(dt=1.0)
    net.source("in", 8)
    net.population("wta", 8, sm.LIF(tau_mem=20.0, tau_syn=2.0, v_th=1.0))
    net.connect("in", "wta", sm.OneToOne(weight=sm.Uniform(0.6, 1.2), seed=5))
    net.connect("wta", "wta", sm.AllToAll(weight=-1.5, allow_self=False))
    return _record_all(net, v=True)


def refractory_subtract() -> sm.Network:
    """Bias-driven neurons, subtractive reset and a refractory period of 4 steps."""
    net = sm.Network(dt=1.0)
    net.source("in", 6)
    model = sm.LIF(tau_mem=30.0, tau_syn=5.0, v_th=1.0, v_reset=-0.1, reset="subtract",
                   refractory=4)
    net.population("p", 10, model, bias=np.linspace(0.02, 0.3, 10))
    net.connect("in", "p", np.random.default_rng(2).uniform(0, 0.9, (6, 10)))
    return _record_all(net, v=True)


def if_instant() -> sm.Network:
    """Integrate-and-fire neurons with instantaneous current (tau_syn = 0), both resets."""
    rng = np.random.default_rng(3)
    net = sm.Network(dt=1.0)
    net.source("in", 10)
    net.population("zero", 6, sm.IF(tau_syn=0.0, v_th=1.0, reset="zero"))
    net.population("sub", 6, sm.IF(tau_syn=0.0, v_th=1.0, reset="subtract", refractory=1))
    net.connect("in", "zero", rng.uniform(0, 0.5, (10, 6)))
    net.connect("in", "sub", rng.uniform(0, 0.5, (10, 6)), delay=2)
    net.connect("zero", "sub", rng.uniform(-0.3, 0.3, (6, 6)))
    return _record_all(net, v=True)


def bias_oscillator() -> sm.Network:
    """No inputs: biased excitatory cells and delayed inhibition oscillate; v_init staggered."""
    net = sm.Network(dt=0.5)
    lif = sm.LIF(tau_mem=10.0, tau_syn={"exc": 2.0, "inh": 4.0}, v_th=1.0, v_reset=0.0)
    # v_init keeps every threshold crossing >= 1e-3 away from v_th (with linspace(0, 0.9)
    # one neuron crossed by 6e-5, which any fixed-point target rounds the other way)
    net.population("e", 20, lif, bias=0.08, v_init=np.linspace(0.02, 0.92, 20))
    net.population("i", 5, lif)
    net.connect("e", "i", sm.AllToAll(weight=0.15), receptor="exc", delay=2)
    net.connect("i", "e", sm.AllToAll(weight=-0.8), receptor="inh", delay=4)
    return _record_all(net)


def spike_times_relay() -> sm.Network:
    """A spike-time source relayed through two populations with uniform delays."""
    rng = np.random.default_rng(4)
    net = sm.Network(dt=1.0)
    net.spike_times("st", [rng.choice(150, 12, replace=False) for _ in range(8)])
    lif = sm.LIF(tau_mem=8.0, tau_syn=2.0, v_th=0.5)
    net.population("r1", 8, lif)
    net.population("r2", 4, lif)
    net.connect("st", "r1", sm.OneToOne(weight=0.9), delay=3)
    net.connect("r1", "r2", rng.uniform(0.1, 0.5, (8, 4)), delay=2)
    return _record_all(net)


def sparse_connectors() -> sm.Network:
    """FixedFanIn, FixedProbability (Normal weights), OneToOne and a raw CSR matrix."""
    net = sm.Network(dt=1.0)
    net.source("in", 30)
    lif = sm.LIF(tau_mem=12.0, tau_syn=3.0, v_th=1.0)
    net.population("a", 25, lif)
    net.population("b", 25, lif)
    net.connect("in", "a", sm.FixedFanIn(k=6, weight=0.35, seed=11))
    net.connect("a", "b", sm.FixedProbability(p=0.2, weight=sm.Normal(0.4, 0.1), seed=12),
                delay=2)
    net.connect("a", "b", sm.OneToOne(weight=0.3), name="a-b-direct")
    w = sp.random(25, 25, density=0.1, random_state=13, format="csr") * -0.5
    net.connect("b", "a", w, delay=np.random.default_rng(14).integers(1, 4, w.nnz))
    return _record_all(net)


def stdp_pairing() -> sm.Network:
    """The pair STDP protocol: pre spikes lead (pairs 0-3) or lag (pairs 4-7) the post spike
    of each pair by 1..4 steps, repeatedly; plus a nearest-neighbour STDP copy."""
    net = sm.Network(dt=1.0)
    pre_steps, post_steps = [], []
    for k in range(8):
        lag = (k % 4) + 1
        base = np.arange(20, 380, 40)
        post = base
        pre = base - lag if k < 4 else base + lag
        pre_steps.append(pre)
        post_steps.append(post - 1)  # the driver spikes one step before the post neuron fires
    net.spike_times("pre", pre_steps)
    net.spike_times("drive", post_steps)
    net.population("post", 8, sm.LIF(tau_mem=5.0, tau_syn=0.0, v_th=1.0))
    net.connect("drive", "post", sm.OneToOne(weight=2.0))
    net.connect("pre", "post", sm.OneToOne(weight=0.05), name="stdp",
                plasticity=sm.pair_stdp(tau_plus=10.0, tau_minus=12.0, a_plus=0.02,
                                        a_minus=0.025, w_min=0.0, w_max=0.5))
    net.connect("pre", "post", np.full((8, 8), 0.01), name="stdp_nearest",
                plasticity=sm.pair_stdp(tau_plus=10.0, tau_minus=12.0, a_plus=0.02,
                                        a_minus=0.025, w_min=0.0, w_max=0.5, nearest=True))
    return _record_all(net)


def oja_rates() -> sm.Network:
    """Oja's rule on Poisson-driven rates (dense plastic projection, delay 2)."""
    net = sm.Network(dt=1.0)
    net.poisson("x", 12, rate_hz=np.linspace(5, 120, 12), seed=21)
    net.population("y", 4, sm.LIF(tau_mem=10.0, tau_syn=3.0, v_th=0.6))
    net.connect("x", "y", np.random.default_rng(22).uniform(0.1, 0.4, (12, 4)), delay=2,
                plasticity=sm.oja(eta=0.004, tau=3.0, w_min=-1.0, w_max=1.0))
    return _record_all(net)


def anti_hebbian_lateral() -> sm.Network:
    """Anti-Hebbian decorrelation on sparse lateral connections (plastic CSR weights)."""
    net = sm.Network(dt=1.0)
    net.source("in", 10)
    net.population("p", 10, sm.LIF(tau_mem=15.0, tau_syn=3.0, v_th=1.0))
    net.connect("in", "p", sm.OneToOne(weight=1.2))
    net.connect("p", "p", sm.AllToAll(weight=-0.05, allow_self=False), name="lateral",
                plasticity=sm.anti_hebbian(eta=0.01, tau=5.0, w_min=-1.0, w_max=0.0))
    return _record_all(net)


def batched_plastic() -> sm.Network:
    """Three trials of different inputs, per-trial STDP weights, run twice (continuing)."""
    net = sm.Network(dt=1.0)
    net.source("in", 8)
    net.population("p", 6, sm.LIF(tau_mem=10.0, tau_syn=3.0, v_th=0.8, refractory=1))
    net.connect("in", "p", np.random.default_rng(31).uniform(0.1, 0.5, (8, 6)), delay=2,
                plasticity=sm.pair_stdp(a_plus=0.01, a_minus=0.012, w_min=0.0, w_max=0.6))
    net.record("p", "spikes")
    net.record("p", "counts")
    net.record("in", "counts")
    net.record("p", "v")
    return net


def multi_receptor() -> sm.Network:
    """Three receptors (AMPA-like, instantaneous, slow inhibitory) summed in order."""
    rng = np.random.default_rng(41)
    net = sm.Network(dt=0.5)
    net.source("in", 10)
    model = sm.LIF(tau_mem=20.0, tau_syn={"fast": 2.0, "inst": 0.0, "slow": 15.0}, v_th=1.0,
                   reset="subtract")
    net.population("p", 8, model, v_init=0.2)
    net.connect("in", "p", rng.uniform(0, 0.4, (10, 8)), receptor="fast")
    net.connect("in", "p", rng.uniform(0, 0.4, (10, 8)), receptor="inst", delay=3)
    net.connect("p", "p", rng.uniform(-0.2, 0.0, (8, 8)), receptor="slow", delay=2)
    net.record("p", "i")
    return _record_all(net, v=True)


def custom_rule() -> sm.Network:
    """A custom rule: an undecaying pre counter, a saturating post trace, a w-dependent term."""
    rule = sm.PlasticityRule(
        name="custom",
        traces=(sm.Trace("c", "pre", math.inf, 0.5), sm.Trace("p", "post", 5.0, 2.0, True)),
        terms=(sm.Term(0.02, ("pre",)), sm.Term(-0.01, ("p", "w")),
               sm.Term(0.005, ("c", "post"))),
        w_min=-1.0, w_max=1.0)
    net = sm.Network(dt=1.0)
    net.poisson("x", 6, rate_hz=80.0, seed=51)
    net.population("y", 5, sm.LIF(tau_mem=10.0, tau_syn=2.0, v_th=0.5))
    net.connect("x", "y", np.random.default_rng(52).uniform(0.0, 0.4, (6, 5)), plasticity=rule)
    return _record_all(net)


def rate_baseline() -> sm.Network:
    """A covariance rule dw = eta (x - b_x)(y - b_y) on rate traces that start at their
    baselines (init = b, about the mean trace of a 40 Hz train: 0.04 / (1 - exp(-1 / 20))),
    as products: eta x y - eta b_y x - eta b_x y + eta b_x b_y (a constant term)."""
    eta, b_x, b_y = 0.002, 0.8, 0.8
    rule = sm.PlasticityRule(
        name="covariance",
        traces=(sm.Trace("x", "pre", 20.0, init=b_x), sm.Trace("y", "post", 20.0, init=b_y)),
        terms=(sm.Term(eta, ("x", "y")), sm.Term(-eta * b_y, ("x",)),
               sm.Term(-eta * b_x, ("y",)), sm.Term(eta * b_x * b_y, ())),
        w_min=-0.5, w_max=1.0)
    net = sm.Network(dt=1.0)
    net.poisson("x", 10, rate_hz=np.linspace(20, 60, 10), seed=61)
    net.population("y", 4, sm.LIF(tau_mem=10.0, tau_syn=3.0, v_th=3.0))
    net.connect("x", "y", np.random.default_rng(62).uniform(0.1, 0.4, (10, 4)),
                plasticity=rule)
    return _record_all(net)


def alif_adaptation() -> sm.Network:
    """Adaptive-threshold neurons (ALIF, zero reset) driven hard enough that adaptation
    spaces their spikes; a recurrent ALIF layer behind them; v, i and a recorded."""
    rng = np.random.default_rng(71)
    net = sm.Network(dt=1.0)
    net.source("in", 12)
    alif = sm.ALIF(tau_mem=20.0, tau_syn=5.0, v_th=1.0, tau_adapt=60.0, beta_adapt=0.4)
    net.population("adapt", 10, alif, bias=np.linspace(0.0, 0.08, 10))
    net.population("deep", 6, sm.ALIF(tau_mem=10.0, tau_syn=2.0, v_th=0.8, v_reset=-0.2,
                                      tau_adapt=math.inf, beta_adapt=0.05))
    net.connect("in", "adapt", rng.uniform(0.0, 0.5, (12, 10)))
    net.connect("adapt", "deep", rng.uniform(0.0, 0.6, (10, 6)), delay=2)
    net.connect("deep", "adapt", rng.uniform(-0.3, 0.0, (6, 10)))
    for name in ("adapt", "deep"):
        for var in ("v", "i", "a"):
            net.record(name, var)
    return _record_all(net)


def alif_subtract_refractory() -> sm.Network:
    """ALIF with a subtractive reset (v -= theta) and a refractory period of 3 steps,
    beside plain LIF neurons of the same drive (two neuron models in one network)."""
    rng = np.random.default_rng(72)
    net = sm.Network(dt=0.5)
    net.source("in", 8)
    net.population("lif", 5, sm.LIF(tau_mem=15.0, tau_syn=3.0, v_th=1.0, reset="subtract",
                                     refractory=3))
    net.population("alif", 5, sm.ALIF(tau_mem=15.0, tau_syn=3.0, v_th=1.0, reset="subtract",
                                       refractory=3, tau_adapt=40.0, beta_adapt=0.3),
                   v_init=np.linspace(0.0, 0.5, 5))
    w = rng.uniform(0.0, 0.7, (8, 5))
    net.connect("in", "lif", w)
    net.connect("in", "alif", w)
    net.record("alif", "a")
    return _record_all(net, v=True)


def coincidence() -> sm.Network:
    """Memoryless coincidence detectors (tau_mem = 0, tau_syn = 0): v is this step's input,
    the threshold lies between one and two inputs, so a neuron spikes only when both of
    its inputs arrive in the same step (an AND)."""
    net = sm.Network(dt=1.0)
    net.source("a", 6)
    net.source("b", 6)
    net.population("and", 6, sm.LIF(tau_mem=0.0, tau_syn=0.0, v_th=1.5))
    net.connect("a", "and", sm.OneToOne(weight=1.0))
    net.connect("b", "and", sm.OneToOne(weight=1.0))
    return _record_all(net, v=True)



def tied_conv_tokens() -> sm.Network:
    """Tied weights: a padded Conv2d (delay 2) from an image source into a feature map, a
    sum pool (weight 0.6) over it, and a per-token linear map shared by four tokens; v of
    the two source-driven populations recorded."""
    rng = np.random.default_rng(73)
    net = sm.Network(dt=1.0)
    net.source("img", 2 * 6 * 6)
    net.source("tokens", 4 * 5)
    net.population("fmap", 3 * 6 * 6, sm.LIF(tau_mem=10.0, tau_syn=2.0, v_th=1.5))
    net.population("pooled", 3 * 3 * 3, sm.LIF(tau_mem=8.0, tau_syn=0.0, v_th=1.0))
    net.population("mixed", 4 * 3, sm.LIF(tau_mem=15.0, tau_syn=3.0, v_th=1.5))
    net.connect("img", "fmap", sm.Conv2d((2, 6, 6), rng.normal(0.05, 0.3, (3, 2, 3, 3)),
                                         padding=1), delay=2)
    net.connect("fmap", "pooled", sm.SumPool2d((3, 6, 6), 2, weight=0.6))
    net.connect("tokens", "mixed", sm.TokenLinear(4, rng.normal(0.1, 0.3, (5, 3))))
    for name in ("fmap", "mixed"):  # driven by sources only: v comparable until own spikes move
        net.record(name, "v")
    return _record_all(net)


def stp_depressing() -> sm.Network:
    """Depressing Tsodyks-Markram synapses (U = 0.5, tau_rec = 150 ms): input into a sparse
    recurrent population with per-synapse delays; batched, continued runs; v recorded."""
    rng = np.random.default_rng(91)
    net = sm.Network(dt=1.0)
    net.source("in", 12)
    net.population("e", 16, sm.LIF(tau_mem=12.0, tau_syn=3.0, v_th=1.0, refractory=2))
    depressing = sm.TsodyksMarkram(U=0.5, tau_rec=150.0, tau_fac=0.0)
    net.connect("in", "e", sm.FixedProbability(p=0.5, weight=sm.Uniform(0.5, 1.5), seed=8),
                stp=depressing)
    recurrent = sp.random(16, 16, density=0.3, random_state=9, format="csr") * 0.8
    net.connect("e", "e", recurrent, stp=depressing,
                delay=rng.integers(1, 5, recurrent.nnz))
    net.record("e", "v")
    return _record_all(net)


def stp_facilitating() -> sm.Network:
    """Facilitating Tsodyks-Markram synapses (U = 0.1, tau_fac = 400 ms, tau_rec = 60 ms)
    from Poisson input into e, and depressing-facilitating e -> i (dt 0.5 ms)."""
    net = sm.Network(dt=0.5)
    net.poisson("drive", 10, rate_hz=80.0, seed=12)
    net.population("e", 10, sm.LIF(tau_mem=10.0, tau_syn=2.0, v_th=1.0))
    net.population("i", 6, sm.LIF(tau_mem=10.0, tau_syn=2.0, v_th=1.0))
    rng = np.random.default_rng(13)
    net.connect("drive", "e", rng.uniform(0.0, 0.9, (10, 10)),
                stp=sm.TsodyksMarkram(U=0.1, tau_rec=60.0, tau_fac=400.0))
    net.connect("e", "i", rng.uniform(0.2, 1.2, (10, 6)), delay=2,
                stp=sm.TsodyksMarkram(U=0.25, tau_rec=100.0, tau_fac=50.0))
    net.record("i", "v")
    return _record_all(net)


def per_neuron_params() -> sm.Network:
    """Per-neuron parameters (trained models, NIR graphs): LIF neurons each with their own
    tau_mem (one of them IF), tau_syn per receptor, v_th and v_reset; ALIF neurons with their
    own tau_adapt and beta_adapt behind them; v, i and a recorded."""
    rng = np.random.default_rng(74)
    net = sm.Network(dt=1.0)
    net.source("in", 10)
    net.population("lif", 8, sm.LIF(
        tau_mem=np.append(np.linspace(5.0, 30.0, 7), math.inf),
        tau_syn={"exc": np.linspace(0.0, 6.0, 8), "inh": np.full(8, 4.0)},
        v_th=np.linspace(0.8, 1.6, 8), v_reset=np.linspace(-0.3, 0.2, 8), reset="subtract"))
    net.population("alif", 6, sm.ALIF(tau_mem=np.linspace(8.0, 20.0, 6), tau_syn=3.0,
                                      v_th=1.0, tau_adapt=np.array([30.0, 60.0, 90.0, 120.0,
                                                                    150.0, math.inf]),
                                      beta_adapt=np.linspace(0.0, 0.5, 6)))
    net.connect("in", "lif", rng.uniform(0.0, 0.6, (10, 8)), receptor="exc")
    net.connect("lif", "lif", rng.uniform(-0.3, 0.0, (8, 8)), receptor="inh", delay=2)
    net.connect("lif", "alif", rng.uniform(0.0, 0.8, (8, 6)))
    for var in ("v", "i"):
        net.record("lif", var)
    net.record("alif", "a")
    return _record_all(net)


def graded_events() -> sm.Network:
    """Graded input events (counts per bin, 4-bit payloads) beside binary spikes, into LIF
    neurons through per-synapse delays and a sparse projection, batched; v recorded."""
    rng = np.random.default_rng(75)
    net = sm.Network(dt=1.0)
    net.source("counts", 8, payload_bits=4)
    net.source("spikes", 4)
    net.population("p", 6, sm.LIF(tau_mem=12.0, tau_syn=3.0, v_th=4.0))
    net.population("q", 4, sm.LIF(tau_mem=8.0, tau_syn=0.0, v_th=2.0, reset="subtract"))
    net.connect("counts", "p", rng.uniform(0.0, 0.5, (8, 6)), delay=rng.integers(1, 4, (8, 6)))
    net.connect("spikes", "p", rng.uniform(0.0, 1.0, (4, 6)))
    mask = rng.random((8, 4)) < 0.5      # scipy 1.14 (the Lava environment) has no rng=
    net.connect("counts", "q", sp.csr_array(np.where(mask, rng.random((8, 4)), 0.0) * 0.4))
    net.connect("p", "q", rng.uniform(0.0, 0.8, (6, 4)), delay=2)
    net.record("p", "v")
    return _record_all(net)


def li_readout() -> sm.Network:
    """Non-spiking leaky-integrator readouts (sm.LI) of a spiking layer: one with a
    synaptic current and a bias, one whose input adds straight to v (NIR's LI) with two
    receptors, one a perfect integrator; v and i recorded."""
    rng = np.random.default_rng(76)
    net = sm.Network(dt=1.0)
    net.source("in", 10)
    net.population("h", 12, sm.LIF(tau_mem=10.0, tau_syn=3.0, v_th=1.0))
    net.population("cuba_li", 3, sm.LI(tau_mem=15.0, tau_syn=4.0), bias=0.02)
    net.population("li", 4, sm.LI(tau_mem=np.array([5.0, 10.0, 20.0, math.inf]),
                                  tau_syn={"exc": 0.0, "inh": 2.0}))
    net.connect("in", "h", rng.uniform(0.0, 0.6, (10, 12)))
    net.connect("h", "cuba_li", rng.normal(0.0, 0.5, (12, 3)))
    net.connect("h", "li", rng.uniform(0.0, 0.5, (12, 4)), receptor="exc")
    net.connect("in", "li", rng.uniform(-0.4, 0.0, (10, 4)), receptor="inh", delay=3)
    for name in ("cuba_li", "li"):
        for var in ("v", "i"):
            net.record(name, var)
    return _record_all(net)


def current_drive() -> sm.Network:
    """Analog input currents (net.current, Brian2's TimedArray): one straight into v
    (tau_syn = 0 receptor, one to one), one through a synaptic current with per-synapse
    delays, beside binary spikes; ALIF neurons behind; v and i recorded, batched."""
    rng = np.random.default_rng(77)
    net = sm.Network(dt=0.5)
    net.current("I", 6)
    net.current("noise", 4)
    net.source("spikes", 3)
    net.population("p", 6, sm.LIF(tau_mem=10.0, tau_syn={"direct": 0.0, "syn": 2.0},
                                  v_th=0.6, refractory=2))
    net.population("q", 3, sm.ALIF(tau_mem=8.0, tau_syn=1.0, v_th=0.5, beta_adapt=0.2))
    net.connect("I", "p", sm.OneToOne(weight=1.0), receptor="direct")
    net.connect("noise", "p", rng.uniform(-0.5, 0.5, (4, 6)), receptor="syn",
                delay=rng.integers(1, 4, (4, 6)))
    net.connect("spikes", "q", rng.uniform(0.0, 0.6, (3, 3)))
    net.connect("p", "q", rng.uniform(0.0, 0.5, (6, 3)), delay=2)
    for var in ("v", "i"):
        net.record("p", var)
    return _record_all(net)


def coba_small() -> sm.Network:
    """Brian2's COBA benchmark (spikemem.networks.coba: conductance-based LIF, reversal
    potentials per receptor) at 400 neurons, p = 5%; v and the conductances recorded."""
    net = coba(400, p=0.05)
    net.record("exc", "v")
    net.record("inh", "i")
    return net


CATALOGUE = {c.name: c for c in [
    Case("ff_chain_delays", ff_chain_delays, runs=(120, 80), input_rate=0.2),
    Case("recurrent_ei", recurrent_ei, runs=(300,)),
    Case("cuba_small", cuba_small, runs=(1000,), chaotic=True),
    Case("winner_take_all", winner_take_all, runs=(150,), input_rate=0.3),
    Case("refractory_subtract", refractory_subtract, runs=(150,)),
    Case("if_instant", if_instant, runs=(150,), input_rate=0.15),
    Case("bias_oscillator", bias_oscillator, runs=(400,)),
    Case("spike_times_relay", spike_times_relay, runs=(100, 60)),
    Case("sparse_connectors", sparse_connectors, runs=(150,), input_rate=0.15),
    Case("stdp_pairing", stdp_pairing, runs=(400,)),
    Case("oja_rates", oja_rates, runs=(300,)),
    Case("anti_hebbian_lateral", anti_hebbian_lateral, runs=(200,), input_rate=0.2),
    Case("batched_plastic", batched_plastic, runs=(100, 100), batch=3, input_rate=0.2),
    Case("multi_receptor", multi_receptor, runs=(200,), input_rate=0.15),
    Case("custom_rule", custom_rule, runs=(200,)),
    Case("rate_baseline", rate_baseline, runs=(150, 150)),
    Case("alif_adaptation", alif_adaptation, runs=(250,), input_rate=0.25),
    Case("alif_subtract_refractory", alif_subtract_refractory, runs=(200,), input_rate=0.2),
    Case("coincidence", coincidence, runs=(200,), input_rate=0.35),
    Case("tied_conv_tokens", tied_conv_tokens, runs=(180,), input_rate=0.25),
    Case("per_neuron_params", per_neuron_params, runs=(200,), input_rate=0.25),
    Case("graded_events", graded_events, runs=(120, 80), batch=2, input_rate=0.2),
    Case("li_readout", li_readout, runs=(150,), input_rate=0.25),
    Case("current_drive", current_drive, runs=(200,), batch=2, input_rate=0.2),
    Case("coba_small", coba_small, runs=(1000,), chaotic=True),
    Case("stp_depressing", stp_depressing, runs=(150, 100), batch=2, input_rate=0.2),
    Case("stp_facilitating", stp_facilitating, runs=(400,)),
]}
