"""Diversity audits (seed Phases 3 and 5): frames (TL201, TL202) and the divergence spectrum (TL203).

Coverage audits (TL204 manifestation, TL205 plan, TL301 topics) live in `diversity_coverage`,
imported at the bottom so the registry finds them through this module.
"""
from __future__ import annotations

from collections import Counter
from typing import Any

from traitlint import frames
from traitlint.audits.diversity_util import (SIDES, english_share, evidence, memo, pct, plan_of, require_english,
                                             side_values)
from traitlint.context import AuditContext
from traitlint.finding import Evidence, Finding, Severity
from traitlint.registry import Audit, register

FRAME_LEGEND = ("SUBJ subject, OBJ object, PRED predicate, PP prepositional phrase, ADV adverbial, "
                "CLAUSE-x / ADVCL-x clause introduced by x, QUOTE quoted speech, CC/CONJ coordination, "
                "V any other verb, / sentence break")


def _frames_by_side(ctx: AuditContext) -> dict[str, list[str]]:
    ff = ctx.features()
    require_english(english_share(ctx))
    return memo(ctx, "frames", lambda: {side: [frames.frame_of(tf) for tf in ff.side(side)] for side in SIDES})


@register
class TemplateClustering(Audit):
    """What it does
    Gives every prefill a *frame*: the clause skeleton of each sentence (the root and its direct
    children as roles such as SUBJ, OBJ, PP, ADVCL-when, CLAUSE-to, QUOTE; content words dropped,
    so topic does not matter). Flags a frame used by more than `max_share` of the prefills of a
    side (seed: "Same frame >20%"). Also flags literal word sequences of `template_words`+ words
    (2+ of them content words) that recur in more than `max_share` of a side's lines.

    Shares are counted per side (positive lines, negative lines) and the larger is judged, so a
    template used by one side only is caught as well as one both sides share.

    Why it matters
    A vector learned from pairs that all say "[Setup], [subject] said '[quote]'" may only fire in
    that frame, and a literal template ("He asked me to write ...") becomes part of what it learns.

    Example
    40 of 100 pairs read "I asked my friend X. She said, '...'": frame
    `SUBJ ask OBJ CLAUSE / SUBJ say QUOTE` in 40% of lines -> warning, with three example lines.

    How to fix
    Rewrite some of the pairs in other structures: narration, internal thought, a document, a
    question, dialogue without a speech tag, a subordinate clause first.
    """

    code = "TL201"
    name = "template_clustering"
    summary = "No syntactic frame or literal template in more than 20% of the prefills."
    rationale = "A vector from one frame may only fire in that frame."
    fix = "Rewrite some pairs in other structures (narration, thought, document, question, clause-first)."
    severity = Severity.WARNING
    params = {"max_share": 0.2, "template_words": 5, "min_lines": 4}
    requires = frozenset({"pairs"})

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        by_side = _frames_by_side(ctx)
        n = len(ctx.dataset.pairs)
        counts = {s: Counter(by_side[s]) for s in SIDES}
        rows = []
        for frame in set(counts["positive"]) | set(counts["negative"]):
            shares = {s: counts[s][frame] / n for s in SIDES}
            side = max(SIDES, key=lambda s: (shares[s], s == "positive"))
            rows.append({"frame": frame, "positive": round(shares["positive"], 4),
                         "negative": round(shares["negative"], 4), "share": round(shares[side], 4), "side": side,
                         "lines": [i for i, f in enumerate(by_side[side]) if f == frame][:5]})
        rows.sort(key=lambda r: (-r["share"], r["frame"]))
        ff = ctx.features()
        templates = []
        for side in SIDES:
            for t in frames.shared_templates(ff.side(side), side, params["max_share"], n=params["template_words"]):
                templates.append({"text": t.text, "side": side, "share": round(len(t.lines) / n, 4),
                                  "count": len(t.lines), "lines": list(t.lines[:5])})
        templates.sort(key=lambda t: (-t["share"], t["side"], t["text"]))
        return {"pairs": n, "distinct_frames": len(rows), "frames": rows[:10], "templates": templates[:10]}

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        out = []
        ds = ctx.dataset
        limit = params["max_share"]
        for row in metrics["frames"]:
            if row["share"] > limit and row["share"] * metrics["pairs"] >= params["min_lines"]:
                out.append(self.finding(
                    Severity.WARNING,
                    f"frame `{row['frame']}` in {pct(row['positive'])} of positive and {pct(row['negative'])} "
                    f"of negative lines (limit {pct(limit)})",
                    {"frame": row["frame"], "share": row["share"], "positive": row["positive"],
                     "negative": row["negative"]}, limit, evidence(ds, row["lines"], row["side"]),
                    f"{self.fix} Frame legend: {FRAME_LEGEND}."))
        for t in metrics["templates"]:
            if t["count"] >= params["min_lines"]:
                out.append(self.finding(
                    Severity.WARNING, f"the words \"{t['text']}\" recur in {pct(t['share'])} of {t['side']} lines "
                    f"(limit {pct(limit)})", {"template": t["text"], "share": t["share"], "side": t["side"]},
                    limit, evidence(ds, t["lines"], t["side"]),
                    "Vary the wording and the structure of these lines; a fixed phrase becomes part of the vector."))
        return out


@register
class SyntacticUniformity(Audit):
    """What it does
    Counts how many *different* frames (see TL201) the dataset uses, as an effective number:
    exp(entropy) of the frame shares over all prefills. N frames used equally count N; one frame
    with a few odd lines counts barely more than 1. Fails below `min_frames` (seed: "at least 3-4
    fundamentally different syntactic patterns").

    Why it matters
    Varied topics and voices do not help if every example follows one syntactic pattern: the
    vector may not generalise to actions, documents or internal states written differently.

    Example
    150 pairs, 140 of them "[Setup clause], [subject] [verb] '[quote]'": effective frames 1.4 ->
    error, listing the frames found.

    How to fix
    Write pairs in at least 3-4 fundamentally different structures and spread pairs across them.
    """

    code = "TL202"
    name = "syntactic_uniformity"
    summary = "At least 3 effectively distinct syntactic frames across the dataset."
    rationale = "A vector from one syntactic pattern may not generalise to others."
    fix = "Write pairs in at least 3-4 fundamentally different structures."
    severity = Severity.ERROR
    params = {"min_frames": 3.0}
    requires = frozenset({"pairs"})

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        by_side = _frames_by_side(ctx)
        all_frames = by_side["positive"] + by_side["negative"]
        counts = Counter(all_frames)
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:8]
        return {"effective_frames": round(frames.effective_count(list(counts.values())), 3),
                "distinct_frames": len(counts), "texts": len(all_frames),
                "top_frames": [{"frame": f, "share": round(c / len(all_frames), 4), **_first_use(by_side, f)}
                               for f, c in top]}

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        eff = metrics["effective_frames"]
        if eff >= params["min_frames"]:
            return []
        ds = ctx.dataset
        ev = [e for row in metrics["top_frames"][:5] for e in evidence(ds, [row["pair"]], row["side"], 1)]
        shown = "; ".join(f"`{r['frame']}` {pct(r['share'])}" for r in metrics["top_frames"][:5])
        return [self.finding(Severity.ERROR, f"only {eff:.1f} effectively distinct frames (minimum "
                             f"{params['min_frames']:g}): {shown}", metrics, params["min_frames"], ev)]


def _first_use(by_side: dict[str, list[str]], frame: str) -> dict[str, Any]:
    """Side and pair index of the first line using `frame` (for evidence)."""
    for side in SIDES:
        if frame in by_side[side]:
            return {"side": side, "pair": by_side[side].index(frame)}
    return {"side": "positive", "pair": 0}


@register
class DivergenceSpectrum(Audit):
    """What it does
    For each pair, finds where the two texts first differ and classifies it (seed, Phase 3).
    Texts are split into words and punctuation marks; `prefix` is the number of leading tokens
    the two texts share, `position` = prefix / length of the shorter text, and `shared` = (shared
    leading + shared trailing tokens) / length of the longer text. With the default parameters:

    * **late**: position >= `late_from` (0.6): at least the first 60% of the shorter text is
      identical and only the ending differs ("She knew the answer and [lied/admitted]").
    * **early**: position < `early_before` (0.25) *and* shared < `reconverge` (0.5): the texts
      part within their first quarter and do not run on together - different framing from the
      start ("She lied about..." vs "She admitted that...").
    * **mid**: everything else: the first difference falls between 25% and 60%, *or* the texts
      part early but then re-converge (a word swap near the start followed by the same text:
      "She [concealed/disclosed] the answer, having known" is mid, as in the seed's table).

    So "differs from the first word" is not enough for early: label a pair `early` in
    annotations.jsonl only when most of the two texts differ; a one-word swap near the start
    with the rest identical is `mid`. When annotations label `divergence`, the audit reports (as
    info) how often the labels agree with these definitions, with the disagreeing lines.

    Warns when one kind holds more than `max_share` of the pairs, unless the card's
    `[plan] divergence` targets that much (the limit is then the planned share + 5 points). Only
    kinds listed in `warn_kinds` warn; the default is `["late"]`, the one risk the seed names
    ("the vector may overfit to end-of-sentence contexts"). A dominant mid or early kind is
    reported as info, because a shared setup with a differing response (mid) or a whole-text
    rewrite (early, natural for style traits) is a sound design on its own. Set
    `warn_kinds = ["late", "mid", "early"]` in `[tool.traitlint.params.TL203]` for the strict
    rule ("no kind above `max_share`"). TL205 classifies unlabelled `divergence` with these
    same parameters.

    Why it matters
    If every pair shares a long prefix and differs only in its last words, the vector may overfit
    to end-of-sentence contexts; if every pair differs from the first word, nothing holds the
    context constant. The seed asks for a mix.

    Example
    95 of 100 pairs diverge in their last 40% -> warning "late divergence in 95% of pairs".

    How to fix
    Rewrite some pairs to diverge earlier (a different verb mid-sentence, a different framing from
    the start), or later, until no kind dominates.
    """

    code = "TL203"
    name = "divergence_spectrum"
    summary = "Pairs diverge at a mix of points (late / mid / early); warns on a late share above 70%."
    rationale = "All-late pairs overfit to end-of-sentence contexts."
    fix = "Rewrite some pairs so they diverge earlier or later; mix late, mid and early."
    severity = Severity.WARNING
    params = {"max_share": 0.7, "warn_kinds": ["late"], "late_from": 0.6, "early_before": 0.25,
              "reconverge": 0.5, "min_agreement": 0.7}
    requires = frozenset({"pairs"})

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        ds = ctx.dataset
        found = divergences(ds, params)
        kinds = [d.kind for d in found]
        positions = [d.position for d in found]
        differing = [k for k in kinds if k != "same"]
        n = len(differing) or 1
        counts = Counter(differing)
        out: dict[str, Any] = {
            "pairs": len(kinds), "identical": len(kinds) - len(differing),
            "distribution": {k: round(counts.get(k, 0) / n, 4) for k in KINDS},
            "counts": {k: counts.get(k, 0) for k in KINDS},
            "median_position": round(sorted(positions)[len(positions) // 2], 4) if positions else 0.0,
            "examples": {k: [i for i, x in enumerate(kinds) if x == k][:5] for k in KINDS},
        }
        labels = side_values(ds, "divergence")
        if labels is not None:
            pairs = [(i, lab[0], kinds[i]) for i, lab in enumerate(labels)
                     if lab[0] in KINDS and kinds[i] != "same"]
            if pairs:
                agree = sum(1 for _, lab, k in pairs if lab == k)
                out["labels"] = {"labelled": len(pairs), "agreement": round(agree / len(pairs), 4),
                                 "disagreements": [{"pair": i, "label": lab, "computed": k}
                                                   for i, lab, k in pairs if lab != k][:5]}
        return out

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        ds = ctx.dataset
        warn, unknown = warn_kinds(params["warn_kinds"])
        out = []
        if unknown:
            out.append(self.finding(
                Severity.WARNING, f"warn_kinds lists unknown kind(s) {', '.join(map(repr, unknown))}; known kinds: "
                f"{', '.join(KINDS)}", {"warn_kinds": params["warn_kinds"]}, list(KINDS), [],
                "Fix [tool.traitlint.params.TL203] warn_kinds in pyproject.toml."))
        plan, _ = plan_of(ds)
        planned = plan.get("divergence", {})
        dist = metrics["distribution"]
        shown = ", ".join(f"{k} {pct(v)}" for k, v in dist.items())
        for kind in KINDS:
            share = dist[kind]
            allowed = max(params["max_share"], planned.get(kind, 0.0) + 0.05)
            if share > allowed and metrics["counts"][kind] >= 3:
                warns = kind in warn
                why = ("" if warns else f" (info: a dominant {kind} kind is a sound design on its own; the seed's risk "
                       "is all-late pairs. Add it to warn_kinds to warn)")
                out.append(self.finding(
                    Severity.WARNING if warns else Severity.INFO,
                    f"{kind} divergence in {pct(share)} of pairs (limit {pct(allowed)}); distribution: {shown}{why}",
                    {"kind": kind, "share": share, "distribution": dist}, allowed,
                    evidence(ds, metrics["examples"][kind], "positive"), f"{self.fix} {definitions(params)}"))
        labels = metrics.get("labels")
        if labels and labels["agreement"] < params["min_agreement"]:
            ev = [Evidence(p.file, p.line, f"[label {d['label']}, text is {d['computed']}] {p.text}")
                  for d in labels["disagreements"] for p in [ds.positive[d["pair"]]]]
            out.append(self.finding(
                Severity.INFO, f"annotated divergence agrees with the text in {pct(labels['agreement'])} of "
                f"{labels['labelled']} labelled pairs", labels, params["min_agreement"], ev,
                f"Check the divergence labels in annotations.jsonl (or the pairs). {definitions(params)}"))
        return out


KINDS = ("late", "mid", "early")


def definitions(params: dict[str, Any]) -> str:
    """The exact late / mid / early rules under `params`, for hints an author can label by."""
    late, early, rec = params["late_from"], params["early_before"], params["reconverge"]
    return (f"Definitions (position = shared leading tokens / tokens of the shorter text, counting words and "
            f"punctuation marks): late = position >= "
            f"{late:g} (only the ending differs); early = position < {early:g} and the shared start and end cover "
            f"less than {rec:g} of the longer text (different framing); mid = everything else, including a word "
            f"swap near the start followed by the same text.")


def warn_kinds(value: Any) -> tuple[set[str], list[str]]:
    """`warn_kinds` as a set of known kinds, plus the unknown entries (a bare string is one kind)."""
    items = [value] if isinstance(value, str) else list(value) if isinstance(value, (list, tuple)) else [value]
    known, unknown = set(), []
    for item in items:
        kind = str(item).strip().lower()
        if kind in KINDS:
            known.add(kind)
        else:
            unknown.append(str(item))
    return known, unknown


def divergences(ds: Any, params: dict[str, Any]) -> list[frames.Divergence]:
    """Per pair, where its texts part, classified under TL203's parameters (TL205 calls this too)."""
    return [frames.divergence(frames.words_of(p.positive.text), frames.words_of(p.negative.text),
                              params["late_from"], params["early_before"], params["reconverge"])
            for p in ds.pairs]


from traitlint.audits import diversity_coverage as _coverage  # noqa: E402,F401  (registers TL204, TL205, TL301)

__all__ = ["DivergenceSpectrum", "SyntacticUniformity", "TemplateClustering", "definitions", "divergences"]
