"""The PyTorch/snnTorch target: the canonical update in torch, on CPU or CUDA.

float64 gives the numpy target's spikes and plastic weights bit for bit (same arrival order,
same float operations); float32 meets the tolerance declared in SPEC. Populations whose
update snnTorch's Synaptic/Leaky computes exactly run through those classes; the rest is
spikemem's own torch code (spikemem/torch/neurons.py). Training: spikemem.torch.module.
"""
from __future__ import annotations

from ..errors import ModelError
from ..model.features import FEATURES
from .base import Simulation, TargetSpec, Tolerance, Variant

#: float32 against float64 numpy, measured on the conformance catalogue and random networks
#: (docs/targets/torch.md, "float32 tolerance")
FLOAT32_TOLERANCE = Tolerance(count_agreement=0.95, time_agreement=0.95, time_window=1,
                              weight_rtol=1e-4, rate_rtol=0.05)

SPEC = TargetSpec(
    name="torch",
    description="PyTorch/snnTorch (CPU or CUDA; float64 exact, float32 within tolerance)",
    requires=("torch", "snntorch"),
    capabilities=frozenset(FEATURES),
    options={
        "device": "'cpu' (default) or 'cuda' (needs a CUDA GPU)",
        "dtype": "torch.float64 (default, exact) or torch.float32",
        "snntorch_neurons": "step eligible populations with snnTorch's Synaptic/Leaky "
                            "(default True; False uses spikemem's own torch kernel everywhere)",
        "chunk": "None or int >= 1: steps simulated per internal call (bounds the recorded "
                 "buffers held in torch at once)",
    },
    variants=(
        Variant("float64", {"dtype": "float64"}),
        Variant("float64-own-neurons", {"dtype": "float64", "snntorch_neurons": False}),
        Variant("float32", {"dtype": "float32"}, FLOAT32_TOLERANCE),
    ),
)


def resolve_dtype(dtype):
    """A torch float dtype from torch.float32/float64 or the strings 'float32'/'float64'."""
    import torch

    names = {"float64": torch.float64, "float32": torch.float32, "double": torch.float64,
             "float": torch.float32}
    if isinstance(dtype, str) and dtype in names:
        return names[dtype]
    if dtype in (torch.float64, torch.float32):
        return dtype
    raise ModelError(f"torch target: dtype={dtype!r} is not supported: use torch.float64 "
                     "(exact) or torch.float32")


def resolve_device(device):
    """A torch.device; 'cuda' only when a CUDA GPU is present."""
    import torch

    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ModelError(f"torch target: device={device!r} is not a torch device: use 'cpu' "
                         "or 'cuda'") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ModelError(f"torch target: device={device!r} needs a CUDA GPU, and torch sees "
                         "none here (torch.cuda.is_available() is False): use device='cpu'")
    if dev.type not in ("cpu", "cuda"):
        raise ModelError(f"torch target: device={device!r} is not supported: use 'cpu' or "
                         "'cuda'")
    return dev


def compile_network(net, seed: int = 0, device="cpu", dtype="float64", snntorch_neurons=True,
                    chunk=None):
    return TorchSimulation(net, seed, device=device, dtype=dtype,
                           snntorch_neurons=snntorch_neurons, chunk=chunk)


class TorchSimulation(Simulation):
    target = "torch"

    def __init__(self, net, seed, *, device="cpu", dtype="float64", snntorch_neurons=True,
                 chunk=None):
        from ..torch.simulate import Simulator

        super().__init__(net, seed)
        if chunk is not None and (isinstance(chunk, bool) or not isinstance(chunk, int)
                                  or chunk < 1):
            raise ModelError(f"torch target: chunk={chunk!r} must be None or an int >= 1 "
                             "(steps per internal call)")
        self.chunk = chunk
        self.device = resolve_device(device)
        self.dtype = resolve_dtype(dtype)
        self.sim = Simulator(net, self.dtype, self.device, bool(snntorch_neurons))

    def _run(self, steps, drive, batch, progress):
        import numpy as np

        names = list(self.net.sources)
        src = (np.concatenate([np.broadcast_to(drive[s], (batch,) + drive[s].shape[1:])
                               for s in names], axis=2) if names
               else np.zeros((batch, steps, 0), dtype=bool))
        size = self.chunk or steps
        parts = []
        for start in range(0, steps, size):
            stop = min(start + size, steps)
            parts.append(self.sim.run(self.t + start, stop - start, src[:, start:stop],
                                      self.net.probes, progress))
        return _join(parts)

    def _reset(self):
        self.sim.reset()


def _join(parts: list) -> dict:
    """One result from the results of consecutive chunks (time is axis 1)."""
    import numpy as np

    if len(parts) == 1:
        return parts[0]
    last = parts[-1]
    return {
        "spikes": {k: np.concatenate([p["spikes"][k] for p in parts], axis=1)
                   for k in last["spikes"]},
        "traces": {k: {var: np.concatenate([p["traces"][k][var] for p in parts], axis=1)
                       for var in d} for k, d in last["traces"].items()},
        "counts": {k: sum(p["counts"][k] for p in parts) for k in last["counts"]},
        "weights": last["weights"],
    }
