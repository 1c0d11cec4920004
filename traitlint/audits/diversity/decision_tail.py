"""TL206 decision_tail: generated-extraction pairs that run on long after the sides' last difference."""
from __future__ import annotations

from typing import Any

from traitlint.audits.diversity.common import evidence, pct
from traitlint.context import AuditContext
from traitlint.finding import Finding, Severity
from traitlint.nlp import frames
from traitlint.registry import Audit, register


def shared_tail(a: list[str], b: list[str]) -> int:
    """Tokens the two texts share after the last one where they differ (0 when they end differently)."""
    n = 0
    while n < len(a) and n < len(b) and a[len(a) - 1 - n].lower() == b[len(b) - 1 - n].lower():
        n += 1
    return n


@register
class DecisionTail(Audit):
    """What it does
    Applies to cards with `extraction = "generated"` (on others it passes with `applies = false`). For every pair it counts the tokens (words and
    punctuation marks, as TL203 splits them) that the two sides share after the last token where
    they differ. Warns when more than `max_share` of the pairs run on for `min_tail` or more shared
    tokens.

    Why it matters
    With generated extraction the vector is read from the model's own continuation, so the prefill
    should stop where the decision is being carried out. A pair that differs in "agreed"/"declined"
    and then shares "to look at the file, and walked back down the corridor towards the lift where"
    hands the model narration to continue: both sides' completions are about the corridor, and the
    difference that remains is the one the prefill already states.

    Example
    88 of 160 refusal pairs continue 10+ shared tokens after the decision: warning, 55%.

    How to fix
    End the prefill shortly after the point where the sides differ, mid-way into carrying out the
    decision ("...she declined, explaining that").
    """

    code = "TL206"
    name = "decision_tail"
    summary = "Generated-extraction prefills end soon after the sides differ (no long shared tail)."
    rationale = "A long shared tail makes the model continue narration, not the decision the vector should capture."
    fix = "End each prefill a few tokens after the point where the sides differ."
    severity = Severity.WARNING
    params = {"min_tail": 10, "max_share": 0.25}
    requires = frozenset({"pairs"})

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        if ctx.dataset.card_word("extraction") != "generated":
            return {"applies": False, "reason": 'not extraction = "generated": the prefill is read, not continued'}
        tails = [shared_tail(frames.words_of(p.positive.text), frames.words_of(p.negative.text))
                 for p in ctx.dataset.pairs]
        long = [i for i, t in enumerate(tails) if t >= params["min_tail"]]
        n = len(tails)
        return {"applies": True, "pairs": n, "long_tail": len(long), "share": round(len(long) / n, 4) if n else 0.0,
                "tails": tails, "long_pairs": long}

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        if not metrics["applies"] or metrics["share"] <= params["max_share"]:
            return []
        tails = metrics["tails"]
        worst = sorted(metrics["long_pairs"], key=lambda i: (-tails[i], i))[:5]
        shown = {k: v for k, v in metrics.items() if k not in ("tails", "long_pairs")}
        return [self.finding(
            Severity.WARNING, f"{metrics['long_tail']} of {metrics['pairs']} pairs ({pct(metrics['share'])}) continue "
            f"for {params['min_tail']}+ shared tokens after the last point where the sides differ (longest "
            f"{max(tails)}): the model would continue narration rather than the decision", shown,
            {"min_tail": params["min_tail"], "max_share": params["max_share"]},
            sorted(evidence(ctx.dataset, worst, "positive", limit=5), key=lambda e: e.line or 0))]
