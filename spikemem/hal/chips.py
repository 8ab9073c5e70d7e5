"""Chip descriptions: one TOML file per chip in spikemem.hardware (the repo's hardware/).

Every figure is an inline table `{ value = ..., source = "key", confirmed = true|false,
note = "..." }` whose source names an entry of the file's [sources] table. A user adds a chip
by adding a file (or by passing the path of a .toml file wherever a chip name is accepted).
"""
from __future__ import annotations

import functools
import importlib.resources
from dataclasses import dataclass
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from ..errors import ModelError

FAMILIES = ("loihi", "spinnaker")

#: section -> keys every chip file must define (per family where they differ)
REQUIRED = {
    "limits": ("cores_per_chip", "neurons_per_core", "bits_per_synapse", "max_delay_steps",
               "pack_populations"),
    "energy": ("synaptic_op_pj", "neuron_update_pj", "spike_route_pj"),
}
REQUIRED_ARITHMETIC = {
    "loihi": ("weight_bits", "weight_exp_min", "weight_exp_max", "state_bits", "decay_bits",
              "threshold_bits", "threshold_shift", "activation_shift", "bias_mant_bits",
              "bias_exp_max"),
    "spinnaker": ("weight_bits", "fraction_bits", "integer_bits", "ring_buffer_shift_max"),
}
SECTIONS = ("limits", "arithmetic", "energy", "timing")


@dataclass(frozen=True)
class Figure:
    """One number of a chip description with where it comes from."""

    value: object
    source: str
    confirmed: bool = True
    note: str = ""


@dataclass(frozen=True)
class Chip:
    """A chip's limits, arithmetic, and per-operation energy (pJ) and timing figures."""

    name: str
    family: str
    description: str
    sources: dict
    limits: dict
    arithmetic: dict
    energy: dict
    timing: dict

    def limit(self, key: str, default=None):
        """The value of limit `key`, or `default` when the chip does not state one."""
        f = self.limits.get(key)
        return default if f is None else f.value

    def arith(self, key: str):
        return self.arithmetic[key].value

    def cite(self, section: str, key: str, unit: str = "") -> str:
        """'value unit (source[, unconfirmed])' for the report's list of figures used."""
        f = getattr(self, section)[key]
        flag = "" if f.confirmed else ", unconfirmed"
        return f"{f.value}{' ' + unit if unit else ''} ({f.source}{flag})"


def chip_names() -> list[str]:
    """Names of the chips shipped in spikemem.hardware."""
    root = importlib.resources.files("spikemem.hardware")
    return sorted(p.name[:-5] for p in root.iterdir() if p.name.endswith(".toml"))


def load_chip(chip) -> Chip:
    """A Chip from a shipped name ('loihi2'), a path to a .toml file, or a Chip (returned)."""
    if isinstance(chip, Chip):
        return chip
    if not isinstance(chip, (str, Path)):
        raise ModelError(f"chip must be a name {chip_names()} or a .toml path, got "
                         f"{type(chip).__name__}")
    if str(chip).endswith(".toml"):
        path = Path(chip)
        if not path.is_file():
            raise ModelError(f"chip file {str(path)!r} does not exist")
        return _parse(path.read_text(encoding="utf-8"), str(path))
    return _load_named(str(chip))


@functools.lru_cache(maxsize=None)
def _load_named(name: str) -> Chip:
    res = importlib.resources.files("spikemem.hardware") / f"{name}.toml"
    if not res.is_file():
        raise ModelError(f"unknown chip {name!r}: use one of {chip_names()} or the path of a "
                         "chip .toml file (see docs/hardware.md)")
    return _parse(res.read_text(encoding="utf-8"), name)


def _parse(text: str, where: str) -> Chip:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ModelError(f"chip file {where!r} is not valid TOML: {e}") from None
    for key in ("name", "family", "description", "sources"):
        if key not in data:
            raise ModelError(f"chip file {where!r} lacks the top-level key {key!r}")
    family = data["family"]
    if family not in FAMILIES:
        raise ModelError(f"chip file {where!r}: family {family!r} is unknown; use one of "
                         f"{FAMILIES}")
    sources = dict(data["sources"])
    sections = {}
    for section in SECTIONS:
        sections[section] = {k: _figure(v, f"{where} [{section}] {k}", sources)
                             for k, v in data.get(section, {}).items()}
    required = dict(REQUIRED, arithmetic=REQUIRED_ARITHMETIC[family])
    for section, keys in required.items():
        missing = [k for k in keys if k not in sections[section]]
        if missing:
            raise ModelError(f"chip file {where!r}: [{section}] lacks {missing}")
    return Chip(name=data["name"], family=family, description=data["description"],
                sources=sources, **sections)


def _figure(raw, where: str, sources: dict) -> Figure:
    if not isinstance(raw, dict) or "value" not in raw or "source" not in raw:
        raise ModelError(f"chip figure {where} must be {{ value = ..., source = \"key\" }}")
    if raw["source"] not in sources:
        raise ModelError(f"chip figure {where}: source {raw['source']!r} is not in [sources] "
                         f"({sorted(sources)})")
    value = raw["value"]
    if not isinstance(value, (int, float, bool)):
        raise ModelError(f"chip figure {where}: value {value!r} must be a number or boolean")
    return Figure(value, raw["source"], bool(raw.get("confirmed", True)), str(raw.get("note", "")))
