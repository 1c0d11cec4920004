"""TL405 fluency_asymmetry: the two sides of a pair are about equally natural to the base model."""
from __future__ import annotations

from typing import Any

import numpy as np

from traitlint.audits.model.common import clean, identity, require_pairs, services, stored_or_compute
from traitlint.context import AuditContext
from traitlint.finding import Evidence, Finding, Severity
from traitlint.nlp.stats import paired_test
from traitlint.registry import Audit, register


def outlier_pairs(gaps: np.ndarray, z: float, min_gap: float) -> tuple[list[int], float, float]:
    """Pairs whose log-probability gap is far from the folder's typical gap.

    `gaps[i]` = total log-probability of positive i minus negative i (nats). The trait words
    themselves shift every pair's gap a little; an unnatural swap is an outlier against that: a
    robust z-score (median and MAD) of at least `z` *and* at least `min_gap` nats from the median.
    """
    med = float(np.median(gaps))
    mad = float(np.median(np.abs(gaps - med))) * 1.4826
    dev = np.abs(gaps - med)
    scale = max(mad, 1e-9)
    flagged = [int(i) for i in np.argsort(-dev, kind="stable") if dev[i] >= min_gap and dev[i] / scale >= z]
    return flagged, med, mad


@register
class FluencyAsymmetry(Audit):
    """One side of a pair is far less natural text than its partner, or one side is less fluent overall.

    What it does
        Scores every prefill with the base model's log-probability (each token given the ones
        before it, from the start of a document). Per pair, the gap is the positive side's total
        log-probability minus the negative side's. Flags the pairs whose gap is an outlier (robust
        z >= `z`, and at least `min_gap` nats from the folder's median gap), naming the less
        likely side; and warns when one side is systematically less fluent per token (Wilcoxon
        signed-rank on per-pair differences of mean token log-probability, p < `alpha` and
        |Cohen's d_z| >= `min_dz`).

    Why it matters
        A swap that makes one side ungrammatical or unnatural ("the board is uncertain the
        company's next acquisition should be") gives the vector a fluency direction to learn: the
        model's surprise, not the trait. A whole side written more awkwardly is the same confound
        at scale.

    Example
        Positive "She is confident the plan will work because" vs negative "She unsure is the plan
        will work because": the negative costs 9 nats more than the folder's typical pair.

    How to fix
        Rewrite the flagged side so both read as natural text (change a whole phrase, not a word
        in place); for a systematic gap, look for a construction only one side uses.
    """

    code = "TL405"
    name = "fluency_asymmetry"
    summary = "the two sides of each pair are about equally natural text to the base model"
    severity = Severity.WARNING
    requires = frozenset({"pairs"})
    needs_model = True
    params = {"z": 3.5, "min_gap": 4.0, "alpha": 0.01, "min_dz": 0.5, "min_pairs": 8}
    rationale = "An unnatural side gives the vector a fluency (surprise) direction to learn instead of the trait."
    fix = "Rewrite the less natural side of the flagged pairs so both read as fluent text."

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        svc = services(ctx)
        ds = ctx.dataset
        require_pairs(ds, params["min_pairs"])
        ident = identity(ctx, self.code, params)

        def run() -> tuple[dict[str, Any], dict[str, Any]]:
            n = len(ds.pairs)
            scored = svc.token_logprobs([p.text for p in ds.positive] + [p.text for p in ds.negative])
            total = np.array([float(np.sum(s)) for s in scored])
            per_token = np.array([float(np.mean(s)) if s else 0.0 for s in scored])
            gaps = total[:n] - total[n:]
            flagged, med, mad = outlier_pairs(gaps, params["z"], params["min_gap"])
            test = paired_test(per_token[:n], per_token[n:])
            rows = [{"pair": i + 1, "gap": clean(float(gaps[i]), 2), "less_likely": "negative" if gaps[i] > med else "positive"}
                    for i in flagged]
            metrics = {"pairs": n, "median_gap": clean(med, 3), "mad_gap": clean(mad, 3), "flagged": rows,
                       "per_token": {"positive_mean": clean(float(per_token[:n].mean()), 4),
                                     "negative_mean": clean(float(per_token[n:].mean()), 4),
                                     "mean_diff": clean(test.mean_diff, 4), "p": test.p, "dz": clean(test.dz, 3),
                                     "effect": clean(test.effect, 3)}}
            details = {"total_logprob": {"positive": [clean(v, 3) for v in total[:n]],
                                         "negative": [clean(v, 3) for v in total[n:]]}}
            return metrics, details

        return stored_or_compute(ctx, self.name, ident, run)

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        ds = ctx.dataset
        out: list[Finding] = []
        rows = metrics["flagged"]
        if rows:
            ev = []
            for r in rows:
                prompt = ds.side(r["less_likely"])[r["pair"] - 1]
                ev.append(Evidence(prompt.file, prompt.line, f"[{r['less_likely']} less likely, gap {r['gap']:+g} nats] {prompt.text}"))
            out.append(self.finding(
                Severity.WARNING, f"{len(rows)} pair(s) where one side is far less likely than its partner "
                f"(median gap {metrics['median_gap']:+g} nats, MAD {metrics['mad_gap']:g})",
                {"flagged": rows[:20], "median_gap": metrics["median_gap"]},
                f"robust z < {params['z']:g} or |gap - median| < {params['min_gap']:g} nats", ev))
        pt = metrics["per_token"]
        if pt["p"] < params["alpha"] and abs(pt["dz"]) >= params["min_dz"]:
            worse = "negative" if pt["mean_diff"] > 0 else "positive"
            out.append(self.finding(
                Severity.WARNING, f"the {worse} side is systematically less fluent: mean token log-probability "
                f"{pt['positive_mean']:g} (positive) vs {pt['negative_mean']:g} (negative), Wilcoxon p={pt['p']:.2g}, "
                f"d_z={pt['dz']:g}", pt, f"p >= {params['alpha']:g} or |d_z| < {params['min_dz']:g}"))
        return out
