"""Zero-shot cross-modal retrieval as Lin et al. (2025, LSM-CLIP-ATV) ran it, and why it
succeeds or fails on a given pair of data sets.

Protocol: the projection head is trained on digits 1-7 (0 is not used), on the training
split minus a seen-class validation split (VALIDATION_FRACTION per class) that picks the
step to keep (early stopping); seen accuracy is top-1 retrieval among the held-out test
samples of 1-7, unseen accuracy among every sample of 8 and 9 (never trained on).

Diagnosis (`posterior_alignment`): a head trained on seen classes can only place an unseen
class where its similarity to the seen classes puts it. Per modality, a logistic readout of
the seen classes gives each unseen class its mean posterior over them; zero-shot retrieval
of an unseen class can work only where its posterior in one modality is closer (cosine) to
its own posterior in the other modality than to the other unseen class's.
"""
from __future__ import annotations

import numpy as np

from .contrastive import (prototype_accuracy, retrieval_accuracy, train_contrastive,
                          validation_score)
from .readout import fit_logistic

SEEN = list(range(1, 8))
UNSEEN = [8, 9]
VALIDATION_FRACTION = 0.2
#: the head as in the paper (projection dim 64, temperature 1.0, Adam 1e-3, feature batches
#: of 8 per class) plus weight decay; `epochs` counts optimiser steps
HEAD = dict(dim=64, temperature=1.0, lr=1e-3, per_class=8, weight_decay=1e-3)


def _validation_split(y: np.ndarray, seed: int) -> np.ndarray:
    """Bool mask of VALIDATION_FRACTION of each class's samples, drawn with `seed`."""
    rng = np.random.default_rng(seed)
    mask = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        mask[idx[:int(round(VALIDATION_FRACTION * idx.size))]] = True
    return mask


def run_seed(audio, image, seed: int, epochs: int, seen=SEEN, unseen=UNSEEN) -> dict:
    """One seed of the protocol (seen / unseen: the class split). audio, image: (f_tr, y_tr,
    f_te, y_te) liquid features and labels. Returns {direction: {seen_top1, unseen_top1,
    unseen_prototype, unseen_top1_best_on_test}} (fractions) and the kept step;
    `unseen_top1_best_on_test` picks the step by the unseen classes' own accuracy, as the
    paper's script keeps checkpoints by test accuracy (an upper bound, not a result)."""
    a_tr, ya_tr, a_te, ya_te = audio
    i_tr, yi_tr, i_te, yi_te = image
    sa, si = np.isin(ya_tr, seen), np.isin(yi_tr, seen)
    va, vi = _validation_split(ya_tr[sa], seed), _validation_split(yi_tr[si], seed + 1000)
    fa, ya, fb, yb = a_tr[sa], ya_tr[sa], i_tr[si], yi_tr[si]
    ya_all, yi_all = np.r_[ya_tr, ya_te], np.r_[yi_tr, yi_te]
    ua, ui = np.isin(ya_all, unseen), np.isin(yi_all, unseen)
    unseen = (np.r_[a_tr, a_te][ua], ya_all[ua], np.r_[i_tr, i_te][ui], yi_all[ui])
    ta, ti = np.isin(ya_te, seen), np.isin(yi_te, seen)
    seen = (a_te[ta], ya_te[ta], i_te[ti], yi_te[ti])
    on_test = []
    check = validation_score(fa[va], ya[va], fb[vi], yb[vi])

    def validate(head) -> float:
        on_test.append(_directions(head, *unseen, prototype=False))
        return check(head)

    head = train_contrastive(fa[~va], ya[~va], fb[~vi], yb[~vi], epochs=epochs, seed=seed,
                             validation=validate, **HEAD)
    out = {}
    for direction, s_row in _directions(head, *seen, prototype=False).items():
        u_row = _directions(head, *unseen, prototype=True)[direction]
        out[direction] = {"seen_top1": s_row["top1"], "unseen_top1": u_row["top1"],
                          "unseen_prototype": u_row["prototype"],
                          "unseen_top1_best_on_test": max(r[direction]["top1"]
                                                          for r in on_test)}
    return {**out, "kept_step": head.step}


def _directions(head, fa, ya, fb, yb, prototype: bool) -> dict:
    """Top-1 retrieval (and class-prototype accuracy) audio -> image and image -> audio."""
    ea, eb = head.embed_a(fa), head.embed_b(fb)
    rows = {}
    for name, (q, yq, g, yg) in (("audio_to_image", (ea, ya, eb, yb)),
                                 ("image_to_audio", (eb, yb, ea, ya))):
        rows[name] = {"top1": retrieval_accuracy(q, yq, g, yg)}
        if prototype:
            rows[name]["prototype"] = prototype_accuracy(q, yq, g, yg)
    return rows


def posterior_alignment(audio, image, c: float = 0.01, seen=SEEN, unseen=UNSEEN) -> dict:
    """Per modality, the mean posterior over the seen classes of each unseen class
    (logistic readout of the seen classes, training split, inverse regularisation c), and
    the cosine between modalities: cosine[audio class][image class]. `aligned`: per
    direction, the unseen classes whose own class is the most similar in the other
    modality (where zero-shot retrieval can succeed)."""
    posteriors = {}
    for name, (f_tr, y_tr, f_te, y_te) in (("audio", audio), ("image", image)):
        keep = np.isin(y_tr, seen)
        readout = fit_logistic(f_tr[keep], y_tr[keep], c=c)
        f, y = np.r_[f_tr, f_te], np.r_[y_tr, y_te]
        posteriors[name] = {u: _softmax(readout.scores(f[y == u])).mean(0) for u in unseen}
    cos = {a: {b: _cosine(posteriors["audio"][a], posteriors["image"][b]) for b in unseen}
           for a in unseen}
    aligned = {"audio_to_image": [u for u in unseen if max(cos[u], key=cos[u].get) == u],
               "image_to_audio": [u for u in unseen
                                  if max(unseen, key=lambda a: cos[a][u]) == u]}
    return {"seen_classes": list(seen),
            "posterior": {m: {str(u): p.round(3).tolist() for u, p in ps.items()}
                          for m, ps in posteriors.items()},
            "cosine": {str(a): {str(b): round(v, 3) for b, v in row.items()}
                       for a, row in cos.items()},
            "aligned": aligned}


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _cosine(x: np.ndarray, y: np.ndarray) -> float:
    return float(x @ y / (np.linalg.norm(x) * np.linalg.norm(y)))
