"""SARIF 2.1.0 output, for GitHub code scanning and other static-analysis dashboards.

One rule per enabled audit (`tool.driver.rules`, with the ruff-style doc as help text) and one
result per finding, whose `locations` are the finding's evidence lines (repository-relative URIs
under ``%SRCROOT%``, the working directory).
"""
from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from traitlint import __version__
from traitlint.finding import Finding
from traitlint.reporters import RunReport, evidence_path
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


def _locations(finding: Finding, trait_path: str) -> list[dict[str, Any]]:
    out = []
    for ev in finding.evidence[:5]:
        physical: dict[str, Any] = {"artifactLocation": _artifact(evidence_path(trait_path, ev.file))}
        if ev.line and ev.line >= 1:
            region: dict[str, Any] = {"startLine": ev.line}
            if ev.text:
                region["snippet"] = {"text": ev.text}
            physical["region"] = region
        out.append({"physicalLocation": physical})
    if not out:
        out.append({"physicalLocation": {"artifactLocation": _artifact(trait_path.rstrip("/") + "/")}})
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
    order = sorted(rules)
    index = {code: i for i, code in enumerate(order)}
    results = []
    for trait_path, finding in findings:
        text = finding.message + (f"\nHint: {finding.hint}" if finding.hint else "")
        properties: dict[str, Any] = {"trait": trait_path, "metric": finding.metric}
        if finding.threshold is not None:
            properties["threshold"] = finding.threshold
        if finding.hint:
            properties["hint"] = finding.hint
        results.append({"ruleId": finding.code, "ruleIndex": index[finding.code],
                        "level": _LEVEL[finding.severity.value], "message": {"text": text},
                        "locations": _locations(finding, trait_path), "properties": properties})
    crashed = any(r.status == "error" for t in report.results for r in t.results)
    run = {
        "tool": {"driver": {"name": "traitlint", "version": __version__,
                            "rules": [rules[c] for c in order]}},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path.cwd().as_uri().rstrip("/") + "/"}},
        "invocations": [{"executionSuccessful": not crashed, "properties": {"summary": report.summary()}}],
        "results": results,
    }
    return _clean({"$schema": SCHEMA, "version": "2.1.0", "runs": [run]})


def render(report: RunReport) -> str:
    return json.dumps(to_dict(report), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
