"""The memory models on the numba target against the numpy target: HLOP's Hebbian subspace
circuit and the CA3 stress workload, in one process, interleaved.

    python benchmarks/numba_models.py [--repeats 3]

HLOP: `learn_subspace` on the `spikemem experiment hlop-hebbian` data (150 samples of 8
dimensions, k = 3; six epochs of the geometric schedule without silence between rows, as
fixed-point targets run it, each a fresh compile of the plastic circuit). CA3: the paper's
stress test (5 cues x 10 bits, 60 ops) recorded in full, as `spikemem experiment ca3-stress`
runs it. Both give numpy's results exactly (checked here). Each contender is warmed up once
(numba: loading its compiled code), then timed; median wall-clock seconds of --repeats.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


HLOP_SCHEDULE = {"geometric": True, "epochs": 6, "eta": 0.3, "anneal": 0.6, "rest": 0.0}


def hlop_data() -> np.ndarray:
    """hlop-hebbian's data: 150 rows of 8 with a decaying spread (seeded)."""
    rng = np.random.default_rng(0)
    spread = np.array([3.0, 2.4, 1.8, 1.2, 0.8, 0.25, 0.2, 0.15])
    basis = np.linalg.qr(rng.standard_normal((8, 8)))[0]
    return (rng.standard_normal((150, 8)) * spread) @ basis.T


def hlop_workload():
    """(name, fn(target) -> result) for the Hebbian circuit on hlop-hebbian's data (k = 3,
    HLOP_SCHEDULE)."""
    from spikemem.models.hlop import learn_subspace

    x = hlop_data()
    return "HLOP Hebbian circuit (learn_subspace, 150 x 8, k = 3)", \
        lambda target: learn_subspace(x, 3, target=target, **HLOP_SCHEDULE)


def ca3_workload():
    """(name, fn(target) -> result) for the CA3 stress test, every population recorded."""
    from spikemem.models.ca3 import ContentAddressableMemory, workloads

    work = workloads.stress()
    cam = ContentAddressableMemory(**work.memory, record_all=True)
    return f"CA3 stress ({len(work.ops)} ops)", \
        lambda target: cam.simulate(work.ops, target).result.spikes


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    return np.array_equal(a, b)


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    rows = []
    for name, fn in (hlop_workload(), ca3_workload()):
        results = {t: fn(t) for t in ("numpy", "numba")}  # warm-up, and the exactness check
        times = {"numpy": [], "numba": []}
        for _ in range(args.repeats):
            for target in times:
                t0 = time.perf_counter()
                fn(target)
                times[target].append(time.perf_counter() - t0)
        med = {t: statistics.median(v) for t, v in times.items()}
        rows.append({"workload": name, **med, "speedup": med["numpy"] / med["numba"],
                     "identical": _same(results["numpy"], results["numba"])})
    print(f"median of {args.repeats}, wall-clock seconds")
    print("| workload | numpy (s) | numba (s) | numba speed-up | identical |")
    print("|---|---:|---:|---:|---|")
    for r in rows:
        print(f"| {r['workload']} | {r['numpy']:.3f} | {r['numba']:.3f} | "
              f"x{r['speedup']:.1f} | {r['identical']} |")
    return rows


if __name__ == "__main__":
    main()
