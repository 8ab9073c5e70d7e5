"""`spikemem run MODEL --target T --steps N --out DIR`: simulate and write spikes + a raster.

Writes DIR/spikes.npz (one bool array (steps, n) per recorded population/source),
DIR/summary.json (rates, spike counts, run time) and DIR/raster.png.

`--target nest [--threads N]` runs the model's PyNN export (sm.export.pynn, written to
DIR/pynn/model.py) on NEST in this process; MODEL may also be such an exported script
(.py), which is how to run it under MPI: `mpirun -np R spikemem run model.py --target nest`
(docs/sweeps.md). Then spikes.npz holds every population's spikes.
"""
from __future__ import annotations

import functools
import io
import os
import runpy
import sys
import time
import zipfile
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..model.sources import InputSource
from ..plotting import raster
from ..targets import Result, compile
from ..files import write_atomic, write_json
from .common import load_model, output_folder


def add_parser(sub):
    p = sub.add_parser("run", help="simulate a model and write spikes and a raster plot",
                       description=__doc__)
    p.add_argument("model", help="a .npz file written by Network.save, or a built-in name "
                   "(with --target nest also an exported PyNN script, .py)")
    p.add_argument("--target", default="numpy", help="target name (see `spikemem targets`), "
                   "or nest: the PyNN export run on NEST")
    p.add_argument("--threads", type=int, default=None,
                   help="NEST threads per process (--target nest only; default 1)")
    p.add_argument("--steps", type=int, default=1000, help="number of steps (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="seed for Poisson sources")
    p.add_argument("--inputs", help=".npz with one bool (steps, n) array per input source")
    p.add_argument("--out", default="out", help="output folder (default ./out)")
    p.set_defaults(func=main)


def simulate(net, target: str, steps: int, seed: int, out: Path, inputs: dict | None = None):
    """Run `net` and write spikes.npz, summary.json and raster.png into `out`."""
    output_folder(out)
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
    what = (f"--inputs {path!r}: give an .npz file (np.savez) holding one bool (steps, n) "
            "array per input source")
    try:
        if not zipfile.is_zipfile(path):
            raise ValueError("it does not exist" if not Path(path).exists() else
                             "it is not an .npz (zip) archive")
        with np.load(path, allow_pickle=False) as f:
            inputs = {k: f[k] for k in f.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise ModelError(f"{what} ({e})") from None
    for name in inputs:
        if not isinstance(net.sources.get(name), InputSource):
            raise ModelError(f"--inputs: {name!r} is not an input source of the model")
    return inputs


def simulate_nest(model: str, steps: int, seed: int, out: Path, inputs: str | None,
                  threads: int) -> dict | None:
    """Run MODEL (a network, or an exported PyNN script .py, which keeps its own steps and
    inputs) on NEST with `threads` threads per process; writes spikes.npz, summary.json and
    raster.png into `out` (on MPI rank 0; returns None on the other ranks)."""
    output_folder(out)
    if threads < 1:
        raise ModelError(f"--threads must be >= 1, got {threads}")
    if model.endswith(".py"):
        script = Path(model)
        if not script.is_file() or inputs is not None:
            raise ModelError(f"MODEL {model!r}: give an existing script written by "
                             "sm.export.pynn (its inputs are in it: leave out --inputs)")
    else:
        from ..export import pynn
        net = load_model(model)
        script = pynn(net, output_folder(out / "pynn") / "model.py", steps=steps, seed=seed,
                      inputs=_read_inputs(inputs, net, steps))
    run, seconds, run_s, rank = _run_on_nest(script, out / "spikes.npz", threads)
    if rank != 0:
        return None
    with np.load(out / "spikes.npz", allow_pickle=False) as f:
        spikes = {k: f[k] for k in f.files}
    steps, dt = run["STEPS"], run["DT"]
    summary = {"target": "nest", "threads": threads, "processes": run["sim"].num_processes(),
               "script": str(script), "steps": steps, "dt_ms": dt, "wall_s": round(seconds, 3),
               "simulate_s": round(run_s, 3),
               "neurons": sum(v.shape[1] for v in spikes.values()),
               "spikes": {k: int(v.sum()) for k, v in spikes.items()},
               "rate_hz": {k: float(v.sum() / v.shape[1] / (steps * dt / 1000.0))
                           for k, v in spikes.items()}}
    write_json(out / "summary.json", summary)
    raster(Result(spikes, {}, {}, {}, dt, 0, steps, "nest"), out / "raster.png",
           title=f"NEST ({threads} threads), {steps} steps of {dt} ms")
    return summary


def _run_on_nest(script: Path, spikes: Path, threads: int):
    """Execute an exported PyNN script on NEST here, its sim.setup given `threads`;
    returns (the script's globals, seconds in all, seconds in sim.run, MPI rank)."""
    # OpenMP threads that sleep at barriers instead of spinning: on a machine shared with
    # other jobs spinning threads slow NEST down many times (set it to ACTIVE on own cores)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    try:
        import pyNN.nest as sim
    except ImportError:
        raise ModelError("--target nest needs PyNN and NEST: pip install 'spikemem[pynn]'") \
            from None
    setup, simulate, argv = sim.setup, sim.run, sys.argv
    simulating = []

    def timed_run(*args, **kwargs):
        t = time.perf_counter()
        try:
            return simulate(*args, **kwargs)
        finally:
            simulating.append(time.perf_counter() - t)
    # the script calls sim.setup(...) and sim.run(...): give it the threads, time the run
    sim.setup, sim.run = functools.partial(setup, threads=threads), timed_run
    sys.argv = [str(script), "nest", str(spikes)]
    try:
        t0 = time.perf_counter()
        run = runpy.run_path(str(script), run_name="__main__")
        return run, time.perf_counter() - t0, sum(simulating), sim.rank()
    finally:
        sim.setup, sim.run, sys.argv = setup, simulate, argv


def main(args) -> int:
    if args.target == "nest":
        args.threads = 1 if args.threads is None else args.threads
        summary = simulate_nest(args.model, args.steps, args.seed, Path(args.out), args.inputs,
                                args.threads)
        if summary is None:
            return 0
        args.steps = summary["steps"]
    else:
        if args.threads is not None:
            raise ModelError("--threads sets NEST's threads: use it with --target nest")
        net = load_model(args.model)
        summary = simulate(net, args.target, args.steps, args.seed, Path(args.out),
                           _read_inputs(args.inputs, net, args.steps))
    for name, rate in summary["rate_hz"].items():
        print(f"{name:16s} {summary['spikes'][name]:8d} spikes  {rate:8.2f} Hz")
    if args.target == "nest":
        build = summary["wall_s"] - summary["simulate_s"]
        print(f"NEST, {args.threads} thread(s): {build:.1f} s building the network, "
              f"{summary['simulate_s']:.1f} s simulating")
    print(f"{args.steps} steps on {args.target} in {summary['wall_s']} s; wrote "
          f"{args.out}/spikes.npz, summary.json, raster.png")
    return 0
