"""Run a continual-learning experiment: every method x seed over the task sequence, each
one a trial of spikemem.sweep (so they run in this process, in a local process pool or on a
Ray cluster, and resume the same way as any sweep).

Within a trial, after each task the accuracy row R[i, :] is measured on every task's test
set and a checkpoint is written atomically into the trial's folder; a rerun with the same
config and output folder skips finished trials, resumes the others from their last
finished task and gives the same matrix as an uninterrupted run (all randomness is drawn
from generators seeded by (seed, task)). Results: `metrics.json` (per method: acc, bwt, fwt
as fractions, mean and std over seeds, the mean matrix, and the final network's accuracy on
spikemem targets), `results.md` (the same as a table), `run.json` (config, seeds), plots,
and the sweep's own `sweep.json` and `trials/` (read by `spikemem results`).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import ModelError, UnsupportedFeatureError
from ..files import write_atomic, write_json
from . import checkpoint
from .config import fingerprint, load_config, resolve
from .data import SCENARIOS, make_tasks
from .methods import TrainConfig, build_method
from .metrics import acc, accuracy, bwt, fwt, markdown_table, summarize
from .network import Classifier, hidden_neuron, mlp, require_torch


class Interrupted(Exception):
    """Raised by run_one(stop_after=k) after task k's checkpoint (used to test resume)."""


def build_tasks(cfg: dict, seed: int):
    t = cfg["tasks"]
    return make_tasks(t["dataset"], t["sequence"], t["n_tasks"], seed=seed,
                      data_dir=t.get("data_dir"), limit_train=t.get("limit_train"),
                      limit_test=t.get("limit_test"), canvas=t.get("canvas"))


def build_model(cfg: dict, tasks, seed: int) -> Classifier:
    """The config's network as a Classifier: a saved Network (`[network] file`, its input
    source and `readout`) or an MLP of `hidden` LIF/ALIF layers (initialised from `seed`)."""
    net = cfg["network"]
    n_in, n_out = tasks[0].n_features, max(max(t.classes) for t in tasks) + 1
    if "file" in net:
        from ..model.io import load
        network = load(net["file"])
    else:
        neuron = hidden_neuron(net["neuron"], net["tau_mem"], net["tau_adapt"],
                               net["beta_adapt"])
        network = mlp([n_in, *net["hidden"], n_out], neuron, seed=seed,
                      init_gain=net["init_gain"])
    model = Classifier(network, net["steps"], readout=net["readout"])
    if (model.n_in, model.n_out) != (n_in, n_out):
        raise ModelError(f"config [network]: the network takes {model.n_in} inputs and has "
                         f"{model.n_out} readout neurons; the tasks need {n_in} and {n_out}")
    return model


def _row(model, tasks, scenario) -> np.ndarray:
    return np.array([accuracy(model.predict(t.x_test), t.y_test,
                              t.classes if scenario == "task" else None) for t in tasks])


def run_one(cfg: dict, method_name: str, seed: int, ckpt: Path, tasks=None,
            stop_after: int | None = None) -> dict:
    """Train one method with one seed over all tasks (resuming from `ckpt` if it exists).

    Returns {'matrix': (T, T), 'baseline': (T,), 'model': Classifier}.
    """
    torch = require_torch()
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
        if stop_after is not None and i == stop_after:
            raise Interrupted(f"stopped after task {i}")
    return {"matrix": matrix, "baseline": baseline, "model": model}


def target_accuracy(cfg: dict, model, tasks) -> dict:
    """Accuracy (last row mean) of the trained network run on each configured target; a
    target that cannot express the network is reported as 'unsupported: ...'."""
    from ..targets import targets as available
    scenario = SCENARIOS[cfg["tasks"]["sequence"]]
    k = int(cfg["evaluate"]["samples"])
    net, out = model.to_network(), {}
    wanted = cfg["evaluate"]["targets"]
    for target in (available() if wanted == "all" else wanted):
        if target not in available():
            out[target] = "not installed"
            continue
        try:
            accs = [accuracy(model.scores_on(target, t.x_test[:k], net),
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


def trial(out_dir: Path, *, config, method: str, seed: int = 0, quick: bool = False,
          evaluate_targets: bool = True) -> dict:
    """One method with one seed over the task sequence (resuming from out_dir/checkpoint.npz):
    config is a config dict, TOML path or shipped config name (resolved with `quick`).
    Returns acc, bwt, fwt, the accuracy matrix R (T, T), the untrained baseline (T,) and,
    with evaluate_targets, the final network's accuracy on spikemem targets."""
    cfg = resolve(load_config(config) if isinstance(config, str) else config, quick)
    if method not in cfg["methods"]:
        raise ModelError(f"method {method!r} is not in the config's methods "
                         f"{list(cfg['methods'])}")
    tasks = build_tasks(cfg, seed)
    r = run_one(cfg, method, seed, Path(out_dir) / "checkpoint.npz", tasks)
    matrix, baseline = r["matrix"], r["baseline"]
    return {"acc": acc(matrix), "bwt": bwt(matrix), "fwt": fwt(matrix, baseline),
            "targets": target_accuracy(cfg, r["model"], tasks) if evaluate_targets else {},
            "matrix": matrix, "baseline": baseline}


EXPERIMENTS = {"continual": trial}


def plan(cfg: dict, seeds: list[int]):
    """The trials of a resolved config: every method x seed (the first seed also runs the
    trained networks on the configured targets), as a spikemem.sweep.Sweep."""
    from ..sweep import Sweep, Trial
    trials = [Trial("continual", {"config": {**cfg, "methods": {name: options}},
                                  "method": name, "evaluate_targets": seed == seeds[0]}, seed)
              for seed in seeds for name, options in cfg["methods"].items()]
    t = cfg["tasks"]
    return Sweep("continual", tuple(trials), swept=("method",), seeds=tuple(seeds),
                 metrics=("acc", "bwt", "fwt"),
                 description=f"continual learning: {t['n_tasks']} {t['sequence']} "
                             f"{t['dataset']} tasks")


def run(config: dict, seeds, out, quick: bool = False, progress: bool = True,
        executor: str = "serial", workers: int | None = None,
        address: str | None = None) -> dict:
    """Run every method for every seed; writes out/metrics.json, out/run.json, plots.

    config: a raw config dict (see config.py); seeds: an int N (seeds 0..N-1) or a list.
    executor, workers, address: where the method x seed trials run (spikemem.sweep;
    default: one after the other in this process).
    """
    from ..sweep import run_trials
    from .plots import plot_all
    cfg = resolve(config, quick)
    seeds = list(range(int(seeds))) if np.ndim(seeds) == 0 else [int(s) for s in seeds]
    if not seeds:
        raise ModelError("need at least one seed")
    out = Path(out)
    records = run_trials(plan(cfg, seeds), out, executor=executor, workers=workers,
                         address=address, progress=progress)
    failed = [r for r in records if r["status"] != "ok"]
    if failed:
        r = failed[0]
        raise ModelError(f"{len(failed)} of {len(records)} trials failed, e.g. method "
                         f"{r['params']['method']!r} seed {r['seed']}: {r['error']} (traceback "
                         f"in {out}/trials/{r['key']}/result.json; a rerun retries them)")
    metrics = {}
    for name in cfg["methods"]:
        runs = [r["metrics"] for r in records if r["params"]["method"] == name]
        m = summarize([r["matrix"] for r in runs], [r["baseline"] for r in runs])
        m["targets"] = runs[0]["targets"]
        metrics[name] = m
    write_json(out / "metrics.json", metrics)
    write_json(out / "run.json", {"config": cfg, "seeds": seeds, "quick": quick})
    write_atomic(out / "results.md", markdown_table(metrics).encode())
    plot_all(metrics, out / "plots")
    return metrics
