"""Generate models/lsm/data/lsm_spoken_digits.npz: spoken digits 0-9 synthesised with espeak-ng
over several voices, speeds and pitches, through the cochlea-like encoder.

Needs the espeak-ng program (Debian: apt-get install espeak-ng); only this script needs it.
    python scripts/lsm_make_spoken_digits.py [--out models/lsm/data/lsm_spoken_digits.npz]
The file holds the events bit-packed along the channel axis (np.packbits), the labels, the
voice/speed/pitch of each sample and the encoder settings; it loads without pickle.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from scipy.io import wavfile

from spikemem.models.lsm.encoders import cochlea_events

WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
VOICES = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-029",
          "en-us+f3", "en-gb+f2", "en-us-nyc+m3", "en-gb-x-gbcwmd+f4"]
SPEEDS = [120, 160, 200, 240]     # words per minute
PITCHES = [35, 50, 65]            # espeak-ng pitch, 0-99
ENCODER = dict(n_channels=32, f_min=100.0, f_max=5000.0, step_ms=10.0, delta_db=3.0,
               floor_db=-50.0, steps=80)


def synthesise(word: str, voice: str, speed: int, pitch: int) -> tuple[int, np.ndarray]:
    """(sample rate Hz, float samples) of espeak-ng saying `word`."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "w.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch),
                        "-w", str(wav), word], check=True, capture_output=True)
        fs, audio = wavfile.read(wav)
    return fs, audio.astype(np.float64) / 32768.0


def trim(audio: np.ndarray, rel: float = 0.01) -> np.ndarray:
    """Drop leading and trailing samples quieter than `rel` of the peak."""
    loud = np.flatnonzero(np.abs(audio) > rel * np.abs(audio).max())
    return audio[loud[0]:loud[-1] + 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "models" /
                                             "lsm" / "data" / "lsm_spoken_digits.npz"))
    args = parser.parse_args()
    events, labels, meta = [], [], []
    settings = {k: v for k, v in ENCODER.items()}
    for vi, voice in enumerate(VOICES):
        for speed in SPEEDS:
            for pitch in PITCHES:
                for label, word in enumerate(WORDS):
                    fs, audio = synthesise(word, voice, speed, pitch)
                    events.append(cochlea_events(trim(audio), fs, **settings))
                    labels.append(label)
                    meta.append((vi, speed, pitch))
        print(f"{voice}: done")
    x = np.stack(events)
    meta = np.array(meta, dtype=np.int16)
    info = json.dumps({"encoder": ENCODER, "voices": VOICES, "words": WORDS,
                       "sample_rate_hz": int(fs), "generator": "espeak-ng"})
    buf = io.BytesIO()
    np.savez_compressed(buf, events=np.packbits(x, axis=2), channels=np.int64(x.shape[2]),
                        labels=np.array(labels, dtype=np.int8), voice=meta[:, 0],
                        speed=meta[:, 1], pitch=meta[:, 2], info=np.array(info))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(buf.getvalue())
    os.replace(tmp, out)
    print(f"wrote {out}: {x.shape} events, {x.mean():.4f} density, "
          f"{out.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
