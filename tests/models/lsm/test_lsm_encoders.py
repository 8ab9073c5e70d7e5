"""The event encoders produce the statistics documented in models/lsm/encoders.py."""
import numpy as np
import pytest

from spikemem import ModelError
from spikemem.models import lsm


def digits(n=40):
    from sklearn.datasets import load_digits
    return load_digits().images[:n] / 16.0


def on_off(events):
    half = events.shape[-1] // 2
    return events[..., half:].sum(-2), events[..., :half].sum(-2)


def test_saccade_shape_and_blank_image_is_silent():
    ev = lsm.saccade_events(np.zeros((3, 8, 8)))
    assert ev.dtype == bool and ev.shape == (3, 31, 2 * 10 * 10)  # 3 x 10 steps + start
    assert not ev.any()


def test_saccade_on_off_balance_per_pixel():
    ev = lsm.saccade_events(digits())
    on, off = on_off(ev)
    assert ev.sum() > 1000
    np.testing.assert_array_equal(on, off)


def test_saccade_events_follow_edges():
    img = np.zeros((1, 8, 8))
    img[0, 3:5, 3:5] = 1.0  # a small square: pixels >= 2 away from it see nothing move
    ev = lsm.saccade_events(img)
    counts = (ev[0, :, :100] | ev[0, :, 100:]).sum(0).reshape(10, 10)
    # the square covers sensor pixels 4-5 and moves by up to one pixel towards +x/+y
    assert counts.sum() > 0
    assert counts[3:8, 3:8].sum() == counts.sum()


def test_saccade_lower_threshold_gives_more_events():
    imgs = digits(20)
    n = [lsm.saccade_events(imgs, threshold=t).sum() for t in (0.4, 0.25, 0.1)]
    assert n[0] < n[1] < n[2]


def test_saccade_mismatch_is_seeded_and_steps_pad():
    imgs = digits(5)
    a = lsm.saccade_events(imgs, mismatch=0.2, seed=1)
    b = lsm.saccade_events(imgs, mismatch=0.2, seed=1)
    c = lsm.saccade_events(imgs, mismatch=0.2, seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    padded = lsm.saccade_events(imgs, steps=60)
    assert padded.shape[1] == 60 and not padded[:, 45:].any()


def test_saccade_path_is_the_closed_nmnist_triangle():
    path = lsm.saccade_path(4, 2.0)
    assert path.shape == (13, 2)
    np.testing.assert_allclose(path[[0, 4, 8, 12]], [[0, 0], [1, 2], [2, 0], [0, 0]])


@pytest.mark.parametrize("bad", [dict(threshold=0), dict(amplitude=3.0), dict(eps=-1),
                                 dict(steps=0), dict(steps=2.5)])
def test_saccade_bad_settings_raise(bad):
    with pytest.raises(ModelError):
        lsm.saccade_events(digits(2), **bad)


def test_saccade_rejects_unscaled_images():
    with pytest.raises(ModelError, match=r"\[0, 1\]"):
        lsm.saccade_events(digits(2) * 16)


def tone(f, fs=16000, seconds=0.3, silence=0.1):
    t = np.arange(int(seconds * fs)) / fs
    pad = np.zeros(int(silence * fs))
    return np.concatenate([pad, np.sin(2 * np.pi * f * t) * np.hanning(t.size), pad])


def test_cochlea_silence_is_silent_and_shape():
    ev = lsm.cochlea_events(np.zeros(8000), 16000, n_channels=16)
    assert ev.dtype == bool and ev.shape[1] == 32 and not ev.any()


@pytest.mark.parametrize("f", [300.0, 1000.0, 3000.0])
def test_cochlea_tone_excites_its_channel_most(f):
    n = 24
    ev = lsm.cochlea_events(tone(f), 16000, n_channels=n)
    per_channel = ev[:, :n].sum(0) + ev[:, n:].sum(0)
    centres = lsm.erb_space(100.0, 5000.0, n)
    assert np.argmax(per_channel) == np.argmin(np.abs(centres - f))


def test_cochlea_on_off_balance_and_steps():
    ev = lsm.cochlea_events(tone(700.0) + tone(2000.0), 16000, n_channels=16)
    on, off = on_off(ev)
    assert on.sum() > 20
    np.testing.assert_array_equal(on, off)
    fixed = lsm.cochlea_events(tone(700.0), 16000, n_channels=16, steps=200)
    assert fixed.shape == (200, 32)


def test_cochlea_smaller_delta_gives_more_events():
    counts = [lsm.cochlea_events(tone(800.0), 16000, delta_db=d).sum() for d in (6.0, 3.0, 1.5)]
    assert counts[0] < counts[1] < counts[2]


def test_erb_space_endpoints_and_order():
    f = lsm.erb_space(100.0, 5000.0, 10)
    np.testing.assert_allclose(f[[0, -1]], [100.0, 5000.0])
    assert np.all(np.diff(f) > 0) and np.all(np.diff(np.diff(f)) > 0)  # wider at the top


def test_cochlea_bad_input_raises():
    with pytest.raises(ModelError):
        lsm.cochlea_events(np.zeros((2, 100)), 16000)
    with pytest.raises(ModelError):
        lsm.cochlea_events(tone(500.0), 16000, f_max=9000.0)
