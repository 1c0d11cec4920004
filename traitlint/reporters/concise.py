"""One line per finding, for grep, editors' quickfix lists and large corpora.

``path:line: CODE [severity] message`` per finding (the text format's headline: no evidence,
metric or hint lines), one ``path: skipped ...: reason`` line per folder and skip reason, then
the summary line. Info findings only with ``--show-info``; ``--statistics`` and ``-q``/``-qq``
behave as in the text format.
"""
from __future__ import annotations

from traitlint.finding import Severity
from traitlint.reporters import RunReport, skip_groups
from traitlint.reporters.text import (
    closing_lines,
    headline,
    skip_line,
    statistics_lines,
    suppressed_lines,
)


def render(report: RunReport) -> str:
    if report.quiet >= 2:
        return ""
    out: list[str] = []
    if report.statistics and not report.quiet:
        out += statistics_lines(report)
    elif not report.quiet:
        for trait in report.results:
            for result in trait.results:
                out += [headline(f, trait.path) for f in result.findings
                        if f.severity is not Severity.INFO or report.lists_info]
            out += [f"{trait.path}: {skip_line(reason, group)}" for reason, group in skip_groups(trait.results)]
            out += [f"{trait.path}: {line}" for line in suppressed_lines(trait)]
    out += closing_lines(report)
    return "\n".join(out) + "\n"
