"""TL103 negation_asymmetry: one side adds negation to its pair far more often than the other."""
from __future__ import annotations

from typing import Any

from traitlint.audits.confounds.view import OTHER, TextView, clean, fmt_p, folder_view
from traitlint.context import AuditContext
from traitlint.finding import Finding, Severity
from traitlint.nlp.declarations import NEGATORS
from traitlint.nlp.stats import sign_test
from traitlint.registry import Audit, register


def is_negator(lower: str) -> bool:
    """A negation token: not, no, never, nothing, nobody, none, neither, nor, nowhere, without,
    cannot and every "n't" clitic (spaCy splits "can't" into "ca" + "n't"). Refusal verbs
    ("refuse", "decline") are content words, not negation."""
    return lower in NEGATORS or lower.endswith("n't") or lower.endswith("n’t")


def negations_in(tv: TextView, indices: tuple[int, ...]) -> int:
    return sum(is_negator(tv.lower[i]) for i in indices)


@register
class NegationAsymmetry(Audit):
    """What it does
    Counts negation tokens (not, n't, never, no, nothing, nobody, none, neither, nor, nowhere,
    without, cannot) in the part of each pair that differs between the sides, whatever
    `[trait.words]` declares. A pair *adds negation* on a side when that side's differing span has
    more negators than the other's. The exact sign test compares the pairs that add negation on the
    positive side with those that add it on the negative side; the effect is the net share of all
    pairs, (more on one side - more on the other) / pairs. Error when p <= `alpha` and the net share
    is at least `error_net_share`; warning when p <= `alpha` and it is at least `min_net_share`.

    Why it matters
    Negation is one of the strongest directions in a model's residual stream. A refusal set where the
    refusing side says "won't", "can't", "not" and the compliant side does not gives a vector that
    partly detects negation: it fires on "I don't think so" in any trait and steers towards "not".
    Refusal verbs ("declined", "turned down") carry the decision without the shortcut.

    Example
    POS "She read the request and said she wouldn't send the file" / NEG "... said she would send
    the file", in 61 pairs against 2 the other way: error, net share 0.37.

    How to fix
    Carry the trait with content words (decline/accept, hold back/hand over, doubt/expect) instead
    of a negated form of the other side's sentence, or use negation on both sides about equally
    often ("I don't mind, here it is" vs "I'm not able to, sorry").
    """

    code = "TL103"
    name = "negation_asymmetry"
    summary = "Negation is not added to one side of the pairs far more often than to the other."
    rationale = "Negation is a strong direction of its own; a one-sided 'not' makes the vector a negation detector."
    fix = "Carry the trait with content words, or use negation on both sides about equally often."
    severity = Severity.ERROR
    params = {"alpha": 0.05, "min_net_share": 0.1, "error_net_share": 0.2}
    requires = frozenset({"pairs"})

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        view = folder_view(ctx, declarations=False)
        more_pos, more_neg = [], []
        for i, (p, q, d) in enumerate(zip(view.positive, view.negative, view.diffs())):
            a, b = negations_in(p, d.positive_diff), negations_in(q, d.negative_diff)
            if a > b:
                more_pos.append(i)
            elif b > a:
                more_neg.append(i)
        t = sign_test(len(more_pos), len(more_neg))
        n = view.n
        net = (len(more_pos) - len(more_neg)) / n if n else 0.0
        return {"pairs": n, "adds_positive": len(more_pos), "adds_negative": len(more_neg), "p": clean(t.p, 8),
                "net_share": clean(net), "positive_pairs": more_pos, "negative_pairs": more_neg}

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        net = metrics["net_share"]
        if metrics["p"] > params["alpha"] or abs(net) < params["min_net_share"]:
            return []
        severity = Severity.ERROR if abs(net) >= params["error_net_share"] else Severity.WARNING
        side = "positive" if net > 0 else "negative"
        mine = metrics["adds_positive"] if side == "positive" else metrics["adds_negative"]
        theirs = metrics["adds_negative"] if side == "positive" else metrics["adds_positive"]
        view = folder_view(ctx, declarations=False)
        pairs = metrics[f"{side}_pairs"]
        evidence = [view.side(side)[i].evidence() for i in view.pick(pairs, k=5)]
        shown = {k: v for k, v in metrics.items() if not k.endswith("_pairs")}
        return [self.finding(
            severity, f"the {side} side adds negation to its pair in {mine} pairs vs {theirs} the other way "
            f"({OTHER[side]}) out of {metrics['pairs']}: net {abs(net):.0%} of pairs, sign test "
            f"p={fmt_p(metrics['p'])}", shown,
            {"alpha": params["alpha"], "min_net_share": params["min_net_share"],
             "error_net_share": params["error_net_share"]}, evidence, features=[f"negation:{side}"])]
