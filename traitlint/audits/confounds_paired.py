"""Paired confounds: TL302 valence, TL303 person, TL304 length, TL305 intensity.

Each compares the two texts of every pair (the pair is the unit): binary features with the exact
sign test on discordant pairs, continuous ones with the Wilcoxon signed-rank test on per-pair
differences, always beside an effect size, and a finding needs both.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from traitlint.audits.confounds_common import OTHER, SIDES, FolderView, TextView, clean, fmt_p, folder_view, interleave_evidence
from traitlint.context import AuditContext
from traitlint.finding import Finding, Severity
from traitlint.lexicon import BOOSTERS, DAMPENERS
from traitlint.registry import Audit, register
from traitlint.sentiment import compound, word_valence
from traitlint.stats import auc, bh_adjust, paired_test, sign_test


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

    Why it matters
    Optimism is not "good news". If positives describe promotions and negatives describe layoffs,
    the vector learns situation valence, and steering with it changes the topic, not the outlook.

    Example
    POS "I got the promotion, so I feel" / NEG "I lost my job, so I feel" for most pairs: error.

    How to fix
    Keep the situation identical within a pair, and include both good and bad situations on both
    sides (good situation + pessimistic, bad situation + optimistic).
    """

    code = "TL302"
    name = "valence_confound"
    summary = "Situation valence does not predict the side; both sides see good and bad situations."
    rationale = "A vector trained on good-vs-bad news learns valence, not the trait."
    fix = "Share the situation within pairs; include good and bad situations on both sides (inversions)."
    severity = Severity.ERROR
    params = {"alpha": 0.05, "auc_margin": 0.2, "neutral": 0.05, "matched_ratio": 0.5,
              "min_inversion_share": 0.1, "min_pairs_coverage": 10}
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
        return {"pairs": view.n, "mean_positive": clean(float(np.mean(vp))), "mean_negative": clean(float(np.mean(vn))),
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
        margin = abs(metrics["auc"] - 0.5)
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


def _situation_text(view: FolderView, i: int, score_pos: float, score_neg: float) -> TextView:
    """The text of pair `i` that shows its situation best (higher score; on a tie the text that sorts
    first), chosen by content so that swapping the files shows the same line."""
    p, q = view.positive[i], view.negative[i]
    if score_pos != score_neg:
        return p if score_pos > score_neg else q
    return p if p.prompt.text <= q.prompt.text else q


def voices(view: FolderView) -> dict[str, list[dict[str, Any]]]:
    """`_voice` of every text, per side (cached on the view)."""
    return view.memo("voices", lambda: {s: [_voice(tv) for tv in view.side(s)] for s in SIDES})


def _voice(tv: TextView) -> dict[str, Any]:
    """Person counts outside and inside quotes; narration voice = the most frequent person (ties: 1 > 2 > 3)."""
    out = {"narr": [0, 0, 0], "quote": [0, 0, 0]}
    for per, q in zip(tv.person, tv.in_quote):
        if per in ("1", "2", "3"):
            out["quote" if q else "narr"][int(per) - 1] += 1
    narr = out["narr"]
    out["voice"] = (1 + int(np.argmax(narr))) if any(narr) else 0
    return out


def _has_person(v: dict[str, Any], scope: str, person: int) -> bool:
    """Text feature of TL303: narrated in `person`, or quoting `person` speech."""
    return v["voice"] == person if scope == "narration" else v["quote"][person - 1] > 0


def _marked(v: dict[str, Any], scope: str) -> bool:
    """Whether the text marks person at all in `scope` (a narrating pronoun, or a quoted one)."""
    return v["voice"] != 0 if scope == "narration" else any(v["quote"])


@register
class PersonConfound(Audit):
    """What it does
    Reads grammatical person (1st / 2nd / 3rd) of pronouns from spaCy morphology, separately for
    narration and for quoted speech. Per text: the narration voice (the most frequent person) and
    whether quoted speech uses each person. Each binary feature is tested with the exact sign test on
    discordant pairs, BH-corrected over the six. A feature fails when q <= `alpha`, the share of texts
    with it differs by at least `min_diff` between the sides (the net share of pairs it separates),
    and it covers at least `min_share` of that side ("one side mostly first person, the other not"):
    of all its texts, or of its texts that mark person at all when the person leans that way there
    too. Texts without a personal pronoun ("The team missed the deadline") have no voice and do not
    dilute that share: switching every "I" to "she" on one side is caught even when half the texts
    name their subject instead. Narration is an error; quoted speech a warning (a quoted "I" vs
    "you" is sometimes part of the trait).

    Why it matters
    If positives are "I ..." and negatives "She ...", the vector learns first person.

    Example
    POS "I think we can fix it" / NEG "She thinks they can't fix it" in most pairs: error.

    How to fix
    Keep the voice identical within each pair and vary it across pairs (I, we, she, they, the team).
    """

    code = "TL303"
    name = "person_confound"
    summary = "Grammatical person (1st/2nd/3rd) is balanced across the sides."
    rationale = "A vector trained on first-person positives learns 'I'."
    fix = "Use the same voice within each pair; vary voice across pairs."
    severity = Severity.ERROR
    params = {"alpha": 0.05, "min_diff": 0.25, "min_share": 0.5}
    requires = frozenset({"pairs"})

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        view = folder_view(ctx)
        vo = voices(view)
        rows = []
        for scope in ("narration", "quoted"):
            marked = {s: sum(_marked(v, scope) for v in vo[s]) for s in SIDES}
            for person in (1, 2, 3):
                fp = [_has_person(v, scope, person) for v in vo["positive"]]
                fn = [_has_person(v, scope, person) for v in vo["negative"]]
                b = sum(1 for a, c in zip(fp, fn) if a and not c)
                c = sum(1 for a, c in zip(fp, fn) if c and not a)
                st = sign_test(b, c)
                rows.append({"scope": scope, "person": person, "share_positive": clean(sum(fp) / view.n),
                             "share_negative": clean(sum(fn) / view.n),
                             "marked_share_positive": clean(sum(fp) / marked["positive"] if marked["positive"] else 0.0),
                             "marked_share_negative": clean(sum(fn) / marked["negative"] if marked["negative"] else 0.0),
                             "b": b, "c": c, "p": clean(st.p, 8)})
        for r, q in zip(rows, bh_adjust([r["p"] for r in rows])):
            r["q"] = clean(q, 8)
        return {"pairs": view.n, "features": rows}

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        view = folder_view(ctx)
        vo = voices(view)
        out = []
        ordinal = {1: "first", 2: "second", 3: "third"}
        for r in metrics["features"]:
            sp, sn = r["share_positive"], r["share_negative"]
            if not (r["q"] <= params["alpha"] and abs(sp - sn) >= params["min_diff"]):
                continue
            side = "positive" if sp > sn else "negative"
            other = OTHER[side]
            s_side = max(sp, sn)
            m_side, m_other = r[f"marked_share_{side}"], r[f"marked_share_{other}"]
            # "Mostly": among all texts, or among the texts that mark person at all, provided the person
            # (not merely how often pronouns or quotes occur) is what leans to this side.
            if not (s_side >= params["min_share"] or (m_side >= params["min_share"] and m_side > m_other)):
                continue
            person, scope = r["person"], r["scope"]
            what = (f"narrated in the {ordinal[person]} person" if scope == "narration"
                    else f"quoting {ordinal[person]}-person speech")
            marks = "a narrating pronoun" if scope == "narration" else "quoted pronouns"
            cands = [i for i in range(view.n) if _has_person(vo[side][i], scope, person)
                     and not _has_person(vo[other][i], scope, person)]
            pairs = view.pick(cands, k=3)
            sev = Severity.ERROR if scope == "narration" else Severity.WARNING
            out.append(self.finding(
                sev, f"{side} texts are mostly {what} ({max(sp, sn):.0%} vs {min(sp, sn):.0%} of {other} texts; "
                f"{m_side:.0%} vs {m_other:.0%} of the texts with {marks}; discordant pairs {r['b']} positive vs "
                f"{r['c']} negative, p={fmt_p(r['p'])}, q={fmt_p(r['q'])})",
                {**r, "pairs": metrics["pairs"], "side": side},
                {"alpha": params["alpha"], "min_diff": params["min_diff"], "min_share": params["min_share"]},
                interleave_evidence(view, pairs, side)))
        return out


def _n_tokens(tv: TextView) -> int:
    return len(tv.words)


@register
class LengthConfound(Audit):
    """What it does
    Compares the length in tokens of the two texts of every pair: Wilcoxon signed-rank on per-pair
    differences (with rank-biserial r and Cohen's d_z) and the AUC of length alone as a classifier.
    Error when p <= `alpha`, length alone separates the sides (|AUC - 0.5| >= `auc_margin`) and the
    mean difference is at least `error_rel_diff` of the mean length;
    warning when p <= `alpha` and the difference is systematic within pairs (|r| >= `min_effect`)
    and at least `min_rel_diff` of the mean length.

    Why it matters
    Activations (especially prefill means) carry position and length; a side that is always longer
    gives a vector that partly measures length.

    Example
    Positives one sentence, negatives the same sentence plus a neutral one: error, AUC 0.9.

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
        return {"pairs": view.n, "mean_positive": clean(float(np.mean(lp)), 2), "mean_negative": clean(float(np.mean(ln)), 2),
                "mean_diff": clean(t.mean_diff, 3), "rel_diff": clean(t.mean_diff / mean_all if mean_all else 0.0),
                "p": clean(t.p, 8), "rank_biserial": clean(t.effect), "dz": clean(t.dz), "auc": clean(auc(lp, ln)),
                "longer_positive": sum(1 for a, b in zip(lp, ln) if a > b),
                "longer_negative": sum(1 for a, b in zip(lp, ln) if a < b)}

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        if metrics["p"] > params["alpha"]:
            return []
        strong = abs(metrics["auc"] - 0.5) >= params["auc_margin"] and abs(metrics["rel_diff"]) >= params["error_rel_diff"]
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
