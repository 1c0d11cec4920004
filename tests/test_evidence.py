"""Evidence lines are listed once each (issue 13), whatever an audit passes to `finding()`."""
from __future__ import annotations

from traitlint.finding import Evidence, Severity
from traitlint.registry import MAX_EVIDENCE, Audit


class _Probe(Audit):
    code = "TL999"
    name = "probe"
    summary = "test only"


def test_finding_lists_each_file_line_once_in_the_audits_order():
    ev = [Evidence("positive.txt", 7, "a"), Evidence("negative.txt", 7, "b"), Evidence("positive.txt", 7, "a"),
          Evidence("positive.txt", 2, "c"), Evidence("trait.toml", None, ""), Evidence("trait.toml", None, "")]
    f = _Probe().finding(Severity.WARNING, "m", evidence=ev)
    assert [(e.file, e.line) for e in f.evidence] == [("positive.txt", 7), ("negative.txt", 7), ("positive.txt", 2),
                                                      ("trait.toml", None), ("trait.toml", None)]
    assert f.evidence_omitted == 0


def test_repeats_do_not_take_the_place_of_other_lines():
    ev = [Evidence("positive.txt", 1, "x")] * 4 + [Evidence("positive.txt", n, "y") for n in range(2, 9)]
    f = _Probe().finding(Severity.WARNING, "m", evidence=ev)
    assert [e.line for e in f.evidence] == list(range(1, MAX_EVIDENCE + 1))
    assert f.evidence_omitted == 8 - MAX_EVIDENCE
