"""The PyTorch/snnTorch target: the canonical update in torch, on CPU or CUDA.

float64 gives the numpy target's spikes and plastic weights bit for bit (same arrival order,
same float operations); float32 meets the tolerance declared in SPEC. Populations whose
update snnTorch's Synaptic/Leaky computes exactly run through those classes; the rest is
spikemem's own torch code (neurons.py: the lowering table, LIF and ALIF). The step order is
the shared loop's (simulate.py, spikemem/targets/engine/loop.py). Training:
spikemem.torch.module.
"""
from __future__ import annotations

from ...errors import ModelError
from ..spec import TargetSpec, Tolerance, Variant

#: float32 against float64 numpy, measured on the conformance catalogue and random networks
#: (docs/targets/torch.md, "float32 tolerance")
FLOAT32_TOLERANCE = Tolerance(count_agreement=0.95, time_agreement=0.95, time_window=1,
                              weight_rtol=1e-4, rate_rtol=0.05, trace_rtol=1e-4)

CAPABILITIES = frozenset({
    "lif", "if", "tau_mem_zero", "alif", "tau_syn_zero", "multi_receptor", "reset_zero",
    "reset_subtract", "refractory", "bias", "v_init", "delay_1", "delays", "per_synapse_delays",
    "dense", "sparse", "tied_weights",
    "input_source", "poisson_source", "spike_times_source", "plasticity",
    "trace_init", "batch", "record_v", "record_i", "record_a",
    "stp",
    "per_neuron_params", "graded_input", "li", "current_input", "cond_lif"})

SPEC = TargetSpec(
    name="torch",
    description="PyTorch/snnTorch (CPU or CUDA; float64 exact, float32 within tolerance)",
    requires=("torch", "snntorch"),
    capabilities=CAPABILITIES,
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
    """A TorchSimulation (simulate.py: the shared step loop on torch tensors)."""
    from .simulate import TorchSimulation

    if chunk is not None and (isinstance(chunk, bool) or not isinstance(chunk, int)
                              or chunk < 1):
        raise ModelError(f"torch target: chunk={chunk!r} must be None or an int >= 1 "
                         "(steps per internal call)")
    return TorchSimulation(net, seed, device=resolve_device(device), dtype=resolve_dtype(dtype),
                           snntorch_neurons=bool(snntorch_neurons), chunk=chunk)
