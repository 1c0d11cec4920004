"""TL304 length_confound: paired length difference, its effect size and the AUC of length alone."""
from __future__ import annotations

from typing import Any

import numpy as np

from traitlint.audits.confounds.view import TextView, clean, fmt_p, folder_view, interleave_evidence
from traitlint.context import AuditContext
from traitlint.finding import Finding, Severity
from traitlint.nlp.stats import auc, auc_margin, paired_test
from traitlint.registry import Audit, register


def _n_tokens(tv: TextView) -> int:
    return len(tv.words)


@register
class LengthConfound(Audit):
    """What it does
    Compares the length in tokens of the two texts of every pair: Wilcoxon signed-rank on per-pair
    differences (with rank-biserial r and Cohen's d_z) and the AUC of length alone as a classifier,
    taken on the length each text has beyond the shorter text of its pair (a long pair and a short
    pair compare by their differences, not by their lengths).
    Error when p <= `alpha`, length alone separates the sides (|AUC - 0.5| >= `auc_margin`) and the
    mean difference is at least `error_rel_diff` of the mean length;
    warning when p <= `alpha` and the difference is systematic within pairs (|r| >= `min_effect`)
    and at least `min_rel_diff` of the mean length.

    Shared text and the relative difference: the p-value, r, d_z and the AUC depend only on per-pair
    differences, so text both sides of a pair share cannot move them (issue 13: the AUC over whole
    texts could, and a hypothesis property found a shared sentence turning an error into a warning).
    The relative difference (`rel_diff`, the mean difference over the mean length) is the one
    input it changes, on purpose: three extra tokens are a confound in a ten-token prefill and
    noise in a three-hundred-token one, and shared text makes the texts longer. Measures in tokens
    that ignore the length were tried on the corpus and changed 17 of 80 folders' verdicts the wrong
    way (ten-token texts with a 30% difference down to warnings, long ones with 8% up to errors).
    A sign-only within-pair AUC was tried too: a few one-token differences the other way (boosters
    on the positive side) outweighed eleven-token ones.

    Why it matters
    Activations (especially prefill means) carry position and length; a side that is always longer
    gives a vector that partly measures length.

    Example
    Positives one sentence, negatives the same sentence plus a neutral one: error, AUC 0.9.

    Detection power (benchmarks/power_table.py, the test suite's synthetic set)
    A neutral sentence added to the negative side in a share of the pairs reaches this audit's
    verdict from 40% of pairs at n = 20, 40% at n = 50 and 40% at n = 150; it does not improve with
    n: the AUC margin decides, not the p-value, so a smaller share is not caught however many pairs
    there are.

    How to fix
    Trim or extend texts so each pair has about the same length; where one side must be longer
    (verbosity traits), say so with an ignore reason in trait.toml.
    """

    code = "TL304"
    name = "length_confound"
    summary = "No systematic length difference between the sides."
    rationale = "Length is easy for a vector to learn and says nothing about the trait."
    fix = "Trim or extend texts so both sides of each pair have similar length."
    severity = Severity.ERROR
    params = {"alpha": 0.05, "auc_margin": 0.2, "error_rel_diff": 0.15, "min_effect": 0.5, "min_rel_diff": 0.1}
    requires = frozenset({"pairs"})

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        view = folder_view(ctx)
        lp = [_n_tokens(tv) for tv in view.positive]
        ln = [_n_tokens(tv) for tv in view.negative]
        t = paired_test(lp, ln)
        mean_all = (sum(lp) + sum(ln)) / (2 * view.n)
        # AUC of the length each text has beyond the shorter text of its pair (the extra tokens on
        # the longer side, 0 on the other): it compares sizes of differences across pairs, as the
        # AUC over whole texts compared lengths, but text both sides of a pair share cannot move it
        extra_pos = [max(a - b, 0) for a, b in zip(lp, ln)]
        extra_neg = [max(b - a, 0) for a, b in zip(lp, ln)]
        return {"pairs": view.n, "mean_positive": clean(float(np.mean(lp)), 2), "mean_negative": clean(float(np.mean(ln)), 2),
                "mean_diff": clean(t.mean_diff, 3), "rel_diff": clean(t.mean_diff / mean_all if mean_all else 0.0),
                "p": clean(t.p, 8), "rank_biserial": clean(t.effect), "dz": clean(t.dz), "auc": clean(auc(extra_pos, extra_neg)),
                "longer_positive": sum(1 for a, b in zip(lp, ln) if a > b),
                "longer_negative": sum(1 for a, b in zip(lp, ln) if a < b)}

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        if metrics["p"] > params["alpha"]:
            return []
        strong = auc_margin(metrics["auc"]) >= params["auc_margin"] and abs(metrics["rel_diff"]) >= params["error_rel_diff"]
        systematic = abs(metrics["rank_biserial"]) >= params["min_effect"] and abs(metrics["rel_diff"]) >= params["min_rel_diff"]
        if not (strong or systematic):
            return []
        view = folder_view(ctx)
        side = "positive" if metrics["mean_diff"] > 0 else "negative"
        sign = 1 if side == "positive" else -1

        def rel(i: int) -> float:
            a, b = _n_tokens(view.positive[i]), _n_tokens(view.negative[i])
            return sign * (a - b) / max(1, a + b)
        pairs = view.pick([i for i in range(view.n) if rel(i) > 0], score=rel, k=3)
        sev = Severity.ERROR if strong else Severity.WARNING
        how = (f"length alone tells the sides apart (AUC {metrics['auc']:.2f})" if strong
               else f"longer within {metrics['longer_' + side]} of {metrics['pairs']} pairs (rank-biserial r={metrics['rank_biserial']:+.2f})")
        return [self.finding(
            sev, f"{side} texts are longer: mean {metrics['mean_positive']:.1f} vs {metrics['mean_negative']:.1f} tokens "
            f"(positive vs negative; the difference is {metrics['rel_diff']:+.0%} of the mean length); {how}; Wilcoxon p={fmt_p(metrics['p'])}, "
            f"d_z={metrics['dz']:+.2f}, n={metrics['pairs']}",
            metrics, {k: params[k] for k in ("alpha", "auc_margin", "error_rel_diff", "min_effect", "min_rel_diff")},
            interleave_evidence(view, pairs, side))]
