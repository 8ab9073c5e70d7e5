"""Neuron models: the protocol (base.py) and the models built on it, one file each."""
from .alif import ALIF
from .base import MODELS, NeuronModel, Param, parameter
from .cond import CondLIF
from .li import LI
from .lif import IF, LIF, RESETS, CubaNeuron
from .membrane import DEFAULT_RECEPTOR, Membrane

__all__ = ["ALIF", "CondLIF", "MODELS", "NeuronModel", "Param", "parameter",
           "DEFAULT_RECEPTOR", "IF", "LI", "LIF", "RESETS", "CubaNeuron", "Membrane"]
