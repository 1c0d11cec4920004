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
from scipy import stats as _st


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
        p = float(_st.wilcoxon(nz, zero_method="wilcox", alternative="two-sided").pvalue) if nz.size >= 1 else 1.0
        if math.isnan(p):
            p = 1.0
    sd = float(d.std(ddof=1)) if n > 1 else 0.0
    dz = float(d.mean() / sd) if sd > 0 else (0.0 if d.mean() == 0 else math.copysign(99.0, d.mean()))  # capped: JSON has no inf
    return PairedTest(n, float(d.mean()), float(np.median(d)), p, effect, dz)


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


def chi2_contingency_p(table: Sequence[Sequence[int]]) -> float:
    """p-value that rows and columns are independent (Fisher exact for 2x2, else chi-square)."""
    t = np.asarray(table, dtype=float)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0] if t.size else t
    if t.ndim != 2 or t.shape[0] < 2 or t.shape[1] < 2:
        return 1.0
    if t.shape == (2, 2):
        return float(_st.fisher_exact(t.astype(int)).pvalue)
    return float(_st.chi2_contingency(t, correction=False).pvalue)
