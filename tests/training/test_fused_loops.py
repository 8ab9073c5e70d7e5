"""spikemem.torch.module's fused population loops (spikemem/targets/torch/fused.py): the
same forward as the step-by-step kernels, bit for bit, and the same gradients (float64:
up to the order of sums, and the float32 rounding of snnTorch's surrogates on the stepped
path), across chunks, for every neuron kind and trainable parameter."""
import numpy as np
import pytest

import spikemem as sm

torch = pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")
pytest.importorskip("numba", reason="the fused loops need numba: pip install 'spikemem[numba]'")

STEPS = 30


def _network(make_network, seed):
    net, inputs = make_network(np.random.default_rng(7700 + seed), max_n=8, plastic=False,
                               models=("LIF", "ALIF"))
    for name, pop in net.populations.items():
        net.record(name, "counts")
        for var in pop.model.recordable:
            net.record(name, var)
    alif = any(isinstance(p.model, sm.ALIF) for p in net.populations.values())
    trainable = ("weights", "tau_mem", "v_th", "bias") + (("tau_adapt", "beta_adapt")
                                                          if alif else ())
    return net, inputs, trainable


def _run(net, x, trainable, dtype, fused: bool):
    mod = sm.torch.module(net, trainable=trainable, dtype=dtype)
    if not fused:
        mod.fusable = [False] * len(mod.fusable)
    out = mod(x)
    loss = sum((c * torch.arange(1.0, c.shape[-1] + 1, dtype=dtype)).sum()
               for c in out.counts.values())
    loss = loss + 0.01 * sum((t ** 2).sum() for d in out.traces.values() for t in d.values())
    loss.backward()
    grads = {n: None if p.grad is None else p.grad.clone() for n, p in mod.named_parameters()}
    return mod, out, grads


@pytest.mark.parametrize("seed", range(8))
def test_fused_loops_equal_the_stepped_kernels(seed, make_network, monkeypatch):
    from spikemem.targets.torch import fused

    monkeypatch.setattr(fused, "CHUNK_ELEMENTS", 40)  # several chunks per population
    net, inputs, trainable = _network(make_network, seed)
    x = torch.as_tensor(inputs(STEPS, batch=3, seed=seed)["in"])
    for dtype in (torch.float64, torch.float32):
        mod, out_f, grad_f = _run(net, x, trainable, dtype, fused=True)
        _, out_s, grad_s = _run(net, x, trainable, dtype, fused=False)
        assert any(mod.fusable)
        for field in ("spikes", "counts"):
            for name, values in getattr(out_s, field).items():
                assert torch.equal(getattr(out_f, field)[name], values), name
        for name, traces in out_s.traces.items():
            for var, values in traces.items():
                assert torch.equal(out_f.traces[name][var], values), f"{name}.{var}"
        if dtype == torch.float64:
            for name, g in grad_s.items():
                if g is None:   # never reached on the stepped path: zero on the fused one
                    assert grad_f[name] is None or not grad_f[name].any(), name
                    continue
                torch.testing.assert_close(grad_f[name], g, rtol=1e-6,
                                           atol=1e-6 * float(g.abs().max()), msg=name)


def test_feed_forward_populations_are_fused_and_recurrent_ones_stepped():
    net = sm.Network(dt=1.0)
    net.source("in", 4)
    net.population("a", 5, sm.LIF(tau_mem=10.0, reset="subtract", refractory=2))
    net.population("b", 3, sm.ALIF(tau_mem=10.0))
    net.population("c", 2, sm.LIF(tau_mem=10.0, tau_syn=0.0))  # snnTorch's Leaky
    net.connect("in", "a", np.full((4, 5), 0.5))
    net.connect("a", "b", np.full((5, 3), 0.5))
    net.connect("b", "b", np.full((3, 3), -0.1))
    net.connect("b", "c", np.full((3, 2), 0.5))
    net.record("c", "counts")
    mod = sm.torch.module(net)
    assert mod.fusable == [True, True, True]
    assert [mod.kernels[k].uses_snntorch for k in range(3)] == [False, False, True]
    x = torch.as_tensor(np.random.default_rng(0).random((2, 20, 4)) < 0.5)
    out = mod(x)
    assert out.counts["c"].grad_fn is not None
    names = {type(f).__name__ for f in _graph(out.counts["c"].grad_fn)}
    assert "ChunkLoopBackward" in names          # a and c
    assert any("Sub" in n or "Where" in n for n in names)  # b: recurrent, stepped


def test_a_surrogate_that_is_not_a_step_keeps_the_stepped_kernels():
    net = sm.Network(dt=1.0)
    net.source("in", 2)
    net.population("p", 3, sm.LIF(tau_mem=10.0))
    net.connect("in", "p", np.ones((2, 3)))
    mod = sm.torch.module(net, surrogate=torch.sigmoid)
    assert mod.fusable == [False]


def _graph(fn, seen=None):
    seen = set() if seen is None else seen
    if fn is None or fn in seen:
        return seen
    seen.add(fn)
    for child, _ in fn.next_functions:
        _graph(child, seen)
    return seen
