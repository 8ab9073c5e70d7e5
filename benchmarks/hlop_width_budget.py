"""HLOP's spiking subspace circuit at n = 256, k = 32 (1/i spectrum, 1024 rows) within
issue 17's budget for numpy: "today's n = 8 run scaled by the size of the network".

    python benchmarks/hlop_width_budget.py [--out hlop_width_budget.json] [--seed 0]

1. The n = 8 run: `numba_models.py`'s HLOP workload (150 x 8, k = 3, the 6-epoch geometric
   schedule) on numpy, median of 3 after a warm-up, per step, times SMALL_STEPS: the
   steps the run had when this budget was first measured (its rows shown for 30 steps;
   the circuit's longer traces since show them for 42, and the budget is kept for the
   work the run did, not grown with it). The budget is that time times the ratio of the
   circuits' plastic synapses, n k / (8 * 3) = 341.
2. One epoch of the n = 256 circuit on numpy (the first epoch of learn_subspace with its
   defaults: 138,240 steps), timed: the budget holds budget / that many epochs.
3. learn_subspace with its defaults, at most that many epochs, on numba (numpy's floats bit
   for bit, tests/targets/test_numba_target.py; faster, so that the measurement does not
   take the budget itself): the principal angles (degrees) against the SVD.
Prints the three and writes the record (JSON, atomically).
"""
from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from numba_models import HLOP_SCHEDULE, hlop_data

N, K, SAMPLES = 256, 32, 1024
SMALL_STEPS = 6 * 150 * 30   # the n = 8 run's steps when the budget was first measured


def small_run_seconds(repeats: int = 3) -> tuple[float, int]:
    """(median numpy seconds of the n = 8 run after one warm-up run, its steps)."""
    from spikemem.models.hlop import learn_subspace
    x = hlop_data()

    def run():
        return learn_subspace(x, 3, target="numpy", return_info=True, **HLOP_SCHEDULE)[1]
    steps = run()["steps"]
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), steps


def numpy_epoch_seconds(x) -> float:
    """Seconds of learn_subspace's first epoch of x on numpy (one compile and run)."""
    from spikemem.models.hlop import learn_subspace
    t0 = time.perf_counter()
    learn_subspace(x, K, "numpy", epochs=1)
    return time.perf_counter() - t0


def main(argv=None) -> dict:
    from spikemem.files import write_json
    from spikemem.models.hlop.angles import measure, sample
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("hlop_width_budget.json"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    seconds, steps = small_run_seconds()
    small = seconds * SMALL_STEPS / steps
    budget = small * N * K / (8 * 3)
    epoch = numpy_epoch_seconds(sample(N, K, SAMPLES, None, args.seed)[0])
    epochs = int(budget // epoch)
    print(f"n = 8 run on numpy: {seconds:.2f} s for {steps} steps, {small:.2f} s for its "
          f"{SMALL_STEPS}; budget for n = {N}, k = {K}: {budget:.0f} s; an epoch on numpy: "
          f"{epoch:.1f} s, so {epochs} epochs", flush=True)
    record = measure("numba", N, K, SAMPLES, seed=args.seed, epochs=epochs)
    record.update(small_run_seconds=small, small_run_measured=[seconds, steps],
                  budget_seconds=budget, numpy_epoch_seconds=epoch,
                  numpy_seconds=record["epochs"] * epoch)
    write_json(args.out, record)
    angles = record["angles_deg"]
    print(f"{record['epochs']} epochs (numpy: {record['numpy_seconds']:.0f} s of the "
          f"{budget:.0f} s budget); largest angle {max(angles):.1f} deg; "
          f"angles {[round(a, 1) for a in angles]}")
    return record


if __name__ == "__main__":
    main()
