"""TL203 divergence_spectrum: where the texts of each pair part (late / mid / early)."""
from __future__ import annotations

from collections import Counter
from typing import Any

from traitlint.audits.diversity.common import evidence, pct, plan_of, side_values
from traitlint.context import AuditContext
from traitlint.finding import Evidence, Finding, Severity
from traitlint.nlp import frames
from traitlint.registry import Audit, register


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
