"""The parametrised LSM study: a liquid of n neurons on event digits, its ridge readout's
accuracy, its rate and its synapses, predictions written into the trial's folder."""
import numpy as np

from spikemem.models.lsm.studies import lsm_reservoir


def test_lsm_reservoir_measures_a_liquid_and_writes_its_predictions(tmp_path):
    m = lsm_reservoir(tmp_path, "numpy", seed=1, n=40, connectivity="random", train=200,
                      test=100)
    assert m["samples_train"] == 200 and m["samples_test"] == 100
    assert m["accuracy"] > 0.4                      # chance is 0.1
    assert 0 < m["rate_hz"] < 1000 and m["recurrent_synapses"] > 0
    with np.load(tmp_path / "predictions.npz") as f:
        assert f["predicted"].shape == f["labels"].shape == (100,)
        assert np.mean(f["predicted"] == f["labels"]) == m["accuracy"]
