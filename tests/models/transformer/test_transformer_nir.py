"""A spiking transformer through NIR: spikemem's export writes it without loss (zero reset,
memoryless coincidences as LIF with tau = dt, tied maps as expanded Linear nodes, delays as
Delay nodes) and the import gives a network with the same out spikes."""
import warnings

import numpy as np
import pytest

pytest.importorskip("nir", reason="needs nir: pip install 'spikemem[nir]'")

import spikemem as sm  # noqa: E402
from spikemem.models.transformer import TransformerConfig, build  # noqa: E402


def test_transformer_round_trips_through_nir_with_the_same_out_spikes():
    model = build(TransformerConfig(n_tokens=3, d_in=4, channels=6, n_classes=3, frames=4),
                  seed=2, gain=3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # lossy parts would warn
        graph = sm.export.nir(model.network)
    kinds = {type(n).__name__ for n in graph.nodes.values()}
    assert {"LIF", "Linear", "Delay"} <= kinds
    back = sm.import_nir(graph)
    x = np.random.default_rng(0).random((8, model.steps, 12)) < 0.5
    a = sm.compile(model.network).run(model.steps, inputs={"in": x}).spikes["out"]
    b = sm.compile(back).run(model.steps, inputs={"in": x}).spikes["out"]
    assert a.any() and np.array_equal(a, b)
    # shared weights do not survive: NIR's Linear stores every synapse
    assert back.n_parameters == back.n_synapses > model.network.n_parameters
