"""The CA3 content-addressable memory (spikemem.models.ca3): its API, the network's shape, the
translation from the paper's PyNN units, ops, timing and errors."""
import math

import numpy as np
import pytest

import spikemem as sm
from spikemem.models import ca3
from spikemem.models.ca3 import circuit


def test_issue_example_api():
    cam = ca3.ContentAddressableMemory(n_cues=5, n_bits=10)
    ops = [ca3.Learn(cue=0, content=[0, 1, 8, 9]), ca3.RecallCue(0), ca3.RecallContent([6]),
           ca3.RecallContent([8])]
    results = cam.run(ops, target="numpy")
    assert isinstance(cam.network, sm.Network)
    assert [(r.cues, r.content) for r in results] == [
        ([0], [0, 1, 8, 9]), ([0], [0, 1, 8, 9]), ([], [6]), ([0], [8])]
    assert [r.t_start for r in results] == [0, 14, 28, 42]


def test_network_shape_matches_paper():
    net = ca3.network(7, 11)
    sizes = {name: p.n for name, p in net.populations.items()}
    memory = sum(n for name, n in sizes.items() if name != "out")
    assert memory == 3 * 7 + 4 * 11 + 1
    assert sizes["out"] == net.sources["in"].n == 18
    plastic = {name: p for name, p in net.projections.items() if p.plasticity is not None}
    assert sorted(plastic) == ["cont_to_cue", "cue_to_cont"]
    for p in plastic.values():
        assert p.shape == (net.size(p.pre), net.size(p.post)) and not p.is_sparse
        assert p.uniform_delay == 1 and not p.weights.any()
    delays = sorted({p.uniform_delay for p in net.projections.values()})
    assert delays == [1, 2, 3]


def test_translation_keeps_the_circuits_thresholds():
    """The behaviours the paper's weights were chosen for survive the unit translation."""
    k = {row["population"]: row["mV_per_nA"] for row in ca3.translation_table()}
    slow, fast = k["CA3cueCueRecall"], k["CA3contCond"]
    # exact integration over 1 ms: membrane (1 - e^-dt/tau_m) R, current tau_s (1 - e^-dt/tau_s)
    expected = (1 - math.exp(-1 / 3)) * (3 / 0.27) * 0.3 * (1 - math.exp(-1 / 0.3))
    assert slow == pytest.approx(expected)
    assert 6 * slow > 3 and 6 * fast > 3          # one 6 nA spike fires any memory neuron
    assert 9 * fast > 3 > (9 - 6) * fast          # contCond: content fires it, a cue vetoes it
    assert 2 * fast < 3                           # contCondInt alone stays sub-threshold
    assert 6 * k["OUT"] > 2.5
    row = next(r for r in ca3.translation_table() if r["population"] == "CA3contCond")
    assert row["v_th_mV"] == 3.0 and row["refractory_steps"] == 1
    assert row["beta"] == pytest.approx(math.exp(-2)) and row["alpha"] == pytest.approx(
        math.exp(-1 / 0.3))


def test_plain_pair_stdp_learns_nothing_here(monkeypatch):
    """Why cam_stdp: the paper's SpikePairRule taken literally (A+ = A- = w_max, tau 3 ms)
    cannot store a memory under spikemem's synchronous pairing."""
    def plain(a, tau_plus, tau_minus):
        return sm.pair_stdp(tau_plus, tau_minus, a, a, 0.0, a)

    monkeypatch.setattr(circuit, "cam_stdp", plain)     # the rule network() builds with
    cam = ca3.ContentAddressableMemory(5, 10)
    for name in ("cue_to_cont", "cont_to_cue"):
        rule = cam.network.projections[name].plasticity
        assert rule.name == "pair_stdp" and rule.w_max > 0
    results = cam.run([ca3.Learn(0, [1, 2]), ca3.RecallCue(0), ca3.RecallContent([1])])
    assert results[1].content == [] and results[2].cues == []


def test_overwrite_forgets_old_content_both_ways(ideal_pairs):
    cam = ca3.ContentAddressableMemory(4, 8)
    ops = [ca3.Learn(1, [0, 1, 2]), ca3.Learn(2, [2, 5]), ca3.Learn(1, [3]), ca3.RecallCue(1),
           ca3.RecallContent([0]), ca3.RecallContent([2]), ca3.RecallContent([3, 5]),
           ca3.Learn(2, []), ca3.RecallCue(2), ca3.RecallContent([5])]
    got = [(r.cues, r.content) for r in cam.run(ops)]
    assert got == ideal_pairs(ops)
    assert got[3] == ([1], [3]) and got[4] == ([], [0]) and got[8] == ([2], [])


def test_bad_ops_and_timing_raise_model_error():
    cam = ca3.ContentAddressableMemory(3, 4)
    for op, text in [(ca3.Learn(3, [0]), "cue 3"), (ca3.Learn(0, [4]), "outside 0..3"),
                     (ca3.Learn(0, [1.5]), "int bit"), (ca3.RecallCue(-1), "cue -1"),
                     (ca3.RecallContent([]), "at least one"), ("store", "unknown CA3 op")]:
        with pytest.raises(sm.ModelError, match=text):
            cam.run([op])
    with pytest.raises(sm.ModelError, match="at least one op"):
        cam.run([])
    with pytest.raises(sm.ModelError, match="learn_steps"):
        ca3.ContentAddressableMemory(3, 4, learn_steps=6)
    with pytest.raises(sm.ModelError, match="recall_steps"):
        ca3.ContentAddressableMemory(3, 4, recall_steps=5)
    with pytest.raises(sm.ModelError, match="n_bits"):
        ca3.ContentAddressableMemory(3, 0)
    with pytest.raises(sm.ModelError, match="inputs must be bool"):
        cam.simulate([ca3.RecallCue(0)], inputs=np.zeros((3, 7), bool))


def test_encode_follows_op_timing():
    cam = ca3.ContentAddressableMemory(3, 4, learn_steps=7, recall_steps=6, start_step=2)
    ops = [ca3.Learn(1, [0, 3]), ca3.RecallCue(1), ca3.RecallContent([3])]
    x = cam.encode(ops)
    assert x.shape == (2 + 7 + 6 + 6 + ca3.LATENCY, 7)
    assert np.array_equal(np.argwhere(x), [[2, 1], [2, 3], [2, 6], [3, 1], [3, 3], [3, 6],
                                           [4, 1], [4, 3], [4, 6], [9, 1], [15, 6]])
