"""Trait directions from paired activations, and how well they hold up on held-out pairs.

Why one module for fitting and scoring: the baselines re-fit (the shuffled-label baseline
re-extracts with labels swapped in random pairs), so the methods and their evaluation must agree
on every convention. Everything here is numpy (scikit-learn for the probe and AUROC): no torch,
so it is tested on synthetic activations in milliseconds.

Conventions
    Activations come per side as ``[n_pairs, hidden]`` arrays, row ``i`` of the positives matched
    with row ``i`` of the negatives. Every method returns a unit vector whose sign is fixed so
    that the training positives project higher than the training negatives on average.

Methods
    ``mean_diff``: mean of positives minus mean of negatives. ``probe``: logistic regression on
    centred, unit-normalised activations (so the probe cannot lean on the activation norm, which varies
    with length and position); the normalised rows are scaled by sqrt(hidden) so that each
    coordinate has unit RMS, the scale scikit-learn's default ``C=1`` is meant for. ``pca``: the
    first principal component of the paired differences, uncentred (the differences' second
    moment, so the shared offset between the sides is the signal rather than being removed).

Scores (on held-out pairs)
    ``accuracy``: a text is called positive when its projection exceeds the midpoint of the two
    class means of the TRAINING projections. ``auroc``: ``roc_auc_score`` of the projections.
    ``cohens_d``: difference of held-out class means over the pooled SD. ``pair_accuracy``: share
    of held-out pairs whose positive projects higher than its negative. ``r_trait``: the
    point-biserial correlation of projection with label (Pearson with labels 1/0).

Baselines (at a method's best layer)
    ``random``: 16 seeded random unit directions, each sign-fixed on the training split like a
    real method, scored the same way; mean (and max AUROC) reported. ``shuffled``: the method
    re-fit on training pairs whose sides are swapped for a random half of pairs (exactly half,
    so no share of the true difference survives; 32 seeded shuffles, as each one can land
    far from chance on either side when the trait is strong), scored against the TRUE held-out labels; mean reported. Uncentred PCA of paired
    differences ignores which side is which except for the sign, so its shuffled baseline only
    tests the sign: it is reported, with that caveat stored beside it.

Confound projections
    For each text feature the confound audits measure, the Pearson correlation of held-out
    projections with the feature, computed separately within the positive and within the
    negative texts and averaged (``r_within``). Within a class the trait label is fixed, so a
    projection that still follows the feature responds to the feature itself. Verdicts:
    ``dominated`` when ``|r_within| > |r_trait|`` and ``|r_within| >= 0.3`` (the projection
    follows the confound more closely than it follows the trait; the floor keeps two noise-level
    correlations of a vector without signal from being called dominant), else ``tracks`` when
    ``|r_within| >= 0.5`` (a strong within-class correlation), else ``ok``. A feature constant within both classes has no
    correlation (``None``) and verdict ``n/a``.
"""
from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

METHODS = ("mean_diff", "probe", "pca")
VERSION = 3  # bump when a method, score or verdict rule changes: stored vectors are then re-extracted
RANDOM_DIRECTIONS = 16
SHUFFLES = 32  # a strong trait gives each shuffle an AUROC far from 0.5 either way: average many
TRACKS_AT = 0.5
DOMINATED_MIN = 0.3  # below this a within-class r is not called dominant, even over a trait r near 0
MIN_CONFOUND_PAIRS = 10  # fewer held-out pairs: correlations are shown but no verdict is given
FIRST_PERSON = frozenset({"i", "me", "my", "mine", "myself", "we", "us", "our", "ours", "ourselves"})
_WORD = re.compile(r"\w+(?:['’]\w+)*")
PCA_SHUFFLE_NOTE = ("uncentred PCA of paired differences does not depend on which side is which except "
                    "for the sign, so this baseline only tests the sign")


# directions ---------------------------------------------------------------------------------------
def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    if not math.isfinite(norm) or norm == 0.0:
        raise ValueError("the direction is zero: the two sides have identical activations")
    return (vector / norm).astype(np.float32)


def fix_sign(direction: np.ndarray, pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """``direction`` or its negation, whichever makes ``pos`` project higher than ``neg`` on average."""
    gap = float((pos @ direction).mean() - (neg @ direction).mean())
    return direction if gap >= 0 else -direction


def mean_diff(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """Mean of the positives minus mean of the negatives, as a unit vector."""
    return _unit(pos.astype(np.float64).mean(axis=0) - neg.astype(np.float64).mean(axis=0))


def probe(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """Logistic-regression weights on centred, unit-normalised activations, as a unit vector.

    Centred on the mean of the training activations first: residual streams share a large common
    offset, and normalising around it would bend the class difference towards the tangent of the
    offset (the probe would lose the component of the trait along the mean direction).
    """
    from sklearn.linear_model import LogisticRegression

    x = np.concatenate([pos, neg]).astype(np.float64)
    x -= x.mean(axis=0)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    x = x / np.where(norms > 0, norms, 1.0) * math.sqrt(x.shape[1])
    y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    if len(set(y.tolist())) < 2:
        raise ValueError("the probe needs examples of both sides")
    model = LogisticRegression(C=1.0, solver="newton-cg", max_iter=1000)  # ~6-9 Newton steps here
    model.fit(x, y)
    return _unit(model.coef_[0])


def pca(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """First principal component of the paired differences ``pos[i] - neg[i]``, uncentred."""
    diffs = pos.astype(np.float64) - neg.astype(np.float64)
    _, _, vt = np.linalg.svd(diffs, full_matrices=False)
    return _unit(vt[0])


_FITS = {"mean_diff": mean_diff, "probe": probe, "pca": pca}


def fit_direction(method: str, pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """The unit direction of ``method`` on paired training activations, sign-fixed."""
    if method not in _FITS:
        raise ValueError(f"unknown method {method!r}; known: {', '.join(METHODS)}")
    if len(pos) != len(neg) or len(pos) == 0:
        raise ValueError("paired methods need the same, non-zero number of positives and negatives")
    return fix_sign(_FITS[method](pos, neg), pos, neg)


# splitting -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Split:
    """Pair indices (into the pairs extracted from) for training and held-out evaluation."""

    train: list[int]
    val: list[int]


def split_pairs(n_pairs: int, val_fraction: float, seed: int) -> Split:
    """Seeded shuffle of the pairs, then the first ``round(val_fraction * n)`` are held out.

    By pair, never by text (both sides of a pair are on the same side of the split, so a pair's
    shared wording cannot leak), and shuffled (never simply the file's last lines, which are
    often written last and differ in style). At least 2 pairs on each side.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val fraction must be between 0 and 1, not {val_fraction}")
    if n_pairs < 4:
        raise ValueError(f"needs at least 4 pairs to split into training and held-out pairs (has {n_pairs})")
    n_val = min(max(2, round(val_fraction * n_pairs)), n_pairs - 2)
    order = np.random.default_rng(seed).permutation(n_pairs).tolist()
    return Split(train=sorted(order[n_val:]), val=sorted(order[:n_val]))


# scores ---------------------------------------------------------------------------------------------
def _r(value: float | None, digits: int = 4) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    """Pearson correlation, or None when either side is constant or there are < 3 points."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if len(x) < 3 or x.std() == 0 or y.std() == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def cohens_d(pos: np.ndarray, neg: np.ndarray) -> float | None:
    """(mean pos - mean neg) / pooled SD; None when the pooled SD is 0 or a class has < 2 points."""
    n1, n2 = len(pos), len(neg)
    if n1 < 2 or n2 < 2:
        return None
    pooled = ((n1 - 1) * pos.var(ddof=1) + (n2 - 1) * neg.var(ddof=1)) / (n1 + n2 - 2)
    if pooled <= 0:
        return None
    return float((pos.mean() - neg.mean()) / math.sqrt(pooled))


def score(direction: np.ndarray, train_pos: np.ndarray, train_neg: np.ndarray,
          val_pos: np.ndarray, val_neg: np.ndarray) -> dict[str, float | None]:
    """Held-out accuracy, AUROC, Cohen's d, pair accuracy and r_trait of one direction."""
    from sklearn.metrics import roc_auc_score

    threshold = 0.5 * (float((train_pos @ direction).mean()) + float((train_neg @ direction).mean()))
    p, q = val_pos @ direction, val_neg @ direction
    labels = np.concatenate([np.ones(len(p)), np.zeros(len(q))])
    proj = np.concatenate([p, q]).astype(np.float64)
    return {
        "accuracy": _r(float(((p > threshold).sum() + (q <= threshold).sum()) / len(proj))),
        "auroc": _r(float(roc_auc_score(labels, proj))),
        "cohens_d": _r(cohens_d(p.astype(np.float64), q.astype(np.float64))),
        "pair_accuracy": _r(float((p > q).mean())),
        "r_trait": _r(pearson(proj, labels)),
    }


def best_layer(rows: Sequence[dict[str, Any]]) -> int:
    """The layer with the highest held-out AUROC; ties by accuracy, then Cohen's d, then the earlier layer."""
    def key(row: dict[str, Any]) -> tuple[float, float, float, int]:
        return (row["auroc"] if row["auroc"] is not None else -1.0,
                row["accuracy"] if row["accuracy"] is not None else -1.0,
                row["cohens_d"] if row["cohens_d"] is not None else -math.inf,
                -row["layer"])
    return int(max(rows, key=key)["layer"])


def _mean_scores(rows: list[dict[str, float | None]]) -> dict[str, float | None]:
    """Mean of each score over the baseline's directions, and the SD of their AUROC (its spread)."""
    out: dict[str, float | None] = {}
    for name in ("accuracy", "auroc", "cohens_d", "pair_accuracy"):
        got = [r[name] for r in rows if r[name] is not None]
        out[name] = _r(sum(got) / len(got)) if got else None
    aurocs = [r["auroc"] for r in rows if r["auroc"] is not None]
    out["auroc_sd"] = _r(float(np.std(aurocs))) if len(aurocs) > 1 else None
    return out


def random_baseline(train_pos: np.ndarray, train_neg: np.ndarray, val_pos: np.ndarray, val_neg: np.ndarray,
                    seed: int, n: int = RANDOM_DIRECTIONS) -> dict[str, Any]:
    """Mean scores of ``n`` seeded random unit directions, each sign-fixed on the training pairs."""
    rng = np.random.default_rng([seed, 1])
    rows = []
    for _ in range(n):
        direction = _unit(rng.standard_normal(train_pos.shape[1]))
        rows.append(score(fix_sign(direction, train_pos, train_neg), train_pos, train_neg, val_pos, val_neg))
    aurocs = [r["auroc"] for r in rows if r["auroc"] is not None]
    return {**_mean_scores(rows), "max_auroc": max(aurocs) if aurocs else None, "directions": n}


def shuffled_baseline(method: str, train_pos: np.ndarray, train_neg: np.ndarray, val_pos: np.ndarray,
                      val_neg: np.ndarray, seed: int, n: int = SHUFFLES) -> dict[str, Any]:
    """Mean scores of ``method`` re-fit with the sides swapped in a random half of training pairs."""
    rng = np.random.default_rng([seed, 2])
    rows = []
    for _ in range(n):
        # exactly half: with a random count, the direction keeps a share of the true difference
        # proportional to the imbalance, which a strong trait turns into a biased baseline
        swap = np.zeros(len(train_pos), dtype=bool)
        swap[rng.permutation(len(train_pos))[: len(train_pos) // 2]] = True
        pos = np.where(swap[:, None], train_neg, train_pos)
        neg = np.where(swap[:, None], train_pos, train_neg)
        try:
            direction = fit_direction(method, pos, neg)
        except ValueError:
            continue
        rows.append(score(direction, pos, neg, val_pos, val_neg))
    out: dict[str, Any] = {**_mean_scores(rows), "shuffles": len(rows)}
    if method == "pca":
        out["note"] = PCA_SHUFFLE_NOTE
    return out


# confounds -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ConfoundFeature:
    """One text feature per side, aligned with the pairs extracted from (row i = pair i)."""

    name: str
    description: str
    positive: np.ndarray
    negative: np.ndarray


def words(text: str) -> list[str]:
    """Lower-cased word tokens (letters/digits with inner apostrophes): a torch- and spaCy-free count."""
    return [w.lower() for w in _WORD.findall(text)]


def first_person_share(text: str) -> float:
    tokens = words(text)
    return sum(t in FIRST_PERSON for t in tokens) / len(tokens) if tokens else 0.0


def text_confounds(positive: Sequence[str], negative: Sequence[str]) -> list[ConfoundFeature]:
    """The text features the confound audits measure, computed simply: length, first person, valence."""
    from traitlint.nlp.sentiment import compound

    def both(fn: Any) -> tuple[np.ndarray, np.ndarray]:
        return (np.array([fn(t) for t in positive], dtype=np.float64),
                np.array([fn(t) for t in negative], dtype=np.float64))

    return [
        ConfoundFeature("token_length", "word count of the prefill (TL304)", *both(lambda t: len(words(t)))),
        ConfoundFeature("first_person", "share of words in I/me/my/mine/myself/we/us/our/ours/ourselves (TL303)",
                        *both(first_person_share)),
        ConfoundFeature("valence", "VADER compound of the text (TL302 situation valence)", *both(compound)),
    ]


def confound_projection(feature: ConfoundFeature, val: Sequence[int], val_pos: np.ndarray,
                        val_neg: np.ndarray, r_trait: float | None) -> dict[str, Any]:
    """Within-class correlation of held-out projections (``val_pos``/``val_neg``, 1-D) with a feature."""
    rows = list(val)
    r_pos = pearson(val_pos, feature.positive[rows])
    r_neg = pearson(val_neg, feature.negative[rows])
    got = [r for r in (r_pos, r_neg) if r is not None]
    r_within = sum(got) / len(got) if got else None
    if r_within is None or len(rows) < MIN_CONFOUND_PAIRS:
        verdict = "n/a"
    elif abs(r_within) >= DOMINATED_MIN and (r_trait is None or abs(r_within) > abs(r_trait)):
        verdict = "dominated"
    elif abs(r_within) >= TRACKS_AT:
        verdict = "tracks"
    else:
        verdict = "ok"
    return {"r_pos": _r(r_pos), "r_neg": _r(r_neg), "r_within": _r(r_within), "r_trait": _r(r_trait),
            "verdict": verdict}


# one trait ---------------------------------------------------------------------------------------------
@dataclass
class MethodResult:
    """One method's vectors (one row per extracted layer) and its held-out evaluation."""

    method: str
    layers: list[int]
    vectors: np.ndarray  # [len(layers), hidden], unit rows
    per_layer: list[dict[str, Any]]  # {"layer", accuracy, auroc, cohens_d, pair_accuracy, r_trait}
    best_layer: int
    baselines: dict[str, Any]  # {"random": ..., "shuffled": ...} at the best layer
    confounds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # feature -> per layer

    def at(self, layer: int) -> dict[str, Any]:
        return next(row for row in self.per_layer if row["layer"] == layer)

    def confounds_at(self, layer: int) -> dict[str, dict[str, Any]]:
        index = self.layers.index(layer)
        return {name: rows[index] for name, rows in self.confounds.items()}

    def summary(self) -> dict[str, Any]:
        """What goes into a vector file's metadata: every layer's scores, baselines, confounds at the best layer."""
        return {"per_layer": self.per_layer, "best_layer": self.best_layer, "best": self.at(self.best_layer),
                "baselines": self.baselines, "confounds_at_best_layer": self.confounds_at(self.best_layer)}


@contextlib.contextmanager
def single_threaded() -> Iterator[None]:
    """BLAS/OpenMP pools limited to one thread while fitting and scoring.

    Why: the matrices here are small (pairs x hidden), and once scikit-learn is imported a process
    holds several thread pools (numpy's and scipy's OpenBLAS, OpenMP); on a busy machine their
    spinning workers made one 132 x 576 SVD take 2 s instead of 20 ms. One thread is never slow
    at this size. (threadpoolctl ships with scikit-learn; without it nothing is limited.)
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - scikit-learn depends on it
        yield
        return
    with threadpool_limits(limits=1):
        yield


def evaluate(pos: np.ndarray, neg: np.ndarray, layers: Sequence[int], split: Split, methods: Sequence[str],
             seed: int, confounds: Sequence[ConfoundFeature] = ()) -> dict[str, MethodResult]:
    """Fit every method at every layer on the training pairs and score it on the held-out pairs.

    ``pos``/``neg``: ``[n_pairs, len(layers), hidden]`` paired activations.
    """
    with single_threaded():
        return _evaluate(pos, neg, layers, split, methods, seed, confounds)


def _evaluate(pos: np.ndarray, neg: np.ndarray, layers: Sequence[int], split: Split, methods: Sequence[str],
              seed: int, confounds: Sequence[ConfoundFeature]) -> dict[str, MethodResult]:
    if pos.shape != neg.shape or pos.ndim != 3 or pos.shape[1] != len(layers):
        raise ValueError(f"activations must be paired [n_pairs, {len(layers)}, hidden]; got {pos.shape} and {neg.shape}")
    tr, va = np.asarray(split.train), np.asarray(split.val)
    out: dict[str, MethodResult] = {}
    for method in methods:
        vectors = np.zeros((len(layers), pos.shape[2]), dtype=np.float32)
        rows: list[dict[str, Any]] = []
        conf: dict[str, list[dict[str, Any]]] = {f.name: [] for f in confounds}
        for i, layer in enumerate(layers):
            tp, tn, vp, vn = pos[tr, i], neg[tr, i], pos[va, i], neg[va, i]
            direction = fit_direction(method, tp, tn)
            vectors[i] = direction
            scores = score(direction, tp, tn, vp, vn)
            rows.append({"layer": int(layer), **scores})
            for feature in confounds:
                conf[feature.name].append(confound_projection(feature, split.val, vp @ direction, vn @ direction,
                                                              scores["r_trait"]))
        best = best_layer(rows)
        i = list(layers).index(best)
        tp, tn, vp, vn = pos[tr, i], neg[tr, i], pos[va, i], neg[va, i]
        baselines = {"layer": best, "random": random_baseline(tp, tn, vp, vn, seed),
                     "shuffled": shuffled_baseline(method, tp, tn, vp, vn, seed)}
        out[method] = MethodResult(method, [int(x) for x in layers], vectors, rows, best, baselines, conf)
    return out


__all__ = ["METHODS", "ConfoundFeature", "MethodResult", "Split", "best_layer", "confound_projection",
           "evaluate", "fit_direction", "fix_sign", "random_baseline", "score", "shuffled_baseline",
           "split_pairs", "text_confounds"]
