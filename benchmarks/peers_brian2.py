"""Brian2's own CUBA example (Vogels & Abbott 2005), as published in Brian2's examples,
timed in one of Brian2's runtime code-generation modes. Used by the CUBA benchmarks."""
from __future__ import annotations

import time


def run_brian2_cuba(codegen: str, n: int = 4000, duration_ms: float = 1000.0,
                    seed: int = 0) -> dict:
    """Build and run Brian2's CUBA script with prefs.codegen.target = codegen
    ('numpy' or 'cython'); returns wall times (s) of build and run and the spike count."""
    import brian2 as b2

    b2.start_scope()
    b2.prefs.codegen.target = codegen
    b2.seed(seed)
    b2.defaultclock.dt = 0.1 * b2.ms
    t0 = time.perf_counter()
    taum, taue, taui = 20 * b2.ms, 5 * b2.ms, 10 * b2.ms
    Vt, Vr, El = -50 * b2.mV, -60 * b2.mV, -49 * b2.mV
    eqs = """
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    P = b2.NeuronGroup(n, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * b2.ms,
                       method="exact", namespace=dict(taum=taum, taue=taue, taui=taui,
                                                      Vt=Vt, Vr=Vr, El=El))
    P.v = "Vr + rand() * (Vt - Vr)"
    P.ge = 0 * b2.mV
    P.gi = 0 * b2.mV
    we, wi = (60 * 0.27 / 10) * b2.mV, (-20 * 4.5 / 10) * b2.mV
    Ce = b2.Synapses(P, P, on_pre="ge += we", namespace={"we": we})
    Ci = b2.Synapses(P, P, on_pre="gi += wi", namespace={"wi": wi})
    Ce.connect(f"i<{int(n * 0.8)}", p=0.02)
    Ci.connect(f"i>={int(n * 0.8)}", p=0.02)
    monitor = b2.SpikeMonitor(P)
    net = b2.Network(P, Ce, Ci, monitor)
    t1 = time.perf_counter()
    net.run(duration_ms * b2.ms)
    t2 = time.perf_counter()
    return {"build_s": t1 - t0, "run_s": t2 - t1, "spikes": int(monitor.num_spikes)}
