"""Machine-readable output: one JSON object per run.

Schema::

    {"version": "0.1.0",
     "traits": [{"path": "datasets/traits/x/optimism",
                 "audits": [{"code", "name", "status", "findings": [...], "metrics": {...}, "reason"?}]}],
     "summary": {"traits", "results", "passed", "warned", "failed", "skipped", "error",
                 "findings": {"error", "warning", "info"}, "suppressed", "baselined", "strict", "exit_code"}}

`status` is one of passed, warned, failed, skipped, error; a finding is
``{"code", "name", "severity", "message", "metric", "threshold", "evidence", "hint"}`` and each
evidence line ``{"file", "line", "text", "path"}``: `file` is relative to the trait folder (as the
audits report it) and `path` is the same file from the working directory. Metrics are always
included, for passing audits too, so thresholds can be tuned from the numbers.

A finding that names what it is about (TL101's words, TL102's lemmas) has ``"features": [...]``.
An audit with findings held back has ``"suppressed": [finding + "suppressed_by": [{"code",
"feature", "reason"}]]`` (trait.toml ``[[traitlint.suppress]]``) and ``"baselined": [finding]``
(``--baseline``); neither counts toward its status, the summary counts both.

With ``--statistics`` the output is instead a list, most frequent code first:
``[{"code", "name", "count", "error", "warning", "info", "folders"}]``.
"""
from __future__ import annotations

import json
import math
from typing import Any

from traitlint import __version__
from traitlint.reporters import RunReport, evidence_path


def _clean(value: Any) -> Any:
    """JSON-safe copy: NaN/inf become null, tuples lists, unknown objects their str."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


def to_dict(report: RunReport) -> dict[str, Any]:
    traits = []
    for trait in report.results:
        data = trait.to_dict()
        for audit in data["audits"]:
            for finding in [*audit["findings"], *audit.get("suppressed", ()), *audit.get("baselined", ())]:
                for ev in finding["evidence"]:
                    ev["path"] = evidence_path(trait.path, ev["file"])
        traits.append(data)
    return _clean({"version": __version__, "traits": traits, "summary": report.summary()})


def render(report: RunReport) -> str:
    data: Any = _clean(report.statistics_rows()) if report.statistics else to_dict(report)
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
