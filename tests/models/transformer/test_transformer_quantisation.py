"""The network with the weights each chip delivers per spike: still tied, and as far from
the float weights as the mapping's own quantisation report says."""
import numpy as np
import pytest

import spikemem as sm
from spikemem.models.transformer import TransformerConfig, build
from spikemem.models.transformer.quantisation import delivered


@pytest.mark.parametrize("chip", ["loihi2", "spinnaker2"])
def test_delivered_weights_match_the_mapping_report(chip):
    net = build(TransformerConfig(n_tokens=3, d_in=4, channels=4, n_classes=3), seed=4).network
    rounded = delivered(net, chip)
    report = sm.map(net, chip=chip).to_dict()["projections"]
    for name, proj in net.projections.items():
        got = rounded.projections[name]
        assert got.n_parameters == proj.n_parameters  # tied stays tied
        w, wq = proj.synapses()[2], got.synapses()[2]
        rms = np.linalg.norm(wq - w) / np.linalg.norm(w)
        assert rms == pytest.approx(report[name]["rms_error"], rel=1e-9, abs=1e-12), name
    assert any(not np.array_equal(p.synapses()[2], rounded.projections[n].synapses()[2])
               for n, p in net.projections.items())
