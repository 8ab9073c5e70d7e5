"""Experiment configs (TOML): what tasks, which network, how to train, which methods.

    [tasks]    dataset = "digits" | "mnist", sequence = "permuted" | "split" | "rotated",
               n_tasks, data_dir (mnist), limit_train, limit_test, canvas (pixels per
               side of a zero canvas the images are centred on before permuting)
    [network]  hidden = [..] (neurons per hidden layer), steps (presentation, steps),
               tau_mem (ms), init_gain (initial weights uniform in +-gain / sqrt(fan-in))
    [train]    epochs, lr, momentum, batch, online
    [evaluate] targets = ["numpy", ...] or "all" (every installed target): run the final
               network on these spikemem targets; samples = test samples per task for that
    [methods.<name>]  keyword options of each method (see spikemem.continual.methods)
    [quick]    the same tables again, overriding the above under --quick
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

from ..errors import ModelError

SECTIONS = ("tasks", "network", "train", "evaluate", "methods", "quick")
DEFAULTS = {
    "tasks": {"dataset": "digits", "sequence": "permuted", "n_tasks": 10},
    "network": {"hidden": [256, 256], "steps": 8, "tau_mem": 1.4426950408889634,
                "init_gain": 2.0},
    "train": {"epochs": 2, "lr": 0.05, "momentum": 0.9, "batch": 32, "online": False},
    "evaluate": {"targets": ["numpy"], "samples": 100},
    "methods": {"finetune": {}, "ewc": {}, "multitask": {}, "hlop": {}},
}


def shipped_configs() -> dict:
    """Config name -> path of the experiment configs installed with spikemem
    (`spikemem.experiments`, the repository's experiments/*.toml)."""
    from importlib.resources import files
    folder = files("spikemem.experiments")
    return {p.name[:-5]: Path(str(p)) for p in folder.iterdir() if p.name.endswith(".toml")}


def load_config(path) -> dict:
    """Read a TOML config (a path, or the name of a shipped config such as
    "permuted_digits"); returns the raw dict (use resolve() to apply defaults/quick)."""
    try:
        import tomllib
    except ImportError:
        import tomli as tomllib
    path = Path(path)
    shipped = shipped_configs()
    if not path.exists() and path.suffix == "" and path.name in shipped:
        path = shipped[path.name]
    try:
        with open(path, "rb") as f:
            cfg = tomllib.load(f)
    except OSError as e:
        raise ModelError(f"cannot read config {path}: {e} (give a TOML path or a shipped "
                         f"config name: {sorted(shipped)})") from None
    except tomllib.TOMLDecodeError as e:
        raise ModelError(f"config {path} is not valid TOML: {e}") from None
    return cfg


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) \
            else copy.deepcopy(v)
    return out


def resolve(cfg: dict, quick: bool = False) -> dict:
    """Defaults, then the config, then (quick) its [quick] tables; checks section names."""
    unknown = set(cfg) - set(SECTIONS)
    if unknown:
        raise ModelError(f"config has unknown sections {sorted(unknown)}; use {list(SECTIONS)}")
    methods = cfg.get("methods")
    base = {k: v for k, v in DEFAULTS.items() if k != "methods"}
    out = _merge(base, {k: v for k, v in cfg.items() if k != "quick"})
    if methods is None:
        out["methods"] = copy.deepcopy(DEFAULTS["methods"])
    if quick:
        out = _merge(out, cfg.get("quick", {}))
    if not out["methods"]:
        raise ModelError("config lists no methods: add [methods.finetune] etc.")
    return out


def fingerprint(cfg: dict) -> str:
    """A canonical JSON text of a resolved config (stored in checkpoints)."""
    return json.dumps(cfg, sort_keys=True)
