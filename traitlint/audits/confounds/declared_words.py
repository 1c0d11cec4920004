"""TL105 declared_trait_words: declarations in `[trait.words]` are few, used, one-sided content words."""
from __future__ import annotations

from typing import Any

from traitlint.audits.confounds.view import folder_view
from traitlint.context import AuditContext
from traitlint.dataset import toml_key_line
from traitlint.finding import Evidence, Finding, Severity
from traitlint.nlp.declarations import (
    BOTH_SIDES,
    MIN_PAIRS,
    MIN_SIDE_SHARE,
    NEVER,
    RARE,
    DeclaredEntry,
)
from traitlint.registry import Audit, register

_WHY = {NEVER: "never occur", RARE: f"occur in fewer than {MIN_PAIRS} pairs, too few to show a signal word",
        BOTH_SIDES: f"are not mostly on their declared side (< {MIN_SIDE_SHARE:.0%} of the texts with them) "
                    "and take no effect"}


@register
class DeclaredTraitWords(Audit):
    """What it does
    Checks the claim each `[trait.words]` entry makes: that it is the trait's own signal word,
    occurring in at least 3 pairs with at least 75% of the texts containing it on its declared side.
    Warns for entries that never occur or occur in fewer than 3 pairs (they keep their exemption:
    too rare to hide a leak), for entries on both sides alike or mostly on the other side (they take
    no effect: the leak audits test them as ordinary words), for function words, negators,
    contractions and punctuation declared on a card that is not `type = "style"` (they take no
    effect: a one-sided "not", "Honestly," or "!" is a confound whatever the card says), and when a
    side declares more than `max_per_side` entries. On style cards the declared register markers
    are listed as info with their counts. TL101 reports, on every run, which of its findings the
    declarations that take effect still hide.

    Why it matters
    A declaration exempts a word from TL101-TL102; unchecked it is an escape hatch that passes any
    dataset. Declaring 200 words, most seen in two or three lines, says nothing about the data. A
    short list of frequent, one-sided words is what a researcher can read and agree with.

    Example
    Refusal declares "all" on the positive side; it is in 6 positive vs 15 negative texts:
    warning `1 declared entry is not mostly on its declared side: "all" positive 6:15`.

    How to fix
    Remove entries that are not signal words; carry the signal with content words spread over many
    synonyms rather than a long list or a function word; rewrite pairs where a negator or opener
    marks one side.
    """

    code = "TL105"
    name = "declared_trait_words"
    summary = "Declared trait words are few (<= 40 per side), used in >= 3 pairs, one-sided, content words."
    rationale = "A declaration exempts words from the leak audits; it must be a claim the data bear out."
    fix = "Remove declarations the data do not support; keep at most 40 per side of frequent, one-sided content words."
    severity = Severity.WARNING
    params = {"max_per_side": 40}
    requires = frozenset({"pairs"})

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        view = folder_view(ctx)
        entries = view.declarations
        per_side = {s: sum(e.side == s for e in entries) for s in ("positive", "negative")}
        return {"style": view.style, "per_side": per_side,
                "effective": {s: sum(e.side == s and e.effective for e in entries) for s in per_side},
                "entries": [e.to_dict() for e in entries]}

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        entries = metrics["entries"]
        if not entries:
            return []
        cap = int(params["max_per_side"])
        out: list[Finding] = []
        for side, count in metrics["per_side"].items():
            if count > cap:
                out.append(self.finding(
                    Severity.WARNING, f"{count} {side} trait words declared, over the cap of {cap}: a long list "
                    f"exempts words the data do not show to be the trait", {"side": side, "declared": count},
                    {"max_per_side": cap}, _locate(ctx, None),
                    hint="Keep the frequent, one-sided content words; carry the signal with synonyms used "
                         "in several pairs each rather than one word per line."))
        for verdict in (NEVER, RARE, BOTH_SIDES):
            bad = [e for e in entries if e["verdict"] == verdict]
            if bad:
                out.append(self.finding(
                    Severity.WARNING, f"{len(bad)} declared trait word(s) {_WHY[verdict]}: "
                    + _listing(bad), {"verdict": verdict, "entries": bad},
                    {"min_pairs": MIN_PAIRS, "min_side_share": MIN_SIDE_SHARE},
                    _lines(ctx, bad),
                    hint=("Remove them from [trait.words]; a word on both sides is not this side's signal."
                          if verdict == BOTH_SIDES else "Remove them from [trait.words], or use them in more pairs."),
                    features=[e["entry"] for e in bad]))
        markers = [e for e in entries if e["register"] and e["verdict"] != NEVER]
        if markers and not metrics["style"]:
            out.append(self.finding(
                Severity.WARNING, f"{len(markers)} declared entr(y/ies) are register markers (function words, "
                "negators, contractions, punctuation) and stay leaks on a card that is not type = \"style\": "
                + _listing(markers, kind=True), {"entries": markers}, None,
                _lines(ctx, markers),
                hint="Rewrite the pairs so the marker is on both sides or neither; only a style card may "
                     "declare register markers.", features=[e["entry"] for e in markers]))
        elif markers:
            out.append(self.finding(
                Severity.INFO, f"{len(markers)} register marker(s) declared as the style trait "
                "(declared side:other side texts): " + _listing(markers, kind=True), {"entries": markers}, None, [],
                hint="Nothing to do on a style card: register is the trait.", features=[e["entry"] for e in markers]))
        effective = metrics["effective"]
        out.append(self.finding(
            Severity.INFO, f"{effective['positive']} of {metrics['per_side']['positive']} positive and "
            f"{effective['negative']} of {metrics['per_side']['negative']} negative declared trait words take effect",
            {"effective": effective, "declared": metrics["per_side"]}, None, [], hint="Nothing to do."))
        return out


def _listing(rows: list[dict[str, Any]], kind: bool = False, k: int = 15) -> str:
    parts = []
    for e in rows[:k]:
        label = f" ({e['register']})" if kind and e.get("register") else ""
        parts.append(f'"{e["entry"]}"{label} {e["side"]} {e["n_side"]}:{e["n_other"]}')
    more = f" and {len(rows) - k} more" if len(rows) > k else ""
    return ", ".join(parts) + more


def _lines(ctx: AuditContext, rows: list[dict[str, Any]], k: int = 5) -> list[Evidence]:
    """The trait.toml lines declaring these entries, each line once, in line order."""
    seen: dict[tuple[str, int | None], Evidence] = {}
    for e in rows:
        for ev in _locate(ctx, e["entry"]):
            seen.setdefault((ev.file, ev.line), ev)
    return sorted(seen.values(), key=lambda ev: ev.line or 0)[:k]


def _locate(ctx: AuditContext, entry: str | None) -> list[Evidence]:
    """The trait.toml line declaring `entry` (searched from the [trait.words] table on), else that
    table's header line."""
    tf = ctx.dataset.raw.get("trait.toml")
    if tf is None:
        return []
    start = toml_key_line(tf.lines, ("trait",), "words")
    line = start
    if entry is not None and start is not None:
        for number in range(start, len(tf.lines) + 1):
            text = tf.line(number).lower()
            if f'"{entry}"' in text or f"'{entry}'" in text:
                line = number
                break
    return [Evidence("trait.toml", line, tf.line(line).strip() if line else "")]


__all__ = ["DeclaredTraitWords", "DeclaredEntry"]
