"""spikemem on PyTorch: a Network as a trainable torch.nn.Module (surrogate-gradient BPTT).

    mod = spikemem.torch.module(net, trainable=("weights",))
    out = mod(x)                  # x: (batch, steps, n) input spikes
    trained = mod.to_network()    # runs unchanged on every target

Simulation on torch is `spikemem.compile(net, target="torch")` (spikemem/targets/torch/).
spikemem.torch.store_recall is a task (LSNN store and recall) where ALIF beats LIF.
"""
from .module import Output, SpikingModule, module

__all__ = ["module", "SpikingModule", "Output"]
