"""Figures of the transformer experiments (matplotlib, no pyplot state): each returns a
Figure; experiments.py saves them."""
from __future__ import annotations

import numpy as np


def _figure(ncols: int = 1, width: float = 5.0, height: float = 3.6):
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width * ncols, height), layout="constrained")
    return fig, [fig.add_subplot(1, ncols, k + 1) for k in range(ncols)]


def training(curves: dict, title: str):
    """Training loss (nats) per epoch of each run in curves {label: Trained}."""
    fig, (ax,) = _figure()
    for label, trained in curves.items():
        ax.plot(np.arange(1, len(trained.losses) + 1), trained.losses, "o-", ms=3,
                label=f"{label} ({trained.seconds:.0f} s)")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (cross-entropy, nats)")
    ax.set_title(title)
    ax.legend()
    return fig


def targets(per_target: dict, baseline: float, measure: str, title: str):
    """`measure` ('accuracy' or 'bits') on each target (test samples in brackets), the
    baseline as a line."""
    fig, (ax,) = _figure()
    names = list(per_target)
    values = [per_target[n][measure] for n in names]
    ax.bar([f"{n}\n({per_target[n]['samples']})" for n in names], values, color="tab:blue")
    for k, v in enumerate(values):
        ax.text(k, v, f"{v:.3f}", ha="center", va="bottom", fontsize=8)
    ax.axhline(baseline, color="tab:red", ls="--", label="non-spiking baseline")
    ax.set_ylabel("test accuracy" if measure == "accuracy" else "bits per character")
    ax.set_title(title)
    ax.legend(loc="lower right")
    return fig


def raster(spikes: dict, hops: dict, title: str):
    """One sample's spikes {population: bool (steps, n)} stacked bottom-up in network
    order; a tick at each population's hop (the step the first frame reaches it)."""
    fig, (ax,) = _figure(1, 7.0, 5.0)
    base, ticks = 0, []
    for name, s in spikes.items():
        t, k = np.nonzero(s)
        ax.plot(t, base + k, "|", ms=1.5, color="k")
        ax.plot([hops[name]], [base + s.shape[1] / 2], ">", color="tab:red", ms=4)
        ticks.append((base + s.shape[1] / 2, name))
        base += s.shape[1] + 8
    ax.set_yticks([y for y, _ in ticks], [n for _, n in ticks], fontsize=6)
    ax.set_xlabel("step (dt = 1 ms); red: hop of the first frame")
    ax.set_title(title)
    return fig
