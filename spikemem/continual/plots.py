"""Plots of a continual-learning run: accuracy-matrix heat maps and accuracy per task
over training (one line per task j: R[i, j] against the task i just trained)."""
from __future__ import annotations

from pathlib import Path

import numpy as np


def plot_all(metrics: dict, folder) -> list[Path]:
    """Write matrix.png and curves.png into `folder`; returns their paths."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    names = list(metrics)
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.2), squeeze=False)
    for ax, name in zip(axes[0], names):
        r = np.asarray(metrics[name]["matrix"])
        im = ax.imshow(r * 100, vmin=0, vmax=100, cmap="viridis")
        ax.set_title(f"{name}\nACC {metrics[name]['acc']:.1%} BWT {metrics[name]['bwt']:+.1%}",
                     fontsize=9)
        ax.set_xticks(range(len(r)))
        ax.set_yticks(range(len(r)))
        ax.tick_params(labelsize=7)
        ax.set_xlabel("test task j")
    axes[0][0].set_ylabel("after training task i")
    fig.colorbar(im, ax=axes[0].tolist(), shrink=0.8, label="accuracy (%)")
    paths = [folder / "matrix.png"]
    fig.savefig(paths[0], dpi=110, bbox_inches="tight")
    plt.close(fig)
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.0), squeeze=False,
                             sharey=True)
    for ax, name in zip(axes[0], names):
        r = np.asarray(metrics[name]["matrix"])
        for j in range(len(r)):
            ax.plot(range(j, len(r)), r[j:, j] * 100, marker=".", lw=1)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("tasks trained")
    axes[0][0].set_ylabel("test accuracy (%)")
    paths.append(folder / "curves.png")
    fig.savefig(paths[1], dpi=110, bbox_inches="tight")
    plt.close(fig)
    return paths
