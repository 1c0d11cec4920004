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


@dataclass
class Finding:
    """A problem (or an informational note) an audit found in one trait folder.

    `metric` holds the numbers behind the finding (share, p, q, n, ...); `threshold` the value it
    was judged against, so a reader sees "metric vs threshold" without reading code.
    """

    code: str
    name: str
    severity: Severity
    message: str
    metric: dict[str, Any] = field(default_factory=dict)
    threshold: Any = None
    evidence: list[Evidence] = field(default_factory=list)
    hint: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "metric": self.metric,
            "threshold": self.threshold,
            "evidence": [e.to_dict() for e in self.evidence],
            "hint": self.hint,
        }
