"""TL302 valence_confound: the situation's sentiment (trait words removed) differs between the sides.

Like every paired confound audit (valence, person, length, intensity), the pair is the unit:
binary features with the exact sign test on discordant pairs, continuous ones with the Wilcoxon
signed-rank test on per-pair differences, always beside an effect size, and a finding needs both.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from traitlint.audits.confounds.view import (
    SIDES,
    FolderView,
    TextView,
    clean,
    fmt_p,
    folder_view,
    interleave_evidence,
)
from traitlint.context import AuditContext
from traitlint.finding import Finding, Severity
from traitlint.nlp.sentiment import compound
from traitlint.nlp.situation import situation_clauses
from traitlint.nlp.stats import auc, auc_margin, paired_test
from traitlint.registry import Audit, register


def _join(tv: TextView, idx: Any) -> str:
    return " ".join(tv.words[i] for i in idx if not tv.trait[i])


def situations(view: FolderView, matched_ratio: float) -> dict[str, Any]:
    """Situation text valence per side, and whether each pair's situation is free of the trait signal."""
    def build() -> dict[str, Any]:
        diffs = view.diffs() if not view.traits else [None] * view.n
        vals = {s: [] for s in SIDES}
        separable = []
        declared = bool(view.traits)
        for p, q, d in zip(view.positive, view.negative, diffs):
            if declared:  # the text minus the declared signal is the situation, on each side
                vals["positive"].append(compound(_join(p, range(len(p)))))
                vals["negative"].append(compound(_join(q, range(len(q)))))
                separable.append(True)
            elif d.shared_ratio >= matched_ratio:
                # The shared tokens match case-insensitively, but VADER reads CAPS as emphasis: score
                # both sides' spelling so that which file is called positive never matters.
                v = (compound(_join(p, d.positive_shared)) + compound(_join(q, d.negative_shared))) / 2
                vals["positive"].append(v)
                vals["negative"].append(v)
                separable.append(True)
            else:
                vals["positive"].append(compound(_join(p, range(len(p)))))
                vals["negative"].append(compound(_join(q, range(len(q)))))
                separable.append(False)
        return {"valence": vals, "separable": separable}
    return view.memo(f"situations:{matched_ratio}", build)


def clause_valence(view: FolderView, min_anchor: int) -> dict[str, list[float]]:
    """Per pair and side, the VADER valence of the situation clauses that differ before the final
    divergence (`nlp/situation.py`); 0.0 for a side without one."""
    def build() -> dict[str, list[float]]:
        vals: dict[str, list[float]] = {s: [] for s in SIDES}
        for p, q, d in zip(view.positive, view.negative, view.diffs()):
            c = situation_clauses(p.lower, q.lower, d, min_anchor)
            vals["positive"].append(compound(" ".join(p.words[i] for i in c.positive)) if c.positive else 0.0)
            vals["negative"].append(compound(" ".join(q.words[i] for i in c.negative)) if c.negative else 0.0)
        return vals
    return view.memo(f"situation-clauses:{min_anchor}", build)


@register
class ValenceConfound(Audit):
    """What it does
    Scores the valence of each text's *situation* with VADER: the text minus its declared trait
    words when `[trait.words]` is declared; without declared words, the context both sides share
    for a matched pair (at least `matched_ratio` of tokens shared), else the whole text. It then tests (1) whether situation valence differs systematically between
    the sides: Wilcoxon signed-rank on per-pair differences, with the AUC of situation valence as a
    one-feature classifier as the effect size; and (2) whether the trait is always seen with the same
    kind of news: the share of good / bad / neutral situations (VADER compound beyond +-`neutral`).

    A systematic difference (p <= `alpha` and |AUC - 0.5| >= `auc_margin`) is an error when trait
    words are declared (the situation is then measured without the signal), and a warning otherwise:
    without a card, matched pairs share their situation and contribute no difference, and in
    unmatched pairs the undeclared trait words may carry the valence themselves.
    One-sided coverage (one of good/bad is at least half of the situations and the other below
    `min_inversion_share`) is a warning: the seed wants "bad situation + optimistic" inversions.

    (3) Without declared words, the situation that differs *within* a matched pair (issue 13): a clause
    that differs between the sides before the final divergence, ends at a clause boundary (or is the
    pair's first difference and the only one in its clause) and is followed by a shared run of at least
    `clause_anchor` words ("After we won the contract, the review ..." / "After we lost the contract,
    the review ...", `nlp/situation.py`) is situation, not trait. Its valence is scored per side (VADER
    on the clause alone), and when the clauses favour one side (Wilcoxon p <= `alpha` on the per-pair
    differences, and the pairs whose positive clause is the better news minus those whose negative one
    is make at least `clause_share` of all pairs) it is a warning naming that side. Only differing
    clauses enter, so text added identically to both sides elsewhere changes nothing. Measured
    (benchmarks/accuracy_tl302.py, 77 corpus folders, 28 of them matched: most pairs share at least half
    their tokens): a good-news clause before the positives and a bad-news one before the negatives is
    found in 28 of 28 matched folders at 100% of pairs (was 7), 26 of 28 at 60% (was 2), 10 of 28 at
    30%; over all 77 folders 90%, 81%, 36%. The threshold: on the unchanged folders the net share
    reaches 0.33 with p <= 0.05 only in emotions/irritation, whose irritated side is always given the
    provocation ("The waiter brought me the wrong dish for the second time." / "The waiter brought my
    order right on time."), a real situation difference; next come guilt 0.18 and honesty_observed 0.15
    (trait clauses read as situation) and obligation 0.47 at p = 0.055; injected matched folders at 60%
    reach 0.21-0.8. A shared run of 4 words as anchor made obligation and guilt alarm, 6 lost 2 of the
    28 at 100%.

    Why it matters
    Optimism is not "good news". If positives describe promotions and negatives describe layoffs,
    the vector learns situation valence, and steering with it changes the topic, not the outlook.

    Example
    POS "I got the promotion, so I feel" / NEG "I lost my job, so I feel" for most pairs: error.

    Detection power (benchmarks/power_table.py, the test suite's synthetic set)
    Good situations on the positive side and bad ones on the negative in a share of the pairs
    reaches this audit's verdict from 40% of pairs at n = 20, 40% at n = 50 and 40% at n = 150; it
    does not improve with n: an effect-size rule decides, not the p-value, so a smaller share is not
    caught however many pairs there are.

    How to fix
    Keep the situation identical within a pair, and include both good and bad situations on both
    sides (good situation + pessimistic, bad situation + optimistic).

    What it cannot see
    VADER's lexicon has no word for many events ("After the promotion came through," and "After the
    layoffs were announced," both score 0.0), so such situations count as neutral. A situation that
    differs inside the final divergence, or in pairs that share no run of `clause_anchor` words after
    it (loosely matched folders whose texts are rewritten whole), is not separated from the trait:
    only the whole-text test (1) sees it, as a warning. A situation carried by one word inside a clause
    after the pair's first difference ("the good results" / "the bad results") ends at no clause
    boundary and is not read as situation; a trait written as a whole clause before a long shared
    run is read as situation.
    """

    code = "TL302"
    name = "valence_confound"
    summary = "Situation valence does not predict the side; both sides see good and bad situations."
    rationale = "A vector trained on good-vs-bad news learns valence, not the trait."
    fix = "Share the situation within pairs; include good and bad situations on both sides (inversions)."
    severity = Severity.ERROR
    params = {"alpha": 0.05, "auc_margin": 0.2, "neutral": 0.05, "matched_ratio": 0.5,
              "min_inversion_share": 0.1, "min_pairs_coverage": 10,
              "clause_share": 0.3, "clause_anchor": 5}
    requires = frozenset({"pairs"})

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        view = folder_view(ctx)
        sit = situations(view, float(params["matched_ratio"]))
        vp, vn = sit["valence"]["positive"], sit["valence"]["negative"]
        test = paired_test(vp, vn)
        neutral = float(params["neutral"])
        shares = {}
        for s in SIDES:
            v = np.asarray(sit["valence"][s])
            shares[s] = {"good": clean(float(np.mean(v > neutral))), "bad": clean(float(np.mean(v < -neutral))),
                         "neutral": clean(float(np.mean(np.abs(v) <= neutral)))}
        sep = np.asarray(sit["separable"], dtype=bool)
        pooled = np.concatenate([np.asarray(vp)[sep], np.asarray(vn)[sep]])
        cl = clause_valence(view, int(params["clause_anchor"]))
        cp, cn = cl["positive"], cl["negative"]
        ct = paired_test(cp, cn)
        clauses = {"pairs": int(sum(1 for a, b in zip(cp, cn) if a != b)),
                   "pairs_positive": int(sum(1 for a, b in zip(cp, cn) if a > b)),
                   "pairs_negative": int(sum(1 for a, b in zip(cp, cn) if a < b)),
                   "mean_positive": clean(float(np.mean(cp))) if cp else 0.0,
                   "mean_negative": clean(float(np.mean(cn))) if cn else 0.0,
                   "mean_diff": clean(ct.mean_diff), "p": clean(ct.p, 8), "rank_biserial": clean(ct.effect),
                   "auc": clean(auc(cp, cn))}
        return {"clauses": clauses, "pairs": view.n,
                "mean_positive": clean(float(np.mean(vp))), "mean_negative": clean(float(np.mean(vn))),
                "mean_diff": clean(test.mean_diff), "p": clean(test.p, 8), "rank_biserial": clean(test.effect),
                "auc": clean(auc(vp, vn)), "separable_share": clean(float(np.mean(sit["separable"]))),
                "shares": shares, "declared": bool(view.traits), "separable_pairs": int(sep.sum()),
                "good": clean(float(np.mean(pooled > neutral))) if pooled.size else 0.0,
                "bad": clean(float(np.mean(pooled < -neutral))) if pooled.size else 0.0}

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        view = folder_view(ctx)
        sit = situations(view, float(params["matched_ratio"]))
        vp, vn = sit["valence"]["positive"], sit["valence"]["negative"]
        out = []
        shares = metrics["shares"]
        share_txt = "; ".join(f"{s}: {shares[s]['good']:.0%} good / {shares[s]['bad']:.0%} bad / "
                              f"{shares[s]['neutral']:.0%} neutral" for s in SIDES)
        margin = auc_margin(metrics["auc"])
        if metrics["p"] <= params["alpha"] and margin >= params["auc_margin"]:
            hi = "positive" if metrics["auc"] > 0.5 else "negative"
            # Matched pairs share their situation (difference 0), so a difference comes from unmatched
            # pairs: their situation is free of the trait signal only when trait words are declared.
            sev = Severity.ERROR if metrics["declared"] else Severity.WARNING
            caveat = "" if sev is Severity.ERROR else (
                " (situations could not be separated from the trait words in most pairs; declare them in "
                "trait.toml [trait.words] to measure the situation alone)")
            sign = 1 if hi == "positive" else -1
            cands = [i for i in range(view.n) if sign * (vp[i] - vn[i]) > 0]
            pairs = view.pick(cands, score=lambda i: sign * (vp[i] - vn[i]), k=3)
            out.append(self.finding(
                sev, f"situation valence predicts the side: {hi} texts describe better news (mean VADER "
                f"{metrics['mean_positive']:+.2f} positive vs {metrics['mean_negative']:+.2f} negative, AUC "
                f"{metrics['auc']:.2f}, Wilcoxon p={fmt_p(metrics['p'])}, n={metrics['pairs']}){caveat}; {share_txt}",
                metrics, {"alpha": params["alpha"], "auc_margin": params["auc_margin"]},
                interleave_evidence(view, pairs, hi)))
        cm = metrics.get("clauses")
        if cm and not metrics["declared"] and cm["p"] <= params["alpha"] and \
                abs(net_share(cm, metrics["pairs"])) >= params["clause_share"]:
            out.append(self._clause_finding(view, cm, metrics["pairs"], params))
        if metrics["separable_pairs"] >= params["min_pairs_coverage"]:
            good, bad = metrics["good"], metrics["bad"]
            major, minor = ("bad", "good") if bad >= good else ("good", "bad")
            if max(good, bad) >= 0.5 and min(good, bad) < params["min_inversion_share"]:
                sign = -1 if major == "bad" else 1
                pairs = view.pick([i for i in range(view.n) if sit["separable"][i]],
                                  score=lambda i: sign * (vp[i] + vn[i]), k=3)
                out.append(self.finding(
                    Severity.WARNING, f"the trait is almost always seen with {major} situations "
                    f"({max(good, bad):.0%} {major}, {min(good, bad):.0%} {minor} of the {metrics['separable_pairs']} "
                    f"pairs whose situation is measurable): "
                    f"add {minor}-situation pairs on both sides (inversions)",
                    {k: metrics[k] for k in ("good", "bad", "shares", "pairs", "separable_pairs")},
                    {"min_inversion_share": params["min_inversion_share"]},
                    [_situation_text(view, i, sign * vp[i], sign * vn[i]).evidence() for i in pairs],
                    hint=f"Write pairs set in {minor} situations, for both sides of the trait."))
        return out

    def _clause_finding(self, view: FolderView, cm: dict[str, Any], n: int, params: dict[str, Any]) -> Finding:
        """The situation clauses that differ within pairs (before the final divergence) predict the side."""
        cl = clause_valence(view, int(params["clause_anchor"]))
        cp, cn = cl["positive"], cl["negative"]
        net = net_share(cm, n)
        hi = "positive" if net > 0 else "negative"
        sign = 1 if hi == "positive" else -1
        pairs = view.pick([i for i in range(view.n) if sign * (cp[i] - cn[i]) > 0],
                          score=lambda i: sign * (cp[i] - cn[i]), k=3)
        better = cm["pairs_positive"] if hi == "positive" else cm["pairs_negative"]
        worse = cm["pairs_negative"] if hi == "positive" else cm["pairs_positive"]
        return self.finding(
            Severity.WARNING, f"the situation differs within pairs and predicts the side: a clause before the "
            f"trait differs between the sides in {cm['pairs']} of {n} pairs, and the {hi} side's clause is the "
            f"better news in {better} of them (the other side's in {worse}; mean VADER {cm['mean_positive']:+.2f} "
            f"positive vs {cm['mean_negative']:+.2f} negative, Wilcoxon p={fmt_p(cm['p'])})",
            {"clauses": cm, "pairs": n, "side": hi},
            {"alpha": params["alpha"], "clause_share": params["clause_share"], "clause_anchor": params["clause_anchor"]},
            interleave_evidence(view, pairs, hi),
            hint="Keep the situation identical within a pair, so that only the trait differs; set good and bad "
                 "situations on both sides.")


def net_share(cm: dict[str, Any], n: int) -> float:
    """(pairs whose positive clause is the better news - pairs whose negative one is) / all pairs."""
    return (cm["pairs_positive"] - cm["pairs_negative"]) / n if n else 0.0


def _situation_text(view: FolderView, i: int, score_pos: float, score_neg: float) -> TextView:
    """The text of pair `i` that shows its situation best (higher score; on a tie the text that sorts
    first), chosen by content so that swapping the files shows the same line."""
    p, q = view.positive[i], view.negative[i]
    if score_pos != score_neg:
        return p if score_pos > score_neg else q
    return p if p.prompt.text <= q.prompt.text else q
