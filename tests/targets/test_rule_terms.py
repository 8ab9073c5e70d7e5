"""engine.rule_terms: a dense projection's broadcast factors (Outer) give the per-synapse
gathers' dw bit for bit, in floats and in s16.15 fixed point, for every kind of term."""
import numpy as np
import pytest

from spikemem.targets.engine.rule_terms import Outer, PerSynapse, summed_terms
from spikemem.targets.fixed.s1615 import fx_mul

SIDES = {"x": "pre", "z": "pre", "pre": "pre", "y": "post", "s": "post", "post": "post",
         "w": "w"}
#: leading pre, post and weight runs, 'w' inside and last, an all-zero factor (skips), a
#: term without factors, a weight-only term
TERMS = [(0.02, "x y"), (-0.03, "y s w"), (0.011, "x x w y"), (-0.004, "w w x"),
         (0.006, "w y x"), (0.05, "pre y"), (0.013, "x post"), (0.5, "z y"), (-0.001, ""),
         (0.009, "w"), (0.017, "s")]


def _terms(scale=1.0, cast=float):
    return [(cast(round(c * scale)) if scale != 1.0 else c,
             [(f, SIDES[f]) for f in names.split()]) for c, names in TERMS]


def _values(rng, batch, n_pre, n_post, cast):
    v = {name: cast(rng.uniform(-1, 1, (batch, n_pre if side == "pre" else n_post)))
         for name, side in SIDES.items() if side != "w"}
    v["z"] = np.zeros_like(v["z"])                               # its terms skip
    v["x"][:, 0] = -0.0 if v["x"].dtype.kind == "f" else 0      # signed zeros in products
    v["pre"] = (rng.random((batch, n_pre)) < 0.5).astype(v["x"].dtype)
    return v


@pytest.mark.parametrize("fixed", [False, True])
def test_outer_factors_give_the_per_synapse_dw_bit_for_bit(fixed):
    rng = np.random.default_rng(3)
    batch, n_pre, n_post = 2, 5, 4
    if fixed:
        def cast(a):
            return np.round(np.asarray(a) * 2 ** 15).astype(np.int64)
        terms, mul, scalar = _terms(2 ** 27, int), fx_mul, np.int64
    else:
        def cast(a):
            return np.asarray(a, dtype=np.float64)
        terms, mul, scalar = _terms(), np.multiply, np.float64
    values = _values(rng, batch, n_pre, n_post, cast)
    w = cast(rng.uniform(-1, 1, (batch, n_pre * n_post)))
    pre = np.repeat(np.arange(n_pre), n_post)
    post = np.tile(np.arange(n_post), n_pre)
    gathered = summed_terms(terms, PerSynapse(values, {"pre": pre, "post": post}, w),
                            lambda coef: np.full(w.shape, coef, dtype=w.dtype), mul)
    w3 = w.reshape(batch, n_pre, n_post)
    outer = summed_terms(terms, Outer(values, w3), scalar, mul)
    outer = np.broadcast_to(outer, w3.shape).reshape(w.shape)
    assert gathered.dtype == outer.dtype
    np.testing.assert_array_equal(outer, gathered)
    if not fixed:
        np.testing.assert_array_equal(np.signbit(outer), np.signbit(gathered))
    assert np.count_nonzero(gathered) > w.size // 2
