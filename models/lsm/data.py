"""Event datasets: scikit-learn's digits through the saccade encoder (made at run time) and
spoken digits (espeak-ng through the cochlea encoder, shipped in this package's data/)."""
from __future__ import annotations

import importlib.resources
import io
import json

import numpy as np

from spikemem.errors import ModelError

from .encoders import saccade_events

#: saccade encoder settings of event_digits (8x8 digits on a 10x10 sensor: 200 channels)
EVENT_DIGITS = dict(steps_per_saccade=10, amplitude=1.0, margin=1, threshold=0.25, eps=0.1,
                    steps=36)
SPOKEN_DIGITS_FILE = "lsm_spoken_digits.npz"


def _split(x, y, test_fraction: float, seed: int):
    """Stratified split: (x_tr, y_tr, x_te, y_te), each class cut at the same fraction."""
    if not 0 < test_fraction < 1:
        raise ModelError(f"test_fraction={test_fraction} must lie in (0, 1)")
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        test[idx[:int(round(test_fraction * idx.size))]] = True
    return x[~test], y[~test], x[test], y[test]


def event_digits(test_fraction: float = 0.25, seed: int = 0, **encoder):
    """scikit-learn's 1,797 8x8 digits as DVS-like saccade events.

    Returns x_tr, y_tr, x_te, y_te: bool events (samples, 36 steps, 200 channels) and int
    labels; a stratified split drawn with `seed`. encoder: overrides of EVENT_DIGITS.
    """
    from sklearn.datasets import load_digits
    digits = load_digits()
    x = saccade_events(digits.images / 16.0, **{**EVENT_DIGITS, **encoder})
    return _split(x, digits.target.astype(np.int64), test_fraction, seed)


def load_spoken_digits() -> dict:
    """The shipped spoken-digit file: events bool (1200, 80 steps, 64 channels), labels,
    voice/speed/pitch per sample and the generation settings (info)."""
    ref = importlib.resources.files(__package__).joinpath("data", SPOKEN_DIGITS_FILE)
    with np.load(io.BytesIO(ref.read_bytes()), allow_pickle=False) as f:
        channels = int(f["channels"])
        return {"events": np.unpackbits(f["events"], axis=2, count=channels).astype(bool),
                "labels": f["labels"].astype(np.int64), "voice": f["voice"].astype(np.int64),
                "speed": f["speed"].astype(np.int64), "pitch": f["pitch"].astype(np.int64),
                "info": json.loads(str(f["info"]))}


def spoken_digits(test_fraction: float = 0.25, seed: int = 0):
    """Spoken digits 0-9 (espeak-ng, 10 voices x 4 speeds x 3 pitches) as cochlea events.

    Returns x_tr, y_tr, x_te, y_te: bool (samples, 80 steps, 64 channels) and int labels;
    a stratified split drawn with `seed`.
    """
    d = load_spoken_digits()
    return _split(d["events"], d["labels"], test_fraction, seed)
