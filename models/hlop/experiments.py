"""HLOP experiments for `spikemem experiment NAME --target T --out DIR`: hlop-permuted and
hlop-split (the continual-learning comparisons of spikemem.continual), hlop-loihi-hebbian
(the Hebbian subspace circuit alone, on numpy and a chip target), hlop-circuit-angles
(its precision against width, subspace size and eigen-gap, angles.py) and hlop-rate-form
(the circuit's rate form over seeds at n = 256, rate_form.py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from spikemem.errors import ModelError
from spikemem.files import write_json

from .circuit import learn_subspace, schedule_for
from .schedule import principal_angles


def _continual(config_name: str, out_dir: Path, target: str, quick: bool) -> dict:
    from spikemem.continual import load_config, run
    cfg = load_config(config_name)
    cfg.setdefault("evaluate", {})["targets"] = sorted({"numpy", target})
    metrics = run(cfg, 1 if quick else 3, out_dir, quick=quick)
    return {name: {k: m[k] for k in ("acc", "acc_std", "bwt", "bwt_std")}
            for name, m in metrics.items()}


def permuted_experiment(out_dir: Path, target: str = "numpy", quick: bool = False) -> dict:
    """Permuted digits, 10 tasks: HLOP vs fine-tuning vs EWC vs multitask (3 seeds)."""
    return _continual("permuted_digits", Path(out_dir), target, quick)


def split_experiment(out_dir: Path, target: str = "numpy", quick: bool = False) -> dict:
    """Split digits, 5 tasks of 2 classes: HLOP vs fine-tuning vs EWC vs multitask."""
    return _continual("split_digits", Path(out_dir), target, quick)


def hebbian_experiment(out_dir: Path, target: str = "loihi2", quick: bool = False) -> dict:
    """The Hebbian phase alone, as HLOP runs it over two tasks: the subspace circuit learns
    k neurons on synthetic data, they are frozen, and k2 new neurons learn what they leave;
    on numpy and on `target` (default loihi2). Writes hebbian.json (the learned rows and
    the angles) and returns the angles (degrees): of the first k rows to the SVD's top k,
    of all k + k2 rows to the top k + k2, and of each target's subspace to numpy's."""
    from spikemem.errors import UnsupportedFeatureError
    from spikemem.targets import targets as available
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    n, k, k2 = (6, 2, 2) if quick else (8, 3, 2)
    spread = np.array([3.0, 2.2, 1.5, 1.0, 0.25, 0.2] if quick else
                      [3.0, 2.4, 1.8, 1.2, 0.8, 0.25, 0.2, 0.15])
    basis = np.linalg.qr(rng.standard_normal((n, n)))[0]
    x = (rng.standard_normal((80 if quick else 150, n)) * spread) @ basis.T
    top = np.linalg.svd(x, full_matrices=False)[2]
    summary = {"n": n, "k": k, "k_added": k2, "samples": len(x)}
    for tgt in sorted({"numpy", "loihi2" if target == "numpy" else target}):
        if tgt not in available():
            summary[tgt] = "target not installed"
            continue
        try:
            h = learn_subspace(x, k, target=tgt, **schedule_for(tgt))
            frozen = np.linalg.qr(h.T)[0].T          # the first task's neurons, frozen
            added = learn_subspace(x, k2, target=tgt, frozen=frozen, **schedule_for(tgt))
        except UnsupportedFeatureError as e:
            summary[tgt] = f"unsupported: {e}"
            continue
        both = np.vstack([frozen, added])
        summary[tgt] = {"principal_angles_deg": principal_angles(h, top[:k]).tolist(),
                        "after_adding_deg": principal_angles(both, top[:k + k2]).tolist(),
                        "h": h, "added": added}
    if isinstance(summary.get("numpy"), dict):
        ref = np.vstack([summary["numpy"]["h"], summary["numpy"]["added"]])
        for tgt, r in summary.items():
            if tgt != "numpy" and isinstance(r, dict):
                r["vs_numpy_deg"] = principal_angles(np.vstack([r["h"], r["added"]]),
                                                     ref).tolist()
    write_json(out_dir / "hebbian.json", summary)
    return {tgt: ({key: v for key, v in r.items() if key.endswith("_deg")}
                  if isinstance(r, dict) else r) for tgt, r in summary.items()}


#: (n, k) of the width sweep, and the gaps of the gap sweep (at n = 16, k = 4)
WIDTHS = [(16, 4), (64, 4), (64, 16), (64, 32), (256, 4), (256, 16), (256, 32)]
GAPS = [0.02, 0.05, 0.1, 0.2, 0.4]


def angles_experiment(out_dir: Path, target: str = "loihi2", quick: bool = False) -> dict:
    """The circuit's principal angles on numpy and `target`: the gap sweep (n = 16, k = 4,
    300 samples) and, unless quick, the widths WIDTHS on the 1/i spectrum (samples
    max(300, 4 n)). Writes angles.json (resumable) and angle_vs_gap.png; returns
    {target: largest angle per case}."""
    from .angles import plot, sweep
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    targets = sorted({"numpy", target})
    cases = [(t, 16, 4, 300, g) for t in targets for g in (GAPS[1::2] if quick else GAPS)]
    if not quick:
        cases += [(t, n, k, max(300, 4 * n), None) for n, k in WIDTHS for t in targets]
    records = sweep(cases, out_dir / "angles.json")
    plot([r for r in records if r["gap_set"] is not None], out_dir / "angle_vs_gap.png")
    return {t: {f"n{r['n']} k{r['k']} gap {r['gap']:.3f}": max(r["angles_deg"])
                for r in records if r["target"] == t} for t in targets}


#: epochs of the n = 256, k = 32 circuit in the numpy budget (benchmarks/hlop_width_budget.py)
BUDGET_EPOCHS = 33
#: the rate form's schedules (label -> learn_subspace_rate options): learn_subspace's own,
#: and a start 3.3 times higher with drift told over 4 epochs (what met n = 256 at seed 1
#: in an earlier probe; other schedules: docs/models/hlop.md)
RATE_SCHEDULES = {"default schedule": {}, "start 0.083, window 4": {"eta": 0.083, "window": 4}}


def rate_form_experiment(out_dir: Path, target: str = "numpy", quick: bool = False) -> dict:
    """The circuit's rate form (float64, no spikes; rate_form.py) at n = 256, k = 32 on the
    1/i spectrum (1024 samples), seeds 0-9, for the budget's BUDGET_EPOCHS epochs under
    each of RATE_SCHEDULES: how far the rule itself gets at each sample gap, in seconds a
    run where the circuit takes minutes (quick: n = 64, k = 16, 300 samples, seeds 0-2).
    Writes rate_form.json (resumable) and rate_form_vs_gap.png; returns {schedule:
    {"seed s, gap g": largest angle (deg)}}."""
    from .angles import RATE_FORM, plot, sweep
    if target != "numpy":
        raise ModelError(f"hlop-rate-form runs the rate equations in float64, on no target; "
                         f"leave out --target (got {target!r})")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    n, k, samples, seeds = (64, 16, 300, range(3)) if quick else (256, 32, 1024, range(10))
    cases = [(RATE_FORM, n, k, samples, None, seed, {**options, "epochs": BUDGET_EPOCHS})
             for options in RATE_SCHEDULES.values() for seed in seeds]
    records = sweep(cases, out_dir / "rate_form.json")
    for name, options in RATE_SCHEDULES.items():
        for r in records:
            if r["options"] == {**options, "epochs": BUDGET_EPOCHS}:
                r["label"] = f"rate form, {name}"
    plot(records, out_dir / "rate_form_vs_gap.png", lines=False, bar_deg=5.0)
    return {name: {f"seed {r['seed']}, gap {r['gap']:.3f}": max(r["angles_deg"])
                   for r in records if r["label"] == f"rate form, {name}"}
            for name in RATE_SCHEDULES}


EXPERIMENTS = {
    "hlop-permuted": permuted_experiment,
    "hlop-split": split_experiment,
    "hlop-loihi-hebbian": hebbian_experiment,
    "hlop-circuit-angles": angles_experiment,
    "hlop-rate-form": rate_form_experiment,
}
