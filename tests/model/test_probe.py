"""TL404's probe on synthetic activations: it finds a planted direction and never sees a partner."""
from __future__ import annotations

import numpy as np
import pytest

from traitlint.audits.model.probe import probe_accuracies


def _acts(n: int, signal: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(n, 2, 16))  # two layers, 16 dims; pairs share their base vector
    direction = np.zeros(16)
    direction[3] = 1.0
    pos = base + rng.normal(scale=0.1, size=base.shape)
    neg = base + rng.normal(scale=0.1, size=base.shape)
    pos[:, 1] += signal * direction  # only layer 1 carries the trait
    neg[:, 1] -= signal * direction
    return np.concatenate([pos, neg]), np.array([1] * n + [0] * n), np.array(list(range(n)) * 2)


def test_the_layer_with_the_planted_direction_separates_and_the_other_does_not():
    acts, labels, groups = _acts(40, 3.0)  # +-3 sd on one axis: separable single texts
    noise, signal = probe_accuracies(acts, labels, groups, folds=5, c=1.0)
    assert signal >= 0.95
    assert noise <= 0.7


@pytest.mark.parametrize("seed", [0, 1])
def test_no_signal_stays_near_chance(seed):
    acts, labels, groups = _acts(40, 0.0, seed)
    assert max(probe_accuracies(acts, labels, groups, folds=5, c=1.0)) <= 0.72


def test_pairs_are_ordered_when_situations_vary_far_more_than_the_trait():
    """Each pair shares a large situation vector (sd 1 on every axis); the trait moves one axis by
    +-0.4 within the pair. Single texts are hard to split with one threshold; pairs are easy."""
    from traitlint.audits.model.probe import probe_scores

    rng = np.random.default_rng(3)
    n = 80
    base = rng.normal(size=(n, 1, 16)) * 1.0
    pos, neg = base.copy(), base.copy()
    pos[:, 0, 3] += 0.4
    neg[:, 0, 3] -= 0.4
    acts = np.concatenate([pos + rng.normal(scale=0.05, size=pos.shape), neg + rng.normal(scale=0.05, size=neg.shape)])
    labels, groups = np.array([1] * n + [0] * n), np.array(list(range(n)) * 2)
    (text,), (pair,) = probe_scores(acts, labels, groups, folds=5, c=1.0)
    assert pair >= 0.9 and text <= 0.75, (text, pair)
    (t0,), (p0,) = probe_scores(np.concatenate([base, base]), labels, groups, folds=5, c=1.0)
    assert p0 == 0.5  # identical texts: every pair is a tie
