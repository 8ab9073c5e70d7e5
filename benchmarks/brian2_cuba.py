"""Overhead of spikemem's Brian2 target over a hand-written Brian2 script, and spikemem's
numba target against Brian2's fastest mode: the CUBA network.

The hand-written side follows Brian2's published CUBA example (Vogels & Abbott 2005 as in
Brette et al. 2007): 4000 neurons, 80/20 excitatory/inhibitory, p = 2%, 1 s at dt = 0.1 ms.
The spikemem side is spikemem.networks.cuba(4000) compiled with target="brian2" in the same
mode. Each measurement runs in its own Python process (Brian2 keeps global state); the time
is wall-clock from building the network to having the spikes ("total"), and of the run call
alone (Brian2's run(), which generates code; spikemem's sim.run(), which also creates the
Brian2 objects) and of further runs continuing the network (the simulation loop alone, best
of 3, runtime modes), after one untimed warm-up per side and mode so that both use warm cython
caches; in cpp_standalone mode both sides generate and compile a fresh C++ project (included
in the time), and Brian2's own measure of its simulation loop is reported as "loop".

The numba target (`--numba`, on by default when numba is installed) runs the same
spikemem network twice, each in a fresh process: cold (an empty numba cache: the first
call compiles) and warm (the cache the cold run wrote). "process" is the whole process,
Python start-up and imports included; "loop" is a further 1 s run continuing the network
(best of 3), to set against Brian2 cpp_standalone's loop.
Usage:
    python benchmarks/brian2_cuba.py [--modes numpy cython cpp_standalone] [--duration 1.0]
                                     [--no-numba]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import subprocess
import sys
import tempfile
import time


def _best_of(call, repeats: int = 3, clock=time.perf_counter) -> float:
    """Shortest time (s, wall-clock unless `clock` says otherwise) of `repeats` calls (the
    machine is shared: noise)."""
    best = float("inf")
    for _ in range(repeats):
        t0 = clock()
        call()
        best = min(best, clock() - t0)
    return best


def hand_written(mode: str, duration_s: float, workdir: str) -> dict:
    """Brian2's CUBA example, written with Brian2's own API. Returns time and spike count."""
    import brian2 as b2
    from brian2 import mV, ms, second
    if mode == "cpp_standalone":
        # a fresh project, like spikemem's per-process one: both sides compile from scratch
        b2.set_device("cpp_standalone", directory=tempfile.mkdtemp(dir=workdir),
                      build_on_run=True)
    else:
        b2.prefs.codegen.target = mode
    start = time.perf_counter()
    taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
    Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV  # noqa: N806 (Brian2's names)
    eqs = """
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    P = b2.NeuronGroup(4000, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms,  # noqa: N806
                       method="exact")
    P.v = "Vr + rand() * (Vt - Vr)"
    P.ge, P.gi = 0 * mV, 0 * mV
    we, wi = (60 * 0.27 / 10) * mV, (-20 * 4.5 / 10) * mV
    Ce = b2.Synapses(P, P, on_pre="ge += we")  # noqa: N806
    Ci = b2.Synapses(P, P, on_pre="gi += wi")  # noqa: N806
    Ce.connect("i<3200", p=0.02)
    Ci.connect("i>=3200", p=0.02)
    mon = b2.SpikeMonitor(P)
    # an explicit network and namespace, so that later runs (from _best_of) find them too
    network = b2.Network(b2.collect())
    ns = {"taum": taum, "taue": taue, "taui": taui, "Vt": Vt, "Vr": Vr, "El": El, "we": we,
          "wi": wi}
    run_start = time.perf_counter()
    network.run(duration_s * second, namespace=ns)
    spikes = int(mon.num_spikes)
    end = time.perf_counter()
    out = {"seconds": end - start, "run_seconds": end - run_start, "spikes": spikes}
    if mode != "cpp_standalone":  # the loop alone: further runs continue the network
        out["again_seconds"] = _best_of(lambda: network.run(duration_s * second, namespace=ns))
    else:  # the simulation loop alone, as the C++ program measures it, and the program's CPU
        # time (loading, the loop, writing results): best of 3 further runs of the program
        loops, cpus = [], []
        for _ in range(3):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            b2.device.run(with_output=False)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            loops.append(float(b2.device._last_run_time))
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        out["loop_seconds"], out["program_cpu_seconds"] = min(loops), min(cpus)
    return out


def through_spikemem(mode: str, duration_s: float) -> dict:
    """The same network through spikemem's Brian2 target (mode "numba": the numba target)."""
    import spikemem as sm
    from spikemem.networks import cuba
    start = time.perf_counter()
    net = cuba(n=4000, dt=0.1)
    sim = sm.compile(net, target="numba") if mode == "numba" else \
        sm.compile(net, target="brian2", mode=mode)
    run_start = time.perf_counter()  # sim.run also builds the Brian2 objects
    res = sim.run(round(duration_s * 1000 / 0.1))
    spikes = int(res.spikes["exc"].sum() + res.spikes["inh"].sum())
    end = time.perf_counter()
    out = {"seconds": end - start, "run_seconds": end - run_start, "spikes": spikes,
           "spikes_at": time.time()}
    if mode != "cpp_standalone":  # the loop alone: further runs continue the network
        out["again_seconds"] = _best_of(lambda: sim.run(round(duration_s * 1000 / 0.1)))
    if mode == "numba":  # CPU time too: the figure that load on a shared machine disturbs least
        out["again_cpu_seconds"] = _best_of(lambda: sim.run(round(duration_s * 1000 / 0.1)),
                                            clock=time.process_time)
    return out


def _measure(side: str, mode: str, duration_s: float, workdir: str, env=None) -> dict:
    """One measurement in a fresh process; "process_seconds" (spikemem): from starting that
    process to its having the spikes (Python start-up, imports, build, compile, run)."""
    cmd = [sys.executable, __file__, "--one", side, "--modes", mode, "--duration",
           str(duration_s), "--workdir", workdir]
    start = time.time()
    out = subprocess.run(cmd, check=True, capture_output=True, text=True,
                         env=None if env is None else {**os.environ, **env}).stdout
    result = json.loads(out.strip().splitlines()[-1])
    if "spikes_at" in result:
        result["process_seconds"] = result.pop("spikes_at") - start
    return result


def numba_rows(duration_s: float, workdir: str) -> list[dict]:
    """spikemem's numba target, cold (empty numba cache) and warm, each in a fresh process."""
    cache = {"NUMBA_CACHE_DIR": tempfile.mkdtemp(prefix="numba-cache-", dir=workdir)}
    return [{"run": run, **_measure("spikemem", "numba", duration_s, workdir, cache)}
            for run in ("cold", "warm")]


def _cell(d: dict, fmt: str, key: str = "seconds") -> str:
    """'total / run / later runs' of a measurement (or of overheads), '-' where not measured."""
    keys = {"seconds": ("seconds", "run_seconds", "again_seconds"),
            "overhead": ("overhead", "run_overhead", "again_overhead")}[key]
    return " / ".join(format(d[k], fmt) if k in d else "-" for k in keys)


def main(argv=None) -> list[dict]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--modes", nargs="+", default=["numpy", "cython", "cpp_standalone"])
    ap.add_argument("--duration", type=float, default=1.0, help="simulated time (s)")
    ap.add_argument("--no-numba", action="store_true", help="skip the numba target rows")
    ap.add_argument("--one", choices=["brian2", "spikemem"], help=argparse.SUPPRESS)
    ap.add_argument("--workdir", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        mode = args.modes[0]
        result = hand_written(mode, args.duration, args.workdir) if args.one == "brian2" \
            else through_spikemem(mode, args.duration)
        print(json.dumps(result))
        return [result]
    rows, fast = [], []
    with tempfile.TemporaryDirectory(prefix="brian2-cuba-") as workdir:
        for mode in args.modes:
            if mode != "cpp_standalone":  # warm-up: cython caches (standalone compiles anyway)
                for side in ("brian2", "spikemem"):
                    _measure(side, mode, min(args.duration, 0.01), workdir)
            hand = _measure("brian2", mode, args.duration, workdir)
            ours = _measure("spikemem", mode, args.duration, workdir)
            rows.append({"mode": mode, "brian2": hand, "spikemem": ours,
                         "overhead": ours["seconds"] / hand["seconds"] - 1,
                         "run_overhead": ours["run_seconds"] / hand["run_seconds"] - 1})
            if "again_seconds" in hand:
                rows[-1]["again_overhead"] = ours["again_seconds"] / hand["again_seconds"] - 1
        if not args.no_numba and importlib.util.find_spec("numba") is not None:
            fast = numba_rows(args.duration, workdir)
    print(f"CUBA, 4000 neurons, {args.duration:g} s at dt 0.1 ms (wall-clock seconds)")
    print("| mode | Brian2 script (s): total / run / later | spikemem (s): total / run / "
          "later | spikemem overhead: total / run / later | spikes (Brian2 / spikemem) |")
    print("|---|---|---|---|---|")
    for r in rows:
        h, o = r["brian2"], r["spikemem"]
        print(f"| {r['mode']} | {_cell(h, '.2f')} | {_cell(o, '.2f')} | "
              f"{_cell(r, '+.1%', 'overhead')} | {h['spikes']} / {o['spikes']} |")
    if fast:
        _print_numba(fast, next((r["brian2"] for r in rows if r["mode"] == "cpp_standalone"),
                                None))
    return rows + fast


def _print_numba(fast: list[dict], standalone: dict | None) -> None:
    """The numba rows, and their ratios to Brian2 cpp_standalone's build and loop."""
    print("\nspikemem numba target (wall-clock seconds; process: the whole fresh process)")
    print("| run | process | build to spikes | run() | later run: wall / CPU (best of 3) | "
          "spikes |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in fast:
        print(f"| {r['run']} | {r['process_seconds']:.2f} | {r['seconds']:.2f} | "
              f"{r['run_seconds']:.3f} | {r['again_seconds']:.3f} / "
              f"{r['again_cpu_seconds']:.3f} | {r['spikes']} |")
    if standalone is not None:
        loop, cpu, warm = standalone["loop_seconds"], standalone["program_cpu_seconds"], fast[-1]
        print(f"Brian2 cpp_standalone: total {standalone['seconds']:.2f} s; its loop {loop:.3f} s "
              f"wall, its program {cpu:.3f} s CPU (best of 3 runs). numba later run / Brian2 "
              f"loop (wall) = {warm['again_seconds'] / loop:.2f}; numba later run CPU / Brian2 "
              f"program CPU = {warm['again_cpu_seconds'] / cpu:.2f}; numba cold process / "
              f"Brian2 total = {fast[0]['process_seconds'] / standalone['seconds']:.2f}")


if __name__ == "__main__":
    main()
