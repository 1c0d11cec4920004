"""Human-readable output, modelled on ruff, grouped by trait folder.

Each folder with something to say gets a header with its one-line summary
(``datasets/traits/x/optimism: 2 errors, 1 warning; audits: 17 passed, 2 failed, 1 skipped``), then
its findings (a `path:line: CODE [severity] message` line, the evidence lines, the metric against
its threshold, the fix hint), then its skipped audits, one line per reason, and what its trait.toml
suppresses. Clean folders are only counted (``--show-passing`` lists them). The run ends with one
summary line. ``--statistics`` prints a count per code instead of the findings; ``-q`` only the
summary line, ``-qq`` nothing.

`format_finding` is shared with the pytest plugin so a failure reads the same in both front ends.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from traitlint.finding import Finding, Severity
from traitlint.reporters import (
    RunReport,
    evidence_path,
    format_metric,
    format_value,
    skip_groups,
)

if TYPE_CHECKING:
    from traitlint.runner import TraitResult


def finding_location(finding: Finding, trait_path: str) -> str:
    """`path/file:line` of the first evidence line, or the trait folder when there is none."""
    if not finding.evidence:
        return trait_path
    ev = finding.evidence[0]
    path = evidence_path(trait_path, ev.file)
    return f"{path}:{ev.line}" if ev.line else path


def headline(finding: Finding, trait_path: str) -> str:
    """`path:line: CODE [severity] message` on one line (the concise format is these lines)."""
    message = " ".join(finding.message.split("\n"))
    return f"{finding_location(finding, trait_path)}: {finding.code} [{finding.severity.value}] {message}"


def format_finding(finding: Finding, trait_path: str, indent: str = "  ", traceback: bool = False) -> list[str]:
    """The lines describing one finding: headline, evidence (up to 5), metric vs threshold, hint."""
    lines = [headline(finding, trait_path)]
    for number, ev in enumerate(finding.evidence[:5]):
        if number == 0 and not ev.text:
            continue  # the headline already names this location
        where = evidence_path(trait_path, ev.file)
        where = f"{where}:{ev.line}" if ev.line else where
        text = ev.text if len(ev.text) <= 160 else ev.text[:159] + "…"
        lines.append(f"{indent}{where}  {text}".rstrip())
    more = max(0, len(finding.evidence) - 5) + finding.evidence_omitted
    if more:
        lines.append(f"{indent}... and {more} more")
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


def cut_list(items: list[str], limit: int) -> str:
    """``a, b, c and 12 more``: a list that is cut says how much was left out."""
    shown = ", ".join(items[:limit])
    return f"{shown} and {len(items) - limit} more" if len(items) > limit else shown


def summary_line(report: RunReport) -> str:
    s = report.summary()
    f = s["findings"]
    audits = len({(r.code) for t in report.results for r in t.results})
    line = (f"Checked {_plural(s['traits'], 'trait folder')} with {_plural(audits, 'audit')}: "
            f"{s['passed']} passed, {s['warned']} warned, {s['failed']} failed, {s['skipped']} skipped, "
            f"{_plural(s['error'], 'error')}; findings: {_plural(f['error'], 'error')}, "
            f"{_plural(f['warning'], 'warning')}, {f['info']} info")
    held = [f"{s[k]} {k}" for k in ("suppressed", "baselined") if s[k]]
    line += f" ({', '.join(held)})." if held else "."
    if f["info"] and not report.lists_info and not report.quiet:
        line += " (--show-info lists the info findings.)"
    if report.strict:
        line += " Strict mode: warnings fail."
    return line


def folder_summary(trait: "TraitResult", report: RunReport) -> str:
    """`path: 2 errors, 1 warning; audits: 17 passed, 2 failed, 1 skipped`: a folder in one line."""
    severity = {"error": 0, "warning": 0, "info": 0}
    statuses: dict[str, int] = {}
    suppressed = baselined = 0
    for result in trait.results:
        statuses[result.status] = statuses.get(result.status, 0) + 1
        for finding in result.findings:
            severity[finding.severity.value] += 1
        suppressed += len(result.suppressed)
        baselined += len(result.baselined)
    counts = [_plural(severity["error"], "error"), _plural(severity["warning"], "warning")]
    if severity["info"] and report.lists_info:
        counts.append(f"{severity['info']} info")
    counts += [f"{n} {what}" for n, what in ((suppressed, "suppressed"), (baselined, "baselined")) if n]
    shown = [f"{statuses.get(s, 0)} {s}" for s in ("passed", "warned", "failed", "skipped", "error")
             if statuses.get(s) or s == "passed"]
    return f"{trait.path}: {', '.join(counts)}; audits: {', '.join(shown)}"


def skip_line(reason: str, results: list) -> str:
    """One line for every audit of a folder skipped for the same reason."""
    if len(results) == 1:
        return f"skipped {results[0].code} {results[0].name}: {reason}"
    codes = cut_list([r.code for r in results], 20)
    return f"skipped {len(results)} audits ({codes}): {reason}"


def suppressed_lines(trait: "TraitResult") -> list[str]:
    """`suppressed 2 TL101 findings ("but"): contrast is the trait here`, one line per entry group."""
    groups: dict[tuple[str, str, str], int] = {}
    for result in trait.results:
        for item in result.suppressed:
            features = ", ".join(f'"{r.feature}"' for r in item.rules)
            key = (item.finding.code, features, item.reason)
            groups[key] = groups.get(key, 0) + 1
    return [f"suppressed {_plural(n, f'{code} finding')} ({features}) in trait.toml: {reason}"
            for (code, features, reason), n in groups.items()]


def declaration_lines(trait: "TraitResult", report: RunReport) -> list[str]:
    """Notes a passing folder must not hide, one line each, without --show-info (with it the info
    findings already say them, so they are not repeated):

    - what declared trait words hide (issue 12: a declaration never makes a folder pass silently);
    - what an audit ran but could not check here (an info finding with ``metric.not_checked``, e.g.
      TL002's pair order in a folder whose pairs share no content words): a check that could not
      run is never read as clean.
    """
    if report.lists_info:
        return []
    out = []
    for result in trait.results:
        for finding in result.findings:
            if finding.severity is Severity.INFO and finding.code == "TL101" \
                    and "hidden_by_declarations" in finding.metric:
                out.insert(0, finding.message)
            elif finding.not_checked:
                out.append(f"{finding.code} {finding.message}")
    return out


def _shown(finding: Finding, report: RunReport) -> bool:
    return finding.severity is not Severity.INFO or report.lists_info  # notes, not problems: a clean run reads clean


def folder_block(trait: "TraitResult", report: RunReport) -> list[str]:
    """A folder's header, findings, skips and suppressions; empty for a folder with nothing to show."""
    findings = [f for r in trait.results for f in r.findings if _shown(f, report)]
    skips = skip_groups(trait.results)
    suppressed = suppressed_lines(trait) + declaration_lines(trait, report)
    if not (findings or skips or suppressed or report.show_passing):
        return []
    out = [folder_summary(trait, report)]
    for finding in findings:
        out.extend("  " + line for line in format_finding(finding, trait.path))
        out.append("")
    notes = [skip_line(reason, group) for reason, group in skips] + suppressed
    if report.show_passing:
        for result in trait.results:
            if result.status == "passed" and not result.findings:
                metrics = [f"{k}={format_value(v)}" for k, v in result.metrics.items()
                           if format_value(v) is not None and not isinstance(v, str)][:6]
                extra = f" ({', '.join(metrics)})" if metrics else ""
                notes.append(f"{result.code} {result.name} passed{extra}")
    out.extend("  " + line for line in notes)
    if notes:
        out.append("")
    if len(out) == 1:
        out.append("")
    return out


def statistics_lines(report: RunReport) -> list[str]:
    """`--statistics`: one line per code, most frequent first, as `ruff check --statistics`."""
    rows = report.statistics_rows()
    if not rows:
        return []
    width = max(len(str(r["count"])) for r in rows)
    name_width = max(len(r["name"]) for r in rows)
    out = []
    for r in rows:
        parts = [_plural(r[s], s) if s != "info" else f"{r[s]} info" for s in ("error", "warning", "info") if r[s]]
        out.append(f"{str(r['count']).rjust(width)}  {r['code']}  {r['name'].ljust(name_width)}  "
                   f"({', '.join(parts)}; {_plural(r['folders'], 'folder')})")
    return out + [""]


def closing_lines(report: RunReport) -> list[str]:
    if not report.results:
        return ["No trait folders found."]
    out = [summary_line(report)]
    if not report.quiet and report.exit_code() == 0 and not any(r.findings for t in report.results for r in t.results):
        # findings a baseline holds back are still there: say so rather than "passed"
        out.append("No new findings." if report.summary()["baselined"] else "All checks passed!")
    return out


def render(report: RunReport) -> str:
    if report.quiet >= 2:
        return ""
    out: list[str] = []
    if report.statistics and not report.quiet:
        out += statistics_lines(report)
    elif not report.quiet:
        for trait in report.results:
            out += folder_block(trait, report)
    out += closing_lines(report)
    return "\n".join(out) + "\n"
