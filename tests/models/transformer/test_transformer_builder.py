"""The transformer builder: configuration checks, population and projection shapes, delays
aligned by hop (every path into a population delivers a frame in the same step), residual
timing in a simulation, and the SSA wiring as Q Kᵀ V."""
import numpy as np
import pytest

import spikemem as sm
from spikemem.models.transformer import TransformerConfig, build
from spikemem.models.transformer import wiring

SMALL = dict(n_tokens=3, d_in=4, channels=6, n_classes=5)


@pytest.mark.parametrize("field, value, words", [
    ("channels", 0, "channels=0 must be an int >= 1"),
    ("depth", 1.5, "depth=1.5 must be an int >= 1"),
    ("attention", "softmax", "attention='softmax' is unknown"),
    ("tau_mem", -1.0, "tau_mem=-1.0 must be a finite number > 0"),
    ("heads", 4, "channels=6 must be a multiple of heads=4"),
])
def test_bad_configs_name_the_field_and_the_fix(field, value, words):
    with pytest.raises(sm.ModelError, match=words.replace("(", r"\(").replace("+", r"\+")):
        TransformerConfig(**{**SMALL, field: value})


@pytest.mark.parametrize("attention", ["sdsa", "ssa", "none"])
def test_shapes_and_learned_projections(attention):
    cfg = TransformerConfig(**SMALL, depth=2, mlp_ratio=3, n_answers=2, heads=2,
                            attention=attention)
    model = build(cfg)
    net = model.network
    n, d = cfg.n_tokens, cfg.channels
    assert list(net.sources) == ["in"] and net.sources["in"].n == n * cfg.d_in
    assert net.populations["out"].n == 2 * 5
    assert net.probes == (sm.model.network.Probe("out", "spikes"),)
    for b in range(2):
        assert net.populations[f"b{b}.res2"].n == n * d
        assert net.populations[f"b{b}.mlp"].n == n * 3 * d
    if attention == "sdsa":
        assert net.populations["b0.mask"].n == d
        assert net.populations["b0.qk"].n == n * d
    if attention == "ssa":
        assert net.populations["b0.qkv"].n == 2 * n * n * (d // 2) ** 2
    learned = set(model.learned)
    for proj in net.projections.values():
        fixed_wiring = proj.post.endswith((".qk", ".mask", ".qkv")) or \
            (proj.post.endswith(".att") and attention != "none")
        assert (proj.name in learned) != fixed_wiring, proj.name
    # the learned maps share their weights across tokens: one matrix each, not one per token
    assert net.projections["in->embed"].n_parameters == cfg.d_in * d
    assert net.projections["embed->b0.res1"].n_parameters == 1  # the shortcut's gain


@pytest.mark.parametrize("attention", ["sdsa", "ssa", "none"])
def test_every_path_into_a_population_delivers_a_frame_in_the_same_step(attention):
    model = build(TransformerConfig(**SMALL, depth=2, attention=attention))
    hops = model.hops
    for proj in model.network.projections.values():
        assert hops[proj.pre] + proj.uniform_delay == hops[proj.post], proj.name
    assert hops["in"] == 0 and hops["out"] == model.latency
    assert model.steps == model.config.frames + model.latency
    block = {"sdsa": 5, "ssa": 4, "none": 2}[attention] + 2  # attention + shortcut, then MLP
    assert model.latency == 1 + 2 * block + 1


def test_sdsa_latency_is_nine_steps_for_one_block():
    model = build(TransformerConfig(**SMALL))
    assert dict(model.hops) == {"in": 0, "embed": 1, "b0.q": 2, "b0.k": 2, "b0.v": 2,
                                "b0.qk": 3, "b0.mask": 4, "b0.att": 5, "b0.res1": 6,
                                "b0.mlp": 7, "b0.res2": 8, "out": 9}
    net = model.network
    assert net.projections["embed->b0.res1"].uniform_delay == 5  # shortcut around attention
    assert net.projections["b0.v->b0.att"].uniform_delay == 3  # V waits for its mask
    assert net.projections["b0.res1->b0.res2"].uniform_delay == 2  # shortcut around the MLP


def _first_current_step(net, x, population):
    copy = net.snapshot()
    copy.record(population, "i")
    res = sm.compile(copy).run(x.shape[0], inputs={"in": x})
    active = np.flatnonzero(np.any(res.traces[population]["i"] != 0, axis=1))
    return int(active[0]) if active.size else None


def test_residual_branch_and_shortcut_reach_the_stream_in_the_same_step():
    """One input frame at step 0: the membrane shortcut alone and the attention branch
    alone each put their first current into b0.res1 at its hop (6), not earlier or later."""
    model = build(TransformerConfig(**SMALL))
    x = np.zeros((20, model.config.n_inputs), dtype=bool)
    x[0] = True
    net = model.network.snapshot()
    net.set_weights("in->embed", np.full((4, 6), 2.0))           # every embed neuron fires
    for name in ("embed->b0.q", "embed->b0.k", "embed->b0.v"):  # and so do Q, K and V
        net.set_weights(name, np.full((6, 6), 1.0))
    shortcut_only = net.snapshot()
    shortcut_only.set_weights("b0.att->b0.res1", np.zeros((6, 6)))
    branch_only = net.snapshot()
    branch_only.set_weights("embed->b0.res1", 0.0)
    hop = model.hops["b0.res1"]
    assert _first_current_step(shortcut_only, x, "b0.res1") == hop
    assert _first_current_step(branch_only, x, "b0.res1") == hop


def test_ssa_triples_sum_to_q_k_transpose_v_per_head():
    n, d, heads = 3, 4, 2
    rng = np.random.default_rng(1)
    q, k, v = (rng.random((n, d)) < 0.5 for _ in range(3))
    into_q, into_k, into_v, out = wiring.ssa_triples(n, d, heads)
    fired = (q.ravel() @ into_q + k.ravel() @ into_k + v.ravel() @ into_v) > 2.5
    got = (fired @ out).reshape(n, d)
    dh = d // heads
    want = np.concatenate([q[:, h * dh:(h + 1) * dh].astype(int) @
                           k[:, h * dh:(h + 1) * dh].T.astype(int) @
                           v[:, h * dh:(h + 1) * dh].astype(int) for h in range(heads)], axis=1)
    assert np.array_equal(got, want)


def test_fixed_wiring_structures():
    assert np.array_equal(wiring.token_sum(3, 2).csr().toarray(), np.tile(np.eye(2), (3, 1)))
    assert np.array_equal(wiring.broadcast(3, 2).csr().toarray(), np.tile(np.eye(2), (1, 3)))
    ident = wiring.identity(3, 2, 0.5)
    assert ident.n_parameters == 1
    assert np.array_equal(ident.csr().toarray(), 0.5 * np.eye(6))
