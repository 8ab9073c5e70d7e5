"""`spikemem run MODEL --target T --steps N --out DIR`: simulate and write spikes + a raster.

Writes DIR/spikes.npz (one bool array (steps, n) per recorded population/source),
DIR/summary.json (rates, spike counts, run time) and DIR/raster.png.
"""
from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..model.sources import InputSource
from ..plotting import raster
from ..targets import compile
from ..files import write_atomic, write_json
from .common import load_model


def add_parser(sub):
    p = sub.add_parser("run", help="simulate a model and write spikes and a raster plot",
                       description=__doc__)
    p.add_argument("model", help="a .npz file written by Network.save, or a built-in name")
    p.add_argument("--target", default="numpy", help="target name (see `spikemem targets`)")
    p.add_argument("--steps", type=int, default=1000, help="number of steps (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="seed for Poisson sources")
    p.add_argument("--inputs", help=".npz with one bool (steps, n) array per input source")
    p.add_argument("--out", default="out", help="output folder (default ./out)")
    p.set_defaults(func=main)


def simulate(net, target: str, steps: int, seed: int, out: Path, inputs: dict | None = None):
    """Run `net` and write spikes.npz, summary.json and raster.png into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    if not any(p.variable == "spikes" for p in net.probes):
        for name in list(net.populations):
            net.record(name, "spikes")
    start = time.perf_counter()
    sim = compile(net, target=target, seed=seed)
    result = sim.run(steps, inputs=inputs, progress=steps >= 5000)
    elapsed = time.perf_counter() - start
    buf = io.BytesIO()
    np.savez_compressed(buf, **result.spikes)
    write_atomic(out / "spikes.npz", buf.getvalue())
    seconds = steps * net.dt / 1000.0
    summary = {"target": target, "steps": steps, "dt_ms": net.dt, "wall_s": round(elapsed, 3),
               "spikes": {k: int(v.sum()) for k, v in result.spikes.items()},
               "rate_hz": {k: float(v.sum() / v.shape[-1] / seconds)
                           for k, v in result.spikes.items()}}
    write_json(out / "summary.json", summary)
    raster(result, out / "raster.png", title=f"{target}, {steps} steps of {net.dt} ms")
    return summary


def _read_inputs(path: str | None, net, steps: int) -> dict | None:
    if path is None:
        return None
    with np.load(path, allow_pickle=False) as f:
        inputs = {k: f[k] for k in f.files}
    for name in inputs:
        if not isinstance(net.sources.get(name), InputSource):
            raise ModelError(f"--inputs: {name!r} is not an input source of the model")
    return inputs


def main(args) -> int:
    net = load_model(args.model)
    summary = simulate(net, args.target, args.steps, args.seed, Path(args.out),
                       _read_inputs(args.inputs, net, args.steps))
    for name, rate in summary["rate_hz"].items():
        print(f"{name:16s} {summary['spikes'][name]:8d} spikes  {rate:8.2f} Hz")
    print(f"{args.steps} steps on {args.target} in {summary['wall_s']} s; wrote "
          f"{args.out}/spikes.npz, summary.json, raster.png")
    return 0
