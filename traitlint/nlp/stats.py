"""Paired statistics for small matched data (15-500 pairs).

Pairs are the unit: binary features are tested on discordant pairs with an exact binomial (sign)
test, continuous ones with the Wilcoxon signed-rank test on per-pair differences, and families
of tests are corrected with Benjamini-Hochberg. Every test returns an effect size beside its p.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np


class _LazyScipyStats:
    """`scipy.stats`, imported on first use.

    Why: importing scipy.stats costs ~0.4 s, and every audit module imports this one, so
    `traitlint audits` and `traitlint explain` (which only read the audit table) paid it too.
    """

    def __getattr__(self, name: str) -> object:
        from scipy import stats

        return getattr(stats, name)


_st = _LazyScipyStats()


@dataclass(frozen=True)
class SignTest:
    """Discordant-pair test for a binary feature: b = only positive has it, c = only negative."""

    b: int
    c: int
    p: float
    share: float  # b / (b + c): 1.0 = only ever on the positive side, 0.0 = only negative

    @property
    def discordant(self) -> int:
        return self.b + self.c


def sign_test(b: int, c: int) -> SignTest:
    """Exact two-sided binomial test of b vs c (McNemar's exact test)."""
    n = b + c
    if n == 0:
        return SignTest(b, c, 1.0, 0.5)
    p = float(_st.binomtest(b, n, 0.5, alternative="two-sided").pvalue)
    return SignTest(b, c, min(1.0, p), b / n)


@dataclass(frozen=True)
class PairedTest:
    """Wilcoxon signed-rank on per-pair differences (positive - negative)."""

    n: int
    mean_diff: float
    median_diff: float
    p: float
    effect: float  # matched-pairs rank-biserial correlation in [-1, 1]
    dz: float  # Cohen's d_z = mean(diff) / sd(diff)


def paired_test(positive: Sequence[float], negative: Sequence[float]) -> PairedTest:
    x = np.asarray(positive, dtype=float)
    y = np.asarray(negative, dtype=float)
    d = x - y
    n = int(d.size)
    if n == 0:
        return PairedTest(0, 0.0, 0.0, 1.0, 0.0, 0.0)
    nz = d[d != 0]
    if nz.size == 0:
        p, effect = 1.0, 0.0
    else:
        ranks = _st.rankdata(np.abs(nz))
        r_plus, r_minus = ranks[nz > 0].sum(), ranks[nz < 0].sum()
        effect = float((r_plus - r_minus) / ranks.sum())
        if nz.size <= 13 and np.unique(np.abs(nz)).size < nz.size:
            p = _exact_signed_rank_p(ranks, nz > 0)  # what scipy computes here, without its slow permutation loop
        else:
            p = float(_st.wilcoxon(nz, zero_method="wilcox", alternative="two-sided").pvalue) if nz.size >= 1 else 1.0
        if math.isnan(p):
            p = 1.0
    sd = float(d.std(ddof=1)) if n > 1 else 0.0
    dz = float(d.mean() / sd) if sd > 0 else (0.0 if d.mean() == 0 else math.copysign(99.0, d.mean()))  # capped: JSON has no inf
    return PairedTest(n, float(d.mean()), float(np.median(d)), p, effect, dz)


def _exact_signed_rank_p(ranks: np.ndarray, positive: np.ndarray) -> float:
    """Exact two-sided p of the signed-rank statistic by enumerating all 2**n sign flips (n <= 13).

    Same value as scipy's `wilcoxon` for small samples with tied ranks (it runs `permutation_test`
    over the same 2**n flips through a Python-level loop, ~1 s per call); vectorised here.
    """
    n = ranks.size
    observed = float(ranks[positive].sum())
    flips = ((np.arange(2 ** n)[:, None] >> np.arange(n)) & 1).astype(float)
    null = flips @ ranks
    tol = 1e-14 * max(1.0, abs(observed))
    p = 2 * min(float(np.mean(null >= observed - tol)), float(np.mean(null <= observed + tol)))
    return min(1.0, p)


def bh_adjust(pvalues: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg q-values, in input order."""
    p = np.asarray(pvalues, dtype=float)
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return [float(v) for v in out]


def auc(scores_pos: Sequence[float], scores_neg: Sequence[float]) -> float:
    """Probability a positive text scores above a negative one (ties count half): 0.5 = no signal."""
    x = np.asarray(scores_pos, dtype=float)
    y = np.asarray(scores_neg, dtype=float)
    if x.size == 0 or y.size == 0:
        return 0.5
    ranks = _st.rankdata(np.concatenate([x, y]))
    u = ranks[: x.size].sum() - x.size * (x.size + 1) / 2
    return float(u / (x.size * y.size))


def auc_margin(value: float) -> float:
    """|AUC - 0.5|, rounded to 9 places so that AUC 0.7 and 0.3 are the same distance from chance
    (in floating point 0.7 - 0.5 = 0.19999999999999996 while 0.5 - 0.3 = 0.2: a `>= 0.2` margin would
    flag one direction and not the mirror image)."""
    return round(abs(value - 0.5), 9)


def chi2_contingency_p(table: Sequence[Sequence[int]]) -> float:
    """p-value that rows and columns are independent (Fisher exact for 2x2, else chi-square)."""
    t = np.asarray(table, dtype=float)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0] if t.size else t
    if t.ndim != 2 or t.shape[0] < 2 or t.shape[1] < 2:
        return 1.0
    if t.shape == (2, 2):
        return float(_st.fisher_exact(t.astype(int)).pvalue)
    return float(_st.chi2_contingency(t, correction=False).pvalue)


def sign_test_pvalues(b: Sequence[int], c: Sequence[int]) -> list[float]:
    """Vectorised exact two-sided sign test: the same p as `sign_test(b, c).p`, for many features at once.

    For p0 = 0.5 the binomial is symmetric, so the two-sided p is 2 * P(X <= min(b, c)), capped at 1.
    Used where hundreds of features per folder are tested (one scipy call instead of hundreds).
    """
    bb = np.asarray(b, dtype=int)
    cc = np.asarray(c, dtype=int)
    if bb.size == 0:
        return []
    n = bb + cc
    k = np.minimum(bb, cc)
    p = np.where(n > 0, np.minimum(1.0, 2.0 * _st.binom.cdf(k, np.maximum(n, 1), 0.5)), 1.0)
    p = np.where((n > 0) & (bb == cc), 1.0, p)
    return [float(v) for v in p]
