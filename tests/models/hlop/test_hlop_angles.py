"""The circuit's precision study (models/hlop/angles.py): its spectra, a resumable sweep
and the angle-against-gap plot."""
import json

import numpy as np
import pytest

from spikemem.errors import ModelError
from spikemem.models.hlop import angles


def test_spectrum_decays_as_one_over_i_or_with_the_set_gap_at_k():
    assert angles.spectrum(5, 2) == pytest.approx([1, 1 / 2, 1 / 3, 1 / 4, 1 / 5])
    lam = angles.spectrum(6, 2, gap=0.1)
    assert lam[:2] == pytest.approx([1, 1 / 2])
    assert lam[2] / lam[1] == pytest.approx(0.9)
    assert np.all(np.diff(lam) < 0)
    x, gap = angles.sample(6, 2, 4000, gap=0.3, seed=1)
    assert x.shape == (4000, 6) and gap == pytest.approx(0.3, abs=0.05)


def test_sweep_resumes_and_plots(tmp_path, monkeypatch):
    calls = []

    def fake(target, n, k, samples, gap, seed=0, **options):
        calls.append((target, n, k, samples, gap, seed, options))
        return {"target": target, "n": n, "k": k, "samples": samples, "gap_set": gap,
                "seed": seed, "options": options, "gap": gap or 0.5,
                "angles_deg": [1.0, 10.0 * (gap or 0.1)], "seconds": 1.0}

    monkeypatch.setattr(angles, "measure", fake)
    out = tmp_path / "angles.json"
    cases = [("numpy", 8, 2, 50, 0.1), ("numpy", 8, 2, 50, 0.3),
             ("numpy", 8, 2, 50, 0.3, 2, {"eta": 0.1})]     # a seed and options: new cases
    angles.sweep(cases[:1], out, log=lambda _: None)
    records = angles.sweep(cases, out, log=lambda _: None)
    assert calls == [(*case, 0, {}) for case in cases[:2]] + [cases[2]]  # none run twice
    assert json.loads(out.read_text()) == records and len(records) == 3
    assert angles.sweep(cases, out, log=lambda _: None) == records and len(calls) == 3
    angles.plot(records + [{**records[0], "label": "numpy, before"}], tmp_path / "p.png")
    assert (tmp_path / "p.png").stat().st_size > 1000
    angles.plot(records, tmp_path / "seeds.png", lines=False, bar_deg=5.0)
    assert (tmp_path / "seeds.png").read_bytes() != (tmp_path / "p.png").read_bytes()


def test_measure_reports_the_angles_of_a_small_case():
    r = angles.measure("numpy", 4, 1, 20, gap=0.6, epochs=2)
    assert len(r["angles_deg"]) == 1 and 0 <= r["angles_deg"][0] <= 90
    assert r["epochs"] == 2 and r["gap"] > 0.3 and r["seed"] == 0
    assert r["steps"] == 2 * 20 * (r["present"] + r["rest"]) and len(r["history"]) == 2


def test_measure_runs_the_rate_form_in_place_of_a_target():
    """RATE_FORM measures learn_subspace_rate with the same record: the steps are those the
    circuit's epochs would take; the options given are kept; it takes no target options."""
    logged = []
    r = angles.measure(angles.RATE_FORM, 6, 2, 100, gap=0.5, epochs=3, eta=0.02,
                       progress=lambda *a: logged.append(a))
    assert r["target"] == angles.RATE_FORM and r["options"] == {"epochs": 3, "eta": 0.02}
    assert len(logged) == 3 and json.loads(json.dumps(r))["options"] == r["options"]
    assert r["epochs"] == 3 and r["history"][0][0] == 0.02 and max(r["angles_deg"]) < 90
    assert r["steps"] == 3 * 100 * (r["present"] + r["rest"])
    with pytest.raises(ModelError, match="rate form runs on no target"):
        angles.measure(angles.RATE_FORM, 6, 2, 100, target_options={"weight_fraction_bits": 8})
