"""The fixed-point targets: loihi2 (Lava bit-accurate arithmetic) and spinnaker (s16.15)."""
import math

import numpy as np
import pytest

import spikemem as sm
from spikemem import MappingError, ModelError
from spikemem.targets import spec


def agreement(ref, got, window):
    """(fraction of neurons with equal counts, fraction of ref spikes matched within ±window)."""
    counts = float((ref.sum(0) == got.sum(0)).mean())
    t, n = np.nonzero(ref)
    hit = sum(got[max(0, a - window):a + window + 1, b].any() for a, b in zip(t, n))
    return counts, (hit / t.size if t.size else 1.0)


def net_one_receptor(seed=0, refractory=0, v_reset=0.0, delays=True):
    rng = np.random.default_rng(seed)
    net = sm.Network(dt=1.0)
    net.source("in", 20)
    net.population("a", 30, sm.LIF(tau_mem=20.0, tau_syn=5.0, v_th=1.0, v_reset=v_reset,
                                   refractory=refractory), bias=rng.uniform(0, 0.02, 30))
    net.population("b", 10, sm.IF(tau_syn=0.0, v_th=1.0), v_init=0.3)
    net.connect("in", "a", rng.uniform(0, 0.5, (20, 30)))
    net.connect("a", "b", rng.uniform(-0.1, 0.3, (30, 10)), delay=2 if delays else 1)
    net.connect("b", "a", rng.uniform(-0.3, 0.0, (10, 30)),
                delay=rng.integers(1, 4, (10, 30)) if delays else 1)
    for p in ("a", "b"):
        net.record(p)
        net.record(p, "v")
    return net, {"in": rng.random((150, 20)) < 0.1}


# ---- loihi2 -------------------------------------------------------------------------------
def lava_literal(net, steps, x, sim):
    """Lava's bit-accurate LIF + Dense equations written out per neuron with Python ints
    (one population 'p' fed by source 'in' through one delay-1 projection 'in->p')."""
    q = sim.core.neurons["p"]
    w = sim.core.weights["in->p"]
    pre, post, _, _ = net.projections["in->p"].synapses()
    n = net.populations["p"].n
    u, v = [0] * n, [int(q.v_init[k]) for k in range(n)]
    arriving = [0] * n
    out_v, out_s = [], []

    def dec(val, d):
        prod = val * (4096 - d)
        return (abs(prod) >> 12) * (1 if prod >= 0 else -1)

    for t in range(steps):
        spikes = []
        for k in range(n):
            uu = dec(u[k], q.du[0] + 1) + (arriving[k] << 6)
            if uu > 2 ** 23:
                uu -= 2 ** 24
            elif uu <= -2 ** 23:
                uu += 2 ** 24
            u[k] = uu
            vv = dec(v[k], q.dv) + uu + (int(q.bias_mant[k]) << int(q.bias_exp[k]))
            vv = max(-(2 ** 23) + 1, min(2 ** 23 - 1, vv))
            s = vv > (q.vth << 6)
            v[k] = 0 if s else vv
            spikes.append(s)
        acc = [0] * n
        for j, k, m in zip(pre, post, w.weights):
            if x[t, j]:
                acc[k] += int(m)
        e = w.weight_exp
        arriving = [(a << e) if e >= 0 else (a >> -e) for a in acc]
        out_v.append(list(v))
        out_s.append(spikes)
    return np.array(out_s), np.array(out_v)


@pytest.mark.parametrize("w_lo, w_hi, tau_syn", [(0.0, 0.6, 5.0), (-0.4, 0.6, 2.0),
                                                  (-0.05, 0.0, 0.0), (0.0, 0.004, 10.0)])
def test_loihi_matches_literal_lava_equations(w_lo, w_hi, tau_syn):
    rng = np.random.default_rng(3)
    net = sm.Network(dt=1.0)
    net.source("in", 6)
    net.population("p", 4, sm.LIF(tau_mem=12.0, tau_syn=tau_syn, v_th=1.0),
                   bias=rng.uniform(-0.01, 0.05, 4), v_init=rng.uniform(-0.5, 0.5, 4))
    net.connect("in", "p", rng.uniform(w_lo, w_hi, (6, 4)))
    net.record("p")
    x = rng.random((80, 6)) < 0.4
    sim = sm.compile(net, target="loihi2")
    ints = []
    spikes = []
    for t in range(80):
        spikes.append(sim.run(1, inputs={"in": x[t:t + 1]}).spikes["p"][0])
        ints.append(sim.state["v"][0].copy())
    s_ref, v_ref = lava_literal(net, 80, x, sim)
    np.testing.assert_array_equal(np.array(spikes), s_ref)
    np.testing.assert_array_equal(np.array(ints), v_ref)


def test_loihi_close_to_float_and_within_declared_tolerance():
    net, x = net_one_receptor(delays=True)
    ref = sm.compile(net).run(150, inputs=x)
    got = sm.compile(net, target="loihi2").run(150, inputs=x)
    tol = spec("loihi2").variants[0].tolerance
    for p in ("a", "b"):
        c, t = agreement(ref.spikes[p], got.spikes[p], tol.time_window)
        assert c >= tol.count_agreement and t >= tol.time_agreement, (p, c, t)
    # before the first spike the membrane follows the float one to quantisation precision
    first = int(np.argmax(ref.spikes["a"].any(1)))
    assert np.abs(ref.traces["a"]["v"][:first] - got.traces["a"]["v"][:first]).max() < 5e-3


def test_loihi_v_reset_offset_and_refractory_are_emulated():
    net, x = net_one_receptor(refractory=3, v_reset=-0.3, delays=False)
    ref = sm.compile(net).run(150, inputs=x)
    got = sm.compile(net, target="loihi2").run(150, inputs=x)
    tol = spec("loihi2").variants[0].tolerance
    c, t = agreement(ref.spikes["a"], got.spikes["a"], tol.time_window)
    assert t >= tol.time_agreement and c >= tol.count_agreement
    # after a spike v sits at v_reset for the refractory steps
    step, k = np.nonzero(got.spikes["a"])
    step, k = step[step < 140], k[step < 140]
    for d in range(4):
        np.testing.assert_allclose(got.traces["a"]["v"][step + d, k], -0.3, atol=1e-6)


def test_loihi_receptors_and_subtract_reset():
    """Two currents with their own decays and a subtractive reset (Loihi 2 neurons)."""
    rng = np.random.default_rng(5)
    net = sm.Network(dt=1.0)
    net.source("in", 6)
    net.population("p", 8, sm.LIF(tau_mem=15.0, tau_syn={"exc": 2.0, "inh": 8.0}, v_th=1.0,
                                  v_reset=-0.2, reset="subtract", refractory=1), bias=0.02)
    net.connect("in", "p", rng.uniform(0, 0.6, (6, 8)), receptor="exc")
    net.connect("in", "p", rng.uniform(-0.3, 0, (6, 8)), receptor="inh", delay=2)
    net.record("p")
    net.record("p", "v")
    net.record("p", "i")
    x = {"in": rng.random((200, 6)) < 0.3}
    ref = sm.compile(net).run(200, inputs=x)
    sim = sm.compile(net, target="loihi2")
    got = sim.run(200, inputs=x)
    assert sim.core.neurons["p"].du[0] != sim.core.neurons["p"].du[1]
    tol = spec("loihi2").variants[0].tolerance
    c, t = agreement(ref.spikes["p"], got.spikes["p"], tol.time_window)
    assert c >= tol.count_agreement and t >= tol.time_agreement, (c, t)
    first = int(np.argmax(ref.spikes["p"].any(1)))
    assert np.abs(ref.traces["p"]["i"][:first] - got.traces["p"]["i"][:first]).max() < 5e-3
    # a subtract reset keeps what exceeded the threshold: v after a spike is not the reset
    step, k = np.nonzero(got.spikes["p"])
    assert np.any(np.abs(got.traces["p"]["v"][step, k] + 0.2) > 1e-3)


def test_loihi_refuses_what_it_cannot_express():
    net = sm.Network()
    net.population("p", 2, sm.LIF(v_th=0.1, v_reset=0.2))
    with pytest.raises(ModelError, match="v_th=0.1 must exceed v_reset=0.2"):
        sm.compile(net, target="loihi2")
    net = sm.Network()
    net.population("p", 2, sm.LIF(refractory=100))
    with pytest.raises(ModelError, match="refractory=100 steps exceeds loihi2's maximum of 63"):
        sm.compile(net, target="loihi2")
    net = sm.Network()
    net.population("p", 2, sm.LIF())
    net.connect("p", "p", np.ones((2, 2)), delay=65)
    with pytest.raises(MappingError, match="delay 65 steps exceeds loihi2's maximum of 64"):
        sm.compile(net, target="loihi2")
    with pytest.raises(ModelError, match="SpiNNaker chip"):
        sm.compile(net, target="spinnaker", chip="loihi2")
    with pytest.raises(ModelError, match="headroom_bits"):
        sm.compile(sm.Network(), target="loihi2", headroom_bits=40)
    net = sm.Network()
    net.source("in", 3)
    net.population("out", 2, sm.IF(tau_syn=0.0, v_th=1e9))   # an "integrate only" readout
    net.connect("in", "out", np.full((3, 2), 0.2))
    with pytest.raises(ModelError, match="'in->out': every weight rounds to 0"):
        sm.compile(net, target="loihi2")
    net.populations["out"].model = sm.IF(tau_syn=0.0, v_th=10.0)
    sm.compile(net, target="loihi2")
    net = sm.Network()
    net.population("p", 2, sm.LIF(), v_init=[0.0, 5000.0])
    with pytest.raises(ModelError, match="population 'p': .v_init - v_reset. up to 5000"):
        sm.compile(net, target="loihi2")


def test_spinnaker_refuses_parameters_outside_s1615():
    net = sm.Network()
    net.population("p", 2, sm.IF(v_th=1e9))
    with pytest.raises(ModelError, match="population 'p': v_th = 1e\\+09 is outside "
                                         "spinnaker1's s16.15 range"):
        sm.compile(net, target="spinnaker")
    net = sm.Network()
    net.population("p", 2, sm.LIF(), bias=[0.0, -70000.0])
    with pytest.raises(ModelError, match="bias = 70000"):
        sm.compile(net, target="spinnaker")


@pytest.mark.parametrize("target", ["loihi2", "spinnaker"])
def test_batch_reset_and_continued_runs(target):
    net, x = net_one_receptor()
    sim = sm.compile(net, target=target)
    whole = sim.run(150, inputs=x)
    sim.reset()
    first = sim.run(70, inputs={"in": x["in"][:70]})
    second = sim.run(80, inputs={"in": x["in"][70:]})
    np.testing.assert_array_equal(np.concatenate([first.spikes["a"], second.spikes["a"]]),
                                  whole.spikes["a"])
    sim.reset()
    other = np.random.default_rng(9).random((150, 20)) < 0.2
    batched = sim.run(150, inputs={"in": np.stack([x["in"], other])})
    np.testing.assert_array_equal(batched.spikes["b"][0], whole.spikes["b"])
    alone = sm.compile(net, target=target).run(150, inputs={"in": other})
    np.testing.assert_array_equal(batched.spikes["b"][1], alone.spikes["b"])


def test_emulators_report_their_mapping_and_energy():
    net, x = net_one_receptor()
    sim = sm.compile(net, target="loihi2")
    res = sim.run(150, inputs=x)
    assert sim.mapping.cores_used == 1 and sim.mapping.chip.name == "loihi2"
    net.record("in", "counts")
    res = sm.compile(net, target="spinnaker").run(150, inputs=x)
    e = sm.compile(net, target="spinnaker").mapping.energy(res)
    assert e["counts"]["neuron_update"] == 40 * 150 and e["counts"]["synaptic_op"] > 0


# ---- spinnaker ----------------------------------------------------------------------------
def test_spinnaker_tracks_float_closely():
    net, x = net_one_receptor(refractory=2, v_reset=-0.2)
    ref = sm.compile(net).run(150, inputs=x)
    got = sm.compile(net, target="spinnaker").run(150, inputs=x)
    tol = spec("spinnaker").variants[0].tolerance
    for p in ("a", "b"):
        c, t = agreement(ref.spikes[p], got.spikes[p], tol.time_window)
        assert c >= tol.count_agreement and t >= tol.time_agreement, (p, c, t)
    first = int(np.argmax(ref.spikes["a"].any(1)))
    assert np.abs(ref.traces["a"]["v"][:first] - got.traces["a"]["v"][:first]).max() < 1e-3


def test_spinnaker_expresses_receptors_and_subtract_reset():
    net = sm.Network(dt=0.1)
    net.source("in", 5)
    net.population("p", 8, sm.LIF(tau_mem=10.0, tau_syn={"exc": 2.0, "inh": 6.0},
                                  v_th=0.5, reset="subtract", refractory=1))
    rng = np.random.default_rng(2)
    net.connect("in", "p", rng.uniform(0, 0.8, (5, 8)), receptor="exc")
    net.connect("in", "p", rng.uniform(-0.5, 0, (5, 8)), receptor="inh", delay=5)
    net.record("p")
    net.record("p", "i")
    x = {"in": rng.random((400, 5)) < 0.3}
    ref = sm.compile(net).run(400, inputs=x)
    got = sm.compile(net, target="spinnaker").run(400, inputs=x)
    c, t = agreement(ref.spikes["p"], got.spikes["p"], 1)
    assert c >= 0.9 and t >= 0.95
    i_ref = ref.traces["p"]["i"]
    assert np.abs(i_ref - got.traces["p"]["i"]).max() < 1e-3 * np.abs(i_ref).max()


def test_spinnaker_ring_buffer_shift():
    from spikemem.hal.chips import load_chip
    from spikemem.hal.quantize import spinnaker_plan
    net = sm.Network()
    net.source("in", 40)
    net.population("p", 2, sm.LIF(v_th=100.0))
    net.connect("in", "p", np.full((40, 2), 0.9), name="big")
    net.connect("in", "p", np.full((40, 2), -0.05), name="neg")
    shifts, weights = spinnaker_plan(net, load_chip("spinnaker1"))
    # worst case one-step input 36 needs 36 * 2**15 / 65535 -> shift 5 (range 2**(5+1) = 64)
    assert shifts[("p", "syn")] == 5
    assert weights["big"].shift == 5 and weights["neg"].negative.all()
    assert weights["big"].magnitude[0] == round(0.9 * 2 ** 10)
    net.record("p", "v")
    x = {"in": np.zeros((3, 40), bool)}
    x["in"][0] = True
    got = sm.compile(net, target="spinnaker").run(3, inputs=x)
    exp = (round(0.9 * 2 ** 10) - round(0.05 * 2 ** 10)) * 40 / 2 ** 10
    assert got.traces["p"]["v"][1, 0] == pytest.approx(exp)


def test_spinnaker_refuses_long_delays():
    net = sm.Network()
    net.source("in", 2)
    net.population("p", 2, sm.LIF())
    net.connect("in", "p", np.ones((2, 2)), delay=145)
    with pytest.raises(MappingError, match="delay 145 steps exceeds spinnaker1's maximum of 144"):
        sm.compile(net, target="spinnaker")


@pytest.mark.parametrize("target", ["spinnaker", "loihi2"])
def test_stdp_in_fixed_point(target):
    """Pre spikes arrive at steps 11 and 35, the post neuron fires at 13 and 30: all-to-all
    pairing gives a_plus (e^-0.2 + e^-1.9) - a_minus (e^-2.2 + e^-0.5), to within a unit."""
    net = sm.Network(dt=1.0)
    net.spike_times("pre", [[10, 34]])
    net.spike_times("kick", [[12, 29]])
    net.population("post", 1, sm.LIF(tau_mem=5.0, tau_syn=0.0, v_th=1.0))
    net.connect("kick", "post", np.array([[2.0]]))
    rule = sm.pair_stdp(tau_plus=10.0, tau_minus=10.0, a_plus=0.05, a_minus=0.04,
                        w_min=0.0, w_max=1.0)
    net.connect("pre", "post", np.array([[0.3]]), plasticity=rule, name="w")
    net.record("post")
    ref = sm.compile(net).run(50)
    sim = sm.compile(net, target=target)
    got = sim.run(50)
    np.testing.assert_array_equal(ref.spikes["post"], got.spikes["post"])
    assert np.nonzero(got.spikes["post"][:, 0])[0].tolist() == [13, 30]
    expected = 0.3 + 0.05 * (math.exp(-0.2) + math.exp(-1.9)) \
        - 0.04 * (math.exp(-2.2) + math.exp(-0.5))
    assert ref.weights["w"][0, 0] == pytest.approx(expected, abs=1e-9)
    unit = sim.plastic[0].unit  # model units per weight unit (16-bit / 8-bit mantissa)
    assert unit < 0.01
    assert abs(got.weights["w"][0, 0] - expected) <= 1.5 * unit


@pytest.mark.parametrize("target, limit, lateral", [("spinnaker", 0.02, True),
                                                    ("loihi2", 0.1, False)])
def test_plastic_rules_follow_float_and_batch(target, limit, lateral):
    """Oja (and, with 16-bit weights, anti-Hebbian lateral competition, which amplifies
    8-bit steps) learn like the float rule; trials of a batch learn independently."""
    rng = np.random.default_rng(4)
    net = sm.Network(dt=1.0)
    net.source("x", 6)
    net.population("y", 4, sm.LIF(tau_mem=10.0, tau_syn=3.0, v_th=0.6))
    net.connect("x", "y", rng.uniform(0.1, 0.5, (6, 4)), delay=2, name="oja",
                plasticity=sm.oja(eta=0.01, tau=5.0, w_min=-1.0, w_max=1.0))
    if lateral:
        net.connect("y", "y", sm.AllToAll(weight=-0.1, allow_self=False), name="anti",
                    plasticity=sm.anti_hebbian(eta=0.01, tau=5.0, w_min=-1.0, w_max=0.0))
    net.record("y")
    x = rng.random((2, 200, 6)) < 0.3
    ref = sm.compile(net).run(200, inputs={"x": x})
    got = sm.compile(net, target=target).run(200, inputs={"x": x})
    tol = spec(target).variants[0].tolerance
    for name in ref.weights:
        assert got.weights[name].shape == ref.weights[name].shape
        err = np.abs(got.weights[name] - ref.weights[name]).max() / np.abs(ref.weights[name]).max()
        assert err <= min(tol.weight_rtol, limit), (name, err)
    alone = sm.compile(net, target=target).run(200, inputs={"x": x[0]})
    np.testing.assert_array_equal(alone.weights["oja"], got.weights["oja"][0])
    assert not np.array_equal(got.weights["oja"][0], got.weights["oja"][1])


def test_specs_are_listed_and_approximate():
    for name in ("loihi2", "spinnaker"):
        s = spec(name)
        assert s.available() and s.name == name
        assert s.variants[0].tolerance is not None
    assert "plasticity" in spec("loihi2").capabilities
    assert "plasticity" in spec("spinnaker").capabilities
    assert math.isclose(spec("spinnaker").variants[0].tolerance.time_agreement, 0.9)
