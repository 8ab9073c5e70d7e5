"""Write the tiny reader fixtures under tests/models/lsm/data/ (run once; the files are
shipped). Run from a source checkout: python scripts/lsm_make_fixtures.py

nmnist_tiny.bin: six N-MNIST events (40 bits each, big-endian: x 8 bits, y 8 bits,
polarity 1 bit, timestamp 23 bits in us) with one timestamp-overflow marker (y = 240) after
the fourth, which adds 2^13 us to the later events.
tonic_tiny.npy: the same events as a tonic structured array (x, y, t, p) saved with np.save,
and tonic_audio_tiny.npy: audio events without y (x = frequency channel, t, p).
"""
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parents[1] / "tests" / "models" / "lsm" / "data"
#: (x, y, polarity, timestamp us) as stored in the file, None = overflow marker
RECORDS = [(0, 0, 1, 10), (33, 2, 0, 1500), (5, 33, 1, 1999), (12, 7, 1, (1 << 23) - 1),
           None, (3, 4, 0, 0), (3, 4, 1, 2500)]


def pack(x: int, y: int, p: int, t: int) -> bytes:
    return ((x << 32) | (y << 24) | (p << 23) | t).to_bytes(5, "big")


def main() -> None:
    HERE.mkdir(parents=True, exist_ok=True)
    raw = b"".join(pack(0, 240, 0, 0) if r is None else pack(*r) for r in RECORDS)
    (HERE / "nmnist_tiny.bin").write_bytes(raw)
    dtype = [("x", np.int16), ("y", np.int16), ("t", np.int64), ("p", bool)]
    ev = np.array([(1, 2, 100, True), (0, 0, 0, False), (33, 33, 2999, True),
                   (4, 5, 1000, True)], dtype=dtype)
    np.save(HERE / "tonic_tiny.npy", ev, allow_pickle=False)
    audio = np.array([(0, 0, 1), (63, 500, 1), (10, 999, 0)],
                     dtype=[("x", np.int16), ("t", np.int64), ("p", np.int8)])
    np.save(HERE / "tonic_audio_tiny.npy", audio, allow_pickle=False)
    print(f"wrote fixtures to {HERE}")


if __name__ == "__main__":
    main()
