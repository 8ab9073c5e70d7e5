"""An independent, literal implementation of docs/semantics.md, for tests only.

Loops over steps and projections with dense matrices; no sharing with spikemem's targets
beyond reading the Network description.
"""
import math

import numpy as np


def simulate(net, steps, inputs=None, batch=None):
    """Returns {name: bool (steps, n)} spikes of every population and source for trial 0
    (or (batch, steps, n) if batch), {name: v (…)} and final plastic weights (dense)."""
    inputs = inputs or {}
    trials = batch or 1
    spikes_out, v_out, w_out = {}, {}, {}
    results = [_one_trial(net, steps, {k: (x[b] if x.ndim == 3 else x) for k, x in inputs.items()})
               for b in range(trials)]
    for name in results[0][0]:
        spikes_out[name] = np.stack([r[0][name] for r in results]) if batch else results[0][0][name]
    for name in results[0][1]:
        v_out[name] = np.stack([r[1][name] for r in results]) if batch else results[0][1][name]
    for name in results[0][2]:
        w_out[name] = np.stack([r[2][name] for r in results]) if batch else results[0][2][name]
    return spikes_out, v_out, w_out


def _one_trial(net, steps, inputs):
    dt = net.dt
    hist = {}  # name -> list of spike vectors per step
    for name, src in net.sources.items():
        x = inputs.get(name)
        hist[name] = [np.asarray(x[t], dtype=float) if x is not None else np.zeros(src.n)
                      for t in range(steps)]
    pops = net.populations
    state = {}
    for name, p in pops.items():
        m = p.model
        state[name] = {
            "i": {r: np.zeros(p.n) for r, _ in m.receptors},
            "v": np.zeros(p.n) + p.v_init,
            "r": np.zeros(p.n, dtype=int),
            "a": np.zeros(p.n),
        }
        hist[name] = []
    weights = {k: pr.dense_weights().copy() for k, pr in net.projections.items()}
    masks = {k: (pr.dense_weights() * 0 + 1) if not pr.is_sparse else
             (pr.weights.toarray() != 0) | _explicit(pr) for k, pr in net.projections.items()}
    delays = {k: (np.full(pr.shape, pr.delay) if np.ndim(pr.delay) == 0 else _dense_delay(pr))
              for k, pr in net.projections.items()}
    traces = {}
    for k, pr in net.projections.items():
        if pr.plasticity is not None:
            traces[k] = {t.name: np.full(pr.shape[0] if t.side == "pre" else pr.shape[1], t.init)
                         for t in pr.plasticity.traces}
    v_rec = {name: [] for name in pops}
    # short-term plasticity (rule 3d): u, x per presynaptic neuron; eff[k][t] the efficacy
    # of projection k's pre spikes emitted at step t
    stp = {k: [np.zeros(pr.shape[0]), np.ones(pr.shape[0])]
           for k, pr in net.projections.items() if getattr(pr, "stp", None) is not None}
    eff = {k: [] for k in stp}

    def spikes_at(name, t):
        return hist[name][t] if 0 <= t < len(hist[name]) else np.zeros(net.size(name))

    for t in range(steps):
        # rule 1: a_t per population and receptor
        a = {name: {r: np.zeros(p.n) for r, _ in p.model.receptors} for name, p in pops.items()}
        for k, pr in net.projections.items():
            W, D = weights[k], delays[k]
            n_pre, n_post = pr.shape
            for j in range(n_pre):
                for q in range(n_post):
                    payload = spikes_at(pr.pre, t - D[j, q])[j]  # 1 for a spike
                    if masks[k][j, q] and payload:
                        a[pr.post][pr.receptor][q] += (W[j, q] * eff[k][t - D[j, q]][j]
                                                       if k in stp else W[j, q] * payload)
        for name, p in pops.items():
            m, s = p.model, state[name]

            def at(value, q):  # a parameter of neuron q (scalar or per neuron)
                return float(value) if np.ndim(value) == 0 else float(value[q])

            total = None
            for r, tau in m.receptors:
                alpha = np.array([_decay(at(tau, q), dt, 0.0) for q in range(p.n)])
                s["i"][r] = alpha * s["i"][r] + a[name][r]
                total = s["i"][r] if total is None else total + s["i"][r]
            kind = type(m).__name__
            spk = np.zeros(p.n)
            for q in range(p.n):
                v_old = s["v"][q]
                bias = at(p.bias, q)
                if kind == "CondLIF":  # Euler: v + k * (((v_rest - v) + g_r * (e_r - v)) + bias)
                    drive = m.v_rest - v_old
                    for (r, _), e in zip(m.receptors, m.reversals):
                        drive = drive + s["i"][r][q] * (e - v_old)
                    v_new = v_old + (dt / at(m.tau_mem, q)) * (drive + bias)
                else:
                    beta = _decay(at(m.tau_mem, q), dt, 1.0)
                    v_new = beta * v_old + total[q] + bias
                # ALIF: the threshold in force uses a from the end of the previous step
                theta = at(m.v_th, q) + at(m.beta_adapt, q) * s["a"][q] if kind == "ALIF" \
                    else at(m.v_th, q)
                if s["r"][q] > 0:
                    s["v"][q] = at(m.v_reset, q)
                    s["r"][q] -= 1
                else:
                    s["v"][q] = v_new
                    if s["v"][q] > theta:  # never for LI (v_th = inf)
                        spk[q] = 1
                        s["v"][q] = at(m.v_reset, q) if m.reset == "zero" else s["v"][q] - theta
                        s["r"][q] = m.refractory
                if kind == "ALIF":
                    s["a"][q] = _decay(at(m.tau_adapt, q), dt, 1.0) * s["a"][q] + spk[q]
            hist[name].append(spk)
            v_rec[name].append(s["v"].copy())
        for k, (u, x) in stp.items():  # rule 3d, with this step's pre spikes
            pr = net.projections[k]
            d_rec, d_fac = pr.stp.decays(dt)
            e = np.zeros(pr.shape[0])
            for j in range(pr.shape[0]):
                u[j] = d_fac * u[j]
                x[j] = 1 - d_rec * (1 - x[j])
                if spikes_at(pr.pre, t)[j]:
                    u[j] = u[j] + pr.stp.U * (1 - u[j])
                    e[j] = u[j] * x[j]
                    x[j] = x[j] - e[j]
            eff[k].append(e)
        # plasticity: traces then dw, per synapse
        for k, pr in net.projections.items():
            rule = pr.plasticity
            if rule is None:
                continue
            pre_s = spikes_at(pr.pre, t - pr.delay)
            post_s = hist[pr.post][t]
            side = {"pre": pre_s, "post": post_s}
            for tr in rule.traces:
                x = traces[k][tr.name]
                decay = math.exp(-dt / tr.tau)
                for q in range(x.size):
                    if side[tr.side][q] and tr.saturate:
                        x[q] = tr.jump
                    else:
                        x[q] = decay * x[q] + tr.jump * side[tr.side][q]
            W = weights[k]
            for j in range(pr.shape[0]):
                for q in range(pr.shape[1]):
                    if not masks[k][j, q]:
                        continue
                    dw = 0.0
                    for term in rule.terms:
                        val = term.coef
                        for f in term.factors:
                            if f == "pre":
                                val *= pre_s[j]
                            elif f == "post":
                                val *= post_s[q]
                            elif f == "w":
                                val *= W[j, q]
                            elif rule.trace(f).side == "pre":
                                val *= traces[k][f][j]
                            else:
                                val *= traces[k][f][q]
                        dw += val
                    W[j, q] = min(max(W[j, q] + dw, rule.w_min), rule.w_max)
    spikes = {name: np.array(h, dtype=bool).reshape(steps, net.size(name))
              for name, h in hist.items()}
    vs = {name: np.array(v) for name, v in v_rec.items()}
    w_final = {k: weights[k] for k, pr in net.projections.items() if pr.plasticity is not None}
    return spikes, vs, w_final


def _decay(tau: float, dt: float, at_inf: float) -> float:
    """exp(-dt / tau); 0 for tau = 0; `at_inf` for tau = inf."""
    if math.isinf(tau):
        return at_inf
    return 0.0 if tau == 0 else math.exp(-dt / tau)


def _explicit(pr):
    m = np.zeros(pr.shape, dtype=bool)
    pre, post, _, _ = pr.synapses()
    m[pre, post] = True
    return m


def _dense_delay(pr):
    d = np.ones(pr.shape, dtype=int)
    pre, post, _, delay = pr.synapses()
    d[pre, post] = delay
    return d
