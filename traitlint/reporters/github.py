"""GitHub Actions workflow commands: one ``::error file=...,line=...::`` annotation per finding.

Errors become ``::error``, warnings ``::warning``, info ``::notice``; GitHub shows them on the
changed lines of a pull request. The message carries the other evidence lines and the fix hint.
"""
from __future__ import annotations

from traitlint.finding import Finding
from traitlint.reporters import RunReport, evidence_path, format_metric
from traitlint.reporters.text import summary_line

_COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    """Escape a workflow-command message (the part after ``::``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow-command property value (``file=...``, ``title=...``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding, trait_path: str) -> str:
    props = []
    if finding.evidence:
        first = finding.evidence[0]
        props.append(f"file={escape_property(evidence_path(trait_path, first.file))}")
        if first.line:
            props.append(f"line={first.line}")
    else:
        props.append(f"file={escape_property(trait_path)}")
    props.append(f"title={escape_property(f'{finding.code} {finding.name}')}")
    body = [finding.message]
    metric = format_metric(finding)
    if metric:
        body.append(f"metric: {metric}")
    for number, ev in enumerate(finding.evidence[:5]):
        if number == 0 and not ev.text:
            continue  # file= and line= already say where
        where = evidence_path(trait_path, ev.file) + (f":{ev.line}" if ev.line else "")
        body.append(f"{where}  {ev.text}".rstrip())
    if finding.hint:
        body.append(f"hint: {finding.hint}")
    return f"::{_COMMAND[finding.severity.value]} {','.join(props)}::{escape_data(chr(10).join(body))}"


def render(report: RunReport) -> str:
    lines = [annotation(f, t.path) for t in report.results for r in t.results for f in r.findings]
    lines.append(summary_line(report) if report.results else "No trait folders found.")
    return "\n".join(lines) + "\n"
