"""Brian2's COBA network against spikemem's (spikemem.networks.coba): statistics and speed.

Brian2's side is the COBA script of Brette et al. (2007), benchmark 1 (Vogels & Abbott
2005), written with Brian2's API: 4000 conductance-based LIF neurons, 80/20 exc/inh, p = 2%,
dt 0.1 ms, Euler integration. spikemem's side is spikemem.networks.coba(4000) (sm.CondLIF)
on the numpy and numba targets. The two are different discretisations of one model and
different random connectivity, so they agree in statistics, not spike for spike: population
rates (Hz) and the mean coefficient of variation of the inter-spike intervals (neurons with
at least 3 spikes), after a 0.2 s transient, as mean ± standard deviation over `--repeats`
seeds (network and initial state). Speed: the simulation loop alone, a further run of the
same duration continuing each network (no code generation or compilation: Brian2 generates
code at the first run of each network, numba compiles once), wall-clock, best over the
seeds; each Brian2 mode in its own process (Brian2 keeps global state).
Usage:
    python benchmarks/brian2_coba.py [--modes numpy cython] [--duration 1.0]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

DT_MS = 0.1
N, N_EXC = 4000, 3200
TRANSIENT_S = 0.2


def statistics(times_s: np.ndarray, index: np.ndarray, duration_s: float) -> dict:
    """Rates (Hz) of the exc / inh populations and their mean ISI CV, after the transient."""
    keep = times_s >= TRANSIENT_S
    times_s, index = times_s[keep], index[keep]
    out = {}
    for name, lo, hi in (("exc", 0, N_EXC), ("inh", N_EXC, N)):
        mine = (index >= lo) & (index < hi)
        out[f"rate_{name}"] = float(mine.sum() / (hi - lo) / (duration_s - TRANSIENT_S))
        order = np.lexsort((times_s[mine], index[mine]))
        t, i = times_s[mine][order], index[mine][order]
        cvs = []
        for j in np.unique(i):
            isi = np.diff(t[i == j])
            if isi.size >= 2:
                cvs.append(isi.std() / isi.mean())
        out[f"cv_{name}"] = float(np.mean(cvs)) if cvs else float("nan")
    return out


def summary(runs: list[dict], seconds: list[float]) -> dict:
    """Mean and standard deviation of each statistic over the runs; the best time."""
    out = {"run_s": min(seconds), "spikes": int(np.mean([r.pop("spikes") for r in runs]))}
    for key in runs[0]:
        values = [r[key] for r in runs]
        out[key], out[key + "_sd"] = float(np.mean(values)), float(np.std(values))
    return out


def brian2_coba(mode: str, duration_s: float, repeats: int) -> dict:
    """Brian2's COBA script (Brette et al. 2007): statistics and the best run time."""
    import brian2 as b2
    from brian2 import mV, ms, second
    b2.prefs.codegen.target = mode
    b2.defaultclock.dt = DT_MS * ms
    runs, seconds = [], []
    for rep in range(repeats):
        b2.start_scope()
        b2.seed(rep)
        taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
        Vt, Vr, El = -50 * mV, -60 * mV, -60 * mV  # noqa: N806 (the script's names)
        Ee, Ei, I = 0 * mV, -80 * mV, 20 * mV  # noqa: N806
        eqs = """
        dv/dt = (ge*(Ee - v) + gi*(Ei - v) - (v - El) + I)/taum : volt (unless refractory)
        dge/dt = -ge/taue : 1
        dgi/dt = -gi/taui : 1
        """
        P = b2.NeuronGroup(N, eqs, threshold="v > Vt", reset="v = Vr",  # noqa: N806
                           refractory=5 * ms, method="euler")
        P.v = "-55*mV + 5*mV*randn()"
        Ce = b2.Synapses(P, P, on_pre="ge += 0.6")  # noqa: N806
        Ci = b2.Synapses(P, P, on_pre="gi += 6.7")  # noqa: N806
        Ce.connect("i < 3200", p=0.02)
        Ci.connect("i >= 3200", p=0.02)
        mon = b2.SpikeMonitor(P)
        net = b2.Network(b2.collect())
        namespace = {"taum": taum, "taue": taue, "taui": taui, "Vt": Vt, "Vr": Vr, "El": El,
                     "Ee": Ee, "Ei": Ei, "I": I}
        net.run(duration_s * second, namespace=namespace)
        runs.append({"spikes": int(mon.num_spikes),
                     **statistics(np.asarray(mon.t / second), np.asarray(mon.i), duration_s)})
        start = time.perf_counter()
        net.run(duration_s * second, namespace=namespace)  # the loop alone
        seconds.append(time.perf_counter() - start)
    return summary(runs, seconds)


def spikemem_coba(target: str, duration_s: float, repeats: int) -> dict:
    """spikemem.networks.coba(4000) on `target`: statistics and the best run time."""
    import spikemem as sm
    from spikemem.networks import coba
    steps = round(duration_s * 1000 / DT_MS)
    runs, seconds = [], []
    for rep in range(repeats):
        sim = sm.compile(coba(N, seed=rep), target)
        res = sim.run(steps)
        start = time.perf_counter()
        sim.run(steps)  # the loop alone
        seconds.append(time.perf_counter() - start)
        raster = np.concatenate([res.spikes["exc"], res.spikes["inh"]], axis=1)
        step, index = np.nonzero(raster)
        runs.append({"spikes": int(raster.sum()),
                     **statistics(step * DT_MS / 1000, index, duration_s)})
    return summary(runs, seconds)


def measure(side: str, mode: str, duration_s: float, repeats: int) -> dict:
    """brian2_coba / spikemem_coba run in a fresh process (Brian2 keeps global state)."""
    cmd = [sys.executable, __file__, "--one", side, "--modes", mode, "--duration",
           str(duration_s), "--repeats", str(repeats)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modes", nargs="+", default=["numpy", "cython"], help="Brian2 modes")
    ap.add_argument("--targets", nargs="+", default=["numpy", "numba"],
                    help="spikemem targets")
    ap.add_argument("--duration", type=float, default=1.0, help="simulated time (s)")
    ap.add_argument("--repeats", type=int, default=3, help="runs (seeds) per contender")
    ap.add_argument("--one", choices=["brian2", "spikemem"], help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        run = brian2_coba if args.one == "brian2" else spikemem_coba
        result = run(args.modes[0], args.duration, args.repeats)
        print(json.dumps(result))
        return result
    rows = {f"Brian2 {m}": measure("brian2", m, args.duration, args.repeats)
            for m in args.modes}
    rows.update({f"spikemem {t}": measure("spikemem", t, args.duration, args.repeats)
                 for t in args.targets})
    print(f"COBA, {N} neurons, {args.duration:g} s at dt {DT_MS} ms; statistics after "
          f"{TRANSIENT_S} s")
    print("| contender | exc rate (Hz) | inh rate (Hz) | exc CV | inh CV | spikes | loop (s) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in rows.items():
        cells = " | ".join(f"{r[k]:.{p}f} ± {r[k + '_sd']:.{p}f}" for k, p in
                           (("rate_exc", 1), ("rate_inh", 1), ("cv_exc", 2), ("cv_inh", 2)))
        print(f"| {name} | {cells} | {r['spikes']:,} | {r['run_s']:.2f} |")
    print("\nspeed ratios (spikemem loop time / Brian2 loop time; below 1: spikemem faster)")
    for t in args.targets:
        ours = rows[f"spikemem {t}"]["run_s"]
        ratios = [f"/ Brian2 {m} {ours / rows[f'Brian2 {m}']['run_s']:.2f}" for m in args.modes]
        print(f"spikemem {t}: " + ", ".join(ratios))
    return rows


if __name__ == "__main__":
    main()
