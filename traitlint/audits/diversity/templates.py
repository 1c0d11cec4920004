"""Frame diversity (seed Phase 5): TL201 template_clustering and TL202 syntactic_uniformity."""
from __future__ import annotations

from collections import Counter
from typing import Any

from traitlint.audits.diversity.common import SIDES, english_share, evidence, memo, pct, require_english
from traitlint.context import AuditContext
from traitlint.finding import Finding, Severity
from traitlint.nlp import frames
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
