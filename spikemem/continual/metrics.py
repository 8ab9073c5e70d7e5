"""Continual-learning metrics from the accuracy matrix (Lopez-Paz & Ranzato 2017).

R[i, j]: test accuracy (fraction) on task j after training on tasks 0..i, shape (T, T).
b[j]: accuracy on task j of the network before any training (for FWT).
"""
from __future__ import annotations

import numpy as np

from ..errors import ModelError


def _matrix(r) -> np.ndarray:
    r = np.asarray(r, dtype=np.float64)
    if r.ndim != 2 or r.shape[0] != r.shape[1] or r.shape[0] < 1:
        raise ModelError(f"accuracy matrix must be square (tasks, tasks), got shape {r.shape}")
    return r


def acc(r) -> float:
    """ACC: mean accuracy over all tasks after the last one, mean_j R[T-1, j]."""
    r = _matrix(r)
    return float(r[-1].mean())


def bwt(r) -> float:
    """BWT: mean over j < T-1 of R[T-1, j] - R[j, j] (negative = forgetting; 0 for 1 task)."""
    r = _matrix(r)
    if len(r) < 2:
        return 0.0
    return float(np.mean(r[-1, :-1] - np.diag(r)[:-1]))


def fwt(r, baseline) -> float:
    """FWT: mean over j > 0 of R[j-1, j] - b[j] (b: accuracies of the untrained network)."""
    r = _matrix(r)
    b = np.asarray(baseline, dtype=np.float64)
    if b.shape != (len(r),):
        raise ModelError(f"FWT baseline must have one accuracy per task ({len(r)}), got {b.shape}")
    if len(r) < 2:
        return 0.0
    return float(np.mean([r[j - 1, j] - b[j] for j in range(1, len(r))]))


def accuracy(scores: np.ndarray, labels: np.ndarray, classes=None) -> float:
    """Fraction of samples whose highest score is their label; with `classes`, the argmax
    runs over those classes only (task-incremental evaluation)."""
    scores = np.asarray(scores)
    labels = np.asarray(labels)
    if len(labels) == 0:
        raise ModelError("accuracy of an empty test set is undefined")
    if classes is not None:
        cls = np.asarray(classes)
        pred = cls[np.argmax(scores[:, cls], axis=1)]
    else:
        pred = np.argmax(scores, axis=1)
    return float(np.mean(pred == labels))


def summarize(matrices: list, baselines: list | None = None) -> dict:
    """Mean and std over seeds of ACC, BWT (and FWT) plus the mean matrix."""
    accs = [acc(m) for m in matrices]
    bwts = [bwt(m) for m in matrices]
    out = {"acc": float(np.mean(accs)), "acc_std": float(np.std(accs)),
           "bwt": float(np.mean(bwts)), "bwt_std": float(np.std(bwts)),
           "matrix": np.mean(np.asarray(matrices, dtype=np.float64), axis=0).tolist(),
           "per_seed": {"acc": accs, "bwt": bwts}}
    if baselines is not None:
        fwts = [fwt(m, b) for m, b in zip(matrices, baselines)]
        out.update(fwt=float(np.mean(fwts)), fwt_std=float(np.std(fwts)))
        out["per_seed"]["fwt"] = fwts
    return out


def markdown_table(metrics: dict) -> str:
    """The results as a markdown table: per method ACC, BWT, FWT (%, mean ± std over seeds)
    and the first seed's final network's accuracy on each spikemem target it was run on
    (the runner runs only that seed's network on the targets)."""
    targets = sorted({t for m in metrics.values() for t, r in m.get("targets", {}).items()
                      if isinstance(r, dict)})

    def pm(m, key):
        return f"{100 * m[key]:+.1f} ± {100 * m[key + '_std']:.1f}" if key in m else "—"

    head = ["method", "ACC (%)", "BWT (%)", "FWT (%)"] + [f"{t} ACC (%, first seed)"
                                                        for t in targets]
    rows = [head, ["---"] * len(head)]
    for name, m in metrics.items():
        on = m.get("targets", {})
        rows.append([name, f"{100 * m['acc']:.1f} ± {100 * m['acc_std']:.1f}", pm(m, "bwt"),
                     pm(m, "fwt")] + [f"{100 * on[t]['acc']:.1f}" if isinstance(on.get(t), dict)
                                      else "—" for t in targets])
    return "\n".join("| " + " | ".join(r) + " |" for r in rows) + "\n"
