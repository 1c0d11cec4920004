"""Render a lint run for people and machines: text (ruff-like), json, github annotations, sarif.

Every reporter takes one `RunReport` and returns a string; none of them prints or decides policy.
The exit code and the summary are computed here once, so every format agrees on them.
"""
from __future__ import annotations

import importlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from traitlint.finding import Finding, Severity

if TYPE_CHECKING:
    from traitlint.registry import Audit
    from traitlint.runner import AuditResult, TraitResult

FORMATS = ("text", "concise", "json", "github", "sarif")
_SURROGATES = re.compile("[\ud800-\udfff]")
STATUSES = ("passed", "warned", "failed", "skipped", "error")


@dataclass
class RunReport:
    """The results of one run plus what a reporter needs to present them."""

    results: list["TraitResult"]
    audits: list[type["Audit"]] = field(default_factory=list)  # the enabled audits (SARIF rules)
    strict: bool = False
    show_passing: bool = False
    show_info: bool = False  # text/concise/github: info findings are counted but listed only on request
    statistics: bool = False  # text/concise/json: a count per code instead of the findings
    quiet: int = 0  # text/concise: 1 only the summary line, 2 nothing (the exit code says it)

    @property
    def lists_info(self) -> bool:
        return self.show_info or self.show_passing

    def summary(self) -> dict[str, Any]:
        """Counts of audit statuses and finding severities, and the exit code they imply.

        `suppressed` (by trait.toml ``[[traitlint.suppress]]``) and `baselined` (by ``--baseline``)
        count findings held back from the statuses and the exit code.
        """
        statuses = {s: 0 for s in STATUSES}
        severities = {s.value: 0 for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)}
        suppressed = baselined = 0
        for trait in self.results:
            for result in trait.results:
                statuses[result.status] = statuses.get(result.status, 0) + 1
                for finding in result.findings:
                    severities[finding.severity.value] += 1
                suppressed += len(result.suppressed)
                baselined += len(result.baselined)
        return {"traits": len(self.results), "results": sum(statuses.values()), **statuses,
                "findings": severities, "suppressed": suppressed, "baselined": baselined,
                "strict": self.strict, "exit_code": self.exit_code()}

    def statistics_rows(self) -> list[dict[str, Any]]:
        """Findings per code, most frequent first (``--statistics``, as ruff has); info findings
        only when they are listed (`lists_info`)."""
        rows: dict[str, dict[str, Any]] = {}
        for trait in self.results:
            for result in trait.results:
                for finding in result.findings:
                    if finding.severity is Severity.INFO and not self.lists_info:
                        continue
                    row = rows.setdefault(finding.code, {"code": finding.code, "name": finding.name, "count": 0,
                                                         "error": 0, "warning": 0, "info": 0, "folders": set()})
                    row["count"] += 1
                    row[finding.severity.value] += 1
                    row["folders"].add(trait.path)
        out = sorted(rows.values(), key=lambda r: (-r["count"], r["code"]))
        for row in out:
            row["folders"] = len(row["folders"])
        return out

    def exit_code(self) -> int:
        """2 when an audit crashed (an internal error), 1 when any audit failed (or warned under
        strict), else 0."""
        statuses = {r.status for t in self.results for r in t.results}
        if "error" in statuses:
            return 2
        if "failed" in statuses or (self.strict and "warned" in statuses):
            return 1
        return 0


def skip_groups(results: list["AuditResult"]) -> list[tuple[str, list["AuditResult"]]]:
    """A folder's skipped audits grouped by reason, in audit order: one line per reason, not per audit.

    Why: an unpairable folder skips 14 audits with one reason; fourteen near-identical lines
    buried the findings, and a single line naming the codes says the same.
    """
    groups: dict[str, list["AuditResult"]] = {}
    for result in results:
        if result.status == "skipped":
            groups.setdefault(result.reason, []).append(result)
    return list(groups.items())


def is_deliberate(reason: str) -> bool:
    """A skip the user asked for (an ignore with its reason), not one that left a check undone."""
    return reason.startswith("ignored")


#: Where a finding that points at no line is shown, by what its audit reads: a file of the folder
#: (annotations and code-scanning alerts attach to files, not directories).
_FILE_FOR = (("definition", "definition.txt"), ("steering", "steering.json"), ("pairs", "positive.txt"),
             ("prefills", "positive.txt"))
_FALLBACK_FILES = ("positive.txt", "positive.jsonl", "trait.toml", "definition.txt", "steering.json", "negative.txt")


def folder_file(trait_path: str, code: str, audits: list[type["Audit"]] = ()) -> str:
    """A file in the trait folder that a folder-level finding of `code` can point at.

    The file the audit reads (definition.txt for TL005, steering.json for TL006, positive.txt for
    the pair audits), else the first of positive.txt, trait.toml, ... that exists; the folder
    itself only when it holds none of them.
    """
    requires: frozenset[str] = frozenset()
    for audit in audits:
        if audit.code == code:
            requires = frozenset(audit.requires)
    preferred = [name for need, name in _FILE_FOR if need in requires]
    for name in dict.fromkeys([*preferred, *_FALLBACK_FILES]):
        path = evidence_path(trait_path, name)
        if Path(path).is_file():
            return path
    return trait_path


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
