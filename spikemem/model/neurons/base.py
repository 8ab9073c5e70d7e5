"""The neuron-model protocol. A neuron model is a frozen dataclass whose fields are its
declared parameters (Param: unit, range, scalar or per neuron); the class declares its
state variables and which of them a probe may record, and reports the features a network
uses through it. Serialisation is generic over the fields (spikemem.model.serial), and
every concrete model registers itself by its `kind` for reading files.

Targets do not branch on models: each lowers them through one table keyed by model class
(e.g. spikemem/targets/numpy/neurons.py: {LIF: ..., ALIF: ...}) and refuses a class
missing from it at compile time.
"""
from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
import difflib
import json
import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from ...errors import ModelError
from .. import serial
from ..validate import check_name, finite_float, positive_tau, real_array, steps_int

#: kind -> neuron model class (filled as model classes are defined)
MODELS: dict[str, type] = {}


@dataclass(frozen=True)
class Param:
    """A declared parameter of a neuron model.

    unit: "ms" (time constants), "steps", "v" (the model's potential units), "1"
        (dimensionless) or "" (a choice). check: how values are validated: "tau" (>= 0 or
        > 0 ms, inf where allowed), "real" (finite, >= low if given), "steps" (int >= 0),
        "choice" (one of choices), "taus" (a tau or {receptor: tau}, >= 0 ms) or
        "potentials" (a potential or {receptor: potential}).
    per_neuron: the value may also be an (n,) array, one per neuron of the population
        (checked against its size by Population; feature "per_neuron_params").
    """

    unit: str
    doc: str
    check: str
    low: float | None = None
    allow_zero: bool = True
    allow_inf: bool = False
    choices: tuple = ()
    per_neuron: bool = False

    def validate(self, value, what: str):
        if self.per_neuron and self.check != "taus" and np.ndim(value) > 0:
            return per_neuron_array(value, what, lambda x, w: self.validate(x, w))
        if self.check == "tau":
            return positive_tau(value, what, allow_zero=self.allow_zero,
                                allow_inf=self.allow_inf)
        if self.check == "real":
            x = finite_float(value, what)
            if self.low is not None and x < self.low:
                raise ModelError(f"{what} = {x} must be >= {self.low:g}")
            return x
        if self.check == "steps":
            return steps_int(value, what)
        if self.check == "choice":
            if value not in self.choices:
                raise ModelError(f"{what}={value!r} is unknown: use one of {self.choices}")
            return value
        if self.check == "taus":
            return _receptor_taus(value, what, self.per_neuron)
        if self.check == "potentials":
            return _reversal_potentials(value, what)
        raise ModelError(f"{what}: unknown parameter check {self.check!r}")


def parameter(default, unit: str, doc: str, check: str = "real", **kw):
    """A dataclass field declaring a neuron-model parameter (see Param)."""
    return dataclasses.field(default=default,
                             metadata={"param": Param(unit, doc, check, **kw)})


@dataclass(frozen=True, eq=False)
class NeuronModel(ABC):
    """Base of all neuron models (see the module docstring)."""

    #: the name written to model files; concrete models set it (abstract bases leave it "")
    kind: ClassVar[str] = ""
    #: state variable -> (unit, initial value) of one neuron
    state: ClassVar[dict] = {}
    #: state variables a probe may record besides spikes and counts
    recordable: ClassVar[tuple] = ()

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if cls.__dict__.get("kind"):
            MODELS[cls.kind] = cls

    def __post_init__(self):
        for name, spec in self.parameters().items():
            value = spec.validate(getattr(self, name), f"{self.kind} {name}")
            object.__setattr__(self, name, value)

    @classmethod
    def parameters(cls) -> dict[str, Param]:
        """{name: Param} of the model's declared parameters, in field order."""
        return {f.name: f.metadata["param"] for f in dataclasses.fields(cls)
                if "param" in f.metadata}

    @abstractmethod
    def features(self) -> set[str]:
        """The feature names (spikemem.model.features.FEATURES) this model uses."""

    def per_neuron_parameters(self) -> tuple[str, ...]:
        """Names of the parameters given as per-neuron arrays (not counting bias, which a
        Population holds)."""
        return tuple(name for name in self.parameters()
                     if name != "bias" and is_per_neuron(getattr(self, name)))

    def check_size(self, n: int, what: str) -> None:
        """Refuse per-neuron parameter arrays whose length is not the population's n."""
        for name in self.per_neuron_parameters():
            value = getattr(self, name)
            for v in (value.values() if isinstance(value, dict) else [value]):
                if np.ndim(v) and np.shape(v) != (n,):
                    raise ModelError(f"{what}: {self.kind} {name} has {np.size(v)} values but "
                                     f"the population has n = {n} neurons: give one value "
                                     "per neuron, or a number for all")

    def to_dict(self) -> dict:
        return {"type": self.kind, **serial.to_dict(self)}

    @staticmethod
    def from_dict(d) -> "NeuronModel":
        """The model a to_dict() table describes; its "type" names the model class."""
        if not isinstance(d, dict) or "type" not in d:
            raise ModelError(f"neuron model {d!r}: a table with a 'type' is needed, one of "
                             f"{sorted(MODELS)}")
        fields = dict(d)
        kind = fields.pop("type")
        if not isinstance(kind, str) or kind not in MODELS:
            near = difflib.get_close_matches(str(kind), list(MODELS), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise ModelError(f"neuron model type {kind!r} is unknown{hint}: known types are "
                             f"{sorted(MODELS)}")
        return serial.from_dict(MODELS[kind], fields, f"neuron model {kind}")

    def __eq__(self, other):
        return type(other) is type(self) and self.to_dict() == other.to_dict()

    def __hash__(self):
        return hash(json.dumps(self.to_dict(), sort_keys=True))


def per_neuron_array(value, what: str, check) -> np.ndarray:
    """`value` as a read-only float64 (n,) array whose every value passes
    check(scalar, what) (each distinct value checked once)."""
    arr = real_array(value, what)
    if arr.ndim != 1 or arr.size == 0:
        raise ModelError(f"{what}: give a number or one value per neuron, shape (n,); got "
                         f"shape {arr.shape}")
    for x in np.unique(arr):
        check(float(x), what)
    arr.flags.writeable = False
    return arr


def decay(tau, dt: float, infinite: float, zero: float):
    """exp(-dt / tau) per value of `tau` (ms, float or (n,) array), `infinite` where tau is
    inf and `zero` where it is 0 (each value through math.exp: an array of equal taus
    gives exactly the scalar's decay)."""
    def one(t: float) -> float:
        if math.isinf(t):
            return infinite
        return zero if t == 0 else math.exp(-dt / t)

    if np.ndim(tau) == 0:
        return one(float(tau))
    return np.array([one(t) for t in np.asarray(tau).tolist()])


def is_per_neuron(value) -> bool:
    """True for a per-neuron array parameter (or a receptor dict holding one)."""
    if isinstance(value, dict):
        return any(np.ndim(v) > 0 for v in value.values())
    return np.ndim(value) > 0


def _per_receptor(value, what: str, check):
    """check(value, what) of one value, or of each value of {receptor name: value}."""
    if isinstance(value, dict):
        if not value:
            raise ModelError(f"{what} is an empty dict: name at least one receptor")
        return {check_name(name, "receptor"): check(x, f"{what}[{name!r}]")
                for name, x in value.items()}
    return check(value, what)


def _reversal_potentials(value, what: str):
    """A reversal potential (v units) or {receptor name: potential}."""
    return _per_receptor(value, what, finite_float)


def _receptor_taus(value, what: str, per_neuron: bool = False):
    """A tau (ms, >= 0) for the one receptor 'syn', or {receptor name: tau}; with
    `per_neuron`, each tau may be an (n,) array."""
    def tau(x, w):
        if per_neuron and np.ndim(x) > 0:
            return per_neuron_array(x, w, lambda y, ww: positive_tau(y, ww, allow_zero=True))
        return positive_tau(x, w, allow_zero=True)

    return _per_receptor(value, what, tau)
