"""The torch spiking MLP is spikemem's canonical update: the exported Network gives the
same output potentials on the numpy target as the torch forward pass (float64)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import spikemem as sm  # noqa: E402
from spikemem.continual.snn import SpikingMLP, encode, evaluate_on_target  # noqa: E402


def test_encode_is_a_deterministic_rate_code():
    s = encode(np.array([[0.0, 0.5, 1.0, 0.25]]), 8)
    assert s.shape == (1, 8, 4) and s.dtype == bool
    assert s[0].sum(axis=0).tolist() == [0, 4, 8, 2]
    assert s[0, :, 1].tolist() == [False, True] * 4


def test_network_on_numpy_matches_torch_forward():
    rng = np.random.default_rng(3)
    model = SpikingMLP([12, 20, 16, 5], steps=6, seed=2, dtype=torch.float64)
    with torch.no_grad():
        for w in model.weights:
            w.mul_(2.5)          # enough drive that the hidden layers spike
    x = rng.uniform(0, 1, (7, 12))
    net = model.to_network()
    assert set(net.populations) == {"h1", "h2", "out"}
    got = evaluate_on_target(net, x, model.steps, "numpy")
    want = model.predict(x)
    assert np.abs(want).max() > 0.1
    assert np.allclose(got, want, rtol=0, atol=1e-9)
    res = sm.compile(net, "numpy").run(9, inputs={"in": np.pad(
        encode(x[:1], 6)[0], ((0, 3), (0, 0)))})
    assert res.traces["out"]["v"].shape == (9, 5)


def test_state_dict_round_trip_and_shape_check():
    a = SpikingMLP([4, 3, 2], seed=0)
    b = SpikingMLP([4, 3, 2], seed=1)
    b.load_state_dict(a.state_dict())
    assert all(np.array_equal(x, y) for x, y in zip(a.state_dict().values(),
                                                     b.state_dict().values()))
    with pytest.raises(sm.ModelError, match="shape"):
        SpikingMLP([5, 3, 2]).load_state_dict(a.state_dict())
