"""TL404 probe_separability: some layer of the base model separates the two sides linearly."""
from __future__ import annotations

from typing import Any

import numpy as np

from traitlint.audits.model.common import clean, identity, position_for, require_pairs, services, stored_or_compute
from traitlint.context import AuditContext
from traitlint.finding import Finding, Severity
from traitlint.registry import Audit, register


def probe_accuracies(acts: np.ndarray, labels: np.ndarray, groups: np.ndarray, folds: int, c: float,
                     seed: int = 0) -> list[float]:
    """Held-out accuracy of a logistic probe per layer, cross-validated with folds grouped by pair.

    `acts` is ``[n_texts, n_layers, hidden]``. Rows are scaled to unit length first (the residual
    norm grows with depth; the probe should read a direction, not a magnitude), then each feature
    is standardised on the training fold: without it the L2 penalty, on features of size ~1/sqrt(hidden),
    dominates and the probe underfits (SmolLM2 on the shipped optimism set: 0.745 vs 0.80).
    Both texts of a pair are always in the same fold, so the probe never sees the partner of a
    test text.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    splitter = GroupKFold(n_splits=folds)
    order = np.random.default_rng(seed).permutation(len(labels))  # GroupKFold is deterministic in group order
    acts, labels, groups = acts[order], labels[order], groups[order]
    out = []
    for layer in range(acts.shape[1]):
        x = acts[:, layer, :].astype(np.float64)
        x = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
        correct = 0
        for train, test in splitter.split(x, labels, groups):
            probe = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))
            probe.fit(x[train], labels[train])
            correct += int((probe.predict(x[test]) == labels[test]).sum())
        out.append(correct / len(labels))
    return out


@register
class ProbeSeparability(Audit):
    """A linear probe on the base model's residual stream separates positive from negative prefills.

    What it does
        Captures the base model's residual stream at every layer at the trait's position (the
        card's extraction: prefill mean for states, modes and styles, the last prefill token for
        beliefs, wants and actions), then trains a logistic-regression probe per layer on
        unit-normalised activations and measures its held-out accuracy with `folds`-fold
        cross-validation grouped by pair. Fails when no layer reaches `min_accuracy` (0.8).
        Reports the best layer (layer L = output of decoder block L) and every layer's accuracy.

    Why it matters
        Extraction takes a difference of these activations. If no layer separates the sides, the
        model does not represent the distinction the pairs draw, and any vector is noise.

    Example
        A set whose positives and negatives differ in one rare, ambiguous word peaks at 0.6.

    How to fix
        Strengthen the signal by the extracted position (the last token commits to the
        direction); check TL402 for prefills the model reads the other way. A probe that
        separates does not show it reads the trait: the confound audits say what else differs.
    """

    code = "TL404"
    name = "probe_separability"
    summary = "a linear probe on some layer separates the classes (held-out, grouped by pair)"
    severity = Severity.ERROR
    requires = frozenset({"pairs"})
    needs_model = True
    params = {"min_accuracy": 0.8, "folds": 5, "c": 1.0, "min_pairs": 10}
    rationale = "If no layer separates the sides linearly, a difference-of-means vector is noise."
    fix = "Make the trait signal stronger at the extracted position; check TL402's failing prefills."

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        svc = services(ctx)
        ds = ctx.dataset
        require_pairs(ds, params["min_pairs"])
        position = position_for(ds)
        pooling = "mean" if position == "mean" else "last"
        ident = identity(ctx, self.code, params, pooling=pooling)

        def run() -> tuple[dict[str, Any], dict[str, Any]]:
            n = len(ds.pairs)
            acts = np.asarray(svc.activations([p.text for p in ds.positive] + [p.text for p in ds.negative], pooling))
            labels = np.array([1] * n + [0] * n)
            groups = np.array(list(range(n)) * 2)
            accs = probe_accuracies(acts, labels, groups, min(params["folds"], n), params["c"])
            best = int(np.argmax(accs))
            metrics = {"pooling": pooling, "layers": len(accs), "best_layer": best,
                       "best_accuracy": clean(accs[best], 3), "accuracy_by_layer": [clean(a, 3) for a in accs],
                       "pairs": n}
            return metrics, {}

        return stored_or_compute(ctx, self.name, ident, run)

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        if metrics["best_accuracy"] >= params["min_accuracy"]:
            return []
        return [self.finding(
            Severity.ERROR, f"no layer separates the sides: best held-out probe accuracy {metrics['best_accuracy']:.2f} "
            f"at layer {metrics['best_layer']} of {metrics['layers']} ({metrics['pooling']} pooling, "
            f"{metrics['pairs']} pairs)", {"best_accuracy": metrics["best_accuracy"], "best_layer": metrics["best_layer"]},
            f"best accuracy >= {params['min_accuracy']:g}")]
