"""TL005 definition_format: definition.txt is a short scoring guide an LLM judge can calibrate on."""
from __future__ import annotations

import re
from typing import Any

from traitlint.context import AuditContext
from traitlint.finding import Evidence, Finding, Severity
from traitlint.registry import Audit, register

# Band labels, English first, then the Spanish, French and Chinese labels real sets use.
_HIGH = r"HIGH|ALTO|ALTA|[ÉE]LEV[ÉE]|HAUT|高"
_MID = r"MID|MIDDLE|MEDIUM|MEDIO|MEDIA|MOYEN|中"
_LOW = r"LOW|BAJO|BAJA|BAS|低"
_DASH = r"\s*(?:-|–|—|~|to|a|à|至)\s*"
_RANGE = rf"(?P<lo>\d{{1,3}}){_DASH}(?P<hi>\d{{1,3}})"
#: `HIGH (70-100):`, `**MID** (31-69)`, `LOW: 0–30`, `高 (70-100):`, or an unlabelled `70-100:`.
_BAND = re.compile(
    rf"^[\s*#>\-•]*(?:(?P<label>{_HIGH}|{_MID}|{_LOW})(?![A-Za-z])[\s*:]*[(\[]?\s*{_RANGE}\s*[)\]]?"
    rf"|[(\[]?\s*{_RANGE.replace('lo', 'lo2').replace('hi', 'hi2')}\s*[)\]]?\s*[:=])",
    re.IGNORECASE,
)
#: A scoring frame: a line announcing the 0-100 scale ("Score optimism (0-100).", "Evaluar ... (0-100).").
_FRAME = re.compile(rf"\b0{_DASH}100\b", re.IGNORECASE)
_CRITICAL = re.compile(r"^[\s*#>\-]*CRITICAL\s*:", re.IGNORECASE)
#: "Key:", "Key distinction(s):", and the localised forms found in real sets.
#: Template placeholders (`traitlint init` writes "TODO"); upper case only: Spanish "todo" is a word.
PLACEHOLDER = re.compile(r"\b(?:TODO|FIXME)\b")
_KEY = re.compile(r"^[\s*#>\-]*(?:key(?:\s+distinctions?)?\s*[:：]|distinctions?\s+cl[ée]s?|distinciones?\s+clave|clave\s*:|关键)",
                  re.IGNORECASE)


def _kind(label: str | None) -> str | None:
    if label is None:
        return None
    for kind, pattern in (("HIGH", _HIGH), ("MID", _MID), ("LOW", _LOW)):
        if re.fullmatch(pattern, label, re.IGNORECASE):
            return kind
    return None


def parse_bands(lines: list[str]) -> list[dict[str, Any]]:
    """Score bands found at the start of lines: label (HIGH/MID/LOW or None), lo, hi, 1-based line."""
    bands = []
    for number, text in enumerate(lines, 1):
        m = _BAND.match(text)
        if not m:
            continue
        lo, hi = (m.group("lo"), m.group("hi")) if m.group("lo") is not None else (m.group("lo2"), m.group("hi2"))
        lo_i, hi_i = sorted((int(lo), int(hi)))
        bands.append({"label": _kind(m.group("label")), "lo": lo_i, "hi": hi_i, "line": number})
    return bands


def coverage_problems(bands: list[dict[str, Any]]) -> list[str]:
    """Gaps and overlaps in 0-100. Shared endpoints (70-100 / 40-70) and adjacent ones (31-69 / 0-30) are fine."""
    problems = []
    ordered = sorted(bands, key=lambda b: (b["lo"], b["hi"]))
    if ordered[0]["lo"] > 0:
        problems.append(f"scores 0-{ordered[0]['lo'] - 1} are not covered")
    if ordered[-1]["hi"] < 100:
        problems.append(f"scores {ordered[-1]['hi'] + 1}-100 are not covered")
    if any(b["hi"] > 100 for b in ordered):
        problems.append("a band goes above 100")
    reach, holder = ordered[0]["hi"], ordered[0]  # the highest score covered so far, and the band ending there
    for cur in ordered[1:]:
        if cur["lo"] > reach + 1:
            problems.append(f"gap: scores {reach + 1}-{cur['lo'] - 1} fall between bands "
                            f"(line {holder['line']} ends at {reach}, line {cur['line']} starts at {cur['lo']})")
        elif cur["lo"] < reach:
            problems.append(f"overlap: line {cur['line']} ({cur['lo']}-{cur['hi']}) overlaps scores up to {reach}")
        if cur["hi"] > reach:
            reach, holder = cur["hi"], cur
    return problems


@register
class DefinitionFormat(Audit):
    """What it does
    Checks `definition.txt` against the seed's judge template: an opening scoring frame
    (`Score optimism (0-100).`) or a `CRITICAL:` scope line; HIGH / MID / LOW bands with numeric
    ranges covering 0-100 without gaps or overlaps (shared endpoints such as 70-100 / 40-70 / 0-40
    are fine); a `Key:` line naming the one critical distinction; at most `max_lines` non-empty
    lines. Spanish, French and Chinese band labels are recognised. A line still holding a template
    placeholder (`TODO`, `FIXME`: what `traitlint init` writes) is an error.

    Why it matters
    The judge (a small model) scores steered responses against this text. Without numeric bands
    its scores are poorly calibrated; a gap (no MID band between LOW 0-40 and HIGH 70-100) leaves
    the most common responses without an anchor; without a key distinction it conflates the trait
    with its neighbours; long definitions measurably lower its accuracy.

    Example
    `HIGH (70-100)` and `LOW (0-40)` with no MID band: "gap: scores 41-69 fall between bands".

    How to fix
    Use the template: `Score {trait} (0-100).`, `HIGH (70-100): ...`, `MID (40-70): ...`,
    `LOW (0-40): ...`, `Key: ...`, in 7-10 lines.
    """

    code = "TL005"
    name = "definition_format"
    summary = "definition.txt: scoring frame, HIGH/MID/LOW bands covering 0-100, a Key line, <= 10 lines."
    rationale = "The LLM judge calibrates on the bands and key distinction; long or gappy guides lower its accuracy."
    fix = "Follow the template: Score X (0-100). / HIGH (70-100) / MID (40-70) / LOW (0-40) / Key: ..., 7-10 lines."
    severity = Severity.WARNING
    params = {"max_lines": 10}
    requires = frozenset({"definition"})

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        lines = ctx.dataset.definition.lines  # type: ignore[union-attr]
        nonempty = [(n, t) for n, t in enumerate(lines, 1) if t.strip()]
        bands = parse_bands(lines)
        first = nonempty[0] if nonempty else (None, "")
        band_lines = {b["line"] for b in bands}
        frame = first[0] is not None and first[0] not in band_lines and bool(
            _FRAME.search(first[1]) or _CRITICAL.match(first[1]))
        return {
            "nonempty_lines": len(nonempty),
            "frame": frame,
            "first_line": first[0],
            "critical_lines": [n for n, t in nonempty if _CRITICAL.match(t)],
            "bands": bands,
            "labels": sorted({b["label"] for b in bands if b["label"]}),
            "coverage_problems": coverage_problems(bands) if bands else [],
            "key_line": next((n for n, t in nonempty if _KEY.match(t)), None),
            "placeholder_lines": [n for n, t in nonempty if PLACEHOLDER.search(t)],
        }

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        tf = ctx.dataset.definition
        assert tf is not None
        name = tf.name

        def ev(line: int | None) -> list[Evidence]:
            return [Evidence(name, line, tf.line(line) if line else "")]

        if not metrics["nonempty_lines"]:
            return []  # the loader already reports an empty definition.txt (TL001)
        out = []
        placeholders = metrics.get("placeholder_lines") or []
        if placeholders:
            out.append(self.finding(
                Severity.ERROR, f"definition.txt still holds template placeholders (TODO) on {len(placeholders)} "
                "line(s): the judge would score against the template, not the trait",
                {"placeholder_lines": len(placeholders)}, 0, [e for n in placeholders for e in ev(n)],
                "Replace every TODO with the observable markers of each band and the key distinction."))
        if not metrics["frame"]:
            out.append(self.finding(
                Severity.WARNING, "no opening scoring frame: the first line should say what is scored on what scale "
                "(e.g. \"Score optimism (0-100).\") or be one CRITICAL: scope line",
                {"frame": False}, None, ev(metrics["first_line"]),
                "Start with `Score {trait} (0-100).`"))
        if len(metrics["critical_lines"]) > 1:
            out.append(self.finding(
                Severity.WARNING, f"{len(metrics['critical_lines'])} CRITICAL: lines; keep one scope rule",
                {"critical_lines": metrics["critical_lines"]}, 1, [e for n in metrics["critical_lines"] for e in ev(n)],
                "Merge the CRITICAL rules into one line; several compete for the judge's attention."))
        bands = metrics["bands"]
        if not bands:
            out.append(self.finding(
                Severity.ERROR, "no score bands with numeric ranges (e.g. \"HIGH (70-100): ...\")",
                {"bands": 0}, None, ev(metrics["first_line"]),
                "Add HIGH (70-100), MID (40-70) and LOW (0-40) lines, each with observable markers."))
        else:
            missing = [k for k in ("HIGH", "MID", "LOW") if k not in metrics["labels"]]
            problems = metrics["coverage_problems"]
            if problems or missing:
                msg = "; ".join(problems)
                if missing:
                    msg = f"no {'/'.join(missing)} band" + (f"; {msg}" if msg else "")
                out.append(self.finding(
                    Severity.WARNING, f"score bands do not cover 0-100 cleanly: {msg}",
                    {"bands": bands, "missing": missing, "problems": problems}, "0-100",
                    [e for b in bands for e in ev(b["line"])],
                    "Write HIGH / MID / LOW bands that tile 0-100, e.g. 70-100 / 40-70 / 0-40."))
        if metrics["key_line"] is None:
            out.append(self.finding(
                Severity.WARNING, "no `Key:` line stating the one distinction that separates HIGH from LOW",
                {"key_line": None}, None, [Evidence(name, None, "")],
                "Add `Key: <the one critical distinction>` (e.g. certainty of expression, not correctness)."))
        if metrics["nonempty_lines"] > params["max_lines"]:
            out.append(self.finding(
                Severity.WARNING, f"definition.txt has {metrics['nonempty_lines']} non-empty lines, above "
                f"{params['max_lines']}: long definitions lower the judge's accuracy",
                {"nonempty_lines": metrics["nonempty_lines"]}, params["max_lines"], ev(params["max_lines"] + 1),
                "Condense to 7-10 lines: frame, three bands, key distinction."))
        return out
