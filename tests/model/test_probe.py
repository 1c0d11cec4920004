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
