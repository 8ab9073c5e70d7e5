"""Tied-weight projections (sm.Conv1d/Conv2d, SumPool2d/AvgPool2d, TokenLinear): the
expansion against torch's own layers, validation, the Network API, files that store the
parameters only, mapping reports with and without sharing, and identical spikes on every
exact target for a tied projection and its expanded equivalent."""
import json
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import spikemem as sm
from builders import untied
from spikemem.model import serial
from spikemem.model.features import network_features
from spikemem.model.tied import TiedWeights

RNG = np.random.default_rng(5)

CONV2D = [dict(stride=1, padding=0, dilation=1, groups=1),
          dict(stride=2, padding=1, dilation=1, groups=1),
          dict(stride=(2, 1), padding=(0, 2), dilation=(1, 2), groups=2),
          dict(stride=1, padding="same", dilation=1, groups=4)]


# ---- the expansion ------------------------------------------------------------------------
@pytest.mark.parametrize("kernel", [(3, 3), (2, 4)])
@pytest.mark.parametrize("opts", CONV2D)
def test_conv2d_expansion_is_torchs_convolution(opts, kernel):
    torch = pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")
    c_in, c_out, spatial = 4, 8, (7, 6)
    w = RNG.normal(size=(c_out, c_in // opts["groups"]) + kernel)
    conv = sm.Conv2d((c_in,) + spatial, w, **opts)
    ref = torch.nn.Conv2d(c_in, c_out, kernel, bias=False, **opts).double()
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(w))
    x = RNG.normal(size=(c_in,) + spatial)
    with warnings.catch_warnings():  # torch warns that 'same' with an even kernel copies
        warnings.simplefilter("ignore", UserWarning)
        y = ref(torch.tensor(x)[None]).detach().numpy()[0]
    assert conv.out_shape == y.shape
    np.testing.assert_allclose(x.ravel() @ conv.csr(), y.ravel(), rtol=0, atol=1e-12)


def test_conv1d_pools_and_token_linear_against_torch():
    torch = pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")
    w = RNG.normal(size=(3, 2, 3))
    conv = sm.Conv1d((2, 9), w, stride=2, padding=1)
    ref = torch.nn.Conv1d(2, 3, 3, stride=2, padding=1, bias=False).double()
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(w))
    x = RNG.normal(size=(2, 9))
    np.testing.assert_allclose(x.ravel() @ conv.csr(),
                               ref(torch.tensor(x)[None]).detach().numpy().ravel(), atol=1e-12)
    x = RNG.normal(size=(3, 6, 5))
    for pool, ref in [(sm.AvgPool2d((3, 6, 5), 2, padding=1), torch.nn.AvgPool2d(2, padding=1)),
                      (sm.SumPool2d((3, 6, 5), (3, 2), stride=(1, 2)),
                       torch.nn.LPPool2d(1, (3, 2), stride=(1, 2)))]:
        y = ref(torch.tensor(x)[None]).numpy()[0]
        assert pool.out_shape == y.shape and pool.n_parameters == 1
        np.testing.assert_allclose(x.ravel() @ pool.csr(), y.ravel(), atol=1e-12)
    w = RNG.normal(size=(5, 3))
    tokens = sm.TokenLinear(4, w)
    x = RNG.normal(size=(4, 5))  # token-major: index t * d + i
    assert tokens.shape == (20, 12)
    np.testing.assert_allclose(x.ravel() @ tokens.csr(), (x @ w).ravel(), atol=1e-12)


@pytest.mark.parametrize("tied", [
    sm.Conv2d((2, 5, 4), RNG.normal(size=(4, 1, 3, 2)), stride=(2, 1), padding=1, groups=2),
    sm.Conv1d((3, 11), RNG.normal(size=(2, 3, 4)), dilation=2),
    sm.AvgPool2d((2, 5, 5), 3, stride=2, padding=1),
    sm.TokenLinear(3, RNG.normal(size=(4, 2)))])
def test_expansion_is_one_description(tied):
    """(pre, post, param_index) in CSR order, one synapse per (pre, post), weights gathered
    from the parameters; zero weights stay synapses; the codec writes the geometry only."""
    pre, post, index = tied.expand()
    assert np.all(np.diff(pre * tied.shape[1] + post) > 0)  # sorted by pre, then post
    w = tied.csr()
    np.testing.assert_array_equal(w.data, tied.parameters.ravel()[index])
    assert w.shape == tied.shape and w.nnz == pre.size
    zero = tied.with_parameters(np.zeros(tied.parameters.shape))
    assert zero.csr().nnz == pre.size and zero.expand()[0] is pre  # the expansion is shared
    assert not pre.flags.writeable and not index.flags.writeable
    table = json.loads(serial.dumps(tied.to_dict()))
    assert "weight" not in table
    back = TiedWeights.from_dict(table, tied.parameters)
    assert type(back) is type(tied) and back.to_dict() == tied.to_dict()
    np.testing.assert_array_equal(back.csr().toarray(), w.toarray())


def test_invalid_structures_name_the_fix():
    w = np.ones((4, 2, 3, 3))
    for make, match in [
            (lambda: sm.Conv2d((2, 5, 5), np.ones((4, 2, 3))), "4 dimensions"),
            (lambda: sm.Conv2d((3, 5, 5), w), "multiples of groups"),
            (lambda: sm.Conv2d((4, 5, 5), w, groups=3), "multiples of groups"),
            (lambda: sm.Conv2d((2, 5), w), r"in_shape=\(2, 5\) must be 3 ints"),
            (lambda: sm.Conv2d((2, 5, 5), w, stride=2, padding="same"), "needs stride 1"),
            (lambda: sm.Conv2d((2, 5, 5), w, padding="full"), "'same', 'valid' or ints"),
            (lambda: sm.Conv2d((2, 2, 2), w), "does not fit"),
            (lambda: sm.Conv2d((2, 5, 5), w, stride=0), "stride.*int >= 1"),
            (lambda: sm.Conv2d((2, 5, 5), w * np.nan), "NaN"),
            (lambda: sm.Conv1d((2, 5), np.ones((1, 2, 3)), groups=0), "groups=0"),
            (lambda: sm.SumPool2d((2, 4, 4), 5), "does not fit"),
            (lambda: sm.AvgPool2d((2, 4, 4), 2, weight=float("inf")), "finite"),
            (lambda: sm.TokenLinear(0, np.ones((2, 2))), "n_tokens=0"),
            (lambda: sm.TokenLinear(2, np.ones(3)), "2 dimensions")]:
        with pytest.raises(sm.ModelError, match=match):
            make()
    with pytest.raises(sm.ModelError, match="unknown.*did you mean 'Conv2d'"):
        TiedWeights.from_dict({"type": "Conv2D"}, w)


# ---- the network --------------------------------------------------------------------------
def conv_net():
    net = sm.Network(dt=1.0)
    net.source("img", 2 * 6 * 6)
    net.population("fmap", 3 * 6 * 6, sm.LIF(tau_mem=10.0, tau_syn=2.0, v_th=1.2))
    net.population("pool", 3 * 3 * 3, sm.LIF(tau_mem=10.0, tau_syn=0.0, v_th=0.6))
    net.connect("img", "fmap", sm.Conv2d((2, 6, 6), RNG.normal(0.1, 0.4, (3, 2, 3, 3)),
                                         padding=1), delay=2, name="conv")
    net.connect("fmap", "pool", sm.AvgPool2d((3, 6, 6), 2), name="avg")
    net.record("fmap")
    net.record("pool")
    return net


def test_projection_gives_the_expansion_and_counts_parameters():
    net = conv_net()
    p = net.projections["conv"]
    assert p.is_sparse and p.shape == (72, 108) and p.uniform_delay == 2
    assert p.n_synapses == p.tied.expand()[0].size and p.n_parameters == 54
    assert net.n_parameters == 54 + 1 and net.n_synapses > 20 * net.n_parameters
    pre, post, w, _ = p.synapses()
    tpre, tpost, index = p.tied.expand()
    np.testing.assert_array_equal(pre, tpre)
    np.testing.assert_array_equal(post, tpost)
    np.testing.assert_array_equal(w, p.tied.parameters.ravel()[index])
    assert not p.weights.data.flags.writeable
    assert {"tied_weights", "sparse"} <= network_features(net)


def test_connect_refuses_what_a_tied_projection_cannot_be():
    net = conv_net()
    conv = net.projections["conv"].tied
    with pytest.raises(sm.ModelError, match=r"connects .* \(72, 108\).*\(72, 27\)"):
        net.connect("img", "pool", conv)
    with pytest.raises(sm.ModelError, match="per-synapse plasticity rule cannot follow"):
        net.connect("img", "fmap", conv, plasticity=sm.pair_stdp())
    with pytest.raises(sm.ModelError, match="one delay"):
        net.connect("img", "fmap", conv, delay=np.full(conv.shape, 2))


def test_set_weights_takes_the_parameters():
    net = conv_net()
    old = net.projections["conv"]
    new_w = RNG.normal(size=(3, 2, 3, 3))
    p = net.set_weights("conv", new_w)
    assert p.tied.kind == "Conv2d" and p.uniform_delay == 2
    np.testing.assert_array_equal(p.tied.parameters, new_w)
    np.testing.assert_array_equal(p.weights.data, new_w.ravel()[p.tied.expand()[2]])
    assert not np.array_equal(old.tied.parameters, new_w)  # the old part is unchanged
    doubled = sp.csr_array(p.weights * 2.0)  # expanded weights that are still tied
    np.testing.assert_array_equal(net.set_weights("conv", doubled).tied.parameters, 2 * new_w)
    np.testing.assert_array_equal(net.set_weights("avg", 0.5).tied.parameters, 0.5)
    untied_w = p.weights.toarray()
    untied_w[0, p.weights.indices[0]] += 1.0
    with pytest.raises(sm.ModelError, match="'conv'.*share a parameter"):
        net.set_weights("conv", untied_w)
    with pytest.raises(sm.ModelError, match=r"'conv'.*give the parameters \(3, 2, 3, 3\)"):
        net.set_weights("conv", np.ones(5))


# ---- files --------------------------------------------------------------------------------
def test_files_store_the_parameters_not_the_expansion(tmp_path):
    """A 3x3 conv over 8 x 16 x 16 stores 8 * 8 * 9 weights, not its ~135k synapses."""
    net = sm.Network(dt=1.0)
    net.source("img", 8 * 16 * 16)
    net.population("fmap", 8 * 16 * 16, sm.LIF(tau_mem=10.0, tau_syn=2.0, v_th=0.5))
    net.connect("img", "fmap", sm.Conv2d((8, 16, 16), RNG.normal(0, 0.3, (8, 8, 3, 3)),
                                         padding=1), delay=2, name="conv")
    header, arrays = net.to_arrays()
    assert {k: v.size for k, v in arrays.items()} == {"proj0_params": 8 * 8 * 9}
    assert header["projections"][0]["tied"]["type"] == "Conv2d"
    net.save(tmp_path / "tied.npz")
    untied(net).save(tmp_path / "expanded.npz")
    size = (tmp_path / "tied.npz").stat().st_size
    assert size < 10_000 and 20 * size < (tmp_path / "expanded.npz").stat().st_size
    back = sm.load(tmp_path / "tied.npz")
    p, q = net.projections["conv"], back.projections["conv"]
    assert type(q.tied) is sm.Conv2d and q.tied.to_dict() == p.tied.to_dict()
    np.testing.assert_array_equal(q.tied.parameters, p.tied.parameters)
    np.testing.assert_array_equal(q.weights.toarray(), p.weights.toarray())
    assert q.uniform_delay == 2


# ---- mapping ------------------------------------------------------------------------------
@pytest.mark.parametrize("chip", ["loihi2", "spinnaker1"])
def test_mapping_reports_memory_with_and_without_sharing(chip):
    net = conv_net()
    m = sm.map(net, chip=chip, chips=None)
    bits = m.chip.limit("bits_per_synapse")
    d = m.to_dict()
    conv = d["projections"]["conv"]
    assert conv["n_parameters"] == 54 and conv["shared_synapse_bits"] == 54 * bits
    assert conv["synapse_bits"] == net.projections["conv"].n_synapses * bits
    assert d["shared_synapse_bits"] == (54 + 1) * bits < d["synapse_bits"]
    text = str(m)
    assert "params" in text and "with shared weights" in text


# ---- targets ------------------------------------------------------------------------------
def token_net():
    net = conv_net()
    net.source("tok", 4 * 5)
    net.population("mix", 4 * 3, sm.LIF(tau_mem=15.0, tau_syn=3.0, v_th=0.8))
    net.connect("tok", "mix", sm.TokenLinear(4, RNG.normal(0.2, 0.3, (5, 3))), name="tokens")
    net.record("mix")
    net.record("fmap", "v")
    return net


@pytest.mark.parametrize("target,options", [("numpy", {}), ("torch", {}),
                                            ("brian2", {"mode": "numpy"})])
def test_exact_targets_run_tied_and_expanded_identically(target, options):
    pytest.importorskip(target, reason=f"needs {target}: pip install 'spikemem[{target}]'")
    net = token_net()
    dense = untied(net)
    assert "tied_weights" not in network_features(dense)
    x = {"img": RNG.random((80, 72)) < 0.3, "tok": RNG.random((80, 20)) < 0.3}
    ref = sm.compile(dense).run(80, inputs=x)
    got = sm.compile(net, target=target, **options).run(80, inputs=x)
    for name in ("fmap", "pool", "mix"):
        assert ref.spikes[name].any()
        np.testing.assert_array_equal(got.spikes[name], ref.spikes[name], err_msg=name)
    np.testing.assert_allclose(got.traces["fmap"]["v"], ref.traces["fmap"]["v"], atol=1e-12)


# ---- training -----------------------------------------------------------------------------
def test_torch_module_trains_one_gradient_per_shared_weight():
    """sm.torch.module trains a tied projection's parameter tensor: its gradient is the sum
    of the expanded synapses' gradients over the synapses sharing each weight; float64
    forward equals numpy; to_network keeps the projection tied with the trained values."""
    torch = pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")
    net = token_net()
    x = {"img": RNG.random((40, 72)) < 0.3, "tok": RNG.random((40, 20)) < 0.3}
    tied = sm.torch.module(net, dtype=torch.float64, record=[("fmap", "counts"),
                                                            ("pool", "counts"), ("mix", "counts")])
    flat = sm.torch.module(untied(net), dtype=torch.float64,
                           record=[("fmap", "counts"), ("pool", "counts"), ("mix", "counts")])
    batch = {k: torch.as_tensor(v[None]) for k, v in x.items()}
    outs = [m(batch) for m in (tied, flat)]
    ref = sm.compile(net).run(40, inputs=x)
    for name in ("fmap", "pool", "mix"):
        np.testing.assert_array_equal(outs[0].counts[name][0].detach().numpy(),
                                      ref.spikes[name].sum(0))
    for m, out in zip((tied, flat), outs):
        sum(out.counts[n].sum() * (k + 1) for k, n in enumerate(("fmap", "pool", "mix"))).backward()
    grads = {p.name: p.weight.grad for p in tied.projs}
    flat_grads = {p.name: p.weight.grad for p in flat.projs}
    assert grads["conv"].shape == (3, 2, 3, 3) and grads["avg"].shape == ()
    assert grads["tokens"].shape == (5, 3)
    for name in ("conv", "avg", "tokens"):
        index = net.projections[name].tied.expand()[2]
        expected = np.bincount(index, weights=flat_grads[name].numpy(),
                               minlength=net.projections[name].n_parameters)
        np.testing.assert_allclose(grads[name].numpy().ravel(), expected, atol=1e-12)
        assert np.any(expected != 0), name
    with torch.no_grad():
        tied.projs[0].weight.mul_(0.5)
    back = tied.to_network()
    conv = back.projections["conv"]
    assert conv.tied is not None and conv.n_parameters == 54
    np.testing.assert_allclose(conv.tied.parameters, 0.5 * net.projections["conv"].tied.parameters)
