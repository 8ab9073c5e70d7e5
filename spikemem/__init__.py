"""spikemem: define a spiking network once, run it on every target.

    import spikemem as sm
    net = sm.Network(dt=1.0)
    ...
    res = sm.compile(net, target="numpy").run(300, inputs={"in": x})
"""
from .errors import MappingError, ModelError, ModelFileError, UnsupportedFeatureError
from .model import (IF, LIF, AllToAll, FixedFanIn, FixedProbability, Network, Normal, OneToOne,
                    PlasticityRule, Term, Trace, Uniform, anti_hebbian, oja, pair_stdp)
from .model.io import load
from .targets import Result, compile, targets

__version__ = "0.1.0"

__all__ = ["IF", "LIF", "AllToAll", "FixedFanIn", "FixedProbability", "Network", "Normal",
           "OneToOne", "PlasticityRule", "Term", "Trace", "Uniform", "anti_hebbian", "oja",
           "pair_stdp", "load", "Result", "compile", "targets", "ModelError", "ModelFileError",
           "MappingError", "UnsupportedFeatureError", "__version__"]
