"""Event encoders: images -> DVS-like saccade events, audio -> cochlea-like level crossings.

Both return bool rasters (samples, steps, channels). Channel layout (shared with the readers):
``channel = p * (height * width) + y * width + x`` with polarity p = 1 ON, p = 0 OFF.

Documented statistics (tests/models/lsm/test_encoders.py checks them):
- A blank image or silence gives no events.
- ON/OFF balance: every pixel / frequency channel ends where it started (the saccade path is
  closed; sounds start and end in silence) and the encoders run until every reference has
  caught up, so each channel emits exactly as many ON as OFF events (threshold mismatch 0).
- Events follow edges: a pixel whose neighbourhood is uniform over the motion range is silent.
- Lower thresholds give more events; a pure tone excites the channel tuned to it most.
"""
from __future__ import annotations

import numpy as np

from spikemem.errors import ModelError


def _delta_modulate(level: np.ndarray, theta_on, theta_off) -> np.ndarray:
    """Level-crossing events from `level` (samples, steps, k): at most one event per channel
    and step; each event moves the channel's reference by its threshold, so a large jump is
    emitted over several steps. After the last sample it keeps stepping at the final level
    until every reference is within one threshold of it (all channels caught up).
    Returns bool (samples, steps + settle, 2 * k): OFF channels first, then ON."""
    start = level[:, 0]
    n_on = np.zeros(start.shape)
    n_off = np.zeros(start.shape)
    out = []
    t = 1
    while True:
        cur = level[:, t] if t < level.shape[1] else level[:, -1]
        # reference = start + theta_on * n_on - theta_off * n_off, kept as event counts so
        # that a channel back at its start level is exactly balanced
        diff = (cur - start) - (theta_on * n_on - theta_off * n_off)
        on = diff >= theta_on
        off = diff <= -theta_off
        if t >= level.shape[1] and not (on.any() or off.any()):
            break
        n_on += on
        n_off += off
        out.append(np.concatenate([off, on], axis=1))
        t += 1
    first = np.zeros((level.shape[0], 2 * level.shape[2]), dtype=bool)
    return np.stack([first] + out, axis=1)


def _fit(events: np.ndarray, steps: int | None) -> np.ndarray:
    """Cut or zero-pad the step axis (axis 1) of (samples, steps, channels) to `steps`."""
    if steps is None:
        return events
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ModelError(f"steps={steps!r} must be an int >= 1 (or None: as long as needed)")
    out = np.zeros((events.shape[0], steps, events.shape[2]), dtype=bool)
    out[:, :min(steps, events.shape[1])] = events[:, :steps]
    return out


# ---- DVS-like saccades ---------------------------------------------------------------------

def saccade_path(steps_per_saccade: int, amplitude: float) -> np.ndarray:
    """(3 * steps_per_saccade + 1, 2) image offsets (dx, dy) in pixels along the closed
    triangle of three saccades used to record N-MNIST: (0,0) -> (A/2, A) -> (A, 0) -> (0,0)."""
    corners = np.array([[0.0, 0.0], [amplitude / 2, amplitude], [amplitude, 0.0], [0.0, 0.0]])
    s = np.linspace(0.0, 1.0, steps_per_saccade + 1)[1:, None]
    legs = [corners[k] + s * (corners[k + 1] - corners[k]) for k in range(3)]
    return np.concatenate([corners[:1]] + legs)


def _shifted(images: np.ndarray, dx: float, dy: float, margin: int) -> np.ndarray:
    """Images (n, h, w) placed on a sensor with `margin` pixels each side, shifted by
    (dx, dy) pixels with bilinear interpolation; zero outside the image."""
    n, h, w = images.shape
    padded = np.zeros((n, h + 2 * margin + 2, w + 2 * margin + 2))
    padded[:, margin + 1:margin + 1 + h, margin + 1:margin + 1 + w] = images
    ys = np.arange(h + 2 * margin) + 1 - dy
    xs = np.arange(w + 2 * margin) + 1 - dx
    y0 = np.floor(ys).astype(int)
    x0 = np.floor(xs).astype(int)
    fy = (ys - y0)[:, None]
    fx = (xs - x0)[None, :]
    y0c, y1c = np.clip(y0, 0, padded.shape[1] - 1), np.clip(y0 + 1, 0, padded.shape[1] - 1)
    x0c, x1c = np.clip(x0, 0, padded.shape[2] - 1), np.clip(x0 + 1, 0, padded.shape[2] - 1)
    top = padded[:, y0c][:, :, x0c] * (1 - fx) + padded[:, y0c][:, :, x1c] * fx
    bottom = padded[:, y1c][:, :, x0c] * (1 - fx) + padded[:, y1c][:, :, x1c] * fx
    return top * (1 - fy) + bottom * fy


def saccade_events(images, *, steps_per_saccade: int = 10, amplitude: float = 1.0,
                   margin: int = 1, threshold: float = 0.25, eps: float = 0.1,
                   mismatch: float = 0.0, seed: int = 0, steps: int | None = None
                   ) -> np.ndarray:
    """DVS-like events of images moved along three saccades (as N-MNIST was recorded).

    images: (samples, h, w) intensities in [0, 1]. The sensor is (h + 2 margin, w + 2 margin)
    pixels; each pixel fires ON (OFF) when log(I + eps) rose (fell) by `threshold` since its
    last event. amplitude: saccade size in pixels. mismatch: relative per-pixel threshold
    spread (std), drawn with `seed`. One step per path sample (3 * steps_per_saccade + 1),
    then settle steps until every pixel caught up; steps: cut or zero-pad to this length.
    Returns bool (samples, steps, 2 * H * W).
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 3:
        raise ModelError(f"saccade_events: images must be (samples, h, w), got {images.shape}")
    if images.size and (images.min() < 0 or images.max() > 1):
        raise ModelError("saccade_events: intensities must lie in [0, 1]; divide by the max")
    if threshold <= 0 or eps <= 0 or mismatch < 0:
        raise ModelError("saccade_events: threshold and eps must be > 0, mismatch >= 0")
    if steps_per_saccade < 1 or margin < int(np.ceil(amplitude)):
        raise ModelError("saccade_events: steps_per_saccade >= 1 and margin >= amplitude "
                         "(the moving image must stay on the sensor)")
    path = saccade_path(steps_per_saccade, amplitude)
    frames = np.stack([_shifted(images, dx, dy, margin) for dx, dy in path], axis=1)
    n, length, hh, ww = frames.shape
    level = np.log(frames + eps).reshape(n, length, hh * ww)
    theta_on, theta_off = _thresholds(threshold, mismatch, hh * ww, seed)
    return _fit(_delta_modulate(level, theta_on, theta_off), steps)


def _thresholds(threshold: float, mismatch: float, k: int, seed: int):
    """(theta_on, theta_off), each (k,): `threshold` times 1 + mismatch * N(0, 1), >= 0.2."""
    if mismatch == 0:
        return np.full(k, float(threshold)), np.full(k, float(threshold))
    rng = np.random.default_rng(seed)
    t = threshold * np.clip(1 + mismatch * rng.standard_normal((2, k)), 0.2, None)
    return t[0], t[1]


# ---- cochlea-like audio --------------------------------------------------------------------

def erb_space(f_min: float, f_max: float, n: int) -> np.ndarray:
    """n centre frequencies (Hz) evenly spaced on the ERB-rate scale (Glasberg & Moore 1990)."""
    def erb_rate(f):
        return 21.4 * np.log10(1 + 0.00437 * f)
    e = np.linspace(erb_rate(f_min), erb_rate(f_max), n)
    return (10 ** (e / 21.4) - 1) / 0.00437


def cochlea_levels(audio, fs: float, *, n_channels: int = 32, f_min: float = 100.0,
                   f_max: float = 5000.0, step_ms: float = 5.0, floor_db: float = -50.0):
    """Per-channel envelope levels in dB (relative to the sound's peak), (steps, n_channels).

    A bank of 2nd-order Butterworth band-pass filters, one ERB wide around ERB-spaced centres,
    half-wave rectification, a 2nd-order 40 Hz low-pass envelope, one sample per step_ms,
    levels clipped below floor_db (silence sits at the floor)."""
    from scipy import signal
    audio = np.asarray(audio, dtype=np.float64)
    if audio.ndim != 1 or audio.size < 2:
        raise ModelError(f"cochlea: audio must be a 1-d signal, got shape {audio.shape}")
    if not 0 < f_min < f_max < fs / 2:
        raise ModelError(f"cochlea: need 0 < f_min < f_max < fs/2 = {fs / 2} Hz")
    peak = np.abs(audio).max()
    x = audio / peak if peak > 0 else audio
    hop = max(1, int(round(fs * step_ms / 1000)))
    lowpass = signal.butter(2, 40.0, btype="low", fs=fs, output="sos")
    levels = []
    for fc in erb_space(f_min, f_max, n_channels):
        bw = 24.7 * (1 + 0.00437 * fc)
        lo, hi = max(fc - bw / 2, 1.0), min(fc + bw / 2, fs / 2 * 0.99)
        band = signal.sosfilt(signal.butter(2, [lo, hi], btype="band", fs=fs, output="sos"), x)
        env = signal.sosfilt(lowpass, np.maximum(band, 0.0))[::hop]
        levels.append(20 * np.log10(np.maximum(env, 10 ** (floor_db / 20))))
    return np.stack(levels, axis=1)


def cochlea_events(audio, fs: float, *, steps: int | None = None, delta_db: float = 3.0,
                   n_channels: int = 32, f_min: float = 100.0, f_max: float = 5000.0,
                   step_ms: float = 5.0, floor_db: float = -50.0) -> np.ndarray:
    """Cochlea-like events of one sound: level crossings of each channel's envelope every
    `delta_db` dB (ON when rising, OFF when falling), at most one per channel and step.
    The sound is taken to start and end in silence (the floor level).

    audio: 1-d samples at fs Hz. steps: raster length (cut or zero-padded; default: the
    sound's length plus settle steps). Returns bool (steps, 2 * n_channels), OFF first.
    """
    if delta_db <= 0:
        raise ModelError(f"cochlea_events: delta_db = {delta_db} must be > 0 dB")
    level = cochlea_levels(audio, fs, n_channels=n_channels, f_min=f_min, f_max=f_max,
                           step_ms=step_ms, floor_db=floor_db)
    silence = np.full((1, n_channels), floor_db)
    level = np.concatenate([silence, level, silence])[None]  # silence before and after
    theta = np.full(n_channels, float(delta_db))
    return _fit(_delta_modulate(level, theta, theta), steps)[0]
