"""sm.torch.module with inputs that carry values: graded sources (integer payloads) and
current sources (analog values) drive the network as on the numpy target (float64: the
same spikes and potentials), gradients reach the weights and, for currents, the input
itself (a trainable encoder before the network); bad values are refused by name."""
import numpy as np
import pytest
import torch

import spikemem as sm

STEPS, BATCH = 60, 3


def _net() -> sm.Network:
    """A graded source (4 bits) and a current source into a 10-neuron LIF layer with two
    receptors, then a readout; sparse and dense projections, a delay of 2 steps."""
    net = sm.Network(dt=1.0)
    net.source("counts", 6, payload_bits=4)
    net.current("drive", 5)
    lif = sm.LIF(tau_mem=10.0, tau_syn={"fast": 2.0, "slow": 8.0}, v_th=1.0, refractory=1)
    net.population("h", 10, lif)
    net.population("o", 3, sm.LIF(tau_mem=15.0, tau_syn=4.0, v_th=0.8))
    rng = np.random.default_rng(0)
    net.connect("counts", "h", sm.FixedProbability(p=0.6, weight=sm.Uniform(0.0, 0.08),
                                                  seed=1), receptor="fast")
    net.connect("drive", "h", rng.normal(0.05, 0.1, (5, 10)), receptor="slow", delay=2)
    net.connect("h", "o", rng.uniform(0.0, 0.6, (10, 3)))
    net.record("h", "spikes")
    net.record("o", "v")
    return net


def _inputs():
    rng = np.random.default_rng(3)
    counts = rng.poisson(1.5, (BATCH, STEPS, 6)).clip(0, 15).astype(np.int64)
    drive = rng.normal(0.3, 1.0, (BATCH, STEPS, 5))
    return counts, drive


def test_float64_module_matches_the_numpy_target():
    net = _net()
    counts, drive = _inputs()
    want = sm.compile(net, target="numpy").run(STEPS, {"counts": counts, "drive": drive})
    mod = sm.torch.module(net, dtype=torch.float64)
    out = mod({"counts": torch.as_tensor(counts), "drive": torch.as_tensor(drive)})
    spikes = out.spikes["h"].detach().numpy().astype(bool)
    assert want.spikes["h"].sum() > 50   # the inputs make the layer fire
    np.testing.assert_array_equal(spikes, want.spikes["h"])
    np.testing.assert_allclose(out.traces["o"]["v"].detach().numpy(), want.traces["o"]["v"],
                               rtol=0, atol=1e-12)


def test_gradients_reach_the_weights_and_the_input_currents():
    net = _net()
    counts, drive = _inputs()
    mod = sm.torch.module(net, dtype=torch.float64)
    current = torch.tensor(drive, requires_grad=True)
    out = mod({"counts": torch.as_tensor(counts), "drive": current})
    out.traces["o"]["v"].sum().backward()
    assert current.grad is not None and current.grad.abs().sum() > 0
    # the delay of 2 steps: the last two steps of drive reach nothing recorded
    assert current.grad[:, -2:].abs().sum() == 0
    grads = {p.name: p.weight.grad for p in mod.projs}
    assert all(g is not None and g.abs().sum() > 0 for g in grads.values()), grads


def test_graded_payloads_are_not_read_as_spikes():
    """A payload of 3 adds 3 w: the same layer driven by payloads x and by 0/1 spikes
    (x > 0) differs, as it does on the numpy target."""
    net = _net()
    counts, drive = _inputs()
    mod = sm.torch.module(net, dtype=torch.float64)
    graded = mod({"counts": torch.as_tensor(counts), "drive": torch.as_tensor(drive)})
    binary = mod({"counts": torch.as_tensor((counts > 0).astype(np.int64)),
                  "drive": torch.as_tensor(drive)})
    assert not torch.equal(graded.traces["o"]["v"], binary.traces["o"]["v"])


def test_bad_values_are_refused_by_name():
    net = _net()
    counts, drive = _inputs()
    mod = sm.torch.module(net, dtype=torch.float64)
    good = {"counts": torch.as_tensor(counts), "drive": torch.as_tensor(drive)}
    bad_drive = drive.copy()
    bad_drive[0, 3, 1] = np.nan
    with pytest.raises(sm.ModelError, match="'drive' .*inf or NaN"):
        mod({**good, "drive": torch.as_tensor(bad_drive)})
    with pytest.raises(sm.ModelError, match="'counts' has payloads outside 0 .. 15"):
        mod({**good, "counts": torch.as_tensor(counts + 16)})
    with pytest.raises(sm.ModelError, match="'counts' .*integer payloads"):
        mod({**good, "counts": torch.as_tensor(counts * 0.5)})
