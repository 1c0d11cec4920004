"""Human-readable output, modelled on ruff: one `path:line: CODE [severity] message` line per finding,
its evidence lines, the metric against its threshold, the fix hint, then a summary.

`format_finding` is shared with the pytest plugin so a failure reads the same in both front ends.
"""
from __future__ import annotations

from collections import defaultdict

from traitlint.finding import Finding, Severity
from traitlint.reporters import RunReport, evidence_path, format_metric, format_value


def finding_location(finding: Finding, trait_path: str) -> str:
    """`path/file:line` of the first evidence line, or the trait folder when there is none."""
    if not finding.evidence:
        return trait_path
    ev = finding.evidence[0]
    path = evidence_path(trait_path, ev.file)
    return f"{path}:{ev.line}" if ev.line else path


def format_finding(finding: Finding, trait_path: str, indent: str = "  ", traceback: bool = False) -> list[str]:
    """The lines describing one finding: headline, evidence (up to 5), metric vs threshold, hint."""
    lines = [f"{finding_location(finding, trait_path)}: {finding.code} [{finding.severity.value}] {finding.message}"]
    for number, ev in enumerate(finding.evidence[:5]):
        if number == 0 and not ev.text:
            continue  # the headline already names this location
        where = evidence_path(trait_path, ev.file)
        where = f"{where}:{ev.line}" if ev.line else where
        text = ev.text if len(ev.text) <= 160 else ev.text[:159] + "…"
        lines.append(f"{indent}{where}  {text}".rstrip())
    metric = format_metric(finding)
    if metric:
        lines.append(f"{indent}metric: {metric}")
    if traceback and isinstance(finding.metric.get("traceback"), str):
        lines.extend(indent + line for line in finding.metric["traceback"].rstrip().splitlines())
    if finding.hint:
        lines.append(f"{indent}hint: {finding.hint}")
    return lines


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(report: RunReport) -> str:
    s = report.summary()
    f = s["findings"]
    audits = len({(r.code) for t in report.results for r in t.results})
    line = (f"Checked {_plural(s['traits'], 'trait folder')} with {_plural(audits, 'audit')}: "
            f"{s['passed']} passed, {s['warned']} warned, {s['failed']} failed, {s['skipped']} skipped, "
            f"{_plural(s['error'], 'error')}; findings: {_plural(f['error'], 'error')}, "
            f"{_plural(f['warning'], 'warning')}, {f['info']} info.")
    if f["info"] and not (report.show_info or report.show_passing):
        line += " (--show-info lists the info findings.)"
    if report.strict:
        line += " Strict mode: warnings fail."
    return line


def render(report: RunReport) -> str:
    out: list[str] = []
    skipped: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for trait in report.results:
        for result in trait.results:
            for finding in result.findings:
                if finding.severity is Severity.INFO and not (report.show_info or report.show_passing):
                    continue  # notes, not problems: a clean run should read clean
                out.extend(format_finding(finding, trait.path))
                out.append("")
            if result.status == "skipped":
                skipped[(result.code, result.name, result.reason)].append(trait.path)
            elif report.show_passing and result.status == "passed" and not result.findings:
                shown = [f"{k}={v}" for k, v in result.metrics.items() if format_value(v) is not None
                         and not isinstance(v, str)][:6]
                extra = f" ({', '.join(shown)})" if shown else ""
                out.append(f"{trait.path}: {result.code} {result.name} passed{extra}")
    if report.show_passing and out and out[-1] != "":
        out.append("")
    for (code, name, reason), paths in sorted(skipped.items()):
        where = paths[0] if len(paths) == 1 else f"{len(paths)} trait folders"
        out.append(f"{where}: {code} {name} skipped: {reason}")
    if skipped:
        out.append("")
    if not report.results:
        out.append("No trait folders found.")
    else:
        out.append(summary_line(report))
        if report.exit_code() == 0 and not any(r.findings for t in report.results for r in t.results):
            out.append("All checks passed!")
    return "\n".join(out) + "\n"
