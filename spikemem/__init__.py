"""spikemem: define a spiking network once, run it on every target.

    import spikemem as sm
    net = sm.Network(dt=1.0)
    ...
    res = sm.compile(net, target="numpy").run(300, inputs={"in": x})
"""
from . import export, targets
from .errors import MappingError, ModelError, ModelFileError, UnsupportedFeatureError
from .model import (ALIF, IF, LI, LIF, AllToAll, AvgPool2d, CondLIF, Conv1d, Conv2d,
                    FixedFanIn, FixedProbability, Network, NeuronModel, Normal, OneToOne, PlasticityRule,
                    SumPool2d, Term, TokenLinear, Trace, TsodyksMarkram, Uniform, anti_hebbian,
                    oja, pair_stdp)
from .model.io import load
from .targets import Result, RunWarning, compile

__version__ = "0.1.0"

#: attributes whose modules import heavy packages (torch, nir): loaded on first use
_LAZY = {
    "torch": ("spikemem.torch", None),
    "map": ("spikemem.hal.mapping", "map_network"),
    "import_nir": ("spikemem.interop.nir_import", "import_nir"),
}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        module, attr = _LAZY[name]
        mod = importlib.import_module(module)
        return mod if attr is None else getattr(mod, attr)
    raise AttributeError(f"module 'spikemem' has no attribute {name!r}")


__all__ = ["ALIF", "IF", "LI", "LIF", "CondLIF", "NeuronModel", "AllToAll", "FixedFanIn", "FixedProbability",
           "Network", "Normal", "OneToOne", "PlasticityRule", "Term", "Trace", "Uniform",
           "anti_hebbian", "oja", "pair_stdp", "TsodyksMarkram", "load", "Result", "RunWarning", "compile",
           "targets", "export", "ModelError", "ModelFileError", "MappingError",
           "UnsupportedFeatureError", "__version__", "AvgPool2d", "Conv1d", "Conv2d",
           "SumPool2d", "TokenLinear"]
