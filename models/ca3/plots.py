"""Figures of the CA3 experiments (matplotlib, Agg backend), written atomically as PNG."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from spikemem.files import atomic_path


def _figure(rows: int, width: float = 10.0, height: float = 1.2):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt, plt.subplots(rows, 1, figsize=(width, 0.8 + height * rows), sharex=True,
                             squeeze=False)


def _save(plt, fig, path: Path) -> str:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return str(path)


def raster(path, title: str, layers: list[tuple[str, np.ndarray]], n_cues: int) -> str:
    """One panel per (name, bool (steps, n)) layer, stacked as in the paper's figures; in the
    "in"/"out" layers cue neurons are orange and content neurons blue."""
    plt, (fig, axes) = _figure(len(layers))
    for ax, (name, spikes) in zip(axes[:, 0], layers):
        t, k = np.nonzero(spikes)
        if name in ("in", "out"):
            cue = k < n_cues
            ax.scatter(t[cue], k[cue], s=6, c="tab:orange", label="cue")
            ax.scatter(t[~cue], k[~cue], s=6, c="tab:blue", label="content")
        else:
            ax.scatter(t, k, s=6, c="k")
        ax.set_ylabel(name, rotation=0, ha="right", fontsize=8)
        ax.set_ylim(-0.5, max(spikes.shape[1], 1) - 0.5)
        ax.tick_params(labelsize=7)
    axes[0, 0].set_title(title, fontsize=10)
    axes[-1, 0].set_xlabel("step (1 ms)")
    return _save(plt, fig, path)


def curves(path, title: str, xlabel: str, ylabel: str, series: dict) -> str:
    """Line plot of series {label: (x, y)}."""
    plt, (fig, axes) = _figure(1, width=6.0, height=3.5)
    ax = axes[0, 0]
    for label, (x, y) in series.items():
        ax.plot(x, y, marker="o", label=label)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(-0.02, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(plt, fig, path)
