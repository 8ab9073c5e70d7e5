"""The LSM experiments behind `spikemem experiment lsm-*`: fn(out_dir, target, quick) -> dict.

Each writes `<name>-<target>.json` (atomically) and its plots `lsm_<name>_<target>.png`
into out_dir; lsm-xor and lsm-zeroshot also write their headline numbers as metrics.json.
`quick` runs a reduced version (subsets, fewer sizes/seeds/epochs).
"""
from __future__ import annotations

import importlib.util
import io
import time
from pathlib import Path

import numpy as np

import spikemem as sm
from spikemem.files import write_atomic, write_json

from . import graz
from . import zeroshot as zs
from .data import event_digits, spoken_digits
from .readout import bin_counts, fit_logistic, fit_ridge
from .reservoir import MAASS_C, Reservoir

RIDGE_ALPHA = 10.0
BINS = 2
TAU_MS = 20.0


# ---- output helpers -----------------------------------------------------------------------

def _write_json(out_dir: Path, name: str, target: str, obj: dict) -> Path:
    path = Path(out_dir) / f"{name}-{target}.json"
    write_json(path, obj)
    return path


def _save(fig, out_dir: Path, name: str, target: str) -> str:
    """Save a matplotlib Figure as lsm_<name>_<target>.png (atomically); returns the name."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    fname = f"lsm_{name}_{target}.png"
    write_atomic(Path(out_dir) / fname, buf.getvalue())
    return fname


def _figure(ncols: int = 1, width: float = 5.0, height: float = 3.6):
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    return fig, [fig.add_subplot(1, ncols, k + 1) for k in range(ncols)]


def _subset(x, y, n: int, seed: int):
    """At most n samples: a random subset drawn with `seed`, in the original order."""
    if n >= len(y):
        return x, y
    keep = np.sort(np.random.default_rng(seed).permutation(len(y))[:n])
    return x[keep], y[keep]


def _data(name: str, quick: bool):
    x_tr, y_tr, x_te, y_te = event_digits() if name == "event_digits" else spoken_digits()
    if quick:
        x_tr, y_tr = _subset(x_tr, y_tr, 600, 1)
        x_te, y_te = _subset(x_te, y_te, 300, 2)
    return x_tr, y_tr, x_te, y_te


def _features(res: Reservoir, x_tr, x_te, target: str):
    f = res.features(np.concatenate([x_tr, x_te]), target=target, bins=BINS, tau=TAU_MS)
    return f[:len(x_tr)], f[len(x_tr):]


# ---- lsm-digits ---------------------------------------------------------------------------

RESERVOIR_SEEDS = {"event_digits": 0, "spoken_digits": 1}


def _classify(name: str, target: str, quick: bool) -> dict:
    x_tr, y_tr, x_te, y_te = _data(name, quick)
    res = Reservoir(n_inputs=x_tr.shape[2], n=200, seed=RESERVOIR_SEEDS[name])
    t0 = time.perf_counter()
    f_tr, f_te = _features(res, x_tr, x_te, target)
    seconds = time.perf_counter() - t0
    ridge = fit_ridge(f_tr, y_tr, RIDGE_ALPHA)
    logistic = fit_logistic(f_tr, y_tr, c=0.1)
    # baseline without a liquid: the same readout on input event counts per channel and bin
    raw = fit_ridge(bin_counts(x_tr, BINS), y_tr, RIDGE_ALPHA)
    return {"no_liquid_ridge": raw.accuracy(bin_counts(x_te, BINS), y_te),
            "samples_train": len(y_tr), "samples_test": len(y_te), "steps": x_tr.shape[1],
            "channels": x_tr.shape[2], "neurons": res.n, "synapses": res.network.n_synapses,
            "ridge": ridge.accuracy(f_te, y_te), "logistic": logistic.accuracy(f_te, y_te),
            "reservoir_seconds": seconds, "predicted": ridge.predict(f_te).tolist(),
            "labels": y_te.tolist()}


def digits(out_dir: Path, target: str, quick: bool) -> dict:
    """Event digits and spoken digits: 200-neuron reservoir + linear readout on a target."""
    rows = {}
    for name in ("event_digits", "spoken_digits"):
        row = _classify(name, target, quick)
        if target != "numpy":
            ref = _classify(name, "numpy", quick)
            row["numpy_ridge"] = ref["ridge"]
            row["delta_points"] = 100 * (row["ridge"] - ref["ridge"])
            row["within_2_points"] = abs(row["delta_points"]) <= 2.0
        rows[name] = row
    plots = [_plot_confusion(rows["event_digits"], out_dir, target),
             _plot_example(out_dir, target)]
    table = {k: {m: v for m, v in r.items() if m not in ("predicted", "labels")}
             for k, r in rows.items()}
    summary = {"experiment": "lsm-digits", "target": target, "quick": quick,
               "readout": f"ridge alpha={RIDGE_ALPHA}, logistic C=0.1; features: spike counts "
                          f"in {BINS} bins + traces tau {TAU_MS} ms",
               "results": table, "plots": plots}
    _write_json(out_dir, "lsm-digits", target, {**summary, "predictions": rows})
    return summary


def _plot_confusion(row: dict, out_dir: Path, target: str) -> str:
    conf = np.zeros((10, 10), dtype=int)
    np.add.at(conf, (np.array(row["labels"]), np.array(row["predicted"])), 1)
    fig, (ax,) = _figure(1, 4.2, 3.8)
    im = ax.imshow(conf, cmap="Blues")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true digit")
    ax.set_xticks(range(10))
    ax.set_yticks(range(10))
    ax.set_title(f"event digits, ridge readout ({target}): {row['ridge']:.1%}")
    fig.colorbar(im, ax=ax, shrink=0.8)
    return _save(fig, out_dir, "digits_confusion", target)


def _plot_example(out_dir: Path, target: str) -> str:
    """One event digit: events per pixel, input raster and reservoir raster."""
    x_tr, y_tr, _, _ = event_digits()
    x = x_tr[:1]
    res = Reservoir(n_inputs=x.shape[2], n=200, seed=RESERVOIR_SEEDS["event_digits"])
    spikes = res.states(x, target=target)[0]
    half = x.shape[2] // 2
    side = int(round(np.sqrt(half)))
    img = (x[0, :, half:].sum(0) + x[0, :, :half].sum(0)).reshape(side, side)
    fig, axes = _figure(3, 3.6, 3.2)
    axes[0].imshow(img, cmap="gray_r")
    axes[0].set_title(f"digit {y_tr[0]}: events per pixel")
    for ax, raster, what in ((axes[1], x[0], "input channel"), (axes[2], spikes, "neuron")):
        t, k = np.nonzero(raster)
        ax.plot(t, k, "|", ms=2, color="k")
        ax.set_xlabel("step (1 ms)")
        ax.set_ylabel(what)
    axes[1].set_title("saccade events (OFF < 100 <= ON)")
    axes[2].set_title(f"reservoir spikes ({target})")
    return _save(fig, out_dir, "digits_example", target)


# ---- lsm-sweep ----------------------------------------------------------------------------

def sweep(out_dir: Path, target: str, quick: bool) -> dict:
    """Accuracy on event digits vs reservoir size (grid, random, none) and vs lambda."""
    x_tr, y_tr, x_te, y_te = _data("event_digits", quick)
    sizes = [25, 100] if quick else [25, 50, 100, 200, 400]
    seeds = [0] if quick else [0, 1, 2]
    lams = [1.0, 2.0, 4.0] if quick else [0.5, 1.0, 2.0, 4.0, 8.0]
    rows = []

    def run(**kw):
        res = Reservoir(n_inputs=x_tr.shape[2], **kw)
        f_tr, f_te = _features(res, x_tr, x_te, target)
        return fit_ridge(f_tr, y_tr, RIDGE_ALPHA).accuracy(f_te, y_te), res.recurrent.nnz

    no_recurrence = {pair: 0.0 for pair in MAASS_C}
    for conn in ("grid", "random", "none"):
        for n in sizes:
            for seed in seeds:
                acc, syn = run(n=n, seed=seed, connectivity=conn) if conn != "none" else \
                    run(n=n, seed=seed, c=no_recurrence)
                rows.append({"sweep": "size", "connectivity": conn, "n": n, "lam": 2.0,
                             "seed": seed, "recurrent_synapses": syn, "accuracy": acc})
    for lam in lams:
        for seed in seeds:
            acc, syn = run(n=135, seed=seed, lam=lam, grid=(15, 3, 3))
            rows.append({"sweep": "lambda", "connectivity": "grid", "n": 135, "lam": lam,
                         "seed": seed, "recurrent_synapses": syn, "accuracy": acc})
    fig, (a, b) = _figure(2)
    labels = {"grid": "grid (lambda 2)", "random": "random (same density)",
              "none": "no recurrent synapses"}
    for conn, style in (("grid", "o-"), ("random", "s--"), ("none", "^:")):
        m, s = _mean_std(rows, "size", conn, "n", sizes)
        a.errorbar(sizes, m, s, fmt=style, label=labels[conn])
    a.set_xscale("log")
    a.set_xlabel("reservoir neurons")
    a.set_ylabel("test accuracy (event digits)")
    a.legend()
    m, s = _mean_std(rows, "lambda", "grid", "lam", lams)
    b.errorbar(lams, m, s, fmt="o-")
    b.set_xscale("log")
    b.set_xlabel("lambda (grid units), 15x3x3 grid")
    b.set_ylabel("test accuracy")
    plot = _save(fig, out_dir, "sweep", target)
    summary = {"experiment": "lsm-sweep", "target": target, "quick": quick,
               "samples_train": len(y_tr), "samples_test": len(y_te), "rows": rows,
               "plots": [plot]}
    _write_json(out_dir, "lsm-sweep", target, summary)
    return summary


def _mean_std(rows, sweep_name, conn, key, values):
    acc = [[r["accuracy"] for r in rows if r["sweep"] == sweep_name and
            r["connectivity"] == conn and r[key] == v] for v in values]
    return np.array([np.mean(a) for a in acc]), np.array([np.std(a) for a in acc])


# ---- lsm-separation -----------------------------------------------------------------------

def _move_spikes(u: np.ndarray, fraction: float, rng) -> np.ndarray:
    """A copy of u (steps, n) with `fraction` of its spikes moved to random empty places."""
    v = u.copy()
    on = np.flatnonzero(v)
    moved = rng.choice(on, int(round(fraction * on.size)), replace=False)
    v.flat[moved] = False
    free = np.flatnonzero(~v)
    v.flat[rng.choice(free, moved.size, replace=False)] = True
    return v


def _filtered(spikes: np.ndarray, tau_steps: float) -> np.ndarray:
    """Exponentially filtered spikes (samples, steps, n), x_t = e^(-1/tau) x_(t-1) + s_t."""
    out = np.empty(spikes.shape)
    x = np.zeros((spikes.shape[0], spikes.shape[2]))
    decay = np.exp(-1.0 / tau_steps)
    for t in range(spikes.shape[1]):
        x = decay * x + spikes[:, t]
        out[:, t] = x
    return out


def _gaussian_filtered(spikes: np.ndarray, sigma: float) -> np.ndarray:
    from scipy.ndimage import gaussian_filter1d
    return gaussian_filter1d(spikes.astype(float), sigma, axis=1, mode="constant")


def separation(out_dir: Path, target: str, quick: bool) -> dict:
    """Separation property (Maass 2002): state distance vs input distance over time."""
    fractions = [0.0, 0.05, 0.1, 0.2, 0.4] if not quick else [0.0, 0.1, 0.4]
    pairs = 8 if quick else 32
    steps, n_in, p = 100, 200, 0.02
    rng = np.random.default_rng(0)
    us, vs, levels = [], [], []
    for f in fractions:
        for _ in range(pairs):
            u = rng.random((steps, n_in)) < p
            us.append(u)
            vs.append(_move_spikes(u, f, rng))
            levels.append(f)
    u, v, levels = np.stack(us), np.stack(vs), np.array(levels)
    d_in = np.linalg.norm(_gaussian_filtered(u, 5.0) - _gaussian_filtered(v, 5.0),
                          axis=2).mean(axis=1)
    curves = {}
    fig, (a, b) = _figure(2)
    for conn, style in (("grid", "o-"), ("random", "s--")):
        res = Reservoir(n_inputs=n_in, n=135, seed=0, connectivity=conn, grid=(15, 3, 3))
        states = res.states(np.concatenate([u, v]), target=target)
        xs = _filtered(states, TAU_MS / res.network.dt)
        dist = np.linalg.norm(xs[:len(u)] - xs[len(u):], axis=2)  # (pairs, steps)
        curves[conn] = {
            "state_distance_vs_time": {str(f): dist[levels == f].mean(0).tolist()
                                       for f in fractions},
            "input_distance": [float(d_in[levels == f].mean()) for f in fractions],
            "mean_state_distance": [float(dist[levels == f][:, 10:].mean()) for f in fractions],
        }
        if conn == "grid":
            for f in fractions:
                a.plot(dist[levels == f].mean(0),
                       label=f"d(u,v) = {d_in[levels == f].mean():.2f}")
        b.plot(curves[conn]["input_distance"], curves[conn]["mean_state_distance"], style,
               label=conn)
    a.set_xlabel("time (steps of 1 ms)")
    a.set_ylabel("state distance ||x_u(t) - x_v(t)||")
    a.set_title("15x3x3 grid liquid, lambda 2")
    a.legend(fontsize=8)
    b.set_xlabel("input distance d(u, v)")
    b.set_ylabel("mean state distance (t >= 10)")
    b.legend()
    plot = _save(fig, out_dir, "separation", target)
    summary = {"experiment": "lsm-separation", "target": target, "quick": quick,
               "moved_fraction": fractions, "pairs_per_level": pairs,
               "input": f"{n_in} Poisson channels, {p * 1000:.0f} Hz, {steps} steps; v = u "
                        "with a fraction of spikes moved; d(u,v): mean over t of the L2 "
                        "distance of Gaussian-filtered (sigma 5 steps) trains",
               "state": f"L2 distance of reservoir spikes filtered with tau {TAU_MS} ms",
               "curves": curves, "plots": [plot]}
    _write_json(out_dir, "lsm-separation", target, summary)
    return summary


# ---- lsm-zeroshot -------------------------------------------------------------------------

ZEROSHOT_SEEDS = (0, 1, 2)


def zeroshot(out_dir: Path, target: str, quick: bool) -> dict:
    """Zero-shot audio/image retrieval as Lin et al. 2025: head trained on digits 1-7, early
    stopped on a seen-class validation split, tested on 8-9; 3 seeds, and the diagnosis."""
    feats = {}
    for name in ("spoken_digits", "event_digits"):
        x_tr, y_tr, x_te, y_te = _data(name, quick)
        res = Reservoir(n_inputs=x_tr.shape[2], n=200, seed=RESERVOIR_SEEDS[name])
        f_tr, f_te = _features(res, x_tr, x_te, target)
        feats[name] = (f_tr, y_tr, f_te, y_te)
    audio, image = feats["spoken_digits"], feats["event_digits"]
    runs = [zs.run_seed(audio, image, seed, epochs=300 if quick else 600)
            for seed in ZEROSHOT_SEEDS]
    table = {}
    for direction in ("audio_to_image", "image_to_audio"):
        table[direction] = {}
        for key in runs[0][direction]:
            values = [r[direction][key] for r in runs]
            table[direction][key] = float(np.mean(values))
            table[direction][f"{key}_std"] = float(np.std(values))
    chance = {"seen_top1": 1 / len(zs.SEEN), "unseen_top1": 1 / len(zs.UNSEEN)}
    fig, (ax,) = _figure(1, 6.0)
    keys = ["seen_top1", "unseen_top1", "unseen_top1_best_on_test"]
    for k, (direction, row) in enumerate(table.items()):
        ax.bar(np.arange(len(keys)) + 0.35 * k, [row[m] for m in keys], 0.35,
               yerr=[row[f"{m}_std"] for m in keys], label=direction.replace("_", " "))
    ax.plot(np.arange(2) + 0.175, [chance[m] for m in keys[:2]], "k_", ms=30, label="chance")
    ax.set_xticks(np.arange(len(keys)) + 0.175)
    ax.set_xticklabels(["seen 1-7", "unseen 8-9", "unseen 8-9, step\npicked on 8-9 (paper)"])
    ax.set_ylabel("top-1 retrieval")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=8)
    plot = _save(fig, out_dir, "zeroshot", target)
    summary = {"experiment": "lsm-zeroshot", "target": target, "quick": quick,
               "trained_on": zs.SEEN, "zero_shot": zs.UNSEEN, "seeds": list(ZEROSHOT_SEEDS),
               "head": zs.HEAD, "results": table, "per_seed": runs, "chance": chance,
               "diagnosis": zs.posterior_alignment(audio, image),
               "other_splits": [] if quick else _other_splits(audio, image), "plots": [plot]}
    _write_json(out_dir, "lsm-zeroshot", target, summary)
    write_json(Path(out_dir) / "metrics.json",
               {d: {k: table[d][k] for k in ("seen_top1", "unseen_top1")} for d in table})
    return summary


#: unseen pairs (of digits 1-9) where the diagnosis finds both classes aligned in both
#: directions, or none: does it predict retrieval?
ZEROSHOT_OTHER_SPLITS = ((1, 6), (2, 7), (4, 7), (4, 9))


def _other_splits(audio, image) -> list:
    """The protocol and the diagnosis for other unseen pairs (the rest of 1-9 seen)."""
    rows = []
    for pair in ZEROSHOT_OTHER_SPLITS:
        seen, unseen = [c for c in range(1, 10) if c not in pair], list(pair)
        runs = [zs.run_seed(audio, image, seed, 600, seen=seen, unseen=unseen)
                for seed in ZEROSHOT_SEEDS]
        aligned = zs.posterior_alignment(audio, image, seen=seen, unseen=unseen)["aligned"]
        rows.append({"unseen": unseen, "aligned": aligned,
                     **{d: float(np.mean([r[d]["unseen_top1"] for r in runs]))
                        for d in ("audio_to_image", "image_to_audio")}})
    return rows


# ---- lsm-xor ------------------------------------------------------------------------------

def xor(out_dir: Path, target: str, quick: bool) -> dict:
    """The Graz LSM benchmark: XOR of two spike bursts from a 1250-neuron liquid with
    Tsodyks-Markram synapses, beside no liquid and beside the same network on NEST."""
    n_stimuli, dt = (100 if quick else 300), 1.0
    net = graz.liquid(dt=dt, seed=0)
    x, readout, targets = graz.xor_stimulus(n_stimuli, dt=dt, seed=1)
    t0 = time.perf_counter()
    spikes = sm.compile(net, target=target).run(len(x), inputs={"inputs": x}).spikes["E"]
    seconds = time.perf_counter() - t0
    recorded = slice(0, graz.N_RECORDED)
    liquid = graz.xor_accuracy(graz.filtered_states(spikes[:, recorded], readout, dt), targets)
    no_liquid = graz.xor_accuracy(graz.filtered_states(x, readout, dt), targets)
    missing = [m for m in ("pyNN", "nest") if importlib.util.find_spec(m) is None]
    nest = None if missing else graz.nest_spikes(net, {"inputs": x}, len(x))["E"]
    nest_acc = None if nest is None else graz.xor_accuracy(
        graz.filtered_states(nest[:, recorded], readout, dt), targets)
    seconds_sim = len(x) * dt / 1000
    rates = {"E": float(spikes.mean() / dt * 1000)}
    if nest is not None:
        rates["E_nest"] = float(nest.mean() / dt * 1000)
    metrics = {"liquid_accuracy": liquid, "no_liquid_accuracy": no_liquid,
               "nest_liquid_accuracy": nest_acc}
    fig, (ax,) = _figure(1, 5.0)
    bars = {"liquid\n(" + target + ")": liquid, "no liquid\n(inputs)": no_liquid}
    if nest_acc is not None:
        bars["liquid\n(NEST)"] = nest_acc
    ax.bar(list(bars), list(bars.values()), color=["C0", "C7", "C1"][:len(bars)])
    ax.axhline(0.5, color="k", lw=0.8, ls=":", label="chance")
    ax.set_ylabel("XOR test accuracy")
    ax.set_ylim(0, 1)
    ax.legend()
    plot = _save(fig, out_dir, "xor", target)
    summary = {"experiment": "lsm-xor", "target": target, "quick": quick, **metrics,
               "stimuli": n_stimuli, "test_stimuli": graz.test_size(n_stimuli),
               "simulated_s": seconds_sim, "dt_ms": dt, "run_seconds": seconds,
               "rates_hz": rates,
               "nest_missing": f"needs {missing}: pip install 'spikemem[pynn]'" if missing
               else None, "plots": [plot]}
    _write_json(out_dir, "lsm-xor", target, summary)
    write_json(Path(out_dir) / "metrics.json", metrics)
    return summary


# ---- lsm-throughput -----------------------------------------------------------------------

def throughput(out_dir: Path, target: str, quick: bool) -> dict:
    """Samples per second through the 200-neuron reservoir on a target, per batch size."""
    x, _, _, _ = event_digits()
    n = 128 if quick else 512
    x = x[:n]
    res = Reservoir(n_inputs=x.shape[2], n=200, seed=0)
    res.states(x[:2], target=target, batch_size=2)  # warm-up (imports, code generation)
    rows = []
    for batch in ([1, 16, 128] if quick else [1, 16, 64, 256]):
        t0 = time.perf_counter()
        res.states(x, target=target, batch_size=batch)
        seconds = time.perf_counter() - t0
        rows.append({"batch_size": batch, "samples": n, "seconds": seconds,
                     "samples_per_s": n / seconds,
                     "steps_per_s": n * x.shape[1] / seconds})
    fig, (ax,) = _figure(1)
    ax.plot([r["batch_size"] for r in rows], [r["samples_per_s"] for r in rows], "o-",
            label=target)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("batch size")
    ax.set_ylabel(f"samples / s ({x.shape[1]} steps each)")
    ax.legend()
    plot = _save(fig, out_dir, "throughput", target)
    summary = {"experiment": "lsm-throughput", "target": target, "quick": quick,
               "neurons": res.n, "steps_per_sample": x.shape[1], "rows": rows,
               "plots": [plot]}
    _write_json(out_dir, "lsm-throughput", target, summary)
    return summary


EXPERIMENTS = {"lsm-digits": digits, "lsm-sweep": sweep, "lsm-separation": separation,
               "lsm-zeroshot": zeroshot, "lsm-throughput": throughput, "lsm-xor": xor}
