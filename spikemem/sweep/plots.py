"""Plots of a sweep: each metric against each swept parameter (one panel each), mean ± std
over seeds, one line per setting of the other swept parameters. Files: PLOTS/<metric>.png."""
from __future__ import annotations

import io
import re
from pathlib import Path

from ..files import write_atomic
from .tables import STD_DDOF


def _numeric(values) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def plot_metrics(table, sweep, metrics: list[str], folder) -> list[Path]:
    """One PNG per metric that varies over the sweep (a constant says nothing)."""
    ok = table[table["status"] == "ok"]
    if ok.empty or not sweep.swept:
        return []
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return [_plot(ok, sweep, metric, folder) for metric in metrics
            if ok[metric].astype(float).nunique(dropna=True) > 1]


def _plot(ok, sweep, metric: str, folder: Path) -> Path:
    from matplotlib.figure import Figure
    fig = Figure(figsize=(4.6 * len(sweep.swept), 3.4))
    fig.subplots_adjust(wspace=0.35)
    for k, param in enumerate(sweep.swept):
        _panel(fig.add_subplot(1, len(sweep.swept), k + 1), ok, sweep, metric, param)
    fig.suptitle(f"{sweep.experiment}: {metric} (mean ± std over {len(sweep.seeds)} seeds)",
                 fontsize=9)
    path = folder / f"{_safe(metric)}.png"
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    write_atomic(path, buf.getvalue())
    return path


def _panel(ax, ok, sweep, metric: str, param: str) -> None:
    others = [p for p in sweep.swept if p != param]
    xs = list(dict.fromkeys(ok[param]))
    numeric = _numeric(xs)
    if numeric:
        xs.sort()
    lines = ok.groupby(others, sort=False) if others else [((), ok)]
    for key, group in lines:
        key = key if isinstance(key, tuple) else (key,)
        by = group[metric].astype(float).groupby(group[param])
        mean, std = by.mean(), by.std(ddof=STD_DDOF)
        at = [x for x in xs if x in mean.index]
        pos = at if numeric else [xs.index(x) for x in at]
        label = ", ".join(f"{p}={v}" for p, v in zip(others, key)) or None
        ax.errorbar(pos, mean.loc[at], std.loc[at], fmt="o-", capsize=3, label=label)
    if numeric and min(xs) > 0 and max(xs) / min(xs) >= 10:
        ax.set_xscale("log")
        ax.minorticks_off()
    ax.set_xticks(xs if numeric else range(len(xs)))
    ax.set_xticklabels([f"{x:g}" if numeric else str(x) for x in xs])
    ax.set_xlabel(param)
    ax.set_ylabel(metric)
    if others:   # below the panel, so that it hides no line
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
