"""TL307 signal_valence: the words that differ carry the same sentiment on one side in nearly every pair."""
from __future__ import annotations

import re
from typing import Any

from traitlint.audits.confounds.view import OTHER, clean, fmt_p, folder_view
from traitlint.context import AuditContext
from traitlint.dataset import TraitDataset
from traitlint.finding import Finding, Severity
from traitlint.nlp.sentiment import compound
from traitlint.nlp.stats import sign_test
from traitlint.registry import Audit, register

_VALENCE = re.compile(r"valence|sentiment|polarity|good or bad news", re.IGNORECASE)


def card_rules_out_valence(ds: TraitDataset) -> bool:
    """True when the card's `isnt` or `orthogonal` names valence or sentiment."""
    for key in ("isnt", "orthogonal"):
        value = ds.card_value(key)
        items = value if isinstance(value, list) else [value]
        if any(isinstance(v, str) and _VALENCE.search(v) for v in items):
            return True
    return False


@register
class SignalValence(Audit):
    """What it does
    Applies when the card lists valence or sentiment under `isnt` or `orthogonal` (otherwise it
    passes with `applies = false`: valence may then be part of the trait). For every pair
    it scores the VADER sentiment (compound, -1..1) of the words that differ between the sides (the
    signal itself, not the shared situation TL302 scores), and counts the pairs where the positive's
    differing words are more positive (by more than `tie`) and those where they are more negative.
    Warns when the sign test on those pairs gives p <= `alpha` and fewer than `min_reverse_share`
    of them go the minority way; error when, in addition, the net share of all pairs is at least
    `error_net_share`.

    Why it matters
    A card that says optimism is not "a positive situation" still gets a sentiment vector when every
    optimistic line is carried by nice words ("hopeful", "bright") and every pessimistic one by
    nasty words ("grim", "worried"). Optimism said with negative words ("the worst is behind us")
    and pessimism said with positive ones ("the good run is ending") are what separates the trait
    from sentiment; without them the vector cannot tell the two apart.

    Example
    Optimism: the positive's differing words score higher in 142 of 160 pairs and lower in 2:
    error, reverse share 1%.

    How to fix
    Write a share of pairs (a quarter or more) where the trait side's words sound worse than its
    partner's: setbacks described bluntly but read as temporary, good news read with dread.
    """

    code = "TL307"
    name = "signal_valence"
    summary = "When valence is not the trait, the differing words do not carry one sentiment per side."
    rationale = "A trait said only in pleasant words (or only unpleasant ones) gives a sentiment vector."
    fix = "Add pairs where the trait side's differing words sound worse than its partner's (and vice versa)."
    severity = Severity.ERROR
    params = {"alpha": 0.05, "tie": 0.05, "min_reverse_share": 0.2, "error_net_share": 0.5}
    requires = frozenset({"pairs"})

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        if not card_rules_out_valence(ctx.dataset):
            return {"applies": False, "reason": "the card does not list valence or sentiment under isnt/orthogonal"}
        view = folder_view(ctx, declarations=False)
        tie = float(params["tie"])
        higher, lower, scores = [], [], []
        for i, (p, q, d) in enumerate(zip(view.positive, view.negative, view.diffs())):
            sp = compound(" ".join(p.words[j] for j in d.positive_diff))
            sn = compound(" ".join(q.words[j] for j in d.negative_diff))
            scores.append([clean(sp), clean(sn)])
            if sp - sn > tie:
                higher.append(i)
            elif sn - sp > tie:
                lower.append(i)
        t = sign_test(len(higher), len(lower))
        disc = len(higher) + len(lower)
        n = view.n
        return {"applies": True, "pairs": n, "positive_nicer": len(higher), "negative_nicer": len(lower), "p": clean(t.p, 8),
                "reverse_share": clean(min(len(higher), len(lower)) / disc if disc else 0.5),
                "net_share": clean((len(higher) - len(lower)) / n if n else 0.0),
                "higher_pairs": higher, "lower_pairs": lower, "scores": scores}

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        if not metrics["applies"] or metrics["p"] > params["alpha"] or metrics["reverse_share"] >= params["min_reverse_share"]:
            return []
        net = metrics["net_share"]
        severity = Severity.ERROR if abs(net) >= params["error_net_share"] else Severity.WARNING
        side = "positive" if net > 0 else "negative"
        nicer, other = ((metrics["positive_nicer"], metrics["negative_nicer"]) if side == "positive"
                        else (metrics["negative_nicer"], metrics["positive_nicer"]))
        view = folder_view(ctx, declarations=False)
        pairs = metrics["higher_pairs"] if side == "positive" else metrics["lower_pairs"]
        scores = metrics["scores"]
        gap = (lambda i: abs(scores[i][0] - scores[i][1]))
        evidence = []
        for i in view.pick(pairs, score=gap, k=3):
            evidence += [view.positive[i].evidence(), view.negative[i].evidence()]
        shown = {k: v for k, v in metrics.items() if k not in ("higher_pairs", "lower_pairs", "scores")}
        return [self.finding(
            severity, f"the words that differ sound more positive on the {side} side in {nicer} pairs and on the "
            f"{OTHER[side]} side in {other} (of {metrics['pairs']}; VADER on the differing words, sign test "
            f"p={fmt_p(metrics['p'])}): only {metrics['reverse_share']:.0%} of the pairs that differ in sentiment go "
            "against the side, though the card says valence is not the trait", shown,
            {"alpha": params["alpha"], "min_reverse_share": params["min_reverse_share"],
             "error_net_share": params["error_net_share"]}, evidence[:5], features=[f"valence:{side}"])]
