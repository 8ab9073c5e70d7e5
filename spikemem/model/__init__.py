"""The model description: plain data that every target compiles."""
from .connectors import AllToAll, FixedFanIn, FixedProbability, Normal, OneToOne, Uniform
from .network import Network, Population, Probe, Projection
from .neurons import ALIF, IF, LI, LIF, CondLIF, NeuronModel
from .plasticity import PlasticityRule, Term, Trace, anti_hebbian, oja, pair_stdp
from .sources import CurrentSource, InputSource, PoissonSource, SpikeTimesSource
from .stp import TsodyksMarkram
from .tied import AvgPool2d, Conv1d, Conv2d, SumPool2d, TiedWeights, TokenLinear

__all__ = ["AllToAll", "FixedFanIn", "FixedProbability", "Normal", "OneToOne", "Uniform",
           "Network", "Population", "Probe", "Projection", "ALIF", "IF", "LI", "LIF", "CondLIF", "NeuronModel",
           "PlasticityRule",
           "Term", "Trace", "anti_hebbian", "oja", "pair_stdp", "InputSource", "CurrentSource", "PoissonSource",
           "SpikeTimesSource", "AvgPool2d", "Conv1d", "Conv2d", "SumPool2d", "TiedWeights",
           "TokenLinear", "TsodyksMarkram"]
