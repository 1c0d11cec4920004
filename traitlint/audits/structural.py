"""Structural audits (TL001-TL007): files, pairing, duplicates, size, definition and steering format."""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from traitlint.context import AuditContext
from traitlint.dataset import FILES_CODE, KNOWN_FILES
from traitlint.finding import Evidence, Finding, Severity
from traitlint.registry import Audit, SkipAudit, register


@register
class Files(Audit):
    """What it does
    Reports what the loader found wrong with the files of a trait folder: a missing
    `positive.txt`/`negative.txt`/`definition.txt`/`steering.json`, an empty, unreadable or
    undecodable file, a byte-order mark, CR/CRLF line ends, NUL bytes, invisible or control
    characters, over-long lines, invalid JSON/JSONL/TOML, a directory or a symlink out of the tree
    where a file should be. Unknown files are listed as info.

    Why it matters
    These defects are invisible in an editor yet change what the model reads: a BOM or a
    zero-width space on one side only becomes a token that separates the sides perfectly.

    Example
    `positive.txt:12  invisible or control character(s): U+200B ZERO WIDTH SPACE`.

    How to fix
    Follow the hint of each finding: save as UTF-8 without BOM and with LF line ends, delete
    invisible characters, add the missing file.
    """

    code = "TL001"
    name = "files"
    summary = "Required files present, readable, decodable UTF-8, free of invisible characters."
    rationale = "Byte-level defects are invisible in an editor but become tokens that separate the sides."
    fix = "Follow each finding's hint: add the file, save as UTF-8 without BOM with LF line ends."
    severity = Severity.ERROR
    params: dict[str, Any] = {}
    requires = frozenset()

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        ds = ctx.dataset
        mine = [f for f in ds.load_findings if f.code == FILES_CODE]
        counts = {s.value: sum(1 for f in mine if f.severity is s) for s in Severity}
        return {"present": list(ds.present_files), "unknown": list(ds.unknown_files),
                "expected": list(KNOWN_FILES), **counts}

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        # Severity and hint stay as the loader set them; copies, so a reporter cannot alter the dataset.
        return [replace(f, evidence=list(f.evidence)) for f in ctx.dataset.load_findings if f.code == FILES_CODE]


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


# The other structural audits live in their own modules; importing them registers them.
from traitlint.audits import structural_definition, structural_duplicates, structural_pairing, structural_steering  # noqa: E402,F401
