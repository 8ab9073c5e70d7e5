"""Neuron models: the protocol (base.py) and the models built on it, one file each."""
from .alif import ALIF
from .base import MODELS, NeuronModel, Param, parameter
from .lif import DEFAULT_RECEPTOR, IF, LIF, RESETS, CubaNeuron

__all__ = ["ALIF", "MODELS", "NeuronModel", "Param", "parameter", "DEFAULT_RECEPTOR", "IF",
           "LIF", "RESETS", "CubaNeuron"]
