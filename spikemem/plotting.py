"""Raster plots of recorded spikes (matplotlib, Agg backend: no screen needed)."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def raster(result, path, title: str = "", trial: int = 0) -> Path:
    """Write a raster of every recorded spike train in `result` to `path` (PNG).

    One panel per population/source; x in ms (step * dt), y the neuron index.
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(result.spikes)
    fig, axes = plt.subplots(len(names) or 1, 1, figsize=(8, 1.2 + 1.6 * max(len(names), 1)),
                             sharex=True, squeeze=False)
    for ax, name in zip(axes[:, 0], names):
        s = result.spikes[name]
        s = s[trial] if s.ndim == 3 else s
        steps, neurons = np.nonzero(s)
        ax.scatter((result.t_start + steps) * result.dt, neurons, s=2, marker="|", color="k")
        ax.set_ylabel(f"{name}\nneuron")
        ax.set_ylim(-0.5, s.shape[1] - 0.5)
        rate = s.sum() / max(s.shape[1], 1) / (s.shape[0] * result.dt / 1000.0)
        ax.set_title(f"{name}: {int(s.sum())} spikes, {rate:.1f} Hz mean", fontsize=9, loc="left")
    axes[-1, 0].set_xlabel("time (ms)")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
