"""One codec for the model's frozen dataclasses (neuron models, traces, terms, rules, weight
structures): a dict of their init fields, written as strict JSON.

Floats that JSON cannot hold are written as the strings "inf" / "-inf" (the model's
validators read them back with float()); NaN is never written. A field declared with
`optional_field` is left out at its default, so files that do not use it stay readable by
earlier versions.
"""
from __future__ import annotations

import dataclasses
import difflib
import json
import math

import numpy as np

from ..errors import ModelError


def optional_field(default, **metadata):
    """A dataclass field written to files only when it differs from `default`."""
    return dataclasses.field(default=default, metadata={**metadata, "optional": True})


def encode(value):
    """A JSON-safe copy of `value`: floats (inf as a string), lists, dicts, nested model
    dataclasses (through their to_dict)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        x = float(value)
        if math.isnan(x):
            raise ModelError("a model value is NaN, which model files cannot hold")
        return x if math.isfinite(x) else ("inf" if x > 0 else "-inf")
    if isinstance(value, str) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(v) for v in value]
    if dataclasses.is_dataclass(value) and hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, np.ndarray):
        return encode(value.tolist())
    raise ModelError(f"cannot write a {type(value).__name__} into a model file")


def to_dict(obj) -> dict:
    """{field: encoded value} over the init fields of dataclass `obj`."""
    out = {}
    for f in dataclasses.fields(obj):
        if not f.init:
            continue
        value = getattr(obj, f.name)
        if f.metadata.get("optional") and _same(value, f.default):
            continue
        out[f.name] = encode(value)
    return out


def from_dict(cls, d, what: str):
    """cls(**d) after checking that d is a dict naming only init fields of cls; `what`
    names the object in errors."""
    if not isinstance(d, dict):
        raise ModelError(f"{what}: expected a table of fields, got {type(d).__name__}")
    known = [f.name for f in dataclasses.fields(cls) if f.init]
    for key in d:
        if key not in known:
            near = difflib.get_close_matches(str(key), known, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ModelError(f"{what}: unknown field {key!r}{hint}; fields: {known}")
    try:
        return cls(**d)
    except TypeError as e:
        raise ModelError(f"{what}: {e}") from None


def dumps(obj) -> str:
    """Strict JSON (no NaN/Infinity literals)."""
    return json.dumps(obj, allow_nan=False)


def _same(a, b) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False
