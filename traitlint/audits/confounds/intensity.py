"""TL305 intensity_mismatch: the words that differ within a pair are of matched intensity."""
from __future__ import annotations

from typing import Any

import numpy as np

from traitlint.audits.confounds.view import SIDES, FolderView, TextView, clean, fmt_p, folder_view, interleave_evidence
from traitlint.context import AuditContext
from traitlint.finding import Finding, Severity
from traitlint.nlp.lexicon import BOOSTERS, DAMPENERS
from traitlint.nlp.sentiment import word_valence
from traitlint.nlp.stats import bh_adjust, paired_test
from traitlint.registry import Audit, register


def _modifier(tv: TextView, i: int, lexicon: dict[str, float]) -> float:
    """Weight of token i as an intensity modifier: counted only before an adjective or adverb
    (or always for -ly adverbs), so "so I" is not a booster but "so happy" is."""
    w = tv.lower[i]
    if w not in lexicon:
        return 0.0
    nxt = tv.pos[i + 1] if i + 1 < len(tv) else ""
    if nxt in ("ADJ", "ADV") or (w.endswith("ly") and nxt in ("VERB", "AUX")):
        return lexicon[w]
    return 0.0


def span_intensity(tv: TextView, idx: Any, valence_weight: float) -> dict[str, float]:
    """Intensity of the tokens `idx` of one text: boosters - dampeners + '!' + CAPS + weighted |valence|."""
    boost = damp = excl = caps = 0.0
    strongest = 0.0
    for i in idx:
        w = tv.lower[i]
        strongest = max(strongest, abs(word_valence(w)))
        if tv.trait[i]:
            # A declared trait word that is also a booster/dampener or "!" ("definitely" vs "maybe"
            # for confidence, "!" for informality) is the trait signal itself, not extra intensity.
            continue
        boost += _modifier(tv, i, BOOSTERS)
        damp += _modifier(tv, i, DAMPENERS)
        if "!" in w:
            excl += 1
        word = tv.words[i]
        if len(word) >= 3 and word.isalpha() and word.isupper():
            caps += 1
    mods = boost - damp + min(excl, 3) + min(caps, 3)
    return {"score": mods + valence_weight * strongest, "modifiers": mods, "valence": strongest}


@register
class IntensityMismatch(Audit):
    """What it does
    Compares the intensity of the words that differ within each pair (the trait signal): boosters
    ("very", "extremely") minus dampeners ("slightly", "somewhat"), exclamation marks and CAPS words
    (capped at 3 each), plus `valence_weight` x the strongest absolute VADER valence among them.
    Declared trait words never count as modifiers (for a confidence trait "definitely" vs "maybe"
    *is* the signal, for informality "!" is), but their valence does ("thrilled" vs "worried").
    Wilcoxon signed-rank on the per-pair difference; warning when q <= `alpha`, |rank-biserial r|
    >= `min_effect` and the mean difference is at least `min_diff` (one booster's worth). The
    valence part is down-weighted because VADER's magnitudes differ between ordinary opposite words
    ("hopeful" 2.3 vs "worried" 1.2) while explicit modifiers are deliberate; for the same reason the
    modifiers alone are tested too (Wilcoxon on their per-pair difference, same `min_effect`, mean
    difference at least `min_modifier_diff`): "extremely hopeful" vs "worried" in most pairs is a
    mismatch even when the words' VADER valences happen to pull the other way. The two p-values are
    Benjamini-Hochberg corrected together (q).

    Why it matters
    "thrilled" vs "slightly concerned" teaches the vector intensity (or arousal) along with the
    trait; steering then exaggerates instead of shifting the trait.

    Example
    POS "...and I'm absolutely thrilled!" / NEG "...and I'm a bit concerned." in most pairs: warning.

    Detection power (benchmarks/power_table.py, the test suite's synthetic set)
    A booster ("extremely") on the positive side in a share of the pairs reaches this audit's
    verdict from 50% of pairs at n = 20, 50% at n = 50 and 50% at n = 150; it does not improve with
    n: an effect-size rule decides, not the p-value, so a smaller share is not caught however many
    pairs there are.

    How to fix
    Match the strength of the signal on both sides (moderate by default): "hopeful"/"worried",
    "thrilled"/"devastated", and use boosters and "!" equally on both sides.
    """

    code = "TL305"
    name = "intensity_mismatch"
    summary = "The trait signal has matched intensity on both sides."
    rationale = "A vector trained on strong-vs-mild wording learns intensity."
    fix = "Match the strength of the wording on both sides; use boosters and '!' equally."
    severity = Severity.WARNING
    params = {"alpha": 0.05, "min_effect": 0.5, "min_diff": 1.0, "min_modifier_diff": 0.5, "valence_weight": 0.5}
    requires = frozenset({"pairs"})

    def _scores(self, view: FolderView, params: dict[str, Any]) -> dict[str, list[dict[str, float]]]:
        weight = float(params["valence_weight"])

        def build() -> dict[str, list[dict[str, float]]]:
            out: dict[str, list[dict[str, float]]] = {s: [] for s in SIDES}
            for p, q, d in zip(view.positive, view.negative, view.diffs()):
                out["positive"].append(span_intensity(p, d.positive_diff, weight))
                out["negative"].append(span_intensity(q, d.negative_diff, weight))
            return out
        return view.memo(f"intensity:{weight}", build)

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        view = folder_view(ctx)
        sc = self._scores(view, params)
        t = paired_test([x["score"] for x in sc["positive"]], [x["score"] for x in sc["negative"]])
        tm = paired_test([x["modifiers"] for x in sc["positive"]], [x["modifiers"] for x in sc["negative"]])
        q, qm = bh_adjust([t.p, tm.p])
        comp = {}
        for part in ("modifiers", "valence"):
            comp[part] = {s: clean(float(np.mean([x[part] for x in sc[s]]))) for s in SIDES}
        return {"pairs": view.n, "mean_positive": clean(float(np.mean([x["score"] for x in sc["positive"]]))),
                "mean_negative": clean(float(np.mean([x["score"] for x in sc["negative"]]))),
                "mean_diff": clean(t.mean_diff), "p": clean(t.p, 8), "q": clean(q, 8), "rank_biserial": clean(t.effect),
                "dz": clean(t.dz), "components": comp,
                "modifier_test": {"mean_diff": clean(tm.mean_diff), "p": clean(tm.p, 8), "q": clean(qm, 8),
                                  "rank_biserial": clean(tm.effect)}}

    def _criteria(self, metrics: dict[str, Any], params: dict[str, Any]) -> list[dict[str, Any]]:
        """The tests that pass their gates: the whole intensity score, and the explicit modifiers alone."""
        hits = []
        mt = metrics.get("modifier_test")
        for test, min_diff in ((metrics, params["min_diff"]), (mt, params["min_modifier_diff"])):
            if test and (test.get("q", test["p"]) <= params["alpha"] and abs(test["rank_biserial"]) >= params["min_effect"]
                         and abs(test["mean_diff"]) >= min_diff):
                hits.append(test)
        return hits

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        hits = self._criteria(metrics, params)
        if not hits:
            return []
        view = folder_view(ctx)
        sc = self._scores(view, params)
        side = "positive" if hits[0]["mean_diff"] > 0 else "negative"
        sign = 1 if side == "positive" else -1
        part = "score" if hits[0] is metrics else "modifiers"

        def gap(i: int) -> float:
            return sign * (sc["positive"][i][part] - sc["negative"][i][part])
        pairs = view.pick([i for i in range(view.n) if gap(i) > 0], score=gap, k=3)
        comp = metrics["components"]
        mt = metrics.get("modifier_test") or {}
        mods = (f"; modifiers alone: Wilcoxon p={fmt_p(mt['p'])}, r={mt['rank_biserial']:+.2f}"
                if mt and any(h is mt for h in hits) else "")
        return [self.finding(
            Severity.WARNING, f"the {side} side's signal is more intense: mean intensity {metrics['mean_positive']:.2f} "
            f"vs {metrics['mean_negative']:.2f} (positive vs negative; modifiers "
            f"{comp['modifiers']['positive']:+.2f} vs {comp['modifiers']['negative']:+.2f}, strongest |valence| "
            f"{comp['valence']['positive']:.2f} vs {comp['valence']['negative']:.2f}); Wilcoxon p={fmt_p(metrics['p'])}, "
            f"r={metrics['rank_biserial']:+.2f}{mods}, n={metrics['pairs']}",
            metrics, {k: params[k] for k in ("alpha", "min_effect", "min_diff", "min_modifier_diff")},
            interleave_evidence(view, pairs, side))]
