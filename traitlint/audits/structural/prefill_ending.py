"""TL007 prefill_ending: prefills end mid-thought, so the base model continues the trait."""
from __future__ import annotations

import re
from typing import Any

from traitlint.context import AuditContext
from traitlint.finding import Finding, Severity
from traitlint.registry import Audit, SkipAudit, register

#: A finished sentence: terminal mark, optionally followed by closing quotes/brackets. An ellipsis
#: ("..." or "…") trails off and leaves the sentence open, so it does not count.
_FINISHED = re.compile(r"(?<!\.)[.!?。！？][\"'”’»)\]]*\s*$")


def ends_finished(text: str) -> bool:
    """True when the prefill ends with a completed sentence (see `_FINISHED`)."""
    return bool(_FINISHED.search(text))


@register
class PrefillEnding(Audit):
    """What it does
    Measures, per side, the share of prefills that end with a finished sentence (a final `.`,
    `!` or `?`, possibly followed by a closing quote or bracket) and warns above `max_share`.

    Why it matters
    A base model completes documents. A prefill that stops mid-thought ("...and I honestly
    think we can") commits the continuation to the trait's direction, so the activations carry
    the trait; after a full stop the model may start anything (seed rule 7, signal strength).
    When only one side ends finished, the full stop itself becomes a shortcut.

    Example
    `positive.txt`: 18 of 20 prefills end with "." (90% > 50%).

    How to fix
    Cut each prefill just after the words that commit to the trait, before the sentence ends:
    `... I said, "Honestly, this could be the best thing that`. JSONL chat prompts (answered
    by the model, not continued) are skipped.
    """

    code = "TL007"
    name = "prefill_ending"
    summary = "Prefills end mid-thought, committing to a direction, not with a finished sentence."
    rationale = "A finished sentence lets the base model start anything; mid-thought prefills carry the trait."
    fix = "Cut prefills mid-sentence, right after the words that commit to the trait's direction."
    severity = Severity.WARNING
    params = {"max_share": 0.5}
    requires = frozenset({"prefills"})

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        ds = ctx.dataset
        out: dict[str, Any] = {}
        for side in ("positive", "negative"):
            file = getattr(ds, f"{side}_file")
            if file is None:
                continue
            if file.endswith(".jsonl"):
                raise SkipAudit(f"{file} holds chat prompts answered by the model, not document prefills")
            prompts = [p for p in ds.side(side) if p.text.strip()]
            finished = [p.line for p in prompts if ends_finished(p.text)]
            out[side] = {"file": file, "prefills": len(prompts), "finished": len(finished),
                         "share": round(len(finished) / len(prompts), 4) if prompts else 0.0,
                         "lines": finished[:50]}
        return out

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        out = []
        ds = ctx.dataset
        for side, m in metrics.items():
            if m["prefills"] and m["share"] > params["max_share"]:
                ev = [ds.side(side)[line - 1].evidence() for line in m["lines"][:5]]
                other = metrics.get("negative" if side == "positive" else "positive")
                contrast = (f" (the other side: {other['share']:.0%})" if other else "")
                out.append(self.finding(
                    Severity.WARNING,
                    f"{m['finished']} of {m['prefills']} prefills in {m['file']} ({m['share']:.0%}) end with a finished "
                    f"sentence, above {params['max_share']:.0%}{contrast}", m, params["max_share"], ev))
        return out
