"""Readers for recorded event data: the N-MNIST binary format and tonic's event arrays.

Events are returned as a structured array with fields x, y, t (microseconds), p (0 OFF,
1 ON) — the layout of tonic's arrays — and turned into the bool rasters the reservoir takes
by events_to_raster (same channel layout as the encoders: p * (H * W) + y * W + x).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from spikemem.errors import ModelError

EVENT_DTYPE = np.dtype([("x", np.int16), ("y", np.int16), ("t", np.int64), ("p", np.int8)])
#: N-MNIST sensor (width, height, polarities), as tonic gives it
NMNIST_SENSOR = (34, 34, 2)
_OVERFLOW_Y = 240          # an N-MNIST record with y == 240 marks a timestamp overflow
_OVERFLOW_US = 1 << 13     # ... which adds 2^13 us to all later timestamps


def read_nmnist(path) -> np.ndarray:
    """Events of one N-MNIST / N-Caltech101 .bin file (Orchard et al. 2015).

    Each event is 40 bits, big-endian: x (8 bits), y (8), polarity (1, 1 = ON), timestamp
    (23 bits, us). Records with y == 240 are timestamp-overflow markers: they add 2^13 us to
    every later event and are dropped. Returns a structured array (EVENT_DTYPE)."""
    raw = np.fromfile(Path(path), dtype=np.uint8)
    if raw.size % 5:
        raise ModelError(f"{path}: {raw.size} bytes is not a whole number of 5-byte N-MNIST "
                         "events; is this an N-MNIST .bin file?")
    rec = raw.reshape(-1, 5).astype(np.int64)
    x, y = rec[:, 0], rec[:, 1]
    p = rec[:, 2] >> 7
    t = ((rec[:, 2] & 0x7F) << 16) | (rec[:, 3] << 8) | rec[:, 4]
    overflow = y == _OVERFLOW_Y
    t = t + _OVERFLOW_US * np.cumsum(overflow)
    keep = ~overflow
    out = np.empty(int(keep.sum()), dtype=EVENT_DTYPE)
    out["x"], out["y"], out["t"], out["p"] = x[keep], y[keep], t[keep], p[keep]
    return out


def read_tonic(events) -> np.ndarray:
    """Events from a tonic-style structured array (or a .npy file holding one, loaded
    without pickle) with fields x, t, p and optionally y (audio sets such as N-TIDIGITS
    and SHD have no y). Polarity may be bool, 0/1 or -1/+1 (ON > 0). Returns EVENT_DTYPE."""
    if isinstance(events, (str, Path)):
        events = np.load(Path(events), allow_pickle=False)
    events = np.asarray(events)
    names = events.dtype.names or ()
    missing = [f for f in ("x", "t") if f not in names]
    if missing:
        raise ModelError(f"tonic events need fields x and t (and p, y); missing {missing}, "
                         f"got fields {list(names)}")
    out = np.empty(events.shape[0], dtype=EVENT_DTYPE)
    out["x"] = events["x"]
    out["y"] = events["y"] if "y" in names else 0
    out["t"] = events["t"]
    out["p"] = (np.asarray(events["p"]) > 0) if "p" in names else 1
    return out


def events_to_raster(events, sensor_size, dt_us: float = 1000.0, steps: int | None = None,
                     t0: float | None = None) -> np.ndarray:
    """Bin events (EVENT_DTYPE or any array with fields x, y, t, p) into a bool raster.

    sensor_size: (width, height, polarities) as tonic gives it; with one polarity the
    polarity is ignored. Step k holds events with t0 + k dt_us <= t < t0 + (k + 1) dt_us
    (t0 default: the first event). steps: raster length (default: up to the last event).
    Returns bool (steps, polarities * height * width)."""
    ev = read_tonic(events)
    width, height, pols = (int(s) for s in sensor_size)
    if dt_us <= 0:
        raise ModelError(f"dt_us = {dt_us} must be > 0 microseconds")
    if ev.size and (ev["x"].min() < 0 or ev["x"].max() >= width or ev["y"].min() < 0
                    or ev["y"].max() >= height):
        raise ModelError(f"events lie outside the sensor {sensor_size} (width, height, "
                         "polarities): pass the sensor size of the recording")
    start = (ev["t"].min() if ev.size else 0) if t0 is None else t0
    k = np.floor((ev["t"] - start) / dt_us).astype(np.int64)
    if steps is None:
        steps = int(k.max()) + 1 if ev.size else 1
    keep = (k >= 0) & (k < steps)
    p = ev["p"].astype(np.int64) if pols > 1 else np.zeros(ev.size, dtype=np.int64)
    channel = p * (height * width) + ev["y"].astype(np.int64) * width + ev["x"]
    raster = np.zeros((steps, pols * height * width), dtype=bool)
    raster[k[keep], channel[keep]] = True
    return raster
