"""TL004 pair_count: enough pairs to extract from (the seed recommends 150, 20 is the floor)."""
from __future__ import annotations

from typing import Any

from traitlint.context import AuditContext
from traitlint.finding import Evidence, Finding, Severity
from traitlint.registry import Audit, register


@register
class PairCount(Audit):
    """What it does
    Counts matched pairs.

    Why it matters
    A difference-of-means vector from a few dozen pairs mostly encodes their accidents (topics,
    frames, one author's habits); the seed targets 150-200+ pairs so that filtering after vetting
    still leaves enough.

    Example
    A folder with 15 pairs: `error` (below `hard_min_pairs`); with 90 pairs: `warning`.

    How to fix
    Write more pairs, following the diversity plan (topics, voice, frames, divergence points).
    """

    code = "TL004"
    name = "pair_count"
    summary = "Enough matched pairs for a robust vector (seed target: 150-200+)."
    rationale = "Few pairs make the vector encode their accidents instead of the trait."
    fix = "Write more pairs following the diversity plan; the seed target is 150-200+."
    severity = Severity.WARNING
    params = {"min_pairs": 150, "hard_min_pairs": 20}
    requires = frozenset({"pairs"})

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"pairs": len(ctx.dataset.pairs)}

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        n = metrics["pairs"]
        ds = ctx.dataset
        where = [Evidence(ds.positive_file or "positive.txt", None, "")]
        if n < params["hard_min_pairs"]:
            return [self.finding(Severity.ERROR, f"only {n} pairs; at least {params['hard_min_pairs']} are needed "
                                 f"and {params['min_pairs']}+ recommended", metrics, params["hard_min_pairs"], where)]
        if n < params["min_pairs"]:
            return [self.finding(Severity.WARNING, f"{n} pairs, below the recommended {params['min_pairs']}",
                                 metrics, params["min_pairs"], where)]
        return []
