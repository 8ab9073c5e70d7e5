"""Training with sm.torch.module improves the loss, changes only the learned projections,
and the trained network runs spike for spike the same on numpy as in torch float64; the
non-spiking baseline trains by the same loop."""
import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")

import spikemem as sm  # noqa: E402
from spikemem.models.transformer import TransformerConfig, build  # noqa: E402
from spikemem.models.transformer.baseline import baseline_scores, train_baseline  # noqa: E402
from spikemem.models.transformer.data import digits  # noqa: E402
from spikemem.models.transformer.train import train  # noqa: E402

CFG = TransformerConfig(n_tokens=8, d_in=8, channels=8, n_classes=10, frames=4)


@pytest.fixture(scope="module")
def small_digits():
    model = build(CFG)
    split = digits(CFG.frames, model.steps)
    return model, split.x_train[:96], split.y_train[:96]


def test_training_improves_the_loss_and_only_changes_learned_projections(small_digits):
    model, x, y = small_digits
    trained = train(model, x, y, epochs=3, batch=32, lr=1e-2)
    assert trained.losses[-1] < trained.losses[0]
    assert len(trained.accuracies) == 3 and trained.seconds > 0
    before, after = model.network, trained.model.network
    for name, proj in before.projections.items():
        changed = not np.array_equal(proj.dense_weights(), after.projections[name].dense_weights())
        assert changed == (name in model.learned), name
        assert (after.projections[name].tied is None) == (proj.tied is None)  # still shared
    # the trained network is the deployed one: torch float64 BPTT forward == numpy run
    mod = sm.torch.module(after, dtype=torch.float64, record=[("out", "spikes")])
    with torch.no_grad():
        spikes = mod(torch.as_tensor(x[:64])).spikes["out"].numpy().astype(bool)
    res = sm.compile(after).run(model.steps, inputs={"in": x[:64]})
    assert res.spikes["out"].any()
    assert np.array_equal(spikes, res.spikes["out"])


def test_baseline_trains_by_the_same_loop(small_digits):
    _, x, y = small_digits
    trained = train_baseline(CFG, x, y, epochs=3, batch=32, lr=1e-2)
    assert trained.losses[-1] < trained.losses[0]
    assert baseline_scores(trained, x[:5]).shape == (5, 10)
