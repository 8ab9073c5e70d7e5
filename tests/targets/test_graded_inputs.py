"""Graded input events (net.source(..., payload_bits=k)): counts per bin are accepted where
the source is graded and refused, not cast, where it is not; an event of payload p adds
p * w on every target that has the feature; others refuse it by name."""
import numpy as np
import pytest

import spikemem as sm

W = np.array([[0.25, -0.5], [0.75, 1.0]])


def _net(payload_bits: int, v_th: float = 1e6) -> sm.Network:
    net = sm.Network(dt=1.0)
    net.source("ev", 2, payload_bits=payload_bits)
    net.population("p", 2, sm.LIF(tau_mem=0.0, tau_syn=0.0, v_th=v_th))  # v: this step's input
    net.connect("ev", "p", W)
    net.record("p", "v")
    return net


COUNTS = np.array([[0, 3], [2, 0], [1, 1], [7, 5], [0, 0]])


def test_counts_into_a_binary_source_are_refused_naming_the_fix():
    """Failed before as a user met it: x.astype(bool) silently dropped every count above 1."""
    sim = sm.compile(_net(0))
    with pytest.raises(sm.ModelError, match=r"dtype int64; spikes must be bool.*payload_bits=8"):
        sim.run(5, {"ev": COUNTS})


@pytest.mark.parametrize("target", ["numpy", "torch", "numba", "brian2"])
def test_each_event_adds_payload_times_weight(target):
    v = sm.compile(_net(3), target).run(5, {"ev": COUNTS}).traces["p"]["v"]
    want = np.zeros((5, 2))
    want[1:] = COUNTS[:-1] @ W  # a delay of one step
    np.testing.assert_array_equal(v, want)


def test_payloads_outside_the_declared_bits_are_refused():
    sim = sm.compile(_net(2))
    with pytest.raises(sm.ModelError, match=r"payload 7, outside 0 \.\. 3 \(payload_bits=2\)"):
        sim.run(5, {"ev": COUNTS})
    with pytest.raises(sm.ModelError, match="payload -1"):
        sim.run(2, {"ev": np.array([[0, -1], [0, 0]])})
    with pytest.raises(sm.ModelError, match="takes integer payloads"):
        sim.run(2, {"ev": np.zeros((2, 2))})
    with pytest.raises(sm.ModelError, match="payload_bits=25 must be an int from 0"):
        sm.Network().source("x", 1, payload_bits=25)


def test_bool_spikes_into_a_graded_source_are_payload_one():
    x = COUNTS > 0
    a = sm.compile(_net(3)).run(5, {"ev": x}).traces["p"]["v"]
    b = sm.compile(_net(3)).run(5, {"ev": x.astype(np.int64)}).traces["p"]["v"]
    np.testing.assert_array_equal(a, b)


def test_graded_source_round_trips_through_a_file(tmp_path):
    net = _net(5)
    net.save(tmp_path / "g.npz")
    back = sm.load(tmp_path / "g.npz")
    assert back.sources["ev"].payload_bits == 5
    assert net.to_arrays()[0]["version"] == 4 and _net(0).to_arrays()[0]["version"] == 1


def test_plastic_projection_from_a_graded_source_is_refused():
    net = _net(2)
    net.population("q", 2)
    with pytest.raises(sm.ModelError, match="graded or analog values, but a plasticity rule"):
        net.connect("ev", "q", W, plasticity=sm.pair_stdp())


def test_loihi2_sums_payload_times_integer_weight():
    x = {"ev": COUNTS}
    v = sm.compile(_net(3, v_th=16.0), "loihi2").run(5, x).traces["p"]["v"]
    want = np.zeros((5, 2))
    want[1:] = COUNTS[:-1] @ W
    np.testing.assert_allclose(v, want, atol=0.02 * np.abs(want).max())


@pytest.mark.parametrize("target", ["spinnaker"])
def test_targets_without_graded_events_refuse_by_name(target):
    with pytest.raises(sm.UnsupportedFeatureError, match="graded_input"):
        sm.compile(_net(3), target)


def test_exporters_refuse_graded_sources_by_name(tmp_path):
    net = _net(3)
    for export in (lambda: sm.export.nir(net), lambda: sm.export.lava(net),
                   lambda: sm.export.pynn(net, tmp_path / "x.py", steps=5)):
        with pytest.raises(sm.UnsupportedFeatureError, match="graded_input"):
            export()


def test_short_term_plasticity_from_a_graded_source_is_refused():
    net = _net(2)
    net.population("q", 2)
    with pytest.raises(sm.ModelError, match="graded or analog values, which short-term"):
        net.connect("ev", "q", W, stp=sm.TsodyksMarkram(U=0.5, tau_rec=100.0, tau_fac=0.0))
