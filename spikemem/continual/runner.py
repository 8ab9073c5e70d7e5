"""Run a continual-learning experiment: every method x seed over the task sequence.

After each task the accuracy row R[i, :] is measured on every task's test set and a
checkpoint is written atomically; a rerun with the same config and output folder resumes
from the last finished task and gives the same matrix as an uninterrupted run (all
randomness is drawn from generators seeded by (seed, task)). Results: `metrics.json`
(per method: acc, bwt, fwt as fractions, mean and std over seeds, the mean matrix, and the
final network's accuracy on spikemem targets), `results.md` (the same as a table),
`run.json` (config, seeds) and plots.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ModelError, UnsupportedFeatureError
from ..files import write_atomic, write_json
from . import checkpoint
from .config import fingerprint, resolve
from .data import SCENARIOS, make_tasks
from .methods import TrainConfig, build_method
from .metrics import accuracy, markdown_table, summarize
from .snn import SpikingMLP, _torch, evaluate_on_target


class Interrupted(Exception):
    """Raised by run_one(stop_after=k) after task k's checkpoint (used to test resume)."""


def build_tasks(cfg: dict, seed: int):
    t = cfg["tasks"]
    return make_tasks(t["dataset"], t["sequence"], t["n_tasks"], seed=seed,
                      data_dir=t.get("data_dir"), limit_train=t.get("limit_train"),
                      limit_test=t.get("limit_test"), canvas=t.get("canvas"))


def build_model(cfg: dict, tasks, seed: int) -> SpikingMLP:
    net = cfg["network"]
    n_out = max(max(t.classes) for t in tasks) + 1
    return SpikingMLP([tasks[0].n_features, *net["hidden"], n_out], tau_mem=net["tau_mem"],
                      steps=net["steps"], seed=seed, init_gain=net["init_gain"])


def _row(model, tasks, scenario) -> np.ndarray:
    return np.array([accuracy(model.predict(t.x_test), t.y_test,
                              t.classes if scenario == "task" else None) for t in tasks])


def run_one(cfg: dict, method_name: str, seed: int, ckpt: Path, tasks=None,
            stop_after: int | None = None, progress=None) -> dict:
    """Train one method with one seed over all tasks (resuming from `ckpt` if it exists).

    Returns {'matrix': (T, T), 'baseline': (T,), 'model': SpikingMLP}.
    """
    torch = _torch()
    torch.set_num_threads(1)
    tasks = tasks if tasks is not None else build_tasks(cfg, seed)
    scenario = SCENARIOS[cfg["tasks"]["sequence"]]
    n = len(tasks)
    model = build_model(cfg, tasks, seed)
    method = build_method(method_name, cfg["methods"][method_name])
    train = TrainConfig(**{k: cfg["train"][k] for k in ("epochs", "lr", "momentum", "batch",
                                                         "online")})
    text = fingerprint(cfg)
    if ckpt.exists():
        state = checkpoint.load(ckpt)
        if state["config"] != text:
            raise ModelError(f"checkpoint {ckpt} belongs to another config: use another --out "
                             "folder or delete it")
        model.load_state_dict(state["model"])
        method.load_state_dict(state["method"])
        matrix, baseline, done = state["matrix"].copy(), state["baseline"].copy(), state["done"]
    else:
        matrix, baseline, done = np.zeros((n, n)), _row(model, tasks, scenario), 0
    for i in range(done, n):
        rng = np.random.default_rng([seed, i])
        method.train_task(model, tasks, i, train, rng, scenario=scenario)
        matrix[i] = _row(model, tasks, scenario)
        checkpoint.save(ckpt, model=model.state_dict(), method=method.state_dict(),
                        matrix=matrix, done=i + 1, baseline=baseline, config=text)
        if progress is not None:
            progress.update(1)
        if stop_after is not None and i == stop_after:
            raise Interrupted(f"stopped after task {i}")
    return {"matrix": matrix, "baseline": baseline, "model": model}


def target_accuracy(cfg: dict, model, tasks) -> dict:
    """Accuracy (last row mean) of the trained network run on each configured target; a
    target that cannot express the network is reported as 'unsupported: ...'."""
    from ..targets import targets as available
    scenario = SCENARIOS[cfg["tasks"]["sequence"]]
    k = int(cfg["evaluate"]["samples"])
    net = model.to_network()
    out = {}
    wanted = cfg["evaluate"]["targets"]
    for target in (available() if wanted == "all" else wanted):
        if target not in available():
            out[target] = "not installed"
            continue
        try:
            accs = [accuracy(evaluate_on_target(net, t.x_test[:k], model.steps, target),
                             t.y_test[:k], t.classes if scenario == "task" else None)
                    for t in tasks]
        except UnsupportedFeatureError as e:
            out[target] = f"unsupported: {e}"
            continue
        torch_accs = [accuracy(model.predict(t.x_test[:k]), t.y_test[:k],
                               t.classes if scenario == "task" else None) for t in tasks]
        out[target] = {"acc": float(np.mean(accs)), "torch_acc": float(np.mean(torch_accs)),
                       "samples_per_task": k}
    return out


def run(config: dict, seeds, out, quick: bool = False, progress: bool = True) -> dict:
    """Run every method for every seed; writes out/metrics.json, out/run.json, plots.

    config: a raw config dict (see config.py); seeds: an int N (seeds 0..N-1) or a list.
    """
    from tqdm import tqdm

    from .plots import plot_all
    cfg = resolve(config, quick)
    seeds = list(range(int(seeds))) if np.ndim(seeds) == 0 else [int(s) for s in seeds]
    if not seeds:
        raise ModelError("need at least one seed")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    n_tasks = cfg["tasks"]["n_tasks"]
    bar = tqdm(total=len(cfg["methods"]) * len(seeds) * n_tasks, desc="continual",
               unit="task", disable=not progress)
    results = {}
    for seed in seeds:
        tasks = build_tasks(cfg, seed)
        for name in cfg["methods"]:
            bar.set_postfix_str(f"{name} seed {seed}")
            done = checkpoint_path(out, name, seed)
            before = checkpoint.load(done)["done"] if done.exists() else 0
            bar.update(before)
            r = run_one(cfg, name, seed, done, tasks, progress=bar)
            r["targets"] = target_accuracy(cfg, r["model"], tasks) if seed == seeds[0] else {}
            results.setdefault(name, []).append(r)
    bar.close()
    metrics = {}
    for name, runs in results.items():
        m = summarize([r["matrix"] for r in runs], [r["baseline"] for r in runs])
        m["targets"] = runs[0]["targets"]
        metrics[name] = m
    write_json(out / "metrics.json", metrics)
    write_json(out / "run.json", {"config": cfg, "seeds": seeds, "quick": quick})
    write_atomic(out / "results.md", markdown_table(metrics).encode())
    plot_all(metrics, out / "plots")
    return metrics


def checkpoint_path(out: Path, method: str, seed: int) -> Path:
    return Path(out) / "checkpoints" / f"{method.replace(':', '_')}-seed{seed}.npz"
