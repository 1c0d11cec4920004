"""GitHub Actions workflow commands: one ``::error file=...,line=...::`` annotation per finding.

Errors become ``::error``, warnings ``::warning``; GitHub shows them on the changed lines of a
pull request. The message carries the other evidence lines and the fix hint. A finding that points
at no line (pair count, a folder-wide confound) is attached to a file of its folder (the file its
audit reads: positive.txt, definition.txt, steering.json, else trait.toml), because GitHub does not
annotate directories. Info findings are notes, not problems: they become ``::notice`` lines only
with ``--show-info``. Skipped audits are never silent: one ``::warning`` per folder and skip reason
naming the audits (``::notice`` for an ignore the trait or pyproject.toml wrote down with a reason).
"""
from __future__ import annotations

from traitlint.finding import Finding, Severity
from traitlint.reporters import (
    RunReport,
    evidence_path,
    folder_file,
    format_metric,
    is_deliberate,
    skip_groups,
)
from traitlint.reporters.text import cut_list, summary_line

_COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    """Escape a workflow-command message (the part after ``::``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow-command property value (``file=...``, ``title=...``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding, trait_path: str, report: RunReport | None = None) -> str:
    props = []
    if finding.evidence:
        first = finding.evidence[0]
        props.append(f"file={escape_property(evidence_path(trait_path, first.file))}")
        if first.line:
            props.append(f"line={first.line}")
    else:
        audits = report.audits if report is not None else []
        props.append(f"file={escape_property(folder_file(trait_path, finding.code, audits))}")
    props.append(f"title={escape_property(f'{finding.code} {finding.name}')}")
    body = [finding.message if finding.evidence else f"{trait_path}: {finding.message}"]
    metric = format_metric(finding)
    if metric:
        body.append(f"metric: {metric}")
    for number, ev in enumerate(finding.evidence[:5]):
        if number == 0 and not ev.text:
            continue  # file= and line= already say where
        where = evidence_path(trait_path, ev.file) + (f":{ev.line}" if ev.line else "")
        body.append(f"{where}  {ev.text}".rstrip())
    if len(finding.evidence) > 5:
        body.append(f"... and {len(finding.evidence) - 5} more")
    if finding.hint:
        body.append(f"hint: {finding.hint}")
    return f"::{_COMMAND[finding.severity.value]} {','.join(props)}::{escape_data(chr(10).join(body))}"


def skip_annotation(trait_path: str, reason: str, results: list, report: RunReport) -> str:
    """One annotation for every audit of a folder skipped for the same reason."""
    level = "notice" if is_deliberate(reason) else "warning"
    codes = [r.code for r in results]
    title = f"{codes[0]} {results[0].name} skipped" if len(codes) == 1 else f"{len(codes)} audits skipped"
    where = folder_file(trait_path, codes[0], report.audits)
    message = f"{trait_path}: {cut_list(codes, 20)} not checked: {reason}"
    return f"::{level} file={escape_property(where)},title={escape_property(title)}::{escape_data(message)}"


def render(report: RunReport) -> str:
    lines = []
    for trait in report.results:
        for result in trait.results:
            lines += [annotation(f, trait.path, report) for f in result.findings
                      if f.severity is not Severity.INFO or report.lists_info]
        lines += [skip_annotation(trait.path, reason, group, report) for reason, group in skip_groups(trait.results)]
    lines.append(summary_line(report) if report.results else "No trait folders found.")
    return "\n".join(lines) + "\n"
