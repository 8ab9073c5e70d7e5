"""The model description: plain data that every target compiles."""
from .connectors import AllToAll, FixedFanIn, FixedProbability, Normal, OneToOne, Uniform
from .network import Network, Population, Probe, Projection
from .neurons import IF, LIF
from .plasticity import PlasticityRule, Term, Trace, anti_hebbian, oja, pair_stdp
from .sources import InputSource, PoissonSource, SpikeTimesSource

__all__ = ["AllToAll", "FixedFanIn", "FixedProbability", "Normal", "OneToOne", "Uniform",
           "Network", "Population", "Probe", "Projection", "IF", "LIF", "PlasticityRule",
           "Term", "Trace", "anti_hebbian", "oja", "pair_stdp", "InputSource", "PoissonSource",
           "SpikeTimesSource"]
