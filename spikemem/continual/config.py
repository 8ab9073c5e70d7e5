"""Experiment configs (TOML): what tasks, which network, how to train, which methods.

    [tasks]    dataset = "digits" | "mnist", sequence = "permuted" | "split" | "rotated",
               n_tasks, data_dir (mnist), limit_train, limit_test, canvas (pixels per
               side of a zero canvas the images are centred on before permuting)
    [network]  hidden = [..] (neurons per hidden layer), steps (presentation, steps),
               tau_mem (ms), init_gain (initial weights uniform in +-gain / sqrt(fan-in)),
               neuron = "lif" | "alif" (hidden layers; ALIF: tau_adapt (ms), beta_adapt);
               or file = a saved spikemem Network (one input source) instead of the MLP;
               readout (the integrating population whose potential gives the scores)
    [train]    epochs, lr, momentum, batch, online
    [evaluate] targets = ["numpy", ...] or "all" (every installed target): run the final
               network on these spikemem targets; samples = test samples per task for that
    [methods.<name>]  keyword options of each method (see spikemem.continual.methods)
    [quick]    the same tables again, overriding the above under --quick

resolve() checks every table before any work: unknown keys are refused naming the nearest
known one, and every value is checked for its type and range (CHECKS).
"""
from __future__ import annotations

import copy
import difflib
import json
import math
from pathlib import Path

from ..errors import ModelError
from .data import SEQUENCES

SECTIONS = ("tasks", "network", "train", "evaluate", "methods", "quick")
DEFAULTS = {
    "tasks": {"dataset": "digits", "sequence": "permuted", "n_tasks": 10},
    "network": {"hidden": [256, 256], "steps": 8, "tau_mem": 1.4426950408889634,
                "init_gain": 2.0, "neuron": "lif", "tau_adapt": 20.0, "beta_adapt": 0.2,
                "readout": "out"},
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


def _int(low: int):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            return f"an integer >= {low}"
    return check


def _real(low: float, high: float = math.inf, *, open_low=False, open_high=False):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) \
                or v < low or v > high or (open_low and v == low) or (open_high and v == high):
            lo, hi = "(" if open_low else "[", ")" if open_high or math.isinf(high) else "]"
            return f"a number in {lo}{low:g}, {high:g}{hi}"
    return check


def _choice(*options):
    def check(v):
        if v not in options:
            return f"one of {list(options)}"
    return check


def _bool(v):
    if not isinstance(v, bool):
        return "true or false"


def _text(v):
    if not isinstance(v, str):
        return "a text (a path)"


def _name(v):
    if not isinstance(v, str) or not v:
        return "a population name"


def _sizes(v):
    if not isinstance(v, list) or any(isinstance(x, bool) or not isinstance(x, int) or x < 1
                                      for x in v):
        return "a list of integers >= 1 (neurons per hidden layer)"


def _targets(v):
    from ..targets import TARGET_MODULES
    if v == "all":
        return None
    if not isinstance(v, list) or not all(isinstance(t, str) for t in v):
        return f'"all" or a list of target names from {sorted(TARGET_MODULES)}'
    unknown = [t for t in v if t not in TARGET_MODULES]
    if unknown:
        near = difflib.get_close_matches(unknown[0], list(TARGET_MODULES), n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        return (f"target names from {sorted(TARGET_MODULES)}; {unknown[0]!r} is not a spikemem "
                f"target{hint}")


#: section -> key -> check(value) returning None (valid) or what the value must be
CHECKS = {
    "tasks": {"dataset": _choice("digits", "mnist"),
              "sequence": _choice(*SEQUENCES),
              "n_tasks": _int(1), "data_dir": _text, "limit_train": _int(1),
              "limit_test": _int(1), "canvas": _int(1)},
    "network": {"hidden": _sizes, "steps": _int(1), "tau_mem": _real(0, open_low=True),
                "init_gain": _real(0, open_low=True), "neuron": _choice("lif", "alif"),
                "tau_adapt": _real(0, open_low=True), "beta_adapt": _real(0),
                "readout": _name, "file": _text},
    "train": {"epochs": _int(1), "lr": _real(0, open_low=True),
              "momentum": _real(0, 1, open_high=True), "batch": _int(1), "online": _bool},
    "evaluate": {"targets": _targets, "samples": _int(1)},
}


def _unknown(key, known, where: str) -> ModelError:
    near = difflib.get_close_matches(str(key), list(known), n=1)
    hint = f" (did you mean {near[0]!r}?)" if near else ""
    return ModelError(f"config {where}: unknown key {key!r}{hint}; known keys: {sorted(known)}")


def _table(value, where: str) -> dict:
    if not isinstance(value, dict):
        raise ModelError(f"config {where} must be a table, got {value!r}")
    return value


def check_keys(cfg: dict, prefix: str = "") -> None:
    """Every section and key of a raw config (and of its [quick] tables: prefix "quick.") is
    known. The options of each [methods.<name>] table are the method's own keyword
    arguments, checked when the method is built (spikemem.continual.methods.build_method)."""
    allowed = tuple(s for s in SECTIONS if not (prefix and s == "quick"))
    where = f"[{prefix[:-1]}] " if prefix else ""
    unknown = [s for s in _table(cfg, where.strip() or "file") if s not in allowed]
    if unknown:
        near = difflib.get_close_matches(str(unknown[0]), allowed, n=1)
        hint = f" (did you mean {near[0]!r}?)" if near else ""
        raise ModelError(f"config {where}has unknown sections {sorted(map(str, unknown))}{hint};"
                         f" use {list(allowed)}")
    for section, table in cfg.items():
        here = f"[{prefix}{section}]"
        if section == "quick":
            check_keys(table, "quick.")
        elif section == "methods":
            for name, options in _table(table, here).items():
                _table(options, f"[{prefix}methods.{name}]")
        else:
            for key in _table(table, here):
                if key not in CHECKS[section]:
                    raise _unknown(key, CHECKS[section], here)


def check_values(cfg: dict) -> None:
    """Every value of a resolved config has its type and range (CHECKS)."""
    for section, checks in CHECKS.items():
        for key, value in cfg[section].items():
            need = checks[key](value)
            if need is not None:
                raise ModelError(f"config [{section}] {key} = {value!r}: must be {need}")


def _merge(base: dict, over: dict) -> dict:
    out = copy.deepcopy(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) \
            else copy.deepcopy(v)
    return out


def resolve(cfg: dict, quick: bool = False) -> dict:
    """Defaults, then the config, then (quick) its [quick] tables; every key and value is
    checked first (check_keys, check_values): a ModelError names the table, the key and the
    fix."""
    check_keys(cfg)
    methods = cfg.get("methods")
    base = {k: v for k, v in DEFAULTS.items() if k != "methods"}
    out = _merge(base, {k: v for k, v in cfg.items() if k != "quick"})
    if methods is None:
        out["methods"] = copy.deepcopy(DEFAULTS["methods"])
    if quick:
        out = _merge(out, cfg.get("quick", {}))
    if not out["methods"]:
        raise ModelError("config lists no methods: add [methods.finetune] etc.")
    check_values(out)
    return out


def fingerprint(cfg: dict) -> str:
    """A canonical JSON text of a resolved config (stored in checkpoints)."""
    return json.dumps(cfg, sort_keys=True)
