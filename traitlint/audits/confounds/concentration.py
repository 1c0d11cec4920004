"""TL104 signal_concentration: a few words carry most of what differs between the sides."""
from __future__ import annotations

from collections import Counter
from typing import Any

from traitlint.audits.confounds.view import SIDES, clean, folder_view
from traitlint.context import AuditContext
from traitlint.finding import Finding, Severity
from traitlint.registry import Audit, register


@register
class SignalConcentration(Audit):
    """What it does
    Collects, for each side, the words in the part of each pair that differs from its partner
    (lower-cased tokens, punctuation dropped, each word counted once per pair, whatever
    `[trait.words]` declares). Warns when the `top` most frequent of them carry more than
    `max_share` of that side's differing-word occurrences, once a side has at least `min_words`
    of them.

    Why it matters
    Mean-difference vectors weight each differing token by how often it differs. When "will" differs
    in 47 pairs and "might" in 38, the vector is mostly the "will" minus "might" direction: it steers
    towards those tokens, and a probe finds them rather than confidence. Spreading the signal over
    many expressions is what makes the direction the trait's.

    Example
    Confidence pairs differing in "will"/"might"/"probably" in 121 of 170 differing words: warning,
    top-3 share 71%.

    How to fix
    Vary how the trait is expressed: many synonyms and constructions per side, none in more than a
    few percent of the pairs.
    """

    code = "TL104"
    name = "signal_concentration"
    summary = "No three words carry most of the words that differ between the sides."
    rationale = "A vector learns the few tokens that always differ instead of the trait they stand for."
    fix = "Express the trait in many different words and constructions on each side."
    severity = Severity.WARNING
    params = {"top": 3, "max_share": 0.35, "min_words": 20}
    requires = frozenset({"pairs"})

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        view = folder_view(ctx, declarations=False)
        counts = {s: Counter() for s in SIDES}
        for p, q, d in zip(view.positive, view.negative, view.diffs()):
            counts["positive"].update({p.lower[i] for i in d.positive_diff if not p.punct[i]})
            counts["negative"].update({q.lower[i] for i in d.negative_diff if not q.punct[i]})
        top = int(params["top"])
        out: dict[str, Any] = {"pairs": view.n}
        for s in SIDES:
            total = sum(counts[s].values())
            head = sorted(counts[s].items(), key=lambda kv: (-kv[1], kv[0]))[:top]
            out[s] = {"words": total, "distinct": len(counts[s]), "top": [[w, c] for w, c in head],
                      "top_share": clean(sum(c for _, c in head) / total if total else 0.0)}
        return out

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        out = []
        view = None
        for s in SIDES:
            m = metrics[s]
            if m["words"] < params["min_words"] or m["top_share"] <= params["max_share"]:
                continue
            view = view or folder_view(ctx, declarations=False)
            words = [w for w, _ in m["top"]]
            diffs = view.diffs()
            texts = view.side(s)
            hits = [i for i in range(view.n)
                    if any(texts[i].lower[j] in words for j in (diffs[i].positive_diff if s == "positive"
                                                                 else diffs[i].negative_diff))]
            listed = ", ".join(f'"{w}" in {c} pairs' for w, c in m["top"])
            out.append(self.finding(
                Severity.WARNING, f"{len(words)} words carry {m['top_share']:.0%} of the {m['words']} words that differ "
                f"on the {s} side ({m['distinct']} distinct): {listed}", {"side": s, **m},
                {"max_share": params["max_share"], "top": params["top"]},
                [texts[i].evidence() for i in view.pick(hits, k=5)], features=words))
        return out
