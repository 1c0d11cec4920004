"""traitlint.stats against reference implementations (scipy, scikit-learn, a textbook BH).

Why: every confound verdict is a p/q value from these few functions; two of them are hand-written
for speed (the vectorised sign test and the exact tied signed-rank path), so they are checked
against scipy on random inputs, including the edge cases (zeros, ties, n = 0, all equal).
"""
from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st

from traitlint.nlp.stats import auc, bh_adjust, paired_test, sign_test, sign_test_pvalues

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as S  # noqa: E402

FAST = settings(max_examples=150, deadline=None)


def _ref_bh(p: list[float]) -> list[float]:
    """Textbook BH: q_i = min over j with p_j >= p_i of p_j * m / #{k: p_k <= p_j}, capped at 1."""
    arr = np.asarray(p, dtype=float)
    m = arr.size
    return [min(min(1.0, float(arr[j]) * m / int(np.sum(arr <= arr[j]))) for j in range(m) if arr[j] >= arr[i])
            for i in range(m)]


@FAST
@given(S.integers(0, 400), S.integers(0, 400))
def test_sign_test_matches_scipy_binomtest(b: int, c: int) -> None:
    ref = 1.0 if b + c == 0 else float(st.binomtest(b, b + c, 0.5).pvalue)
    assert sign_test(b, c).p == pytest.approx(ref, rel=1e-9, abs=1e-300)
    assert sign_test_pvalues([b], [c])[0] == pytest.approx(ref, rel=1e-9, abs=1e-300)


@FAST
@given(S.lists(S.tuples(S.integers(0, 60), S.integers(0, 60)), min_size=0, max_size=30))
def test_vectorised_sign_test_equals_scalar_one(bc: list[tuple[int, int]]) -> None:
    got = sign_test_pvalues([b for b, _ in bc], [c for _, c in bc])
    assert got == pytest.approx([sign_test(b, c).p for b, c in bc], rel=1e-9, abs=1e-300)


@FAST
@given(S.lists(S.one_of(S.floats(0, 1, allow_nan=False), S.sampled_from([0.0, 0.01, 0.05, 1.0])),
               min_size=0, max_size=40))
def test_bh_adjust_matches_reference_and_scipy(p: list[float]) -> None:
    got = bh_adjust(p)
    assert got == pytest.approx(_ref_bh(p), abs=1e-12)
    if p:
        assert got == pytest.approx(list(st.false_discovery_control(p)), abs=1e-12)
        assert all(q >= pv - 1e-15 for q, pv in zip(got, p))  # a q-value never undercuts its p


@settings(max_examples=60, deadline=None)
@given(S.lists(S.tuples(S.integers(-4, 4), S.integers(-4, 4)), min_size=1, max_size=70),
       S.sampled_from([1.0, 0.5, 0.37]))
def test_paired_test_matches_scipy_wilcoxon(pairs: list[tuple[int, int]], scale: float) -> None:
    """Zeros dropped (Wilcoxon's method), then scipy's own choice: exact without ties (n <= 50),
    all 2**n sign flips with ties (n <= 13, the hand-vectorised path), normal approximation above."""
    x = np.array([a for a, _ in pairs]) * scale
    y = np.array([b for _, b in pairs]) * scale
    d = x - y
    nz = d[d != 0]
    res = paired_test(x, y)
    ref = float(st.wilcoxon(nz).pvalue) if nz.size else 1.0
    assert res.p == pytest.approx(1.0 if np.isnan(ref) else ref, abs=1e-9)
    assert res.n == d.size and res.mean_diff == pytest.approx(float(d.mean()))
    assert -1.0 <= res.effect <= 1.0


def test_paired_test_exact_path_covers_every_tied_small_sample_size() -> None:
    rng = np.random.default_rng(7)
    for n in range(2, 14):  # one tied sample per size (scipy's reference loop is slow)
        d = rng.choice([-3, -2, -1, 1, 2, 3], size=n)
        d[0] = d[-1]  # force a tie
        assert paired_test(d, np.zeros(n)).p == pytest.approx(float(st.wilcoxon(d).pvalue), abs=1e-12)


def test_paired_test_is_antisymmetric_under_swapping_the_sides() -> None:
    rng = np.random.default_rng(3)
    for n in (5, 13, 14, 40, 120):
        x, y = rng.integers(0, 6, n), rng.integers(0, 6, n)
        a, b = paired_test(x, y), paired_test(y, x)
        assert a.p == pytest.approx(b.p, abs=1e-12)
        assert a.effect == pytest.approx(-b.effect) and a.dz == pytest.approx(-b.dz)


@FAST
@given(S.lists(S.floats(-5, 5, allow_nan=False), min_size=1, max_size=30),
       S.lists(S.floats(-5, 5, allow_nan=False), min_size=1, max_size=30), S.booleans())
def test_auc_matches_sklearn(pos: list[float], neg: list[float], coarse: bool) -> None:
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    if coarse:  # many ties
        pos, neg = [float(round(v)) for v in pos], [float(round(v)) for v in neg]
    ref = sklearn_metrics.roc_auc_score([1] * len(pos) + [0] * len(neg), pos + neg)
    assert auc(pos, neg) == pytest.approx(ref, abs=1e-12)
    assert auc(neg, pos) == pytest.approx(1 - ref, abs=1e-12)
