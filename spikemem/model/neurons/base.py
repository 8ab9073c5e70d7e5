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
import difflib
import json
from dataclasses import dataclass
from typing import ClassVar

from ...errors import ModelError
from .. import serial
from ..validate import check_name, finite_float, positive_tau, steps_int

#: kind -> neuron model class (filled as model classes are defined)
MODELS: dict[str, type] = {}


@dataclass(frozen=True)
class Param:
    """A declared parameter of a neuron model.

    unit: "ms" (time constants), "steps", "v" (the model's potential units), "1"
        (dimensionless) or "" (a choice). check: how values are validated: "tau" (>= 0 or
        > 0 ms, inf where allowed), "real" (finite, >= low if given), "steps" (int >= 0),
        "choice" (one of choices) or "taus" (a tau or {receptor: tau}, >= 0 ms).
    per_neuron: a population may give an (n,) array instead (e.g. bias).
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
            return _receptor_taus(value, what)
        raise ModelError(f"{what}: unknown parameter check {self.check!r}")


def parameter(default, unit: str, doc: str, check: str = "real", **kw):
    """A dataclass field declaring a neuron-model parameter (see Param)."""
    return dataclasses.field(default=default,
                             metadata={"param": Param(unit, doc, check, **kw)})


@dataclass(frozen=True, eq=False)
class NeuronModel:
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

    def features(self) -> set[str]:
        """The feature names (spikemem.model.features.FEATURES) this model uses."""
        raise NotImplementedError(f"{type(self).__name__} must declare its features")

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


def _receptor_taus(value, what: str):
    """A tau (ms, >= 0) for the one receptor 'syn', or {receptor name: tau}."""
    if isinstance(value, dict):
        if not value:
            raise ModelError(f"{what} is an empty dict: name at least one receptor")
        return {check_name(name, "receptor"): positive_tau(tau, f"{what}[{name!r}]",
                                                           allow_zero=True)
                for name, tau in value.items()}
    return positive_tau(value, what, allow_zero=True)
