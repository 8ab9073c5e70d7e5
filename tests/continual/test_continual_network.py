"""The torch spiking MLP is spikemem's canonical update: the exported Network gives the
same output potentials on the numpy target as the torch forward pass (float64)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")

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


@pytest.fixture(scope="module")
def trained():
    """A small float64 network trained for one permuted-digits task, its test samples and
    torch's class scores."""
    from spikemem.continual import FineTune, TrainConfig, make_tasks
    task = make_tasks("digits", "permuted", 1, limit_train=600, limit_test=100)[0]
    model = SpikingMLP([64, 48, 32, 10], steps=6, seed=0, init_gain=3.0,
                       dtype=torch.float64)
    FineTune().train_task(model, [task], 0, TrainConfig(epochs=3, lr=0.05, batch=20),
                          np.random.default_rng(0))
    return model, task, model.predict(task.x_test)


@pytest.mark.slow
@pytest.mark.parametrize("target", sm.targets())
def test_trained_network_runs_on_every_target(trained, target):
    """Exact targets give torch's scores; fixed-point ones its decisions (measured: loihi2
    99 %, spinnaker 100 % of the 100 test samples, both within a point of its accuracy)."""
    from spikemem.continual.metrics import accuracy
    from spikemem.targets import spec
    model, task, want = trained
    assert accuracy(want, task.y_test) > 0.85
    got = evaluate_on_target(model.to_network(), task.x_test, model.steps, target)
    if spec(target).variants[0].tolerance is None:       # the default variant is exact
        assert np.allclose(got, want, rtol=0, atol=1e-9)
    else:
        assert np.mean(got.argmax(1) == want.argmax(1)) >= 0.95
        assert abs(accuracy(got, task.y_test) - accuracy(want, task.y_test)) <= 0.03


def test_output_threshold_is_never_reached_but_finite():
    """The readout integrates: its threshold bounds what one presentation can add."""
    model = SpikingMLP([6, 5, 3], steps=4, seed=0, init_gain=3.0, dtype=torch.float64)
    net = model.to_network()
    v_th = net.populations["out"].model.v_th
    w = model.weights[-1].detach().numpy()
    assert np.isfinite(v_th)
    assert v_th > (model.steps + 2) * np.clip(w, 0, None).sum(axis=0).max()
