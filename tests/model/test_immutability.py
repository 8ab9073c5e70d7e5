"""The model is immutable after construction: parts are frozen, arrays read-only, changes go
through validating Network methods, and a compiled simulation is a snapshot that later
changes never reach, on every target."""
import dataclasses
import json
import math

import numpy as np
import pytest
import scipy.sparse as sp

import spikemem as sm
from spikemem.errors import ModelError


def small_net():
    net = sm.Network(dt=1.0)
    net.source("in", 4)
    net.population("p", 3, sm.LIF(tau_mem=10.0, tau_syn=2.0, v_th=0.5), bias=[0.0, 0.01, 0.02])
    net.connect("in", "p", np.full((4, 3), 0.3))
    net.connect("p", "p", sp.csr_array(np.array([[0.0, 0.2, 0.0], [0.0, 0.0, 0.2],
                                                  [0.2, 0.0, 0.0]])))
    net.record("p", "spikes")
    return net


def drive(steps=60):
    return {"in": np.random.default_rng(0).random((steps, 4)) < 0.3}


def test_parts_are_frozen_and_arrays_read_only():
    net = small_net()
    with pytest.raises(TypeError):
        net.populations["q"] = None
    with pytest.raises(TypeError):
        del net.projections["in->p"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        net.populations["p"].n = 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        net.projections["in->p"].weights = np.zeros((4, 3))
    with pytest.raises(ValueError, match="read-only"):
        net.projections["in->p"].weights[0, 0] = 9.0
    with pytest.raises(ValueError, match="read-only"):
        net.projections["p->p"].weights.data[0] = 9.0
    with pytest.raises(ValueError, match="read-only"):
        net.populations["p"].bias[0] = 9.0
    with pytest.raises(AttributeError):
        net.dt = 0.5
    assert isinstance(net.probes, tuple)


def test_connect_copies_the_callers_arrays():
    w = np.full((4, 3), 0.3)
    net = sm.Network()
    net.source("in", 4)
    net.population("p", 3)
    net.connect("in", "p", w)
    w[:] = 7.0
    assert np.all(net.projections["in->p"].weights == 0.3)
    assert w.flags.writeable


def test_changes_go_through_validating_methods():
    net = small_net()
    net.set_weights("in->p", np.full((4, 3), 0.1))
    assert np.all(net.projections["in->p"].weights == 0.1)
    with pytest.raises(ModelError, match="shape"):
        net.set_weights("in->p", np.zeros((3, 3)))
    net.set_population("p", model=sm.ALIF(v_th=0.5))
    assert type(net.populations["p"].model) is sm.ALIF
    assert net.populations["p"].bias[2] == 0.02          # the per-neuron bias is kept
    with pytest.raises(ModelError, match="receptor 'syn'"):
        net.set_population("p", model=sm.LIF(tau_syn={"exc": 2.0}))
    net.record("p", "a")
    with pytest.raises(ModelError, match="cannot record 'a'"):
        net.set_population("p", model=sm.LIF())


def test_snapshot_is_independent():
    net = small_net()
    copy = net.snapshot()
    net.set_weights("in->p", np.zeros((4, 3)))
    net.population("q", 2)
    assert np.all(copy.projections["in->p"].weights == 0.3)
    assert "q" not in copy.populations
    copy.record("p", "v")
    assert ("p", "v") not in [(p.target, p.variable) for p in net.probes]


@pytest.mark.parametrize("target", sm.targets())
def test_compiled_simulation_is_a_snapshot_on_every_target(target):
    """A change after compile (weights, neuron model, a new population) reaches neither the
    next run of that simulation nor its reset, on every target."""
    options = {"mode": "numpy"} if target == "brian2" else {}
    net = small_net()
    before = sm.compile(net, target=target, **options).run(60, inputs=drive()).spikes["p"]
    assert before.any()
    sim = sm.compile(net, target=target, **options)
    net.set_weights("in->p", np.zeros((4, 3)))
    net.set_population("p", model=sm.LIF(tau_mem=10.0, tau_syn=2.0, v_th=50.0))
    net.population("late", 2)
    net.record("late", "spikes")
    np.testing.assert_array_equal(sim.run(60, inputs=drive()).spikes["p"], before)
    sim.reset()
    res = sim.run(60, inputs=drive())
    np.testing.assert_array_equal(res.spikes["p"], before)
    assert "late" not in res.spikes


def test_model_files_are_strict_json(tmp_path):
    """inf is written as the string "inf", never as a bare Infinity token."""
    net = sm.Network()
    net.source("in", 2)
    net.population("p", 2, sm.IF(tau_syn=0.0))
    net.connect("in", "p", np.ones((2, 2)), plasticity=sm.oja(w_min=-math.inf))
    header, _ = net.to_arrays()
    text = sm.model.serial.dumps(header)

    def refuse(token):
        raise AssertionError(f"non-standard JSON token {token}")
    json.loads(text, parse_constant=refuse)
    assert '"inf"' in text and '"-inf"' in text
    net.save(tmp_path / "n.npz")
    back = sm.load(tmp_path / "n.npz")
    assert math.isinf(back.populations["p"].model.tau_mem)
    assert back.projections["in->p"].plasticity.w_min == -math.inf


def test_nan_cannot_be_written():
    with pytest.raises(ModelError, match="NaN"):
        sm.model.serial.encode(math.nan)
