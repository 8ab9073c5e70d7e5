"""The numba target's compiled step loop: docs/semantics.md rules 1-5, fused, per trial.

All compiled code of the target lives in this one file, so that numba's disk cache
(`cache=True`, keyed by this file) is invalidated whenever any of it changes. Every float
operation is the numpy target's, in its order (no fastmath): identical results.

Arrays are grouped in namedtuples (built by neurons.py, synapses.py, simulate.py):
`Neurons` the neuron blocks (one per population) and their parameters, `Static` the
static synapses, `Plastic` the plastic
projections and their rules, `Probes` what is recorded, `State` the simulation state (one
leading trial axis everywhere). Per step t of a trial b: plastic projections deliver;
neurons step (reading arrivals from the ring buffer, clearing their slots); sources write
their spikes; plastic projections learn; this step's spikes are pushed through the static
tables into the buffer slots of their arrival steps; probes record.

Sizes: N neurons, S sources + N neurons in the spike vector (n_total), R receptor slots per
neuron (the network's largest receptor count), current slot r * N + neuron.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np
from llvmlite import ir
from numba import njit, prange
from numba.core import cgutils, types
from numba.extending import intrinsic

#: model ids of the neuron lowering table (neurons.py), which the neuron step switches on
LIF_ID, ALIF_ID, COND_ID = 0, 1, 2
#: kinds of a plasticity factor: the arriving pre spike, the post spike, the weight, a trace
PRE, POST, WEIGHT, TRACE = 0, 1, 2, 3
#: kinds of a recorded state variable
V, I, A = 0, 1, 2
#: propagate prefetches the synapses of the spike this many places ahead
AHEAD = 16

Neurons = namedtuple("Neurons", [
    "blocks",       # int32 (n_blocks, 4): first neuron, stop, model id, refractory (steps)
    "params",       # (8, N): see the N_* rows, one value per neuron
    "alpha",        # (R, N) synaptic decay per receptor (0 for receptors it lacks)
    "e_rev",        # (R, N) reversal potential per receptor (CondLIF blocks; 0 elsewhere)
    "bias",         # (N,)
])
N_BETA, N_V_TH, N_V_RESET, N_SUBTRACT, N_RHO, N_BETA_ADAPT, N_K, N_V_REST = range(8)
Static = namedtuple("Static", [
    "delays",       # int64 (n_delays,) steps
    "start",        # int64 (n_delays, n_total * n_parts + 1): pre j's synapses onto part
                    # p are target/weight[start[d, c]:start[d, c + 1]], c = j * n_parts + p
    "target",       # int32/int64 (n_synapses,) flat current slot
    "weight",       # float64 (n_synapses,)
    "bounds",       # int64 (n_parts + 1,) neuron ranges of the parts
])
Plastic = namedtuple("Plastic", [
    "proj",         # int64 (n_proj, 13): see the P_* columns (P_DENSE: 1 if synapse
                    # s = i * n_post + j joins pre i to post j, every pair)
    "w_bounds",     # (n_proj, 2) w_min, w_max
    "syn_index",    # int64 (3, n_syn): per synapse its local pre (row PRE), local post (row
                    # POST) and its index within its projection (row WEIGHT)
    "syn_slot",     # int64 (n_syn,) current slot
    "csr_start",    # int64: proj p's pre j owns csr_syn[csr_start[c + j]:csr_start[c + j + 1]]
    "csr_syn",      # int64 (n_syn,) synapse ids by pre (stable)
    "trace",        # int64 (n_traces, 4): side, first value, length, saturate
    "trace_coef",   # (n_traces, 2): decay, jump
    "term_coef",    # (n_terms,)
    "term_factors",  # int64 (n_terms + 1,): term k's factors are [term_factors[k], [k + 1])
    "term_lead",    # int64 (n_terms, 2): side (PRE, POST or WEIGHT) and length of the term's
                    # leading run of factors of one side, evaluated once per element of it
    "factor",       # int64 (n_factors, 3): kind, trace index (TRACE only), side
])
P_DELAY, P_PRE, P_N_PRE, P_POST, P_N_POST, P_SYN, P_SYN_END, P_CSR, P_TERM, P_TERM_END, \
    P_TRACE, P_TRACE_END, P_DENSE = range(13)
Dynamic = namedtuple("Dynamic", [  # projections with Tsodyks-Markram synapses (rule 3d)
    "proj",         # int64 (n_proj, 4): see the D_* columns
    "coef",         # (n_proj, 3): U, d_rec, d_fac
    "csr_start",    # int64: proj p's pre j owns synapses [csr_start[c + j], [c + j + 1])
    "syn_slot",     # int64 (n_syn,) flat current slot, synapses by pre (stable)
    "syn_weight",   # (n_syn,)
    "syn_delay",    # int64 (n_syn,) steps
])
D_PRE, D_N_PRE, D_STATE, D_CSR = range(4)
Probes = namedtuple("Probes", [     # each a range per probe; outputs side by side
    "spikes",       # int64 (n, 2): first spike-vector index, length
    "counts",       # int64 (n, 2): first spike-vector index, length
    "vars",         # int64 (n, 3): first neuron, length, variable (V, I or A)
])
State = namedtuple("State", [
    "v", "isum", "a",   # (B, N) membrane, summed current I_t, adaptation
    "i",                # (B, R, N) receptor currents
    "ref",              # int32 (B, N) refractory counters
    "hist",             # bool (B, ring, n_total) spike vectors of the last `ring` steps
    "buf",              # (B, ring, R * N) future arrivals
    "spikes",           # int64 (B, n_total) scratch: this step's spiking indices
    "w",                # (B, n_syn) plastic weights
    "traces",           # (B, n_trace_values)
    "trace_nonzero",    # bool (B, n_traces) scratch
    "term_skip",        # bool (B, n_terms) scratch
    "side_spikes",      # (B, 2, n_side) scratch: a projection's pre and post spikes, 0 or 1
    "lead",             # (B, n_side) scratch: a term's leading run per pre or post neuron
    "prod", "dw",       # (B, n_proj_syn) scratch: a term's products, the sum of the terms
    "stp_u", "stp_x",   # (B, n_stp_values) u and x of the dynamic projections' pre neurons
])


@intrinsic
def prefetch(typingctx, array, index):
    """Ask the CPU to fetch array[index] into its caches (LLVM's prefetch: read, keep)."""
    def codegen(context, builder, signature, args):
        data = context.make_array(array)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(context, builder, array, data, [args[1]],
                                           wraparound=False)
        i32 = ir.IntType(32)
        pointer = builder.bitcast(pointer, ir.IntType(8).as_pointer())
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [pointer.type, i32, i32, i32]),
            "llvm.prefetch.p0")
        builder.call(fn, [pointer, i32(0), i32(3), i32(1)])
        return context.get_dummy_value()
    return types.void(array, index), codegen


# ---- rules 1-3: arrivals and neurons -------------------------------------------------------
@njit(cache=True)
def deliver_plastic(pl, st, b, t, ring):
    """Rule 1 for plastic projections: W^T s_pre[t - d] with this step's weights, added
    after the static arrivals, spike by spike in pre order."""
    cur = st.buf[b, t % ring]
    w = st.w[b]
    for p in range(pl.proj.shape[0]):
        row = pl.proj[p]
        spikes = st.hist[b, (t - row[P_DELAY]) % ring]
        for j in range(row[P_N_PRE]):
            if spikes[row[P_PRE] + j]:
                for k in range(pl.csr_start[row[P_CSR] + j], pl.csr_start[row[P_CSR] + j + 1]):
                    s = pl.csr_syn[k]
                    cur[pl.syn_slot[s]] += w[s]


@njit(cache=True, inline="always")
def spike_test(x, theta, count, v_reset, refractory, subtract):
    """Rule 3 after the integration, for one neuron: the refractory clamp, the threshold
    test and the reset. x: the integrated potential, count: its refractory counter.
    Returns (v, fired, counter)."""
    clamped = count > 0
    x = v_reset if clamped else x
    fired = (x > theta) & (not clamped)
    count = refractory if fired else (count - 1 if clamped else count)
    return ((x - theta if subtract else v_reset) if fired else x), fired, count


@njit(cache=True, inline="always")
def last_receptor(i, alpha, arrived, isum, j, single):
    """Rule 2 for neuron j's last receptor: i = alpha * i + a (its arrival slot cleared);
    returns the summed current I, stored in isum (single: the only receptor)."""
    x = i[j] * alpha[j] + arrived[j]
    i[j] = x
    arrived[j] = 0.0
    current = x if single else isum[j] + x
    isum[j] = current
    return current


@njit(cache=True)
def step_block(nrn, st, b, slot, k, lo, hi, n_src):
    """Rules 2-3 of block k's neurons lo <= j < hi in trial b (with the ALIF threshold for
    an ALIF block): reads and clears their slots of this step's arrivals, writes their
    spikes into the spike vector. Plain loops over views, one per receptor (the last one's
    within the membrane's), with no test that is the same for every neuron inside a loop:
    such a test kept the loops from being compiled well (15x slower at 1 M neurons)."""
    n, last = st.v.shape[1], st.i.shape[1] - 1
    refractory, adaptive = nrn.blocks[k, 3], nrn.blocks[k, 2] == ALIF_ID
    beta, v_th, v_reset = nrn.params[N_BETA, lo:hi], nrn.params[N_V_TH, lo:hi], \
        nrn.params[N_V_RESET, lo:hi]
    subtract = nrn.params[N_SUBTRACT, lo] != 0.0
    cur = st.buf[b, slot]
    isum = st.isum[b, lo:hi]
    for r in range(last):            # rule 2: i = alpha * i + a; I = ((i_1 + i_2) + i_3) ...
        i, arrived, alpha = st.i[b, r, lo:hi], cur[r * n + lo:r * n + hi], nrn.alpha[r, lo:hi]
        if r == 0:
            for j in range(hi - lo):
                isum[j] = i[j] = i[j] * alpha[j] + arrived[j]
                arrived[j] = 0.0
        else:
            for j in range(hi - lo):
                x = i[j] * alpha[j] + arrived[j]
                i[j] = x
                isum[j] = isum[j] + x
                arrived[j] = 0.0
    i, arrived, alpha = st.i[b, last, lo:hi], cur[last * n + lo:last * n + hi], \
        nrn.alpha[last, lo:hi]
    v, ref, bias = st.v[b, lo:hi], st.ref[b, lo:hi], nrn.bias[lo:hi]
    spikes = st.hist[b, slot, n_src + lo:n_src + hi]
    single = last == 0
    if adaptive:                                     # the last receptor, then rule 3
        a, rho, beta_adapt = st.a[b, lo:hi], nrn.params[N_RHO, lo:hi], \
            nrn.params[N_BETA_ADAPT, lo:hi]
        for j in range(hi - lo):
            current = last_receptor(i, alpha, arrived, isum, j, single)
            v[j], fired, ref[j] = spike_test((v[j] * beta[j] + current) + bias[j],
                                             v_th[j] + beta_adapt[j] * a[j], ref[j],
                                             v_reset[j], refractory, subtract)
            spikes[j] = fired
            a[j] = a[j] * rho[j] + (1.0 if fired else 0.0)
    else:
        for j in range(hi - lo):
            current = last_receptor(i, alpha, arrived, isum, j, single)
            v[j], spikes[j], ref[j] = spike_test((v[j] * beta[j] + current) + bias[j],
                                                 v_th[j], ref[j], v_reset[j], refractory,
                                                 subtract)


@njit(cache=True)
def step_cond_block(nrn, st, b, slot, k, lo, hi, n_src):
    """Rules 2-3 of CondLIF block k's neurons lo <= j < hi in trial b: the conductances,
    then v + k * (((v_rest - v) + g_1 * (e_1 - v)) + ... + bias), the refractory clamp,
    the spike test and the reset to v_reset; reads and clears their arrival slots."""
    n, n_rec, refractory = st.v.shape[1], st.i.shape[1], nrn.blocks[k, 3]
    cur = st.buf[b, slot]
    for j in range(lo, hi):
        v = st.v[b, j]
        drive = nrn.params[N_V_REST, j] - v
        total = 0.0
        for r in range(n_rec):
            g = st.i[b, r, j] * nrn.alpha[r, j] + cur[r * n + j]
            st.i[b, r, j] = g
            cur[r * n + j] = 0.0
            total = g if r == 0 else total + g
            drive = drive + (nrn.e_rev[r, j] - v) * g
        st.isum[b, j] = total
        x = v + (drive + nrn.bias[j]) * nrn.params[N_K, j]
        count = st.ref[b, j]
        clamped = count > 0
        x = nrn.params[N_V_RESET, j] if clamped else x
        fired = (x > nrn.params[N_V_TH, j]) & (not clamped)
        st.ref[b, j] = refractory if fired else (count - 1 if clamped else count)
        st.v[b, j] = nrn.params[N_V_RESET, j] if fired else x
        st.hist[b, slot, n_src + j] = fired


@njit(cache=True)
def step_neurons(nrn, st, b, slot, lo, hi, n_src):
    """Every block's neurons within [lo, hi), each with its model's step."""
    for k in range(nrn.blocks.shape[0]):
        first, stop = max(nrn.blocks[k, 0], lo), min(nrn.blocks[k, 1], hi)
        if first < stop:
            if nrn.blocks[k, 2] == COND_ID:
                step_cond_block(nrn, st, b, slot, k, first, stop, n_src)
            else:
                step_block(nrn, st, b, slot, k, first, stop, n_src)


# ---- rules 4-5: plasticity -----------------------------------------------------------------
# (helpers called per synapse take arrays and numbers, not the namedtuples: passing those
# costs a reference count per array on every call)
@njit(cache=True)
def update_trace(x, spikes, decay, jump, saturate):
    """Rule 4 for one trace x (n,) driven by spikes (n,); True if x is nonzero anywhere."""
    nonzero = False
    for j in range(x.shape[0]):
        y = x[j] * decay
        if saturate:
            if spikes[j]:
                y = jump
        else:
            y = y + jump * (1.0 if spikes[j] else 0.0)
        x[j] = y
        nonzero |= y != 0.0
    return nonzero


@njit(cache=True)
def any_spike(spikes):
    for j in range(spikes.shape[0]):
        if spikes[j]:
            return True
    return False


@njit(cache=True)
def clip(x, lo, hi):
    """numpy's clip: min(max(x, lo), hi), NaN kept."""
    if np.isnan(x):
        return x
    x = x if x > lo else lo
    return x if x < hi else hi


@njit(cache=True, inline="always")
def side_values(kind, q, x, trace, spikes, w):
    """A factor's values over the elements of its side: a trace's per neuron, a spike
    factor's 0 or 1 per neuron (spikes (2, n_side): rows PRE and POST), the weights."""
    if kind == TRACE:
        return x[trace[q, 1]:trace[q, 1] + trace[q, 2]]
    if kind == WEIGHT:
        return w
    return spikes[kind]


@njit(cache=True, inline="always")
def multiply_by(out, n, values):
    """out[e] = out[e] * values[e] for e < n (the next factor of a run)."""
    for e in range(n):
        out[e] = out[e] * values[e]


@njit(cache=True)
def gathered(out, add, a, ia, v, iv):
    """out[s] = a[ia[s]] * v[iv[s]] per synapse s, or out[s] + that if `add`."""
    if add:
        for s in range(out.shape[0]):
            out[s] = out[s] + a[ia[s]] * v[iv[s]]
    else:
        for s in range(out.shape[0]):
            out[s] = a[ia[s]] * v[iv[s]]


@njit(cache=True, inline="always")
def dense_product(out, add, a, side_a, v, side_v, n_post):
    """gathered() for a dense projection (synapse s = i * n_post + j), row by row without
    gathers or array slices, in loops the compiler vectorises: a pre-side operand is one
    number per row, a post-side one the same row each time, a weight-side one the row
    itself. At most one operand is pre-side (a term's next factor is not on its leading
    run's side; products after it are weight-side); it goes first (x * y == y * x exactly)."""
    if side_v == PRE:
        a, side_a, v, side_v = v, side_v, a, side_a
    step_a = n_post if side_a == WEIGHT else 0      # where row i starts: i * step
    step_v = n_post if side_v == WEIGHT else 0
    for i in range(out.shape[0] // n_post):
        o, r = i * n_post, i * step_v
        if side_a == PRE:
            x = a[i]
            if add:
                for j in range(n_post):
                    out[o + j] = out[o + j] + x * v[r + j]
            else:
                for j in range(n_post):
                    out[o + j] = x * v[r + j]
        else:
            q = i * step_a
            if add:
                for j in range(n_post):
                    out[o + j] = out[o + j] + a[q + j] * v[r + j]
            else:
                for j in range(n_post):
                    out[o + j] = a[q + j] * v[r + j]


@njit(cache=True)
def add_gathered(dw, a, ia):
    """dw[s] = dw[s] + a[ia[s]] per synapse s (a term that is all one run)."""
    for s in range(dw.shape[0]):
        dw[s] = dw[s] + a[ia[s]]


@njit(cache=True)
def add_clipped(w, dw, lo, hi):
    """w = clip(w + dw, lo, hi) per synapse."""
    for s in range(w.shape[0]):
        w[s] = clip(w[s] + dw[s], lo, hi)


@njit(cache=True)
def as_float(spikes, out):
    """out[j] = 1.0 or 0.0: spike flags as the factor values of rule 5."""
    for j in range(spikes.shape[0]):
        out[j] = 1.0 if spikes[j] else 0.0


@njit(cache=True, inline="always")
def add_term(pl, k, dw, prod, lead, x, spikes, w, index, sizes, dense):
    """dw += term k at every synapse: ((coef * f1) * f2) ... The term's leading run of
    factors of one side is evaluated once per element of that side (pre neuron, post neuron
    or synapse: the same operations in the same order), the rest per synapse, factor by
    factor (dense: row by row). index (3, n_syn): each synapse's element of each side;
    sizes: (n_pre, n_post, n_syn)."""
    side, length = pl.term_lead[k, 0], pl.term_lead[k, 1]
    first, stop = pl.term_factors[k], pl.term_factors[k + 1]
    run = prod if side == WEIGHT else lead      # the run's values, per element of `side`
    n = sizes[side]
    for e in range(n):
        run[e] = pl.term_coef[k]
    for f in range(first, first + length):
        multiply_by(run, n, side_values(pl.factor[f, 0], pl.factor[f, 1], x, pl.trace,
                                        spikes, w))
    a, side_a = run, side
    if first + length == stop:
        add_gathered(dw, a, index[side_a])
    for f in range(first + length, stop):
        v, side_v = side_values(pl.factor[f, 0], pl.factor[f, 1], x, pl.trace, spikes, w), \
            pl.factor[f, 2]
        last = f == stop - 1
        out = dw if last else prod
        if dense:
            dense_product(out, last, a, side_a, v, side_v, sizes[POST])
        else:
            gathered(out, last, a, index[side_a], v, index[side_v])
        a, side_a = prod, WEIGHT


@njit(cache=True)
def learn(pl, st, b, t, ring):
    """Rules 4-5 for every plastic projection of trial b: traces, then per synapse
    dw = (t1 + t2) + ..., each term ((coef * f1) * f2) ...; w = clip(w + dw). Term by term
    over all synapses (add_term), dw kept per synapse from -0.0 (-0.0 + t = t exactly,
    w + -0.0 = w). A term with a factor that is zero at every neuron of the trial is
    skipped (as the numpy target skips it for the whole batch: the same values, at most the
    sign of a zero differs)."""
    post_all = st.hist[b, t % ring]
    x, skip, spikes = st.traces[b], st.term_skip[b], st.side_spikes[b]
    for p in range(pl.proj.shape[0]):
        row = pl.proj[p]
        pre = st.hist[b, (t - row[P_DELAY]) % ring, row[P_PRE]:row[P_PRE] + row[P_N_PRE]]
        post = post_all[row[P_POST]:row[P_POST] + row[P_N_POST]]
        for q in range(row[P_TRACE], row[P_TRACE_END]):
            first, length = pl.trace[q, 1], pl.trace[q, 2]
            st.trace_nonzero[b, q] = update_trace(
                x[first:first + length], pre if pl.trace[q, 0] == PRE else post,
                pl.trace_coef[q, 0], pl.trace_coef[q, 1], pl.trace[q, 3] != 0)
        any_pre, any_post = any_spike(pre), any_spike(post)
        as_float(pre, spikes[PRE])
        as_float(post, spikes[POST])
        lo, hi = row[P_SYN], row[P_SYN_END]
        w, dw, prod = st.w[b, lo:hi], st.dw[b, :hi - lo], st.prod[b, :hi - lo]
        index, sizes = pl.syn_index[:, lo:hi], (row[P_N_PRE], row[P_N_POST], hi - lo)
        dw[:] = -0.0
        for k in range(row[P_TERM], row[P_TERM_END]):
            skip[k] = False
            for f in range(pl.term_factors[k], pl.term_factors[k + 1]):
                kind = pl.factor[f, 0]
                skip[k] |= (kind == PRE and not any_pre) or (kind == POST and not any_post) \
                    or (kind == TRACE and not st.trace_nonzero[b, pl.factor[f, 1]])
            if not skip[k]:
                add_term(pl, k, dw, prod, st.lead[b], x, spikes, w, index, sizes,
                         row[P_DENSE] != 0)
        add_clipped(w, dw, pl.w_bounds[p, 0], pl.w_bounds[p, 1])


# ---- rule 1 (static): push this step's spikes ----------------------------------------------
@njit(cache=True)
def collect_spikes(st, b, slot):
    """This step's spiking indices of trial b into st.spikes[b], ascending; their count.
    Eight spike flags are tested at once (most are False)."""
    spikes, out = st.hist[b, slot], st.spikes[b]
    whole = spikes.shape[0] // 8 * 8
    words = spikes[:whole].view(np.uint64)
    n = 0
    for c in range(words.shape[0]):
        if words[c]:
            for j in range(8 * c, 8 * c + 8):
                if spikes[j]:
                    out[n] = j
                    n += 1
    for j in range(whole, spikes.shape[0]):
        if spikes[j]:
            out[n] = j
            n += 1
    return n


@njit(cache=True)
def propagate(tab, st, b, t, ring, n_spikes, part, payload):
    """Add the static synapses onto `part` leaving this step's spikes into the buffer slots
    of their arrival steps (t + d): spike by spike in index order, each in table order. A
    source event j adds payload[j] * w (payload: this step's source inputs of trial b,
    bool or integer payloads of graded sources), a neuron's spike w.
    The synapses lie anywhere in memory: those of the spike AHEAD places later are
    prefetched, and the index entries of the spike 2 * AHEAD places later."""
    spikes = st.spikes[b]
    n_parts = tab.bounds.shape[0] - 1
    for k in range(tab.delays.shape[0]):
        out = st.buf[b, (t + tab.delays[k]) % ring]
        start = tab.start[k]
        for q in range(n_spikes):
            if q + 2 * AHEAD < n_spikes:
                prefetch(start, spikes[q + 2 * AHEAD] * n_parts + part)
            if q + AHEAD < n_spikes:
                c = spikes[q + AHEAD] * n_parts + part
                for e in range(start[c], start[c + 1], 8):
                    prefetch(tab.target, e)
                    prefetch(tab.weight, e)
            j = spikes[q]
            c = j * n_parts + part
            if j < payload.shape[0]:
                amount = 1.0 * payload[j]
                for e in range(start[c], start[c + 1]):
                    out[tab.target[e]] += tab.weight[e] * amount
            else:
                for e in range(start[c], start[c + 1]):
                    out[tab.target[e]] += tab.weight[e]


@njit(cache=True)
def propagate_dynamic(dy, st, b, t, ring):
    """Rule 3d for every dynamic projection of trial b (in declaration order): u, x of each
    pre neuron step; a spike adds w * e at t + d, synapse by synapse in pre order."""
    spikes = st.hist[b, t % ring]
    for p in range(dy.proj.shape[0]):
        row = dy.proj[p]
        big_u, d_rec, d_fac = dy.coef[p, 0], dy.coef[p, 1], dy.coef[p, 2]
        u = st.stp_u[b, row[D_STATE]:row[D_STATE] + row[D_N_PRE]]
        x = st.stp_x[b, row[D_STATE]:row[D_STATE] + row[D_N_PRE]]
        for j in range(row[D_N_PRE]):
            uj = d_fac * u[j]
            xj = 1.0 - d_rec * (1.0 - x[j])
            if spikes[row[D_PRE] + j]:
                uj = uj + big_u * (1.0 - uj)
                e = uj * xj
                xj = xj - e
                for k in range(dy.csr_start[row[D_CSR] + j], dy.csr_start[row[D_CSR] + j + 1]):
                    st.buf[b, (t + dy.syn_delay[k]) % ring, dy.syn_slot[k]] += \
                        dy.syn_weight[k] * e
            u[j] = uj
            x[j] = xj


# ---- sources and probes --------------------------------------------------------------------
@njit(cache=True)
def write_sources(st, b, slot, src, k):
    spikes = st.hist[b, slot]
    for j in range(src.shape[2]):
        spikes[j] = src[b, k, j] != 0


@njit(cache=True)
def copy(source, out):
    for j in range(source.shape[0]):
        out[j] = source[j]


@njit(cache=True)
def record(pr, st, b, slot, k, spike_out, counts, var_out):
    """Step k's probes of trial b into the outputs (B, steps, columns) and counts."""
    spikes = st.hist[b, slot]
    col = 0
    for q in range(pr.spikes.shape[0]):
        first, length = pr.spikes[q, 0], pr.spikes[q, 1]
        copy(spikes[first:first + length], spike_out[b, k, col:col + length])
        col += length
    col = 0
    for q in range(pr.counts.shape[0]):
        first, length = pr.counts[q, 0], pr.counts[q, 1]
        fired, count = spikes[first:first + length], counts[b, col:col + length]
        for j in range(length):
            count[j] += fired[j]
        col += length
    col = 0
    for q in range(pr.vars.shape[0]):
        first, length, kind = pr.vars[q, 0], pr.vars[q, 1], pr.vars[q, 2]
        source = st.v[b] if kind == V else (st.isum[b] if kind == I else st.a[b])
        copy(source[first:first + length], var_out[b, k, col:col + length])
        col += length


# ---- the step loop ---------------------------------------------------------------------
def step_loop(plastic: bool, parallel: bool):
    """The compiled step loop, specialised: without plastic projections their code is not
    compiled at all (a cold start compiles less); `parallel` steps the parts of each step on
    numba's threads (used only for large networks: parallel code takes about twice as long
    to compile, and each step synchronises the threads twice)."""
    def run(nrn, tab, pl, dy, pr, st, src, t0, k0, k1, b0, b1, ring, spike_out, counts,
            var_out):
        """Steps k0 <= k < k1 of trials b0 <= b < b1 of a run that began at step t0 (src:
        (B, steps, S) the sources' spikes of the run, bool or int64 payloads where a source
        is graded; outputs (B, steps, ...)). Every
        current slot belongs to one part, so parts in parallel keep each slot's sum in
        order; without the GIL, other threads may run other trials at the same time."""
        n_parts = tab.bounds.shape[0] - 1
        for b in range(b0, b1):
            for k in range(k0, k1):
                t = t0 + k
                slot = t % ring
                if plastic:
                    deliver_plastic(pl, st, b, t, ring)
                for part in prange(n_parts):
                    step_neurons(nrn, st, b, slot, tab.bounds[part], tab.bounds[part + 1],
                                 src.shape[2])
                write_sources(st, b, slot, src, k)
                if plastic:
                    learn(pl, st, b, t, ring)
                n_spikes = collect_spikes(st, b, slot)
                for part in prange(n_parts):
                    propagate(tab, st, b, t, ring, n_spikes, part, src[b, k])
                propagate_dynamic(dy, st, b, t, ring)
                record(pr, st, b, slot, k, spike_out, counts, var_out)
    return njit(cache=True, nogil=True, parallel=parallel)(run)


#: (plastic, parallel) -> the step loop; each compiled when first used
STEP_LOOPS = {(plastic, parallel): step_loop(plastic, parallel)
              for plastic in (False, True) for parallel in (False, True)}


# ---- building the static tables ------------------------------------------------------------
@njit(cache=True)
def count_by_part(pre, slot, bounds, n_neurons, counts):
    """counts[pre * n_parts + p + 1] += 1 for each synapse, p the part of its slot."""
    n_parts = bounds.shape[0] - 1
    for e in range(pre.shape[0]):
        counts[pre[e] * n_parts + part_of(slot[e] % n_neurons, bounds) + 1] += 1


@njit(cache=True)
def scatter_by_part(pre, slot, weight, bounds, n_neurons, cursor, target_out, weight_out):
    """Place each synapse at cursor[pre * n_parts + p] (then advanced): grouped by pre, then
    part, stably."""
    n_parts = bounds.shape[0] - 1
    for e in range(pre.shape[0]):
        c = pre[e] * n_parts + part_of(slot[e] % n_neurons, bounds)
        target_out[cursor[c]] = slot[e]
        weight_out[cursor[c]] = weight[e]
        cursor[c] += 1


@njit(cache=True)
def part_of(neuron, bounds):
    """The part whose neuron range [bounds[p], bounds[p + 1]) holds `neuron`."""
    p = 0
    while neuron >= bounds[p + 1]:
        p += 1
    return p
