"""How precisely the spiking Hebbian circuit learns a principal subspace, per width, number
of subspace neurons, eigen-gap and target: principal angles (degrees) of
`learn_subspace` against the SVD, and the plot of the largest angle against the gap.

Data: rows x = z diag(sqrt(lambda)) B^T (z standard normal, B a random orthonormal basis)
with lambda_i = 1 / i (a decaying spectrum), or with a set relative gap g at k:
lambda_i = 1 / i for i <= k and (1 - g) / (i - 1) beyond, so lambda_k+1 = (1 - g) lambda_k.
The gap reported is the sample's, 1 - s_k+1^2 / s_k^2 of the singular values s.
`RATE_FORM` in place of a target measures the circuit's rate form (rate_form.py) instead.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from spikemem.errors import ModelError
from spikemem.files import atomic_path, write_json

from .circuit import learn_subspace, schedule_for
from .rate_form import learn_subspace_rate
from .schedule import principal_angles

#: measure's and sweep's name for the circuit's rate form in place of a target
RATE_FORM = "rate-form"


def spectrum(n: int, k: int, gap: float | None = None) -> np.ndarray:
    """Variances lambda (n,): 1 / i, or with relative gap `gap` at k (see module)."""
    i = np.arange(1, n + 1, dtype=np.float64)
    lam = 1.0 / i
    if gap is not None:
        lam[k:] = (1.0 - gap) / (i[k:] - 1.0)
    return lam


def sample(n: int, k: int, samples: int, gap: float | None = None, seed: int = 0):
    """(x (samples, n), sample gap at k) with the variances of `spectrum`."""
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((n, n)))[0]
    x = (rng.standard_normal((samples, n)) * np.sqrt(spectrum(n, k, gap))) @ basis.T
    s = np.linalg.svd(x, compute_uv=False) ** 2
    return x, float(1.0 - s[k] / s[k - 1]) if k < n else 1.0


def measure(target: str, n: int, k: int, samples: int, gap: float | None = None,
            seed: int = 0, target_options: dict | None = None, **options) -> dict:
    """One case: the circuit on `target` (learn_subspace with `options`), or its rate form
    (target RATE_FORM, learn_subspace_rate); angles (degrees, ascending) to the SVD's top
    k, the sample gap, seconds (wall clock) with the 1-minute load average at the end,
    epochs, the circuit's steps (for the rate form: those its epochs stand for), the options
    given (but a progress callback) and the schedule's history [(eta, moved deg)]."""
    x, sample_gap = sample(n, k, samples, gap, seed)
    top = np.linalg.svd(x, full_matrices=False)[2][:k]
    start = time.perf_counter()
    if target == RATE_FORM:
        if target_options:
            raise ModelError(f"measure: the rate form runs on no target; drop target_options "
                             f"{sorted(target_options)}")
        h, info = learn_subspace_rate(x, k, seed=seed, return_info=True, **options)
    else:
        h, info = learn_subspace(x, k, target, seed=seed, target_options=target_options,
                                 return_info=True, **{**schedule_for(target), **options})
    return {"target": target, "n": n, "k": k, "samples": samples, "gap_set": gap, "seed": seed,
            "gap": sample_gap, "angles_deg": principal_angles(h, top).tolist(),
            "seconds": time.perf_counter() - start, "epochs": info["epochs"],
            "steps": info["steps"], "present": info["present"], "rest": info["rest"],
            "averaged": info["averaged"], "history": info["history"],
            "options": {key: v for key, v in options.items() if key != "progress"},
            "load": os.getloadavg()[0], "row_norms": np.linalg.norm(h, axis=1).tolist()}


def sweep(cases, out: Path, log=print) -> list:
    """Run cases [(target, n, k, samples, gap[, seed[, options]])] not yet in out (a JSON
    list, rewritten atomically after each, so an interrupted sweep resumes); options: a
    dict of learn_subspace's (or learn_subspace_rate's) arguments. Returns all records."""
    out = Path(out)
    import json
    done = json.loads(out.read_text()) if out.exists() else []
    have = {_key(r["target"], r["n"], r["k"], r["samples"], r["gap_set"], r.get("seed", 0),
                 r.get("options", {})) for r in done}
    for case in cases:
        if _key(*case) in have:
            continue
        seed = case[5] if len(case) > 5 else 0
        options = case[6] if len(case) > 6 else {}
        record = measure(*case[:5], seed, **options)
        done.append(record)
        write_json(out, done)
        log(f"{case}: max {max(record['angles_deg']):.1f} deg in {record['seconds']:.0f} s")
    return done


def _key(target, n, k, samples, gap, seed=0, options=None) -> tuple:
    return target, n, k, samples, gap, seed, tuple(sorted((options or {}).items()))


#: plot markers per target (others: circles)
MARKERS = {"loihi2": "s", "spinnaker": "^"}


def plot(records, path: Path, lines: bool = True, bar_deg: float | None = None) -> None:
    """Largest principal angle against the sample's relative gap at k (log-log), one
    series per record's "label" (default: its target); lines: join a series' points in
    order of gap (else markers only, for seeds); bar_deg: a dashed line at that angle."""
    import matplotlib
    import matplotlib.ticker
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8.5, 4.0))
    labels = sorted({r.get("label", r["target"]) for r in records})
    for i, label in enumerate(labels):
        rs = sorted((r for r in records if r.get("label", r["target"]) == label),
                    key=lambda r: r["gap"])
        ax.plot([r["gap"] for r in rs], [max(r["angles_deg"]) for r in rs],
                MARKERS.get(rs[0]["target"], "o") + ("-" if lines else ""),
                color=plt.cm.tab20(i % 20), label=label)
    if bar_deg is not None:
        ax.axhline(bar_deg, color="0.3", linestyle="--", linewidth=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("relative eigen-gap at k, 1 - s²(k+1) / s²(k)")
    ax.set_ylabel("largest principal angle (deg)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110)
    plt.close(fig)
