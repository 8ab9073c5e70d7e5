"""A trainable projection head with a CLIP-style contrastive loss for cross-modal retrieval.

Two linear maps take standardised reservoir features of modality a (e.g. image events) and
modality b (e.g. audio events) into one d-dimensional space (unit vectors). Training
(torch) pulls together the embeddings of samples that share a label and pushes apart the
others: the symmetric cross-entropy of the similarity matrix scaled by a learned
temperature, with every same-label pair a positive (Radford et al. 2021, with labels as the
pairing). The trained head is plain numpy data; torch is needed only to train it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spikemem.errors import ModelError


@dataclass
class ContrastiveHead:
    """Linear projections of two modalities into one space; embed_* give unit vectors."""

    mean_a: np.ndarray
    scale_a: np.ndarray
    w_a: np.ndarray  # (features_a, dim)
    mean_b: np.ndarray
    scale_b: np.ndarray
    w_b: np.ndarray  # (features_b, dim)
    temperature: float
    step: int = 0  # the training step this head is from

    def embed_a(self, features) -> np.ndarray:
        return _unit(((np.asarray(features, float) - self.mean_a) / self.scale_a) @ self.w_a)

    def embed_b(self, features) -> np.ndarray:
        return _unit(((np.asarray(features, float) - self.mean_b) / self.scale_b) @ self.w_b)


def _unit(z: np.ndarray) -> np.ndarray:
    return z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)


def _stats(f: np.ndarray):
    mean, scale = f.mean(axis=0), f.std(axis=0)
    scale[scale == 0] = 1.0
    return mean, scale


def train_contrastive(fa, ya, fb, yb, *, dim: int = 64, epochs: int = 300, per_class: int = 8,
                      lr: float = 1e-3, weight_decay: float = 1e-3,
                      temperature: float | None = 1.0, validation=None, check_every: int = 10,
                      seed: int = 0) -> ContrastiveHead:
    """Train the two projections on features fa (n_a, features_a) / fb (n_b, features_b)
    with labels ya / yb: `epochs` Adam steps (lr, weight decay), each on `per_class`
    samples of every label from each modality.

    temperature: fixed softmax temperature (Lin et al. 2025 use 1.0), or None to learn it
        (starting at 0.1). validation: None, or a function head -> score (higher is better,
        e.g. retrieval on held-out samples of the training labels: see validation_score),
        called every `check_every` steps; the best head is returned (early stopping; its
        step in `head.step`). Returns the trained ContrastiveHead."""
    import torch
    fa, fb = np.asarray(fa, float), np.asarray(fb, float)
    ya, yb = np.asarray(ya), np.asarray(yb)
    if fa.ndim != 2 or fb.ndim != 2 or ya.shape != (len(fa),) or yb.shape != (len(fb),):
        raise ModelError("train_contrastive needs fa (n_a, features), ya (n_a,), fb (n_b, "
                         "features), yb (n_b,)")
    classes = np.intersect1d(ya, yb)
    if classes.size < 2:
        raise ModelError("train_contrastive needs at least two labels present in both modalities")
    if temperature is not None and not temperature > 0:
        raise ModelError(f"train_contrastive: temperature={temperature!r} must be > 0 or None "
                         "(learned)")
    (ma, sa), (mb, sb) = _stats(fa), _stats(fb)
    za = torch.tensor((fa - ma) / sa, dtype=torch.float32)
    zb = torch.tensor((fb - mb) / sb, dtype=torch.float32)
    gen = torch.Generator().manual_seed(seed)
    proj_a = torch.nn.Linear(fa.shape[1], dim, bias=False)
    proj_b = torch.nn.Linear(fb.shape[1], dim, bias=False)
    for p in (proj_a, proj_b):
        torch.nn.init.normal_(p.weight, std=1.0 / np.sqrt(p.in_features), generator=gen)
    learned = temperature is None
    log_t = torch.nn.Parameter(torch.tensor(np.log(0.1 if learned else temperature),
                                            dtype=torch.float32), requires_grad=learned)
    params = list(proj_a.parameters()) + list(proj_b.parameters()) + ([log_t] if learned else [])
    opt = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
    rng = np.random.default_rng(seed)
    idx_a = {c: np.flatnonzero(ya == c) for c in classes}
    idx_b = {c: np.flatnonzero(yb == c) for c in classes}
    labels = torch.tensor(np.repeat(classes, per_class))
    same = (labels[:, None] == labels[None, :]).float()
    target = same / same.sum(dim=1, keepdim=True)

    def head(step: int) -> ContrastiveHead:
        with torch.no_grad():
            t = float(log_t.exp().clamp(min=0.01))
        return ContrastiveHead(ma, sa, proj_a.weight.detach().numpy().T.astype(float), mb, sb,
                               proj_b.weight.detach().numpy().T.astype(float), t, step)

    best, best_score = None, -1.0
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread is many times faster than several
    try:
        for step in range(1, epochs + 1):
            _step(torch, opt, proj_a, proj_b, log_t, za, zb, idx_a, idx_b, classes, per_class,
                  rng, target)
            if validation is not None and (step % check_every == 0 or step == epochs):
                current = head(step)
                score = validation(current)
                if score > best_score:
                    best, best_score = current, score
    finally:
        torch.set_num_threads(threads)
    return head(epochs) if best is None else best


def _step(torch, opt, proj_a, proj_b, log_t, za, zb, idx_a, idx_b, classes, per_class, rng,
          target):
    """One optimiser step on a batch of `per_class` samples per label from each modality."""
    pick_a = np.concatenate([rng.choice(idx_a[c], per_class) for c in classes])
    pick_b = np.concatenate([rng.choice(idx_b[c], per_class) for c in classes])
    ea = torch.nn.functional.normalize(proj_a(za[pick_a]), dim=1)
    eb = torch.nn.functional.normalize(proj_b(zb[pick_b]), dim=1)
    logits = ea @ eb.T / log_t.exp().clamp(min=0.01)
    loss = -(target * logits.log_softmax(dim=1)).sum(1).mean() \
        - (target * logits.T.log_softmax(dim=1)).sum(1).mean()
    opt.zero_grad()
    (loss / 2).backward()
    opt.step()


def validation_score(fa, ya, fb, yb):
    """A validation function for train_contrastive: the head's mean top-1 retrieval a -> b
    and b -> a on held-out features fa / fb with labels ya / yb."""
    def score(head: ContrastiveHead) -> float:
        ea, eb = head.embed_a(fa), head.embed_b(fb)
        return 0.5 * (retrieval_accuracy(ea, ya, eb, yb) + retrieval_accuracy(eb, yb, ea, ya))
    return score


def retrieval_accuracy(queries, query_labels, gallery, gallery_labels) -> float:
    """Top-1 retrieval: fraction of queries whose most similar gallery item (cosine) has
    the query's label. queries (n, d), gallery (m, d) embeddings."""
    sim = np.asarray(queries) @ np.asarray(gallery).T
    return float(np.mean(np.asarray(gallery_labels)[sim.argmax(axis=1)] ==
                         np.asarray(query_labels)))


def prototype_accuracy(queries, query_labels, gallery, gallery_labels) -> float:
    """Zero-shot classification: each query takes the label of the nearest class mean
    (normalised) of the gallery embeddings."""
    gallery_labels = np.asarray(gallery_labels)
    classes = np.unique(gallery_labels)
    protos = _unit(np.stack([np.asarray(gallery)[gallery_labels == c].mean(0) for c in classes]))
    pred = classes[(np.asarray(queries) @ protos.T).argmax(axis=1)]
    return float(np.mean(pred == np.asarray(query_labels)))
