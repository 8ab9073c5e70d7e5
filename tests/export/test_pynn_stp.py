"""PyNN export of Tsodyks-Markram synapses: written as TsodyksMarkramSynapse, and a
depressing and a facilitating network run on NEST with spike counts within 5% of numpy's
(while the same network with static synapses fires far differently)."""
import subprocess
import sys

import numpy as np
import pytest

import spikemem as sm
from spikemem import UnsupportedFeatureError

STEPS = 20000  # 2 s at dt = 0.1 ms


def network(stp):
    net = sm.Network(dt=0.1)
    net.source("in", 40)
    net.population("a", 100, sm.LIF(tau_mem=20.0, tau_syn=3.0, v_th=1.0, refractory=20))
    net.connect("in", "a", sm.FixedProbability(p=0.3, weight=sm.Uniform(0.05, 0.15), seed=1),
                stp=stp)
    net.record("a")
    return net, {"in": np.random.default_rng(0).random((STEPS, 40)) < 0.004}


def test_script_names_the_synapse(tmp_path):
    net, x = network(sm.TsodyksMarkram(U=0.3, tau_rec=120.0, tau_fac=40.0))
    text = sm.export.pynn(net, tmp_path / "m.py", steps=100, inputs={"in": x["in"][:100]}
                          ).read_text()
    assert "sim.TsodyksMarkramSynapse(U=0.3, tau_rec=120.0, tau_facil=40.0)" in text


def test_infinite_time_constants_are_refused(tmp_path):
    net, x = network(sm.TsodyksMarkram(U=0.3, tau_rec=float("inf")))
    with pytest.raises(UnsupportedFeatureError, match="finite tau_rec"):
        sm.export.pynn(net, tmp_path / "m.py", steps=100, inputs={"in": x["in"][:100]})


@pytest.mark.parametrize("stp", [sm.TsodyksMarkram(U=0.5, tau_rec=200.0, tau_fac=0.0),
                                 sm.TsodyksMarkram(U=0.1, tau_rec=50.0, tau_fac=500.0)],
                         ids=["depressing", "facilitating"])
def test_nest_rates_match_numpy(tmp_path, stp):
    pytest.importorskip("pyNN.nest", reason="needs pyNN.nest: pip install 'spikemem[pynn]'")
    net, x = network(stp)
    path = sm.export.pynn(net, tmp_path / "model.py", steps=STEPS, inputs=x)
    out = tmp_path / "spikes.npz"
    run = subprocess.run([sys.executable, str(path), "nest", str(out)], capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    n_nest = int(np.load(out)["a"].sum())
    n_ours = int(sm.compile(net, target="numpy").run(STEPS, inputs=x).spikes["a"].sum())
    static, _ = network(None)
    n_static = int(sm.compile(static, target="numpy").run(STEPS, inputs=x).spikes["a"].sum())
    assert n_ours > 5000 and abs(n_nest - n_ours) <= 0.05 * n_ours, (n_nest, n_ours)
    assert abs(n_static - n_ours) > 0.2 * n_ours, (n_static, n_ours)
