"""PyNN export of conductance-based neurons (sm.CondLIF -> IF_cond_exp): the parameters and
conductances in PyNN's units, what IF_cond_exp cannot hold refused by name, and Brian2's
COBA network on NEST firing at numpy's rates."""
import subprocess
import sys

import numpy as np
import pytest

import spikemem as sm
from spikemem import UnsupportedFeatureError
from spikemem.networks import coba


def _two_receptor_net(w_exc=0.6, w_inh=6.7, tau_syn=None):
    taus = tau_syn or {"exc": 5.0, "inh": 10.0}
    model = sm.CondLIF(tau_mem=20.0, tau_syn=taus, e_rev={"exc": 0.0, "inh": -80.0},
                       v_rest=-60.0, v_th=-50.0, v_reset=-60.0, refractory=50, bias=20.0)
    net = sm.Network(dt=0.1)
    net.source("e", 3)
    net.source("i", 2)
    net.population("p", 4, model, v_init=-55.0)
    net.connect("e", "p", np.full((3, 4), w_exc), receptor="exc")
    net.connect("i", "p", np.full((2, 4), w_inh), receptor="inh")
    return net


def test_cell_and_conductances_in_pynn_units(tmp_path):
    """cm = dt nF, so the leak conductance is cm / tau_m = 0.005 uS: a weight of w leak
    conductances is w * 0.005 uS; the bias (a drive of 20 mV) is i_offset = 20 * 0.005 nA."""
    path = sm.export.pynn(_two_receptor_net(), tmp_path / "m.py", steps=10)
    text = path.read_text()
    assert ("sim.IF_cond_exp(tau_m=20.0, cm=0.1, v_rest=-60.0, v_reset=-60.0, v_thresh=-50.0, "
            "tau_refrac=5.0, i_offset=0.1, tau_syn_E=5.0, tau_syn_I=10.0, e_rev_E=0.0, "
            "e_rev_I=-80.0)") in text
    data = np.load(path.with_suffix(".npz"))
    exc = next(k for k in data.files if k.endswith("_excitatory") and "conn" in k)
    inh = next(k for k in data.files if k.endswith("_inhibitory") and "conn" in k)
    np.testing.assert_allclose(data[exc][:, 2], 0.6 * 0.1 / 20.0)
    np.testing.assert_allclose(data[inh][:, 2], 6.7 * 0.1 / 20.0)
    assert "receptor_type='inhibitory'" in text


def test_what_if_cond_exp_cannot_hold_is_refused(tmp_path):
    with pytest.raises(UnsupportedFeatureError, match="conductances are >= 0"):
        sm.export.pynn(_two_receptor_net(w_inh=-1.0), tmp_path / "m.py", steps=10)
    with pytest.raises(UnsupportedFeatureError, match="tau_syn > 0"):
        sm.export.pynn(_two_receptor_net(tau_syn={"exc": 0.0, "inh": 10.0}),
                       tmp_path / "m.py", steps=10)
    assert not (tmp_path / "m.py").exists()


@pytest.mark.slow
def test_coba_on_nest_fires_at_numpy_rates(tmp_path):
    """Brian2's COBA network (4000 neurons, 0.5 s): NEST's iaf_cond_exp integrates in
    continuous time, spikemem by forward Euler, so compare each population's rate after a
    0.2 s transient: within 15% (measured: 21.4 / 21.1 Hz on NEST, 22.8 / 21.8 on numpy)."""
    steps = 5000
    net = coba(4000, seed=0)
    path = sm.export.pynn(net, tmp_path / "coba.py", steps=steps)
    out = tmp_path / "spikes.npz"
    run = subprocess.run([sys.executable, str(path), "nest", str(out)], capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    nest = np.load(out)
    ours = sm.compile(net, target="numba").run(steps).spikes
    for pop in ("exc", "inh"):
        rate_nest = nest[pop][2000:].mean() * 1e4   # spikes per neuron per 0.1 ms -> Hz
        rate_ours = ours[pop][2000:].mean() * 1e4
        assert 10.0 < rate_ours < 40.0, (pop, rate_ours)
        assert abs(rate_nest - rate_ours) <= 0.15 * rate_ours, (pop, rate_nest, rate_ours)
