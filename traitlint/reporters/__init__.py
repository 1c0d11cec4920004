"""Render a lint run for people and machines: text (ruff-like), json, github annotations, sarif.

Every reporter takes one `RunReport` and returns a string; none of them prints or decides policy.
The exit code and the summary are computed here once, so every format agrees on them.
"""
from __future__ import annotations

import importlib
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from traitlint.finding import Finding, Severity

if TYPE_CHECKING:
    from traitlint.registry import Audit
    from traitlint.runner import TraitResult

FORMATS = ("text", "json", "github", "sarif")
_SURROGATES = re.compile("[\ud800-\udfff]")
STATUSES = ("passed", "warned", "failed", "skipped", "error")


@dataclass
class RunReport:
    """The results of one run plus what a reporter needs to present them."""

    results: list["TraitResult"]
    audits: list[type["Audit"]] = field(default_factory=list)  # the enabled audits (SARIF rules)
    strict: bool = False
    show_passing: bool = False
    show_info: bool = False  # text format: info findings are counted but listed only on request

    def summary(self) -> dict[str, Any]:
        """Counts of audit statuses and finding severities, and the exit code they imply."""
        statuses = {s: 0 for s in STATUSES}
        severities = {s.value: 0 for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)}
        for trait in self.results:
            for result in trait.results:
                statuses[result.status] = statuses.get(result.status, 0) + 1
                for finding in result.findings:
                    severities[finding.severity.value] += 1
        return {"traits": len(self.results), "results": sum(statuses.values()), **statuses,
                "findings": severities, "strict": self.strict, "exit_code": self.exit_code()}

    def exit_code(self) -> int:
        """2 when an audit crashed (an internal error), 1 when any audit failed (or warned under
        strict), else 0."""
        statuses = {r.status for t in self.results for r in t.results}
        if "error" in statuses:
            return 2
        if "failed" in statuses or (self.strict and "warned" in statuses):
            return 1
        return 0


def evidence_path(trait_path: str, file: str) -> str:
    """Repository path of an evidence file: evidence files are relative to their trait folder."""
    if not file:
        return trait_path
    if file.startswith("/") or file == trait_path or file.startswith(trait_path.rstrip("/") + "/"):
        return file
    return f"{trait_path.rstrip('/')}/{file}" if trait_path not in ("", ".") else file


def _number(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def format_value(value: Any) -> str | None:
    """A short rendering of a scalar metric value, or None for values too big to show inline."""
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, (int, float)):
        return _number(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, str):
        return value if len(value) <= 40 and "\n" not in value else None
    return None


def format_metric(finding: Finding, limit: int = 6) -> str:
    """`share=0.41, n=120 vs threshold 0.2`: the numbers behind a finding, inline."""
    parts = []
    for key, value in finding.metric.items():
        shown = format_value(value)
        if shown is not None and key != "traceback":
            parts.append(f"{key}={shown}")
        if len(parts) == limit:
            break
    text = ", ".join(parts)
    if finding.threshold is not None:
        threshold = format_value(finding.threshold)
        if threshold is None and isinstance(finding.threshold, dict):
            threshold = ", ".join(f"{k}={format_value(v) or v}" for k, v in finding.threshold.items())
        if threshold is None:
            threshold = str(finding.threshold)[:60]
        text = f"{text} vs threshold {threshold}" if text else f"threshold {threshold}"
    return text


def get_reporter(fmt: str) -> Callable[[RunReport], str]:
    """The `render(report) -> str` function of a format (imported on demand)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return importlib.import_module(f"traitlint.reporters.{fmt}").render


def printable(text: str) -> str:
    """`text` with every surrogate code point written as a ``\\uXXXX`` escape.

    Why: a file or folder name that is not valid UTF-8 reaches Python as surrogate escapes
    (``\\udcff``), and a UTF-8 stream refuses to encode them, so printing a report that names
    such a file raised. The escape is readable in text and, inside a JSON string, is the JSON
    escape of the same code point, so JSON and SARIF output stay valid and round-trip.
    """
    if not _SURROGATES.search(text):
        return text
    return _SURROGATES.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def render(fmt: str, report: RunReport) -> str:
    """The report in format `fmt`, safe to write to any UTF-8 stream (see `printable`)."""
    return printable(get_reporter(fmt)(report))
