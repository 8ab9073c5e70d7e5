"""Readers parse the N-MNIST and tonic fixtures; the shipped spoken digits load and keep
their documented statistics."""
from pathlib import Path

import numpy as np
import pytest

from spikemem import ModelError
from spikemem.models import lsm

DATA = Path(__file__).parent / "data"


def test_read_nmnist_fixture():
    ev = lsm.read_nmnist(DATA / "nmnist_tiny.bin")
    # written by scripts/lsm_make_fixtures.py: the overflow marker after the 4th event
    # is dropped and adds 2^13 us to the events after it
    assert ev.dtype == lsm.EVENT_DTYPE
    np.testing.assert_array_equal(ev["x"], [0, 33, 5, 12, 3, 3])
    np.testing.assert_array_equal(ev["y"], [0, 2, 33, 7, 4, 4])
    np.testing.assert_array_equal(ev["p"], [1, 0, 1, 1, 0, 1])
    np.testing.assert_array_equal(ev["t"], [10, 1500, 1999, (1 << 23) - 1, 8192, 2500 + 8192])


def test_read_nmnist_rejects_other_files(tmp_path):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x00" * 7)
    with pytest.raises(ModelError, match="5-byte"):
        lsm.read_nmnist(bad)


def test_read_tonic_fixtures_and_raster():
    ev = lsm.read_tonic(DATA / "tonic_tiny.npy")
    np.testing.assert_array_equal(ev["t"], [100, 0, 2999, 1000])
    r = lsm.events_to_raster(ev, lsm.NMNIST_SENSOR, dt_us=1000.0)
    assert r.shape == (3, 2 * 34 * 34) and r.sum() == 4
    hw = 34 * 34
    assert r[0, hw + 2 * 34 + 1]            # (x 1, y 2, ON) at t = 100 us -> step 0
    assert r[0, 0]                          # (0, 0, OFF) at t = 0
    assert r[2, hw + 33 * 34 + 33]          # (33, 33, ON) at 2999 us -> step 2
    assert r[1, hw + 5 * 34 + 4]            # (4, 5, ON) at 1000 us -> step 1
    assert lsm.events_to_raster(ev, lsm.NMNIST_SENSOR, 1000.0, steps=2).sum() == 3


def test_read_tonic_audio_without_y():
    ev = lsm.read_tonic(DATA / "tonic_audio_tiny.npy")
    np.testing.assert_array_equal(ev["y"], 0)
    r = lsm.events_to_raster(ev, (64, 1, 1), dt_us=250.0)
    assert r.shape == (4, 64)
    assert r[0, 0] and r[2, 63] and r[3, 10] and r.sum() == 3


def test_tonic_reader_errors():
    with pytest.raises(ModelError, match="fields"):
        lsm.read_tonic(np.zeros(3, dtype=[("a", int)]))
    ev = lsm.read_tonic(DATA / "tonic_tiny.npy")
    with pytest.raises(ModelError, match="sensor"):
        lsm.events_to_raster(ev, (10, 10, 2))


def test_nmnist_reader_feeds_the_reservoir():
    r = lsm.events_to_raster(lsm.read_nmnist(DATA / "nmnist_tiny.bin"), lsm.NMNIST_SENSOR,
                             dt_us=1000.0, steps=12)
    res = lsm.Reservoir(n_inputs=r.shape[1], n=30, seed=0)
    assert res.features(r[None]).shape == (1, 2 * 2 * 30)


def test_spoken_digits_shipped_set():
    d = lsm.load_spoken_digits()
    x, y = d["events"], d["labels"]
    info = d["info"]
    assert x.dtype == bool and x.shape == (1200, 80, 64)
    assert np.array_equal(np.bincount(y), np.full(10, 120))
    assert len(np.unique(d["voice"])) == len(info["voices"]) == 10
    assert set(np.unique(d["speed"])) == {120, 160, 200, 240}
    # every sample has events; samples whose events end well inside the 80 steps (not cut
    # off) are exactly ON/OFF balanced in every channel
    assert np.all(x.sum(axis=(1, 2)) > 20)
    last = np.array([np.flatnonzero(s.any(axis=1))[-1] for s in x])
    inside = last < 70
    assert inside.mean() > 0.9
    np.testing.assert_array_equal(x[inside][:, :, 32:].sum(1), x[inside][:, :, :32].sum(1))
    x_tr, y_tr, x_te, y_te = lsm.spoken_digits()
    assert len(y_tr) == 900 and len(y_te) == 300 and np.all(np.bincount(y_te) == 30)


def test_event_digits_split_is_stratified_and_seeded():
    a = lsm.event_digits(seed=0)
    b = lsm.event_digits(seed=0)
    c = lsm.event_digits(seed=1)
    np.testing.assert_array_equal(a[3], b[3])
    assert not np.array_equal(a[3], c[3])
    counts = np.bincount(a[3])
    assert counts.min() >= 43 and counts.max() <= 46  # 25% of ~180 per class
    with pytest.raises(ModelError):
        lsm.event_digits(test_fraction=1.5)
