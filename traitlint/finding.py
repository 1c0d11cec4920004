"""The one shape every audit reports: a `Finding`, with `Evidence` lines that point at file:line.

Audits never print; front ends (pytest plugin, CLI reporters) render findings.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any


class Severity(str, enum.Enum):
    """How bad a finding is. Errors fail a check; warnings fail only in strict mode; info never fails."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return {"info": 0, "warning": 1, "error": 2}[self.value]

    @classmethod
    def parse(cls, value: "str | Severity") -> "Severity":
        if isinstance(value, Severity):
            return value
        try:
            return cls(str(value).lower())
        except ValueError:
            raise ValueError(f"unknown severity {value!r}; use info, warning or error") from None


@dataclass(frozen=True)
class Evidence:
    """One line of input that shows a finding. `file` is relative to the trait folder when possible."""

    file: str
    line: int | None
    text: str = ""

    def render(self, width: int = 160) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = self.text if len(self.text) <= width else self.text[: width - 1] + "…"
        return f"{where}  {text}" if text else where

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "text": self.text}

    @classmethod
    def from_dict(cls, e: Any) -> "Evidence":
        """Inverse of `to_dict`; ValueError unless `e` has exactly that shape."""
        if not (isinstance(e, dict) and isinstance(e.get("file"), str) and isinstance(e.get("text", ""), str)):
            raise ValueError("evidence needs a string file and text")
        line = e.get("line")
        if line is not None and (type(line) is not int or line < 0):
            raise ValueError("evidence line must be a non-negative integer or null")
        return cls(e["file"], line, e.get("text", ""))


@dataclass
class Finding:
    """A problem (or an informational note) an audit found in one trait folder.

    `metric` holds the numbers behind the finding (share, p, q, n, ...); `threshold` the value it
    was judged against, so a reader sees "metric vs threshold" without reading code.

    `features` names what the finding is about when an audit can say so in a word: the leaking
    words of TL101 ("but", "luckily"), the recurring lemmas of TL102. It is the stable key a
    `[[traitlint.suppress]]` entry in trait.toml matches and part of a baseline fingerprint, so it
    holds the feature itself, never counts or line numbers.
    """

    code: str
    name: str
    severity: Severity
    message: str
    metric: dict[str, Any] = field(default_factory=dict)
    threshold: Any = None
    evidence: list[Evidence] = field(default_factory=list)
    hint: str = ""
    features: list[str] = field(default_factory=list)
    evidence_omitted: int = 0  # evidence lines the audit found beyond those kept (reporters say "and N more")

    @property
    def not_checked(self) -> bool:
        """An info finding saying part of an audit could not run here (``metric.not_checked``): the
        front ends say it on passing folders too, so it is never read as clean."""
        return self.severity is Severity.INFO and bool(self.metric.get("not_checked"))

    def to_dict(self) -> dict[str, Any]:
        out = {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "metric": self.metric,
            "threshold": self.threshold,
            "evidence": [e.to_dict() for e in self.evidence],
            "hint": self.hint,
        }
        if self.features:  # only when set: findings without features keep their old shape
            out["features"] = list(self.features)
        if self.evidence_omitted:
            out["evidence_omitted"] = int(self.evidence_omitted)
        return out

    @classmethod
    def from_dict(cls, d: Any) -> "Finding":
        """Inverse of `to_dict`. Raises ValueError unless `d` has the shape `to_dict` writes.

        Why so strict: findings come back from the result cache and from xdist workers, and
        reporters format every field (a line number that is a string, a message that is a list),
        so a damaged entry must be rejected here (and recomputed), not crash a reporter.
        """
        if not isinstance(d, dict):
            raise ValueError("a finding is an object")
        for key in ("code", "name", "message", "hint"):
            if not isinstance(d.get(key, ""), str):
                raise ValueError(f"finding {key} must be a string")
        metric = {} if d.get("metric") is None else d["metric"]
        evidence = d.get("evidence", [])
        if not isinstance(metric, dict) or not isinstance(evidence, list):
            raise ValueError("finding metric must be an object and evidence a list")
        features = d.get("features", [])
        if not (isinstance(features, list) and all(isinstance(x, str) for x in features)):
            raise ValueError("finding features must be a list of strings")
        omitted = d.get("evidence_omitted", 0)
        if not isinstance(omitted, int) or isinstance(omitted, bool) or omitted < 0:
            raise ValueError("finding evidence_omitted must be a non-negative integer")
        return cls(d["code"], d["name"], Severity.parse(d["severity"]), d["message"], metric,
                   d.get("threshold"), [Evidence.from_dict(e) for e in evidence], d.get("hint", ""),
                   list(features), omitted)
