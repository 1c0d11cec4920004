"""TL303 person_confound: grammatical person is balanced between the sides (quoted speech apart)."""
from __future__ import annotations

from typing import Any

import numpy as np

from traitlint.audits.confounds.view import (
    OTHER,
    SIDES,
    FolderView,
    TextView,
    clean,
    fmt_p,
    folder_view,
    interleave_evidence,
)
from traitlint.context import AuditContext
from traitlint.finding import Finding, Severity
from traitlint.nlp.stats import bh_adjust, sign_test
from traitlint.registry import Audit, register


def voices(view: FolderView) -> dict[str, list[dict[str, Any]]]:
    """`_voice` of every text, per side (cached on the view)."""
    return view.memo("voices", lambda: {s: [_voice(tv) for tv in view.side(s)] for s in SIDES})


def _voice(tv: TextView) -> dict[str, Any]:
    """Person counts outside and inside quotes; narration voice = the most frequent person (ties: 1 > 2 > 3)."""
    out = {"narr": [0, 0, 0], "quote": [0, 0, 0]}
    for per, q in zip(tv.person, tv.in_quote):
        if per in ("1", "2", "3"):
            out["quote" if q else "narr"][int(per) - 1] += 1
    narr = out["narr"]
    out["voice"] = (1 + int(np.argmax(narr))) if any(narr) else 0
    return out


def _has_person(v: dict[str, Any], scope: str, person: int) -> bool:
    """Text feature of TL303: narrated in `person`, or quoting `person` speech."""
    return v["voice"] == person if scope == "narration" else v["quote"][person - 1] > 0


def _marked(v: dict[str, Any], scope: str) -> bool:
    """Whether the text marks person at all in `scope` (a narrating pronoun, or a quoted one)."""
    return v["voice"] != 0 if scope == "narration" else any(v["quote"])


@register
class PersonConfound(Audit):
    """What it does
    Reads grammatical person (1st / 2nd / 3rd) of pronouns from spaCy morphology, separately for
    narration and for quoted speech. Per text: the narration voice (the most frequent person) and
    whether quoted speech uses each person. Each binary feature is tested with the exact sign test on
    discordant pairs, BH-corrected over the six. A feature fails when q <= `alpha`, the share of texts
    with it differs by at least `min_diff` between the sides (the net share of pairs it separates),
    and it covers at least `min_share` of that side ("one side mostly first person, the other not"):
    of all its texts, or of its texts that mark person at all when the person leans that way there
    too. Texts without a personal pronoun ("The team missed the deadline") have no voice and do not
    dilute that share: switching every "I" to "she" on one side is caught even when half the texts
    name their subject instead. Narration is an error; quoted speech a warning (a quoted "I" vs
    "you" is sometimes part of the trait).

    Why it matters
    If positives are "I ..." and negatives "She ...", the vector learns first person.

    Example
    POS "I think we can fix it" / NEG "She thinks they can't fix it" in most pairs: error.

    Detection power (benchmarks/power_table.py, the test suite's synthetic set)
    First person switched to third on the negative side (half the texts have no pronoun) in a share
    of the pairs reaches this audit's verdict from 60% of pairs at n = 20, 50% at n = 50 and 50% at
    n = 150; the share of marked texts decides once n is past 20.

    How to fix
    Keep the voice identical within each pair and vary it across pairs (I, we, she, they, the team).
    """

    code = "TL303"
    name = "person_confound"
    summary = "Grammatical person (1st/2nd/3rd) is balanced across the sides."
    rationale = "A vector trained on first-person positives learns 'I'."
    fix = "Use the same voice within each pair; vary voice across pairs."
    severity = Severity.ERROR
    params = {"alpha": 0.05, "min_diff": 0.25, "min_share": 0.5}
    requires = frozenset({"pairs"})

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        view = folder_view(ctx)
        vo = voices(view)
        rows = []
        for scope in ("narration", "quoted"):
            marked = {s: sum(_marked(v, scope) for v in vo[s]) for s in SIDES}
            for person in (1, 2, 3):
                fp = [_has_person(v, scope, person) for v in vo["positive"]]
                fn = [_has_person(v, scope, person) for v in vo["negative"]]
                b = sum(1 for a, c in zip(fp, fn) if a and not c)
                c = sum(1 for a, c in zip(fp, fn) if c and not a)
                st = sign_test(b, c)
                rows.append({"scope": scope, "person": person, "share_positive": clean(sum(fp) / view.n),
                             "share_negative": clean(sum(fn) / view.n),
                             "marked_share_positive": clean(sum(fp) / marked["positive"] if marked["positive"] else 0.0),
                             "marked_share_negative": clean(sum(fn) / marked["negative"] if marked["negative"] else 0.0),
                             "b": b, "c": c, "p": clean(st.p, 8)})
        for r, q in zip(rows, bh_adjust([r["p"] for r in rows])):
            r["q"] = clean(q, 8)
        return {"pairs": view.n, "features": rows}

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        view = folder_view(ctx)
        vo = voices(view)
        out = []
        ordinal = {1: "first", 2: "second", 3: "third"}
        for r in metrics["features"]:
            sp, sn = r["share_positive"], r["share_negative"]
            if not (r["q"] <= params["alpha"] and abs(sp - sn) >= params["min_diff"]):
                continue
            side = "positive" if sp > sn else "negative"
            other = OTHER[side]
            s_side = max(sp, sn)
            m_side, m_other = r[f"marked_share_{side}"], r[f"marked_share_{other}"]
            # "Mostly": among all texts, or among the texts that mark person at all, provided the person
            # (not merely how often pronouns or quotes occur) is what leans to this side.
            if not (s_side >= params["min_share"] or (m_side >= params["min_share"] and m_side > m_other)):
                continue
            person, scope = r["person"], r["scope"]
            what = (f"narrated in the {ordinal[person]} person" if scope == "narration"
                    else f"quoting {ordinal[person]}-person speech")
            marks = "a narrating pronoun" if scope == "narration" else "quoted pronouns"
            cands = [i for i in range(view.n) if _has_person(vo[side][i], scope, person)
                     and not _has_person(vo[other][i], scope, person)]
            pairs = view.pick(cands, k=3)
            sev = Severity.ERROR if scope == "narration" else Severity.WARNING
            out.append(self.finding(
                sev, f"{side} texts are mostly {what} ({max(sp, sn):.0%} vs {min(sp, sn):.0%} of {other} texts; "
                f"{m_side:.0%} vs {m_other:.0%} of the texts with {marks}; discordant pairs {r['b']} positive vs "
                f"{r['c']} negative, p={fmt_p(r['p'])}, q={fmt_p(r['q'])})",
                {**r, "pairs": metrics["pairs"], "side": side},
                {"alpha": params["alpha"], "min_diff": params["min_diff"], "min_share": params["min_share"]},
                interleave_evidence(view, pairs, side)))
        return out
