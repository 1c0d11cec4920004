"""Per-feature suppressions from a trait's own card: switch off one finding, not a whole audit.

```toml
[[traitlint.suppress]]
code = "TL101"                       # audit code (or name)
feature = "but"                      # a feature the finding names (Finding.features)
reason = "contrast is the trait here"
```

Why per feature: on an existing corpus "ignore TL101" hides every future leak to silence one word
the authors chose on purpose. A suppression names the word and the reason, the report counts it,
and an entry that no longer matches anything is reported so suppressions do not outlive the data.

Matching: a finding is suppressed when every feature it names is suppressed (TL101 names the
leaking word of a single-leak finding, or every word of a grouped one; TL102 its lemmas), compared
case-insensitively. A grouped finding of which only some features are suppressed stays, with the
suppressed ones noted in its message: the others still leak. A finding that names no features
cannot be suppressed this way (use `[traitlint] ignore` with a reason). An entry without a reason
or without a feature is not applied and is itself a warning; so is an entry that matches nothing in
an audit that ran.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from traitlint.dataset import TraitDataset
from traitlint.finding import Evidence, Finding, Severity

HINT = 'Write [[traitlint.suppress]] entries as code = "TL101", feature = "but", reason = "why this is fine".'


@dataclass(frozen=True)
class SuppressRule:
    """One `[[traitlint.suppress]]` entry of trait.toml, as written."""

    code: str
    feature: str
    reason: str
    line: int | None = None  # of its `[[traitlint.suppress]]` header in trait.toml

    def applies_to(self, code: str, name: str) -> bool:
        return self.code.upper() == code.upper() or self.code == name

    def describe(self) -> str:
        return f'{self.code} feature "{self.feature}"'


@dataclass
class Suppressed:
    """A finding a suppression switched off, with the entries that did it."""

    finding: Finding
    rules: list[SuppressRule]

    @property
    def reason(self) -> str:
        return "; ".join(dict.fromkeys(r.reason for r in self.rules))

    def to_dict(self) -> dict[str, Any]:
        out = self.finding.to_dict()
        out["suppressed_by"] = [{"code": r.code, "feature": r.feature, "reason": r.reason} for r in self.rules]
        return out

    @classmethod
    def from_dict(cls, d: Any) -> "Suppressed":
        """Inverse of `to_dict` (results travel between processes); ValueError on another shape."""
        if not isinstance(d, dict) or not isinstance(d.get("suppressed_by"), list):
            raise ValueError("a suppressed finding needs suppressed_by")
        rules = []
        for r in d["suppressed_by"]:
            if not (isinstance(r, dict) and all(isinstance(r.get(k), str) for k in ("code", "feature", "reason"))):
                raise ValueError("suppressed_by entries need string code, feature and reason")
            rules.append(SuppressRule(r["code"], r["feature"], r["reason"]))
        return cls(Finding.from_dict({k: v for k, v in d.items() if k != "suppressed_by"}), rules)


def rules_of(ds: TraitDataset) -> list[SuppressRule]:
    """The trait's `[[traitlint.suppress]]` entries that name a code (in file order).

    Entries of another shape (not a table, no string code) are left to the card validation; a
    non-string feature or reason is kept as empty, so the entry is reported as incomplete.
    """
    section = (ds.card or {}).get("traitlint")
    entries = section.get("suppress") if isinstance(section, dict) else None
    if isinstance(entries, dict):
        entries = [entries]
    if not isinstance(entries, list):
        return []
    lines = _header_lines(ds)
    out = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("code"), str) or not entry["code"].strip():
            continue
        feature, reason = entry.get("feature"), entry.get("reason")
        out.append(SuppressRule(entry["code"].strip(), feature.strip() if isinstance(feature, str) else "",
                                reason.strip() if isinstance(reason, str) else "",
                                lines[index] if index < len(lines) else None))
    return out


def _header_lines(ds: TraitDataset) -> list[int]:
    tf = ds.raw.get("trait.toml")
    if tf is None:
        return []
    return [n for n, text in enumerate(tf.lines, 1) if text.strip().replace(" ", "").startswith("[[traitlint.suppress]]")]


def apply(code: str, name: str, findings: list[Finding], rules: list[SuppressRule],
          ran: bool = True) -> tuple[list[Finding], list[Suppressed], list[Finding]]:
    """Split an audit's findings into (kept, suppressed) and report the entries at fault.

    Returns ``(kept, suppressed, problems)``; `problems` are warnings about this audit's entries
    (no reason, no feature, or, when the audit `ran`, matching nothing) to add to its findings.
    """
    mine = [r for r in rules if r.applies_to(code, name)]
    problems: list[Finding] = []
    valid: list[SuppressRule] = []
    for rule in mine:
        if not rule.feature:
            problems.append(_problem(code, name, rule, f"trait.toml suppresses {rule.code} without a feature; "
                                     "the suppression is not applied",
                                     f"Name the feature, or switch the whole audit off with "
                                     f'[traitlint] ignore = {{ {rule.code} = "reason" }}.'))
        elif not rule.reason:
            problems.append(_problem(code, name, rule, f"trait.toml suppresses {rule.describe()} without a reason; "
                                     "the suppression is not applied", HINT))
        else:
            valid.append(rule)
    if not valid:
        return list(findings), [], problems
    by_feature: dict[str, list[SuppressRule]] = {}
    for rule in valid:
        by_feature.setdefault(rule.feature.casefold(), []).append(rule)
    used: set[SuppressRule] = set()
    kept: list[Finding] = []
    suppressed: list[Suppressed] = []
    for finding in findings:
        hits = [f for f in finding.features if f.casefold() in by_feature]
        if not hits:
            kept.append(finding)
            continue
        matched = [r for f in hits for r in by_feature[f.casefold()]]
        used.update(matched)
        if len(hits) == len(finding.features):
            suppressed.append(Suppressed(finding, list(dict.fromkeys(matched))))
        else:  # a grouped finding: the other features still leak
            rest = [f for f in finding.features if f not in hits]
            note = ", ".join(f'"{f}"' for f in hits)
            kept.append(replace(finding, features=rest,
                                message=f"{finding.message} (suppressed in trait.toml: {note})"))
    if ran:
        for rule in valid:
            if rule not in used:
                problems.append(_problem(code, name, rule, f"trait.toml suppresses {rule.describe()}, which matches "
                                         f"no {code} finding: remove the entry",
                                         "Delete stale suppressions so they cannot hide a future finding."))
    return kept, suppressed, problems


def _problem(code: str, name: str, rule: SuppressRule, message: str, hint: str) -> Finding:
    return Finding(code, name, Severity.WARNING, message, {"code": rule.code, "feature": rule.feature},
                   evidence=[Evidence("trait.toml", rule.line, "[[traitlint.suppress]]" if rule.line else "")],
                   hint=hint)
