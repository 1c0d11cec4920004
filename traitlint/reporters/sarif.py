"""SARIF 2.1.0 output, for GitHub code scanning and other static-analysis dashboards.

One rule per enabled audit (`tool.driver.rules`, with the ruff-style doc as help text) and one
result per finding (repository-relative URIs under ``%SRCROOT%``, the working directory): its
first evidence line is the `location`, the other evidence lines (the partner prefill, more
examples) are `relatedLocations`. A finding that points at no line is located at a file of its
folder (the file its audit reads, else positive.txt or trait.toml), not at the directory, which
code scanning cannot show. Findings suppressed in trait.toml are results with an accepted
`suppressions` entry carrying the reason; baselined findings are left out (the summary counts them).

Skipped audits are never silent: `invocations[0].toolExecutionNotifications` holds one notification
per skipped audit and folder (level "warning"; "note" for an ignore written down with a reason)
and one of level "error" per audit that errored, which also makes `executionSuccessful` false.
"""
from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from traitlint import __version__
from traitlint.finding import Evidence, Finding
from traitlint.reporters import RunReport, evidence_path, folder_file, is_deliberate
from traitlint.reporters.json import _clean

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _rule(code: str, name: str, summary: str, rationale: str, doc: str, level: str,
          params: dict[str, Any]) -> dict[str, Any]:
    rule: dict[str, Any] = {"id": code, "name": name, "shortDescription": {"text": summary or name},
                            "defaultConfiguration": {"level": level}}
    if rationale or summary:
        rule["fullDescription"] = {"text": rationale or summary}
    if doc:
        rule["help"] = {"text": doc}
    if params:
        rule["properties"] = {"parameters": _clean(params)}
    return rule


def _artifact(path: str) -> dict[str, Any]:
    p = Path(path)
    if p.is_absolute():
        return {"uri": p.as_uri()}
    slash = "/" if path.endswith("/") else ""  # a directory URI keeps its trailing slash
    return {"uri": _quote_path(p.as_posix()) + slash, "uriBaseId": "%SRCROOT%"}


def _quote_path(path: str) -> str:
    """Percent-encode a relative path for a URI.

    A file name that is not valid UTF-8 reaches Python as surrogate escapes; `surrogateescape`
    turns them back into the name's real bytes (``notes\\udcff.txt`` -> ``notes%FF.txt``) where a
    plain `quote` raised UnicodeEncodeError.
    """
    try:
        return quote(path, errors="surrogateescape")
    except UnicodeEncodeError:  # a surrogate that is no escaped byte
        return quote(path, errors="backslashreplace")


def _physical(ev: Evidence, trait_path: str) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": _artifact(evidence_path(trait_path, ev.file))}
    if ev.line and ev.line >= 1:
        region: dict[str, Any] = {"startLine": ev.line}
        if ev.text:
            region["snippet"] = {"text": ev.text}
        physical["region"] = region
    return physical


def _folder_location(trait_path: str, code: str, report: RunReport) -> dict[str, Any]:
    where = folder_file(trait_path, code, report.audits)
    return {"physicalLocation": {"artifactLocation": _artifact(where if where != trait_path
                                                               else trait_path.rstrip("/") + "/")}}


def _locations(finding: Finding, trait_path: str, report: RunReport) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(locations, relatedLocations): the first evidence line, then the others."""
    if not finding.evidence:
        return [_folder_location(trait_path, finding.code, report)], []
    first = {"physicalLocation": _physical(finding.evidence[0], trait_path)}
    related = []
    for number, ev in enumerate(finding.evidence[1:], 1):
        item: dict[str, Any] = {"id": number, "physicalLocation": _physical(ev, trait_path)}
        if ev.text:
            item["message"] = {"text": ev.text}
        related.append(item)
    return [first], related


def _result(finding: Finding, trait_path: str, index: dict[str, int], report: RunReport) -> dict[str, Any]:
    text = finding.message + (f"\nHint: {finding.hint}" if finding.hint else "")
    properties: dict[str, Any] = {"trait": trait_path, "metric": finding.metric}
    if finding.threshold is not None:
        properties["threshold"] = finding.threshold
    if finding.hint:
        properties["hint"] = finding.hint
    if finding.features:
        properties["features"] = finding.features
    locations, related = _locations(finding, trait_path, report)
    out = {"ruleId": finding.code, "ruleIndex": index[finding.code], "level": _LEVEL[finding.severity.value],
           "message": {"text": text}, "locations": locations}
    if related:
        out["relatedLocations"] = related
    out["properties"] = properties
    return out


def _notifications(report: RunReport, index: dict[str, int]) -> list[dict[str, Any]]:
    """A notification per skipped audit and folder, and per audit that errored."""
    out = []
    for trait in report.results:
        for result in trait.results:
            if result.status == "skipped":
                level = "note" if is_deliberate(result.reason) else "warning"
                text = f"{result.code} {result.name} skipped in {trait.path}: {result.reason}"
            elif result.status == "error":
                level, text = "error", f"{result.code} {result.name} errored in {trait.path}: {result.reason}"
            else:
                continue
            note: dict[str, Any] = {"level": level, "message": {"text": text},
                                    "locations": [_folder_location(trait.path, result.code, report)],
                                    "properties": {"trait": trait.path, "status": result.status}}
            if result.code in index:
                note["associatedRule"] = {"id": result.code, "index": index[result.code]}
            out.append(note)
    return out


def to_dict(report: RunReport) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    for audit in report.audits:
        rules[audit.code] = _rule(audit.code, audit.name, audit.summary, audit.rationale, inspect.cleandoc(audit.doc()),
                                  _LEVEL[audit.severity.value], dict(audit.params))
    findings = [(t.path, f) for t in report.results for r in t.results for f in r.findings]
    for _, finding in findings:  # load findings (TL001/TL002) may come from codes with no audit
        if finding.code not in rules:
            rules[finding.code] = _rule(finding.code, finding.name, "", "", "", _LEVEL[finding.severity.value], {})
    suppressed = [(t.path, s) for t in report.results for r in t.results for s in r.suppressed]
    for _, item in suppressed:
        if item.finding.code not in rules:
            rules[item.finding.code] = _rule(item.finding.code, item.finding.name, "", "", "",
                                             _LEVEL[item.finding.severity.value], {})
    order = sorted(rules)
    index = {code: i for i, code in enumerate(order)}
    results = [_result(finding, trait_path, index, report) for trait_path, finding in findings]
    for trait_path, item in suppressed:
        result = _result(item.finding, trait_path, index, report)
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": f"trait.toml [[traitlint.suppress]]: {item.reason}"}]
        results.append(result)
    crashed = any(r.status == "error" for t in report.results for r in t.results)
    invocation: dict[str, Any] = {"executionSuccessful": not crashed}
    notifications = _notifications(report, index)
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    invocation["properties"] = {"summary": report.summary()}
    run = {
        "tool": {"driver": {"name": "traitlint", "version": __version__,
                            "rules": [rules[c] for c in order]}},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().as_uri().rstrip("/") + "/"}},
        "invocations": [invocation],
        "results": results,
    }
    return _clean({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]})


def render(report: RunReport) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
