"""Mapping: fitting, splitting, packing, every MappingError, report contents, energy."""
import importlib.resources
import json
import math

import numpy as np
import pytest

import spikemem as sm
from spikemem import MappingError, ModelError


def covered(m, net):
    """Every neuron of every population sits on exactly one core."""
    for pop in net.populations.values():
        hits = np.zeros(pop.n, dtype=int)
        for core in m.cores:
            for name, a, b in core.slices:
                if name == pop.name:
                    hits[a:b] += 1
        assert (hits == 1).all(), pop.name


def small_net():
    net = sm.Network(dt=1.0)
    net.source("in", 10)
    net.population("a", 20, sm.LIF())
    net.population("b", 30, sm.LIF())
    rng = np.random.default_rng(0)
    net.connect("in", "a", rng.uniform(0, 0.5, (10, 20)))
    net.connect("a", "b", rng.uniform(-0.2, 0.5, (20, 30)), delay=3)
    return net


def test_small_populations_are_packed_on_loihi_not_on_spinnaker():
    net = small_net()
    m = sm.map(net, chip="loihi2")
    assert m.cores_used == 1 and len(m.cores[0].slices) == 2
    s = sm.map(net, chip="spinnaker1")
    assert s.cores_used == 2 and all(len(k.slices) == 1 for k in s.cores)
    covered(m, net)
    covered(s, net)


def test_large_population_is_split():
    net = sm.Network()
    net.population("big", 3000, sm.LIF())
    m = sm.map(net, chip="loihi1")
    assert m.cores_used == 3
    assert all(k.neurons <= 1024 for k in m.cores)
    covered(m, net)
    s = sm.map(net, chip="spinnaker1", chips=None)
    assert s.cores_used == math.ceil(3000 / 256) and s.chips_used == 1


def test_split_by_synapse_memory():
    net = sm.Network()
    net.source("in", 200)
    net.population("p", 1000, sm.LIF())
    net.connect("in", "p", np.full((200, 1000), 0.01))
    m = sm.map(net, chip="loihi1")
    per_neuron = 200 * 16
    assert m.cores_used == math.ceil(1000 / (1_048_576 // per_neuron))
    assert all(k.synapse_bits <= 1_048_576 for k in m.cores)
    covered(m, net)


def test_fraction_bits_count_in_plastic_synapse_memory():
    """spinnaker's weight_fraction_bits widen every plastic synapse (and only those) in the
    mapper's memory count, per projection, per core and in what splits a population."""
    net = sm.Network()
    net.source("in", 40)
    net.population("p", 256, sm.LIF())
    rule = sm.PlasticityRule("hebb", (sm.Trace("x", "pre", 10.0),), (sm.Term(0.01, ("x",)),))
    net.connect("in", "p", np.full((40, 256), 0.01), plasticity=rule)
    net.connect("p", "p", np.full((256, 256), 0.001))
    plain = sm.map(net, chip="spinnaker1", chips=None)
    fine = sm.map(net, chip="spinnaker1", chips=None, weight_fraction_bits=16)
    assert fine.projections["in->p"]["synapse_bits"] == 40 * 256 * (32 + 16)
    assert fine.projections["p->p"]["synapse_bits"] == plain.projections["p->p"]["synapse_bits"]
    extra = sum(k.synapse_bits for k in fine.cores) - sum(k.synapse_bits for k in plain.cores)
    assert extra == 40 * 256 * 16
    sim = sm.compile(net, target="spinnaker", weight_fraction_bits=16)
    assert sim.mapping.projections["in->p"]["synapse_bits"] == 40 * 256 * 48
    with pytest.raises(ModelError, match="only SpiNNaker chips"):
        sm.map(net, chip="loihi2", weight_fraction_bits=4)
    with pytest.raises(ModelError, match="0..16"):
        sm.map(net, chip="spinnaker1", weight_fraction_bits=17)


def test_split_by_input_axons():
    net = sm.Network()
    net.source("in", 8000)
    net.population("p", 200, sm.LIF())
    net.connect("in", "p", sm.FixedFanIn(k=100, weight=0.01, seed=1))
    m = sm.map(net, chip="loihi1")
    assert m.cores_used > 1
    assert all(k.input_axons <= 4096 for k in m.cores)
    covered(m, net)


def test_output_axons_shrink_cores_automatically_and_error_when_capped():
    net = sm.Network()
    net.population("a", 1024, sm.LIF())
    net.population("b", 5000, sm.LIF())
    net.connect("a", "b", sm.FixedProbability(p=0.01, weight=0.1, seed=2))
    m = sm.map(net, chip="loihi1")
    assert all(k.output_axons <= 4096 for k in m.cores)
    with pytest.raises(MappingError, match=r"\['a'\].*output axons.*4096.*neurons_per_core"):
        sm.map(net, chip="loihi1", neurons_per_core=1024)


def test_error_too_many_cores():
    net = sm.Network()
    net.population("big", 17 * 256, sm.LIF())
    with pytest.raises(MappingError, match=r"needs 17 cores.*have 16.*chips=2"):
        sm.map(net, chip="spinnaker1")
    assert sm.map(net, chip="spinnaker1", chips=2).chips_used == 2


def test_error_delay_too_long():
    net = small_net()
    net.connect("in", "b", np.ones((10, 30)), delay=200)
    with pytest.raises(MappingError, match=r"'in->b'.*delay 200.*maximum of 144"):
        sm.map(net, chip="spinnaker1")


def test_error_neuron_fan_in_exceeds_synapse_memory():
    net = sm.Network()
    net.source("in", 70000)
    net.population("p", 1, sm.LIF())
    net.connect("in", "p", np.full((70000, 1), 1e-4))
    with pytest.raises(MappingError, match=r"population 'p'.*70000 incoming.*1048576 bits"):
        sm.map(net, chip="loihi1")


def test_error_neuron_fan_in_exceeds_input_axons():
    net = sm.Network()
    net.source("in", 5000)
    net.population("p", 1, sm.LIF())
    net.connect("in", "p", np.full((5000, 1), 1e-3))
    with pytest.raises(MappingError, match=r"population 'p'.*5000 distinct.*4096 input axons"):
        sm.map(net, chip="loihi1")


def test_error_routing_entries():
    net = sm.Network()
    net.source("in", 300_000)
    net.population("p", 256, sm.LIF())
    net.connect("in", "p", sm.FixedFanIn(k=20, weight=0.01, seed=3))
    with pytest.raises(MappingError, match=r"routing entries.*1023.*'in->p'"):
        sm.map(net, chip="spinnaker1")


def test_error_chip_synapse_memory(tmp_path):
    text = (importlib.resources.files("spikemem.hardware") / "spinnaker1.toml").read_text()
    path = tmp_path / "tiny.toml"
    path.write_text(text.replace("value = 984000000", "value = 20000"))
    net = small_net()
    with pytest.raises(MappingError,
                       match=r"chip 0 .*a.*needs 25600 bits of synapse memory.*has 20000"):
        sm.map(net, chip=str(path))


def test_error_unquantisable_threshold():
    """A threshold that one strong projection's scale rounds to 0 is refused, naming it."""
    net = sm.Network()
    net.source("in", 2)
    net.population("p", 3, sm.LIF(v_th=1.0))
    net.connect("in", "p", np.full((2, 3), 1e7), name="strong")
    with pytest.raises(MappingError, match=r"population 'p': its threshold v_th - v_reset = 1 "
                                           r"rounds to 0 on loihi2.*projection 'strong'"):
        sm.map(net, chip="loihi2")


def test_bad_arguments():
    with pytest.raises(ModelError, match="Network"):
        sm.map("net", chip="loihi2")
    with pytest.raises(ModelError, match="chips=0"):
        sm.map(small_net(), chip="loihi2", chips=0)
    with pytest.raises(ModelError, match="neurons_per_core"):
        sm.map(small_net(), chip="loihi2", neurons_per_core=10**6)


def test_quantisation_plan_keeps_largest_weight_and_counts_zeros():
    net = sm.Network()
    net.source("in", 3)
    net.population("p", 1, sm.LIF(v_th=1.0))
    net.connect("in", "p", np.array([[0.5], [1e-6], [0.25]]), name="w")
    m = sm.map(net, chip="loihi2")
    q = m.projections["w"]
    assert q["zeroed"] == 1 and q["sign_mode"] == "excitatory"
    # the largest weight is kept exactly (power-of-two friendly values)
    assert q["max_error"] == pytest.approx(1e-6 / 0.5, rel=1e-6)
    s = sm.map(net, chip="spinnaker1").projections["w"]
    assert s["ring_buffer_shift"] == 0 and s["zeroed"] == 1


def test_report_contents():
    net = small_net()
    m = sm.map(net, chip="loihi2")
    text = str(m)
    for word in ("loihi2", "cores used: 1", "in->a", "a->b", "a[0:20]", "b[0:30]", "rms err"):
        assert word in text
    d = json.loads(m.to_json())
    assert d["cores_used"] == 1 and d["chip"] == "loihi2"
    assert d["projections"]["a->b"]["n_synapses"] == 600
    assert d["projections"]["a->b"]["max_delay"] == 3
    assert {"weight_exp", "rms_error", "zeroed", "synapse_bits"} <= set(d["projections"]["in->a"])
    assert d["populations"] == {"a": [0], "b": [0]}
    assert d["cores"][0]["neurons"] == 50
    s = json.loads(sm.map(net, chip="spinnaker1").to_json())
    assert "ring_buffer_shift" in s["projections"]["in->a"] and s["routing_entries"] == [2]


def test_energy_from_actual_counts():
    net = small_net()
    net.record("in", "counts")
    net.record("a", "spikes")
    x = np.random.default_rng(1).random((50, 10)) < 0.3
    res = sm.compile(net).run(50, inputs={"in": x})
    m = sm.map(net, chip="loihi2")
    e = m.energy(res)
    syn = x.sum() * 20 + res.spikes["a"].sum() * 30
    assert e["counts"] == {"synaptic_op": syn, "neuron_update": 50 * 50,
                           "spike_route": x.sum() + res.spikes["a"].sum()}
    pj = 23.6 * syn + 52.0 * 2500 + 1.7 * e["counts"]["spike_route"]
    assert e["energy_j"] == pytest.approx(pj * 1e-12)
    assert "davies2018" in e["figures"]["synaptic_op"] and e["latency_per_step_s"] > 0
    from spikemem.hal.report import format_energy
    assert "synaptic_op" in format_energy(e)
    sp1 = sm.map(net, chip="spinnaker1").energy(res)
    assert sp1["latency_per_step_s"] == pytest.approx(1e-3) and 0 < sp1["max_core_load"] < 1
    net2 = small_net()
    res2 = sm.compile(net2).run(5)
    with pytest.raises(ModelError, match=r"net.record\('in', 'counts'\)"):
        sm.map(net2, chip="loihi2").energy(res2)


def test_million_neurons_map():
    """A million neurons map onto both chips (its speed: benchmarks/map_scale.py)."""
    net = sm.Network()
    net.source("in", 1000)
    net.population("big", 1_000_000, sm.LIF())
    net.connect("in", "big", sm.FixedFanIn(k=4, weight=0.1, seed=0))
    m = sm.map(net, chip="loihi2", chips=2)
    s = sm.map(net, chip="spinnaker1", chips=None)
    assert m.cores_used >= 1_000_000 // 8192 and s.cores_used == math.ceil(1e6 / 256)


def test_cli_map(tmp_path, capsys):
    from spikemem.cli import main
    assert main(["map", "demo", "--chip", "loihi2"]) == 0
    assert "cores used" in capsys.readouterr().out
    path = tmp_path / "net.npz"
    small_net().save(path)
    assert main(["map", str(path), "--chip", "spinnaker1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cores_used"] == 2
    assert main(["map", "demo", "--chip", "nochip"]) == 2
    assert "unknown chip 'nochip'" in capsys.readouterr().out
    big = sm.Network()
    big.population("p", 5000, sm.LIF())
    big.save(tmp_path / "big.npz")
    assert main(["map", str(tmp_path / "big.npz"), "--chip", "spinnaker1"]) == 2
    assert "chips=" in capsys.readouterr().out
    assert main(["map", str(tmp_path / "big.npz"), "--chip", "spinnaker1", "--chips", "0"]) == 0
