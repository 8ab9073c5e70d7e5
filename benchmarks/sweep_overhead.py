"""Overhead of spikemem.sweep: 100 trivial trials through the runner against the same trials
called in a plain loop.

A trivial trial builds the built-in demo network (175 LIF neurons, 50 Poisson inputs) with
its seed and runs it for `--steps` steps on numpy (tens of milliseconds). The plain loop
calls the experiment function 100 times in this process; each executor runs the same 100
trials through `run_trials` (fingerprints, a folder and atomic result files per trial,
the progress bar), and `run_sweep` adds the tables and plots. Ray's time includes starting
Ray on this machine. Contenders run in turn, `--repeat` rounds, each into a fresh folder;
the best time of each is reported (the machine may be shared). Usage:
    python benchmarks/sweep_overhead.py [--trials 100] [--steps 100] [--repeat 3] [--no-ray]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from spikemem import sweep


def trivial(out_dir: Path, *, seed: int = 0, steps: int = 100) -> dict:
    """The demo network with `seed`, run for `steps` steps: spikes per population."""
    import spikemem as sm
    from spikemem.networks import demo
    result = sm.compile(demo(seed), target="numpy", seed=seed).run(steps)
    return {name: int(s.sum()) for name, s in result.spikes.items()}


EXPERIMENTS = {"trivial": trivial}


def timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3, help="rounds (best time reported)")
    ap.add_argument("--no-ray", action="store_true", help="skip the Ray executor")
    args = ap.parse_args(argv)
    # workers import this file as the module `sweep_overhead` (pool: sys.path; Ray: PYTHONPATH)
    here = str(Path(__file__).resolve().parent)
    os.environ["PYTHONPATH"] = os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])
    spec = sweep.from_dict({"experiment": "sweep_overhead:trivial", "seeds": args.trials,
                            "fixed": {"steps": args.steps}})
    experiment = sweep.find(spec.experiment)
    root = Path(tempfile.mkdtemp(prefix="sweep_overhead"))
    cpus = os.cpu_count()

    def loop(folder):
        for k, t in enumerate(spec.trials):
            (folder / str(k)).mkdir(parents=True)
            experiment.run(t.params, t.seed, folder / str(k))

    def runner(executor, workers):
        return lambda folder: sweep.run_trials(spec, folder, executor=executor,
                                               workers=workers, progress=False)

    contenders = {"plain loop": loop}
    for executor, workers in [("serial", 1), ("local", 1), ("local", cpus)] + \
            ([] if args.no_ray else [("ray", cpus)]):
        contenders[f"run_trials {executor}, {workers} worker(s)"] = runner(executor, workers)
    contenders[f"run_sweep local, {cpus} worker(s) (+ tables, plots)"] = \
        lambda folder: sweep.run_sweep(spec, folder, executor="local", workers=cpus,
                                       progress=False)
    runs = {name: float("inf") for name in contenders}
    for round_ in range(args.repeat):
        for k, (name, fn) in enumerate(contenders.items()):
            runs[name] = min(runs[name], timed(lambda: fn(root / f"{round_}-{k}")))
    base = runs["plain loop"]
    print(f"{args.trials} trials of {args.steps} steps; {cpus} CPUs; best of {args.repeat}; "
          f"Python {sys.version.split()[0]}")
    print(f"{'contender':55s} {'seconds':>8s} {'/ loop':>7s} {'ms/trial':>9s}")
    for name, seconds in runs.items():
        print(f"{name:55s} {seconds:8.2f} {seconds / base:7.2f} "
              f"{1000 * seconds / args.trials:9.1f}")
    return runs


if __name__ == "__main__":
    main()
