"""Export a spikemem Network to other toolchains: sm.export.nir / lava / run_lava / pynn.

Each function lives in its own module and imports its toolchain only when called. Each
format declares the features it can write (NIR_FEATURES, LAVA_FEATURES, PYNN_FEATURES) and
refuses a network using any other, naming it (support.check_writable).
"""
from __future__ import annotations


def nir(net, **kwargs):
    """The network as a nir.NIRGraph (see docs/interop/nir.md)."""
    from .to_nir import export_nir
    return export_nir(net, **kwargs)


def lava(net, **kwargs):
    """The network as connected Lava processes with quantised parameters."""
    from .to_lava import export_lava
    return export_lava(net, **kwargs)


def run_lava(net, steps, inputs=None, select_tag="fixed_pt", **kwargs):
    """Build the Lava graph with input sources and sinks, run it, return spikes."""
    from .to_lava import run_lava as _run
    return _run(net, steps, inputs, select_tag=select_tag, **kwargs)


def pynn(net, path, **kwargs):
    """Write a runnable PyNN script for the network to `path`."""
    from .to_pynn import export_pynn
    return export_pynn(net, path, **kwargs)
