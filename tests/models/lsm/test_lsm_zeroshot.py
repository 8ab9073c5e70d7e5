"""Zero-shot protocol pieces (models/lsm/zeroshot.py, contrastive.py): early stopping on a
validation function, a fixed temperature, and the posterior-alignment diagnosis on data
whose two modalities share (or do not share) their similarity structure."""
import numpy as np
import pytest

from spikemem.models import lsm
from spikemem.models.lsm import zeroshot


def views(rng, codes, mix, n_per_class, classes):
    y = np.repeat(classes, n_per_class)
    return (codes[y] + 0.3 * rng.normal(size=(len(y), codes.shape[1]))) @ mix, y


def two_modalities(shared: bool, seed=0):
    """Audio/image features (train, test) of digits 0-9 from one code per class (shared) or
    from independent codes per modality (nothing in common but the labels)."""
    rng = np.random.default_rng(seed)
    codes_a = rng.normal(size=(10, 6))
    codes_i = codes_a if shared else rng.normal(size=(10, 6))
    out = []
    for codes, width in ((codes_a, 40), (codes_i, 30)):
        mix = rng.normal(size=(6, width))
        f_tr, y_tr = views(rng, codes, mix, 40, np.arange(10))
        f_te, y_te = views(rng, codes, mix, 15, np.arange(10))
        out.append((f_tr, y_tr, f_te, y_te))
    return out


def test_early_stopping_keeps_the_best_checked_step():
    pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")
    (fa, ya, _, _), (fb, yb, _, _) = two_modalities(shared=True)
    steps = []

    def score(head):  # prefers the head of step 40
        steps.append(head.step)
        return -abs(head.step - 40)

    head = lsm.train_contrastive(fa, ya, fb, yb, dim=8, epochs=95, check_every=20,
                                 validation=score)
    assert steps == [20, 40, 60, 80, 95] and head.step == 40
    assert head.temperature == pytest.approx(1.0)  # fixed, as in the paper
    learned = lsm.train_contrastive(fa, ya, fb, yb, dim=8, epochs=50, temperature=None)
    assert learned.step == 50 and learned.temperature != pytest.approx(0.1)


@pytest.mark.parametrize("shared,aligned", [(True, [8, 9]), (False, None)])
def test_posterior_alignment_tells_where_zero_shot_can_work(shared, aligned):
    audio, image = two_modalities(shared)
    d = zeroshot.posterior_alignment(audio, image)
    assert set(d["cosine"]) == {"8", "9"} and len(d["posterior"]["audio"]["8"]) == 7
    if aligned is not None:
        assert d["aligned"] == {"audio_to_image": aligned, "image_to_audio": aligned}


def test_run_seed_reports_both_directions():
    pytest.importorskip("torch", reason="needs torch: pip install 'spikemem[torch]'")
    audio, image = two_modalities(shared=True)
    row = zeroshot.run_seed(audio, image, seed=0, epochs=200)
    for direction in ("audio_to_image", "image_to_audio"):
        r = row[direction]
        assert r["seen_top1"] > 0.9 and r["unseen_top1"] > 0.8  # shared codes transfer
        assert r["unseen_top1_best_on_test"] >= r["unseen_top1"]
    assert 0 < row["kept_step"] <= 200
