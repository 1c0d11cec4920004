"""Evidence lines are listed once each (issue 13), whatever an audit passes to `finding()`."""
from __future__ import annotations

from traitlint.finding import Evidence, Severity
from traitlint.registry import MAX_EVIDENCE, Audit


class _Probe(Audit):
    code = "TL999"
    name = "probe"
    summary = "test only"


def test_finding_lists_each_file_line_once_by_line_with_the_pair_files_together():
    ev = [Evidence("positive.txt", 7, "a"), Evidence("negative.txt", 7, "b"), Evidence("positive.txt", 7, "a"),
          Evidence("positive.txt", 2, "c"), Evidence("trait.toml", None, ""), Evidence("trait.toml", None, "")]
    f = _Probe().finding(Severity.WARNING, "m", evidence=ev)
    assert [(e.file, e.line) for e in f.evidence] == [("positive.txt", 2), ("positive.txt", 7), ("negative.txt", 7),
                                                      ("trait.toml", None), ("trait.toml", None)]
    assert f.evidence_omitted == 0


def test_the_strongest_lines_are_kept_then_listed_by_line():
    ev = [Evidence("negative.txt", n, str(n)) for n in (40, 3, 25, 9, 31, 1, 2)]  # strongest first
    f = _Probe().finding(Severity.WARNING, "m", evidence=ev)
    assert [e.line for e in f.evidence] == [3, 9, 25, 31, 40]  # 1 and 2 are weaker: left out, not shown first
    assert f.evidence_omitted == 2


def test_a_group_stays_together_and_is_placed_by_its_first_line():
    copy = (Evidence("steering.json", 30, "q"), Evidence("positive.txt", 4, "copied"))
    dup = (Evidence("positive.txt", 12, "x"), Evidence("positive.txt", 2, "x again"))
    f = _Probe().finding(Severity.WARNING, "m", evidence=[copy, dup, Evidence("steering.json", 8, "r")])
    assert [(e.file, e.line) for e in f.evidence] == [("steering.json", 8), ("steering.json", 30), ("positive.txt", 4),
                                                      ("positive.txt", 12), ("positive.txt", 2)]


def test_a_group_cut_at_the_cap_keeps_its_first_lines():
    big = tuple(Evidence("positive.txt", n, "") for n in (9, 8, 7, 6))
    f = _Probe().finding(Severity.WARNING, "m", evidence=[Evidence("positive.txt", 20, ""), big, Evidence("positive.txt", 1, "")])
    assert [e.line for e in f.evidence] == [9, 8, 7, 6, 20] and f.evidence_omitted == 1


def test_repeats_do_not_take_the_place_of_other_lines():
    ev = [Evidence("positive.txt", 1, "x")] * 4 + [Evidence("positive.txt", n, "y") for n in range(2, 9)]
    f = _Probe().finding(Severity.WARNING, "m", evidence=ev)
    assert [e.line for e in f.evidence] == list(range(1, MAX_EVIDENCE + 1))
    assert f.evidence_omitted == 8 - MAX_EVIDENCE
