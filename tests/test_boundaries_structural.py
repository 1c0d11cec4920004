"""Boundary tests for the structural audits TL001-TL007 and their helpers (issue 16).

Every threshold and severity rule is tested just inside and just outside: two folders that differ by
one pair (or one line) where the statistic allows it, else `judge()` called with metrics sitting on
the boundary. The reported file, line, feature and threshold are asserted, not only the status, so a
comparison made strict, a constant off by one or a condition dropped changes a test's outcome
(`tools/mutation.py` measures that). The structural audits read files only (no spaCy): the whole
file runs in a few seconds.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from traitlint.audits.structural.alignment import AlignParams, align, params_from
from traitlint.audits.structural.definition_format import (
    DefinitionFormat,
    coverage_problems,
    parse_bands,
)
from traitlint.audits.structural.pairing import Pairing
from traitlint.audits.structural.steering_format import json_line, question_text
from traitlint.audits.structural.text import (
    TokenIndex,
    jaccard,
    normalize,
    squash,
    tokens,
)
from traitlint.config import Config
from traitlint.context import AuditContext
from traitlint.dataset import TextFile
from traitlint.finding import Severity
from traitlint.registry import get
from traitlint.runner import AuditResult, Session

GOOD = Path(__file__).parent / "fixtures" / "structural" / "good" / "hopefulness"

# ------------------------------------------------------------------------------------------- helpers
PLACES = ["bakery", "clinic", "garage", "library", "orchard", "studio", "harbor", "school", "farm", "theater",
          "warehouse", "lab", "kitchen", "museum", "station", "pharmacy", "gym", "office", "market", "workshop",
          "ferry", "chapel", "bistro", "quarry", "stadium", "archive", "nursery", "salon", "brewery", "depot"]
EVENTS = ["the oven broke", "the grant was denied", "the roof leaked", "the shipment was late", "the frost came early",
          "the lease doubled", "the storm hit", "the budget was cut", "the harvest failed", "the lead actor quit",
          "the forklift died", "the samples spoiled", "the power went out", "the exhibit closed", "the train stalled"]
PEOPLE = ["my sister", "Marcus", "the night nurse", "our landlord", "Priya", "the foreman", "my neighbour", "Dr. Okafor"]
HOPEFUL = ["that we could still turn this around by spring because", "it would work out if we kept at it, since",
           "we had a real shot at fixing it, and", "things were already looking up because"]
GLOOMY = ["that it was ruined for good and there was no point because", "it would only get worse from here, since",
          "we had no chance of fixing it, and", "things were already falling apart because"]


def pairs(n: int, start: int = 0) -> tuple[list[str], list[str]]:
    """`n` matched pairs shaped like a real late-divergence set: a shared setup with its own rare words
    (place, event, person, a day number), then endings that differ in several words, not one."""
    pos, neg = [], []
    for i in range(start, start + n):
        setup = (f"At the {PLACES[i % len(PLACES)]} {EVENTS[(i * 7) % len(EVENTS)]} on day {i + 1}, "
                 f"and when {PEOPLE[i % len(PEOPLE)]} asked what now I said")
        pos.append(f"{setup} {HOPEFUL[i % len(HOPEFUL)]}")
        neg.append(f"{setup} {GLOOMY[i % len(GLOOMY)]}")
    return pos, neg


def make(tmp_path: Path, pos: list[str], neg: list[str], name: str = "t") -> Path:
    """A copy of the good fixture (definition.txt, steering.json) with these prefills."""
    folder = tmp_path / name
    shutil.copytree(GOOD, folder)
    write(folder, pos, neg)
    return folder


def write(folder: Path, pos: list[str], neg: list[str]) -> None:
    (folder / "positive.txt").write_text("\n".join(pos) + "\n", encoding="utf-8")
    (folder / "negative.txt").write_text("\n".join(neg) + "\n", encoding="utf-8")


def run(folder: Path, code: str, **params: Any) -> AuditResult:
    return Session(Config(params={code: params} if params else {})).run_audit(get(code), folder)


def ctx_of(folder: Path) -> AuditContext:
    return Session(Config()).context(folder)


def only(result: AuditResult) -> Any:
    """The one finding of a result (fails with the messages when there are more or none)."""
    assert len(result.findings) == 1, [f"{f.severity.value}: {f.message}" for f in result.findings]
    return result.findings[0]


def messages(result: AuditResult) -> str:
    return "\n".join(f"{f.severity.value}: {f.message}" for f in result.findings)


def where(finding: Any) -> list[tuple[str, int | None]]:
    return [(e.file, e.line) for e in finding.evidence]


def test_generator_pairs_are_distinct_and_differ_in_more_than_one_word():
    pos, neg = pairs(150)
    assert len(set(pos)) == 150 and len(set(neg)) == 150 and not set(pos) & set(neg)
    assert all(len(tokens(p) ^ tokens(n)) >= 4 for p, n in zip(pos, neg))
    # each positive is closest to its own partner: TL002 sees an aligned folder
    assert align(pos, neg).summary() | {"median_diagonal_aligned": 0, "median_best": 0} == {
        "shifts": [], "scattered_lines": [], "scattered": 0, "scrambled": False, "median_diagonal_aligned": 0,
        "median_best": 0}


# ---------------------------------------------------------------------------------------------- TL001
def test_tl001_reports_only_its_own_load_findings_and_counts_them_by_severity(tmp_path):
    pos, neg = pairs(20)
    folder = make(tmp_path, pos, neg[:-1])  # a TL002 load finding (unequal counts): not TL001's
    data = (folder / "positive.txt").read_bytes()
    (folder / "positive.txt").write_bytes(b"\xef\xbb\xbf" + data)  # a TL001 warning at line 1
    (folder / "notes.md").write_text("x", encoding="utf-8")  # a TL001 info
    result = run(folder, "TL001")
    assert {f.code for f in result.findings} == {"TL001"}
    by = {s.value: sum(1 for f in result.findings if f.severity is s) for s in Severity}
    assert by == {"error": 0, "warning": 1, "info": 1}
    assert {k: result.metrics[k] for k in by} == by
    assert result.status == "warned"
    bom = next(f for f in result.findings if f.severity is Severity.WARNING)
    assert where(bom) == [("positive.txt", 1)]


# ---------------------------------------------------------------------------------------------- TL004
@pytest.mark.parametrize("n,status,threshold", [(19, "failed", 20), (20, "warned", 150), (149, "warned", 150),
                                                (150, "passed", None)])
def test_tl004_boundaries_at_the_defaults(tmp_path, n, status, threshold):
    pos, neg = pairs(n)
    result = run(make(tmp_path, pos, neg), "TL004")
    assert result.status == status and result.metrics == {"pairs": n}
    if threshold is None:
        assert result.findings == []
        return
    f = only(result)
    assert f.threshold == threshold and where(f) == [("positive.txt", None)]
    if status == "failed":
        assert f.severity is Severity.ERROR
        assert f.message == f"only {n} pairs; at least 20 are needed and 150+ recommended"
    else:
        assert f.severity is Severity.WARNING and f.message == f"{n} pairs, below the recommended 150"


@pytest.mark.parametrize("n,status", [(9, "failed"), (10, "warned"), (29, "warned"), (30, "passed")])
def test_tl004_boundaries_follow_configured_params(tmp_path, n, status):
    pos, neg = pairs(n)
    assert run(make(tmp_path, pos, neg), "TL004", min_pairs=30, hard_min_pairs=10).status == status


def test_tl004_evidence_names_the_positive_file_it_read(tmp_path):
    folder = make(tmp_path, *pairs(3))
    for side in ("positive", "negative"):
        lines = (folder / f"{side}.txt").read_text().splitlines()
        (folder / f"{side}.txt").unlink()
        (folder / f"{side}.jsonl").write_text("".join(json.dumps({"prompt": t}) + "\n" for t in lines))
    assert where(only(run(folder, "TL004"))) == [("positive.jsonl", None)]


# ---------------------------------------------------------------------------------------------- TL007
def finished(lines: list[str], which: set[int]) -> list[str]:
    """`lines` with the 0-based lines in `which` cut to a finished sentence."""
    return [t.rsplit(" ", 1)[0].rstrip(",") + "." if i in which else t for i, t in enumerate(lines)]


@pytest.mark.parametrize("k,status", [(5, "passed"), (6, "warned")])
def test_tl007_share_boundary_is_strictly_above_half(tmp_path, k, status):
    pos, neg = pairs(10)
    which = {1, 2, 4, 6, 7, 9}
    chosen = set(sorted(which)[:k])
    result = run(make(tmp_path, finished(pos, chosen), finished(neg, {3})), "TL007")
    assert result.status == status
    assert result.metrics["positive"]["share"] == k / 10 and result.metrics["negative"]["share"] == 0.1
    if status == "warned":
        f = only(result)
        assert f.severity is Severity.WARNING and f.threshold == 0.5
        assert f.message == ("6 of 10 prefills in positive.txt (60%) end with a finished sentence, above 50% "
                             "(the other side: 10%)")
        assert where(f) == [("positive.txt", line) for line in (2, 3, 5, 7, 8)]


def test_tl007_negative_side_is_judged_and_contrasted_with_the_positive(tmp_path):
    pos, neg = pairs(10)
    result = run(make(tmp_path, finished(pos, {0, 1}), finished(neg, set(range(3, 10)))), "TL007")
    f = only(result)
    assert "7 of 10 prefills in negative.txt (70%)" in f.message and f.message.endswith("(the other side: 20%)")
    assert where(f) == [("negative.txt", line) for line in (4, 5, 6, 7, 8)]
    assert f.metric["lines"] == [4, 5, 6, 7, 8, 9, 10]


@pytest.mark.parametrize("max_share,status", [(0.6, "passed"), (0.59, "warned")])
def test_tl007_configured_max_share(tmp_path, max_share, status):
    pos, neg = pairs(10)
    assert run(make(tmp_path, finished(pos, set(range(6))), neg), "TL007", max_share=max_share).status == status


def test_tl007_metrics_round_to_four_places_and_keep_fifty_lines(tmp_path):
    pos, neg = pairs(60)
    result = run(make(tmp_path, finished(pos, set(range(60))), finished(neg, {0, 1, 2, 3, 4, 5, 6, 7, 8})), "TL007")
    m = result.metrics["positive"]
    assert m["finished"] == 60 and m["lines"] == list(range(1, 51)) and m["share"] == 1.0
    assert result.metrics["negative"]["share"] == 0.15
    pos, neg = pairs(7)
    m = run(make(tmp_path, finished(pos, {3}), neg, "seven"), "TL007").metrics["positive"]
    assert m["share"] == 0.1429 and m["lines"] == [4]


def test_tl007_with_one_side_missing_judges_the_other_without_contrast(tmp_path):
    pos, neg = pairs(4)
    folder = make(tmp_path, finished(pos, {0, 1, 2}), neg)
    (folder / "negative.txt").unlink()
    result = run(folder, "TL007")
    assert list(result.metrics) == ["positive"]
    assert only(result).message == "3 of 4 prefills in positive.txt (75%) end with a finished sentence, above 50%"


def test_tl007_blank_only_side_has_share_zero(tmp_path):
    pos, _ = pairs(4)
    folder = make(tmp_path, pos, ["", " ", "", " "])
    result = run(folder, "TL007")
    assert result.metrics["negative"] == {"file": "negative.txt", "prefills": 0, "finished": 0, "share": 0.0,
                                          "lines": []}
    assert result.status == "passed"


# ---------------------------------------------------------------------------------------------- TL003
@pytest.mark.parametrize("n,severity", [(10, Severity.ERROR), (11, Severity.WARNING)])
def test_tl003_within_file_error_share_boundary(tmp_path, n, severity):
    """One extra copy in 10 lines is 10% (>= error_share: error); one more unique pair makes it 9%."""
    pos, neg = pairs(n)
    pos[6] = pos[1].upper() + "!"  # line 7 repeats line 2 up to case and end punctuation
    f = only(run(make(tmp_path, pos, neg), "TL003"))
    assert f.severity is severity and f.threshold == 0.1
    assert f.message.startswith(f"1 repeated line(s) in positive.txt ({1 / n:.0%} of {n}): lines 2=7")
    assert f.metric["share"] == round(1 / n, 4) and f.metric["groups"] == [[2, 7]] and f.metric["exact"] == 0
    assert [(e.file, e.line, e.text) for e in f.evidence] == [("positive.txt", 2, pos[1]), ("positive.txt", 7, pos[6])]


def test_tl003_within_file_on_the_negative_side_with_configured_share(tmp_path):
    pos, neg = pairs(20)
    neg[19] = neg[4]  # the copy is the file's last line: its text is still shown
    f = only(run(make(tmp_path, pos, neg), "TL003"))
    assert f.severity is Severity.WARNING
    assert [(e.file, e.line, e.text) for e in f.evidence] == [("negative.txt", 5, neg[4]), ("negative.txt", 20, neg[4])]
    assert f.metric["exact"] == 1 and f.metric["extra_copies"] == 1
    assert only(run(make(tmp_path, pos, neg, "u"), "TL003", error_share=0.05)).severity is Severity.ERROR


def test_tl003_groups_evidence_and_more_groups_message(tmp_path):
    pos, neg = pairs(40)
    pos[10] = pos[11] = pos[0]  # a group of three: lines 1, 11, 12
    for k in range(1, 5):  # four groups of two: lines k+1 and 20+k+1
        pos[20 + k] = pos[k]
    f = only(run(make(tmp_path, pos, neg), "TL003"))
    assert f.metric["extra_copies"] == 6 and f.metric["groups"][0] == [1, 11, 12]
    assert [(e.line, e.text) for e in f.evidence] == [(line, pos[line - 1]) for line in (1, 11, 2, 22, 3)]
    assert "lines 1=11=12; 2=22; 3=23; 4=24; 5=25" in f.message and "more groups" not in f.message
    pos[30] = pos[6]  # a sixth group
    f = only(run(make(tmp_path, pos, neg, "six"), "TL003"))
    assert f.message.endswith("5=25 and 1 more groups")


def test_tl003_metrics_keep_fifty_groups(tmp_path):
    pos, neg = pairs(110)
    pos[55:110] = pos[:55]
    f = only(run(make(tmp_path, pos, neg), "TL003"))
    assert f.metric["extra_copies"] == 55 and len(f.metric["groups"]) == 50 and f.metric["groups"][49] == [50, 105]
    assert f.message.endswith("5=60 and 45+ more groups")


def test_tl003_a_one_line_folder_sharing_its_line(tmp_path):
    pos, neg = pairs(20)
    make(tmp_path, pos[:1], [], "tiny")
    (tmp_path / "tiny" / "negative.txt").unlink()  # one line in all
    results = corpus(tmp_path, {"big": (pos, neg)})
    f = only(results["tiny"])
    assert f.metric["share"] == 1.0 and "(100%)" in f.message


def test_tl003_across_files_is_an_error_at_both_lines(tmp_path):
    pos, neg = pairs(20)
    neg[7] = pos[2] + "."
    f = only(run(make(tmp_path, pos, neg), "TL003"))
    assert f.severity is Severity.ERROR and f.threshold == 0
    assert "1 prefill(s) appear on both sides at different lines: positive.txt:3=negative.txt:8" in f.message
    assert f.metric["pairs"] == [{"positive_line": 3, "negative_lines": [8]}]
    assert [(e.file, e.line, e.text) for e in f.evidence] == [("positive.txt", 3, pos[2]), ("negative.txt", 8, neg[7])]


def test_tl003_across_files_lists_the_first_other_line_and_keeps_a_hundred(tmp_path):
    pos, neg = pairs(120)
    neg[9], neg[30] = pos[40], pos[40]  # positive 41 = negative 10 and 31
    neg[50:] = pos[51:] + [neg[119]]  # negative i = positive i+1 from line 51 on: 69 more
    result = run(make(tmp_path, pos, neg), "TL003")
    m = result.metrics
    assert m["across_files_count"] == 70 and len(m["across_files"]) == 70
    assert m["across_files"][0] == {"positive_line": 41, "negative_lines": [10, 31]}
    f = next(f for f in result.findings if "both sides" in f.message)
    assert "positive.txt:41=negative.txt:10, positive.txt:52=negative.txt:51" in f.message
    assert f.message.count("=") == 5 and f.message.endswith("positive.txt:55=negative.txt:54")
    assert len(f.metric["pairs"]) == 20 and f.metric["across_files"] == 70
    pos, neg = pairs(120)
    neg[:119] = pos[1:]
    m = run(make(tmp_path, pos, neg, "many"), "TL003").metrics
    assert m["across_files_count"] == 119 and len(m["across_files"]) == 100
    pos, neg = pairs(30)
    neg[:12] = [pos[29]] * 12  # one positive line written as twelve negative lines
    m = run(make(tmp_path, pos, neg, "twelve"), "TL003").metrics
    assert m["across_files"] == [{"positive_line": 30, "negative_lines": list(range(1, 11))}]


def test_tl003_the_same_line_number_on_both_sides_is_not_a_cross_file_duplicate(tmp_path):
    pos, neg = pairs(20)
    neg[5] = pos[5]  # an identical pair: TL002's business
    result = run(make(tmp_path, pos, neg), "TL003")
    assert result.status == "passed" and result.metrics["across_files_count"] == 0


def test_tl003_punctuation_only_lines_are_not_duplicates(tmp_path):
    pos, neg = pairs(20)
    pos[3] = pos[9] = "..."
    neg[4] = neg[11] = "—"
    result = run(make(tmp_path, pos, neg), "TL003")
    assert result.status == "passed", messages(result)
    assert result.metrics["within"]["positive"]["extra_copies"] == 0 and result.metrics["across_files_count"] == 0


def test_tl003_punctuation_only_lines_are_not_shared_across_folders(tmp_path):
    a_pos, a_neg = pairs(20)
    b_pos, b_neg = pairs(20, start=30)
    a_pos[2] = b_pos[5] = b_neg[7] = "…"
    results = corpus(tmp_path, {"a": (a_pos, a_neg), "b": (b_pos, b_neg)})
    assert results["a"].metrics["cross_folder_lines"] == 0 and results["b"].metrics["cross_folder_counts"] == {}


def test_tl003_names_the_files_it_read(tmp_path):
    pos, neg = pairs(20)
    pos[9] = pos[3]
    folder = make(tmp_path, pos, neg)
    for side, lines in (("positive", pos), ("negative", neg)):
        (folder / f"{side}.txt").unlink()
        (folder / f"{side}.jsonl").write_text("".join(json.dumps({"prompt": t}) + "\n" for t in lines))
    f = only(run(folder, "TL003"))
    assert "in positive.jsonl (5% of 20): lines 4=10" in f.message
    assert [(e.file, e.line, e.text) for e in f.evidence] == [("positive.jsonl", 4, pos[3]), ("positive.jsonl", 10, pos[3])]


def corpus(tmp_path: Path, folders: dict[str, tuple[list[str], list[str]]]) -> dict[str, AuditResult]:
    """TL003 over several folders in one run (folder names are shown relative to the working directory)."""
    for name, (pos, neg) in folders.items():
        make(tmp_path, pos, neg, name)
    session = Session(Config(select=["TL003"]))
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)
        return {Path(tr.path).name: tr.results[0] for tr in session.run([Path(".")])}


@pytest.mark.parametrize("n,severity", [(10, Severity.WARNING), (11, Severity.INFO)])
def test_tl003_cross_folder_share_boundary(tmp_path, n, severity):
    """1 shared line of 20 (10 pairs) is 5% (>= cross_folder_share: warning); of 22 it is 4.5%: info."""
    b_pos, b_neg = pairs(20)
    c_pos, c_neg = pairs(n, start=40)
    c_pos[n - 1] = b_pos[0]
    results = corpus(tmp_path, {"b": (b_pos, b_neg), "c": (c_pos, c_neg)})
    f = only(results["c"])
    assert f.severity is severity and f.threshold == 0.05
    assert f.message.startswith(f"1 prefill(s) ({1 / (2 * n):.0%}) also appear in other trait folders: b (1)")
    assert f.metric == {"shared_lines": 1, "share": round(1 / (2 * n), 4), "folders": {"b": 1}}
    assert where(f) == [("positive.txt", n)]


@pytest.mark.parametrize("others", [5, 6])
def test_tl003_cross_folder_lists_the_biggest_overlap_first_and_caps_folders(tmp_path, others):
    base_pos, base_neg = pairs(30)
    folders = {"main": (base_pos, base_neg)}
    for k in range(others):  # folder o0 shares 2 lines with main, the others 1
        p, n = pairs(10, start=100 + 10 * k)
        p[0] = base_pos[k]
        if k == 0:
            n[3] = base_neg[20]
        folders[f"o{k}"] = (p, n)
    results = corpus(tmp_path, folders)
    f = only(results["main"])
    assert f.metric["shared_lines"] == others + 1
    assert f.metric["folders"] == {"o0": 2, **{f"o{k}": 1 for k in range(1, others)}}
    assert f.message == (f"{others + 1} prefill(s) ({(others + 1) / 60:.0%}) also appear in other trait folders: "
                         "o0 (2), o1 (1), o2 (1), o3 (1), o4 (1)" + (" and 1 more folders" if others == 6 else ""))
    assert where(f) == [("positive.txt", 1), ("negative.txt", 21)]  # the lines shared with o0
    assert where(only(results["o0"])) == [("positive.txt", 1), ("negative.txt", 4)]


def test_tl003_cross_folder_metrics_keep_twenty_lines_per_folder(tmp_path):
    b_pos, b_neg = pairs(30)
    c_pos, c_neg = pairs(30, start=50)
    c_pos[:25] = b_pos[:25]
    results = corpus(tmp_path, {"b": (b_pos, b_neg), "c": (c_pos, c_neg)})
    m = results["c"].metrics
    assert m["cross_folder_counts"] == {"b": 25} and len(m["cross_folder"]["b"]) == 20
    assert m["cross_folder"]["b"][0] == ["positive.txt", 1]


# ---------------------------------------------------------------------------------------------- TL005
FRAME, HIGH, MID, LOW, KEY = ("Score hopefulness (0-100).", "HIGH (70-100): could still, we can",
                              "MID (40-70): mixed framing", "LOW (0-40): only worse, no point",
                              "Key: framing of the outcome, not how bad the situation is.")


def definition(tmp_path: Path, lines: list[str], name: str = "t") -> AuditResult:
    folder = tmp_path / name
    if not folder.exists():
        make(tmp_path, *pairs(20), name)
    (folder / "definition.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return run(folder, "TL005")


@pytest.mark.parametrize("extra,status", [(5, "passed"), (6, "warned")])
def test_tl005_max_lines_boundary(tmp_path, extra, status):
    lines = [FRAME, HIGH, MID, LOW, KEY] + [f"Note {i}: quoted hope counts too." for i in range(extra)]
    result = definition(tmp_path, lines)
    assert result.status == status and result.metrics["nonempty_lines"] == 5 + extra
    if status == "warned":
        f = only(result)
        assert f.threshold == 10 and f.message.startswith("definition.txt has 11 non-empty lines, above 10")
        assert where(f) == [("definition.txt", 11)] and f.evidence[0].text == lines[10]


def test_tl005_max_lines_counts_non_empty_lines_only(tmp_path):
    lines = [FRAME, "", HIGH, "", MID, "", LOW, "", KEY, "", "Note.", " ", "Note two."]
    result = definition(tmp_path, lines)
    assert result.metrics["nonempty_lines"] == 7 and result.status == "passed"
    assert run(tmp_path / "t", "TL005", max_lines=6).status == "warned"


def test_tl005_frame_is_the_first_non_empty_line(tmp_path):
    result = definition(tmp_path, ["", "", FRAME, HIGH, MID, LOW, KEY])
    assert result.metrics["frame"] and result.metrics["first_line"] == 3 and result.status == "passed"
    result = definition(tmp_path, [HIGH, FRAME, MID, LOW, KEY], "second")
    f = only(result)
    assert f.severity is Severity.WARNING and "no opening scoring frame" in f.message
    assert where(f) == [("definition.txt", 1)]


def test_tl005_a_band_line_with_the_scale_is_not_a_frame(tmp_path):
    result = definition(tmp_path, ["HIGH (0-100): everything", KEY])
    assert not result.metrics["frame"] and result.metrics["first_line"] == 1
    assert "no opening scoring frame" in messages(result)


@pytest.mark.parametrize("n,status", [(1, "passed"), (2, "warned")])
def test_tl005_critical_lines_boundary(tmp_path, n, status):
    crit = [f"CRITICAL: score only the completion, rule {i}." for i in range(n)]
    result = definition(tmp_path, crit + [HIGH, MID, LOW, KEY])
    assert result.status == status and result.metrics["frame"]
    if n > 1:
        f = only(result)
        assert f.threshold == 1 and f.message.startswith("2 CRITICAL: lines")
        assert where(f) == [("definition.txt", 1), ("definition.txt", 2)]


@pytest.mark.parametrize("bands,problems", [
    (["HIGH (70-100)", "MID (31-69)", "LOW (0-30)"], []),  # adjacent ends
    (["HIGH (70-100)", "MID (40-70)", "LOW (0-40)"], []),  # shared ends
    (["HIGH (70-99)", "MID (40-70)", "LOW (0-40)"], ["scores 100-100 are not covered"]),
    (["HIGH (70-100)", "MID (40-70)", "LOW (1-40)"], ["scores 0-0 are not covered"]),
    (["HIGH (70-101)", "MID (40-70)", "LOW (0-40)"], ["a band goes above 100"]),
    (["HIGH (70-100)", "MID (32-69)", "LOW (0-30)"],
     ["gap: scores 31-31 fall between bands (line 3 ends at 30, line 2 starts at 32)"]),
    (["HIGH (70-100)", "MID (39-70)", "LOW (0-40)"], ["overlap: line 2 (39-70) overlaps scores up to 40"]),
])
def test_tl005_coverage_boundaries(bands, problems):
    assert coverage_problems(parse_bands(bands)) == problems


def test_tl005_coverage_reach_is_the_highest_end_so_far():
    """A band nested in a wider one (MID 20-30 inside LOW 0-60) does not pull the covered range back to 30."""
    problems = coverage_problems(parse_bands(["HIGH (70-100)", "MID (20-30)", "LOW (0-60)"]))
    assert len(problems) == 2 and problems[0] == "overlap: line 2 (20-30) overlaps scores up to 60"
    assert problems[1].startswith("gap: scores 61-69 fall between bands (line ")


def test_tl005_coverage_and_missing_labels_messages(tmp_path):
    f = only(definition(tmp_path, [FRAME, "HIGH (50-100): a", "LOW (0-50): c", KEY]))
    assert f.severity is Severity.WARNING and f.message == "score bands do not cover 0-100 cleanly: no MID band"
    assert f.threshold == "0-100" and where(f) == [("definition.txt", 2), ("definition.txt", 3)]
    f = only(definition(tmp_path, [FRAME, HIGH, "MID (42-70): b", LOW, KEY], "gap"))
    assert f.message == ("score bands do not cover 0-100 cleanly: gap: scores 41-41 fall between bands "
                         "(line 4 ends at 40, line 3 starts at 42)")
    assert f.metric["missing"] == []
    f = only(definition(tmp_path, [FRAME, "HIGH (60-100): a", "LOW (0-40): c", KEY], "both"))
    assert f.message.startswith("score bands do not cover 0-100 cleanly: no MID band; gap: scores 41-59")


def test_tl005_unlabelled_and_localised_bands(tmp_path):
    result = definition(tmp_path, [FRAME, "70-100: hopeful", "40-70: mixed", "0-40: gloomy", KEY])
    assert [b["label"] for b in result.metrics["bands"]] == [None, None, None]
    assert only(result).message == "score bands do not cover 0-100 cleanly: no HIGH/MID/LOW band"
    result = definition(tmp_path, ["Evaluar esperanza (0-100).", "ALTO (70-100): a", "MEDIO (40-70): b",
                                   "BAJO (0-40): c", "Clave: todo depende del marco."], "es")
    assert result.status == "passed", messages(result)
    assert result.metrics["labels"] == ["HIGH", "LOW", "MID"] and result.metrics["placeholder_lines"] == []


def test_tl005_placeholders_are_errors_at_their_lines(tmp_path):
    result = definition(tmp_path, [FRAME, "HIGH (70-100): TODO", MID, "LOW (0-40): FIXME later", KEY])
    f = only(result)
    assert f.severity is Severity.ERROR and result.status == "failed" and f.threshold == 0
    assert f.metric == {"placeholder_lines": 2} and where(f) == [("definition.txt", 2), ("definition.txt", 4)]


def test_tl005_severities_of_missing_bands_and_key(tmp_path):
    f = only(definition(tmp_path, [FRAME, "HIGH: lots", "LOW: little", KEY]))
    assert f.severity is Severity.ERROR and f.message.startswith("no score bands") and f.metric == {"bands": 0}
    assert [(e.file, e.line, e.text) for e in f.evidence] == [("definition.txt", 1, FRAME)]
    result = definition(tmp_path, [FRAME, HIGH, MID, LOW], "nokey")
    f = only(result)
    assert result.status == "warned" and f.message.startswith("no `Key:` line") and where(f) == [("definition.txt", None)]


def test_tl005_blank_definition_gives_no_findings():
    folder_ctx = _DefCtx(TextFile("definition.txt", ["", "  "]))
    audit = DefinitionFormat()
    metrics = audit.compute(folder_ctx, dict(audit.params))  # type: ignore[arg-type]
    assert metrics["nonempty_lines"] == 0 and metrics["first_line"] is None and not metrics["frame"]
    assert audit.judge(metrics, dict(audit.params), folder_ctx) == []  # type: ignore[arg-type]


class _DefCtx:
    """The part of an AuditContext that TL005 reads: `ctx.dataset.definition`."""

    def __init__(self, tf: TextFile) -> None:
        self.dataset = type("DS", (), {"definition": tf})()


# ---------------------------------------------------------------------------------------------- TL006
def good_steering() -> dict[str, Any]:
    return json.loads((GOOD / "steering.json").read_text(encoding="utf-8"))


QUESTIONS = [f"What usually happens to a {p} after a bad week?" for p in PLACES]


def steer(tmp_path: Path, obj: Any, name: str = "t", **params: Any) -> AuditResult:
    folder = tmp_path / name
    if not folder.exists():
        make(tmp_path, *pairs(20), name)
    (folder / "steering.json").write_text(json.dumps(obj, indent=2, ensure_ascii=False), encoding="utf-8")
    return run(folder, "TL006", **params)


@pytest.mark.parametrize("n,status,severity,threshold", [
    (0, "failed", Severity.ERROR, 15), (14, "warned", Severity.WARNING, 15), (15, "passed", None, None),
    (20, "passed", None, None), (21, "passed", Severity.INFO, 20)])
def test_tl006_question_count_boundaries(tmp_path, n, status, severity, threshold):
    obj = {**good_steering(), "questions": QUESTIONS[:n]}
    result = steer(tmp_path, obj)
    assert result.status == status and result.metrics["questions"] == n
    if severity is None:
        assert result.findings == []
        return
    f = only(result)
    assert f.severity is severity and f.threshold == threshold and f.metric == {"questions": n}
    assert [(e.file, e.line, e.text) for e in f.evidence] == [
        ("steering.json", 2, '"questions": [],' if n == 0 else '"questions": [')]  # the "questions" key


@pytest.mark.parametrize("n,status", [(4, "warned"), (5, "passed"), (8, "passed"), (9, "passed")])
def test_tl006_question_count_follows_configured_params(tmp_path, n, status):
    result = steer(tmp_path, {**good_steering(), "questions": QUESTIONS[:n]}, min_questions=5, max_questions=8)
    assert result.status == status
    assert [f.severity for f in result.findings] == ([Severity.INFO] if n == 9 else [Severity.WARNING] if n == 4 else [])


def test_tl006_near_copy_boundary_is_jaccard_at_least_the_threshold(tmp_path):
    pos, neg = pairs(20)
    make(tmp_path, pos, neg)
    ordered = sorted(tokens(pos[6]))
    assert len(ordered) % 5 == 0  # so that 4/5 of its words is a Jaccard of exactly 0.8
    near = ordered[: len(ordered) * 4 // 5]
    # questions made of exactly 80% / one word under 80% of prefill 7's words
    on = " ".join(near) + "?"
    under = " ".join(near[:-1]) + "?"
    sim_on, sim_under = jaccard(tokens(on), tokens(pos[6])), jaccard(tokens(under), tokens(pos[6]))
    assert sim_on == 0.8 > sim_under
    for q, flagged in ((on, True), (under, False)):
        result = steer(tmp_path, {**good_steering(), "questions": QUESTIONS[:15] + [q]})
        copies = result.metrics["prefill_copies"]
        if flagged:
            assert copies == [{"question": 15, "file": "positive.txt", "line": 7, "similarity": round(sim_on, 3)}]
            f = only(result)
            assert f.severity is Severity.WARNING and f.threshold == 0.8
            assert f"questions[15] ~ positive.txt:7 ({sim_on:.2f})" in f.message
            assert where(f)[1] == ("positive.txt", 7)
        else:
            assert copies == [] and result.status == "passed", messages(result)


def test_tl006_near_copy_threshold_is_configurable(tmp_path):
    pos, neg = pairs(20)
    make(tmp_path, pos, neg)
    words = sorted(tokens(pos[3]))
    q = " ".join(words[: len(words) * 3 // 4]) + "?"
    sim = jaccard(tokens(q), tokens(pos[3]))
    assert 0.6 < sim < 0.8 and round(sim, 3) != round(sim, 4)
    assert steer(tmp_path, {**good_steering(), "questions": QUESTIONS[:15] + [q]}).status == "passed"
    result = steer(tmp_path, {**good_steering(), "questions": QUESTIONS[:15] + [q]}, near_duplicate=round(sim, 6) - 1e-6)
    assert result.status == "warned"
    assert result.metrics["prefill_copies"] == [{"question": 15, "file": "positive.txt", "line": 4,
                                                 "similarity": round(sim, 3)}]


def test_tl006_a_copy_that_differs_only_by_unicode_width_is_exact(tmp_path):
    """normalize() applies NFKC: full-width digits are the same text (similarity 1.0), though their
    tokens differ from the ASCII ones."""
    pos, neg = pairs(20)
    make(tmp_path, pos, neg)
    wide = pos[8].replace("9", "\uff19")  # "day 9" -> full-width nine
    assert tokens(wide) != tokens(pos[8])
    result = steer(tmp_path, {**good_steering(), "questions": QUESTIONS[:15] + [wide]})
    assert result.metrics["prefill_copies"] == [{"question": 15, "file": "positive.txt", "line": 9, "similarity": 1.0}]


def test_tl006_messages_list_five_items(tmp_path):
    pos, neg = pairs(20)
    make(tmp_path, pos, neg)
    questions = QUESTIONS[:16] + [QUESTIONS[k].lower() for k in range(6)] + [pos[k] for k in range(6)]
    questions += [{"q": "x" * 300}] + [None] * 5
    result = steer(tmp_path, {**good_steering(), "questions": questions})
    dup = next(f for f in result.findings if "duplicate" in f.message)
    assert dup.message.count("repeats") == 5 and "questions[21] repeats" not in dup.message
    copies = next(f for f in result.findings if "copy an extraction prefill" in f.message)
    assert copies.message.startswith("6 question(s) copy") and copies.message.count("~ positive.txt:") == 5
    assert [(e.file, e.line) for e in copies.evidence] == [("steering.json", 25), ("positive.txt", 1),
                                                           ("steering.json", 26), ("positive.txt", 2),
                                                           ("steering.json", 27)]
    bad = next(f for f in result.findings if "not non-empty strings" in f.message)
    assert bad.message.startswith("6 question(s)") and bad.message.count("questions[") == 5
    assert bad.evidence[0].line is None and len(bad.evidence[0].text) == 200
    assert bad.evidence[0].text.startswith("questions[28] = {'q': 'xxx")


def test_tl006_exact_copy_with_prefix_removed_has_similarity_one(tmp_path):
    pos, neg = pairs(20)
    make(tmp_path, pos, neg)
    prefix = "Answer bluntly."
    questions = [f"{prefix} {q}" for q in QUESTIONS[:15]] + [f"{prefix} {pos[4].upper()}"]
    result = steer(tmp_path, {**good_steering(), "questions": questions, "adversarial_prefix": prefix})
    assert result.metrics["prefill_copies"] == [{"question": 15, "file": "positive.txt", "line": 5, "similarity": 1.0}]
    assert result.metrics["prefix_missing"] == [] and only(result).severity is Severity.WARNING


@pytest.mark.parametrize("missing,status", [(0, "passed"), (1, "failed")])
def test_tl006_adversarial_prefix_in_every_question(tmp_path, missing, status):
    prefix = "Be blunt."
    questions = [f"{prefix} {q}" for q in QUESTIONS[:16]]
    for i in range(missing):
        questions[9 + i] = QUESTIONS[9 + i]
    result = steer(tmp_path, {**good_steering(), "questions": questions, "adversarial_prefix": "  Be blunt. "})
    assert result.status == status
    if missing:
        f = only(result)
        assert f.severity is Severity.ERROR and "not embedded in 1 of 16 questions" in f.message
        assert f.metric == {"prefix_missing": [9], "questions": 16} and f.threshold == 0
        raw = (tmp_path / "t" / "steering.json").read_text().splitlines()
        # listed by line: the question without the prefix, then the key (it comes later in the file)
        assert [e.line for e in f.evidence] == sorted(e.line for e in f.evidence)
        assert QUESTIONS[9] in raw[f.evidence[0].line - 1] and '"adversarial_prefix"' in raw[f.evidence[1].line - 1]


def test_tl006_item_problems_and_their_severities(tmp_path):
    obj = {**good_steering(), "questions": QUESTIONS[:14] + ["", 7, {"question": QUESTIONS[20]},
                                                             QUESTIONS[2].upper()]}
    result = steer(tmp_path, obj)
    by = {f.message.split(":")[0]: f for f in result.findings}
    bad = by["2 question(s) are not non-empty strings"]
    assert bad.severity is Severity.ERROR and bad.metric == {"bad_items": [[14, "str"], [15, "int"]]}
    assert [e.text for e in bad.evidence] == ["questions[14] = ''", "questions[15] = 7"]
    obj_f = next(f for f in result.findings if "are objects" in f.message)
    assert obj_f.severity is Severity.WARNING and obj_f.metric == {"object_items": 1}
    dup = next(f for f in result.findings if "duplicate" in f.message)
    assert dup.severity is Severity.WARNING and "questions[17] repeats questions[2]" in dup.message
    assert dup.metric == {"duplicates": [[2, 17]]} and dup.threshold == 0
    raw = (tmp_path / "t" / "steering.json").read_text().splitlines()
    assert QUESTIONS[2].upper() in raw[dup.evidence[0].line - 1]
    assert result.status == "failed"


def test_tl006_without_eval_prompt_or_with_known_direction_passes(tmp_path):
    assert steer(tmp_path, {"questions": QUESTIONS[:16]}).status == "passed"
    for direction in ("positive", "negative"):
        assert steer(tmp_path, {**good_steering(), "direction": direction}).status == "passed"
    result = steer(tmp_path, {**good_steering(), "direction": "up"})
    f = only(result)
    assert f.severity is Severity.ERROR and f.metric == {"direction": "up"}


def test_tl006_eval_prompt_placeholder_and_scale(tmp_path):
    prompt = "Rate TODO.\n{question}\n{answer}\nRespond with a number between 0 and 100."
    f = only(steer(tmp_path, {**good_steering(), "eval_prompt": prompt}))
    assert f.severity is Severity.ERROR and "placeholder" in f.message and f.metric == {"placeholder": True}
    prompt = "Rate it.\n{question}\n{answer}\nRespond with a number between 1 and 100."
    f = only(steer(tmp_path, {**good_steering(), "eval_prompt": prompt}))
    assert f.severity is Severity.WARNING and f.metric == {"asks_0_100": False}
    prompt = "Rate it.\n{question}\n{answer}\nRespond with a number from 0 to 100."
    assert steer(tmp_path, {**good_steering(), "eval_prompt": prompt}).status == "passed"


def test_tl006_prefix_missing_metrics_keep_fifty(tmp_path):
    questions = [f"{q} ({k})" for k in range(2) for q in QUESTIONS][:55]
    result = steer(tmp_path, {**good_steering(), "questions": questions, "adversarial_prefix": "Be blunt."})
    f = next(f for f in result.findings if "adversarial_prefix" in f.message)
    assert "not embedded in 55 of 55 questions" in f.message
    assert f.metric["prefix_missing"] == list(range(50)) and len(f.evidence) == 5


def test_tl006_non_scalar_direction_is_shown_as_its_repr(tmp_path):
    f = only(steer(tmp_path, {**good_steering(), "direction": ["up"]}))
    assert f.metric == {"direction": "['up']"} and f.message.endswith("found \"['up']\"")


def test_tl006_not_an_object_points_at_line_one(tmp_path):
    f = only(steer(tmp_path, ["What now?"]))
    assert f.severity is Severity.ERROR and [(e.line, e.text) for e in f.evidence] == [(1, "[")]


def test_tl006_types(tmp_path):
    result = steer(tmp_path, {**good_steering(), "adversarial_prefix": 3, "eval_prompt": ["x"]})
    assert sorted(f.message for f in result.findings) == [
        '"adversarial_prefix" must be a string, found int', '"eval_prompt" must be a string, found list']
    assert all(f.severity is Severity.ERROR for f in result.findings)
    result = steer(tmp_path, {**good_steering(), "notes": "x"})
    f = only(result)
    assert result.status == "passed" and f.severity is Severity.INFO and where(f)[0][1] is not None


def test_tl006_helpers():
    assert question_text("q") == "q" and question_text({"question": "q"}) == "q"
    assert question_text({"question": 3}) is None and question_text(3) is None
    tf = TextFile("steering.json", ['{', '  "questions": ["Is it \\"safe\\"?"]', "}"])
    assert json_line(tf, 'Is it "safe"?') == 2 and json_line(tf, "") is None and json_line(None, "x") is None
    assert json_line(tf, "absent") is None
    # the whole escaped value is searched, not a part of it that an earlier line holds
    tf = TextFile("steering.json", ['{', '  "a": 1, "b": 2,', '  "questions": ["ab"]', "}"])
    assert json_line(tf, "ab") == 3
    # non-ASCII text is found as written (UTF-8) and as \\u escapes (json.dump's default)
    utf8 = TextFile("steering.json", ['{', '  "questions": ["¿Qué pasa?"]', "}"])
    escaped = TextFile("steering.json", ['{', '  "questions": ["\\u00bfQu\\u00e9 pasa?"]', "}"])
    assert json_line(utf8, "¿Qué pasa?") == 2 and json_line(escaped, "¿Qué pasa?") == 2
    # ... and the whole escaped form: earlier lines hold all of it but its first or its last character
    escaped = TextFile("steering.json", ['{', '  "a": "Un caf\\u00e8s",', '  "b": "Ein caf\\u00e9",',
                                         '  "questions": ["Un caf\\u00e9"]', "}"])
    assert json_line(escaped, "Un café") == 4


# ---------------------------------------------------------------------------------------------- text helpers
def test_text_normalisation():
    assert squash("  a \t b\n c  ") == "a b c"
    assert normalize("  «Hello,   World!»  ") == "hello, world"
    assert normalize("...") == "" and tokens("It's a Test") == frozenset({"it", "s", "a", "test"})


@pytest.mark.parametrize("a,b,expected", [
    ("", "a", 0.0), ("a", "", 0.0), ("", "", 0.0), ("a b", "a b", 1.0), ("a b", "b c", 1 / 3), ("a b c d", "a", 0.25)])
def test_jaccard(a, b, expected):
    assert jaccard(tokens(a), tokens(b)) == expected


def test_token_index_rare_token_document_frequency_boundary():
    # token "six" is in 6 documents (rare at max_df=6), token "seven" in 7 (not looked up)
    docs = [frozenset({f"d{j}", *(["six"] if j < 6 else []), *(["seven"] if j < 7 else [])}) for j in range(12)]
    index = TokenIndex(docs)
    assert sorted(index.candidates(frozenset({"six"}), limit=10)) == [0, 1, 2, 3, 4, 5]
    assert index.candidates(frozenset({"seven"}), limit=10) == []
    assert index.candidates(frozenset({"absent"})) == []
    assert TokenIndex(docs, max_df=7).candidates(frozenset({"seven"}), limit=10) == list(range(7))


def test_token_index_limits():
    docs = [frozenset({f"t{k}" for k in range(j + 1)}) for j in range(12)]  # t0 in 12 docs ... t11 in 1
    index = TokenIndex([frozenset({f"r{j}"}) for j in range(12)])
    query = frozenset(f"r{j}" for j in range(12))
    assert len(index.candidates(query)) == 4 and len(index.candidates(query, limit=10)) == 8  # rare_per_query
    assert len(TokenIndex(index.docs, rare_per_query=9).candidates(query, limit=10)) == 9
    # the rarest tokens are looked up first: t11 (df 1) points at document 11 only
    assert TokenIndex(docs).candidates(frozenset({"t11", "t10"}), limit=10) == [11, 10]
    assert TokenIndex(docs, rare_per_query=1).candidates(frozenset({"t11", "t10"}), limit=10) == [11]


def test_token_index_best_prefers_the_lowest_index_on_ties_and_ignores_bad_indices():
    docs = [frozenset({"a", "x"}), frozenset({"a", "y"}), frozenset({"a", "b"})]
    index = TokenIndex(docs)
    assert index.best(frozenset({"a", "z"})) == (0, 1 / 3)
    assert index.best(frozenset({"a", "b"})) == (2, 1.0)
    assert index.best(frozenset({"q"})) == (None, 0.0)
    assert index.best(frozenset({"q"}), extra=[-1, 3, 1]) == (1, 0.0)
    assert index.best(frozenset({"a", "z"}), extra=[2, 1]) == (0, 1 / 3)


# ---------------------------------------------------------------------------------------------- TL002 aligner
# The aligner's thresholds are Jaccard values, so its boundary tests use prefills with exact word
# overlaps: pair i's two sides share `s` words and each side has its own (`a` positive, `b` negative),
# lines of different pairs share nothing unless a test adds shared words. `links` moves a pair's
# negative line to another slot, the way a deleted, inserted or swapped line does.
Shape = tuple[int, int, int]


def _w(tag: str, n: int) -> list[str]:
    return [f"{tag}{k}" for k in range(n)]


def layout(n: int, links: dict[int, int] | None = None, shapes: dict[int, Shape] | None = None,
           shape: Shape = (6, 1, 1), m: int | None = None, bleed: dict[int, int] | None = None
           ) -> tuple[list[str], list[str]]:
    """`n` positives and `m` (default `n`) negatives. Positive i's partner sits in negative slot
    `links.get(i, i)`; a positive whose slot another partner took has no partner, and a slot left
    empty holds an unrelated line. `bleed[i] = g` adds g words to both positive i and negative slot i
    (whatever line sits there), so that a line resembles the line next to it."""
    links, shapes = links or {}, shapes or {}
    m = n if m is None else m
    slots = {j: i for i, j in links.items()}
    for i in range(min(n, m)):
        if i not in links and i not in slots:
            slots[i] = i

    def side(i: int, own: str) -> list[str]:
        s, a, b = shapes.get(i, shape)
        return _w(f"s{i}x", s) + _w(f"{own}{i}x", a if own == "p" else b)

    pos = [side(i, "p") for i in range(n)]
    neg = [side(slots[j], "n") if j in slots else _w(f"f{j}x", 3) for j in range(m)]
    for i, g in (bleed or {}).items():
        pos[i] += _w(f"z{i}x", g)
        neg[i] += _w(f"z{i}x", g)
    return [" ".join(t) for t in pos], [" ".join(t) for t in neg]


def coded(n: int = 100, links: dict[int, int] | None = None) -> tuple[list[str], list[str]]:
    """Pairs without rare words: line i is coded by three words (row, column, diagonal of a 10x10
    grid), each shared by 10 lines (above TokenIndex's max_df, so never looked up), two lines share at
    most one; each side adds one word of its own. Only the ±window search can find a partner."""
    links = links or {}
    slots = {j: i for i, j in links.items()}
    for i in range(n):
        if i not in links and i not in slots:
            slots[i] = i

    def code(i: int) -> str:
        x, y = divmod(i, 10)
        return f"r{x} c{y} d{(x + y) % 10}"

    pos = [f"{code(i)} p{i}" for i in range(n)]
    neg = [f"{code(slots[j])} n{slots[j]}" if j in slots else f"f{j}a f{j}b f{j}c" for j in range(n)]
    return pos, neg


def both(tmp_path: Path, pos: list[str], neg: list[str], **params: Any) -> tuple[dict[str, Any], AuditResult]:
    """The aligner's summary with its own defaults (AlignParams) and TL002 on a folder (its params):
    the two sets of defaults are separate constants, and each must hold the documented values."""
    own = align(pos, neg, AlignParams(**params) if params else None).summary()
    folder = tmp_path / f"f{len(list(tmp_path.iterdir())) if tmp_path.exists() else 0}"
    make(tmp_path, pos, neg, folder.name)
    # match_max_lines=0 turns the all-pairs check off: these tests are about the aligner and the
    # findings TL002 makes from it alone (its path for unequal counts and very large folders)
    result = run(folder, "TL002", match_max_lines=0, **{f"align_{k}": v for k, v in params.items()})
    assert result.metrics["alignment"] == own
    return own, result


def shift_of(al: dict[str, Any]) -> dict[str, Any]:
    assert len(al["shifts"]) == 1, al
    return al["shifts"][0]


@pytest.mark.parametrize("run_lines,shifted", [(3, True), (2, False)])
def test_tl002_shift_needs_run_length_lines(tmp_path, run_lines, shifted):
    links = {10 + k: 9 + k for k in range(run_lines)}  # positives 11.. match negative i-1
    al, result = both(tmp_path, *layout(30, links))
    if shifted:
        assert shift_of(al) == {"positive_line": 11, "negative_line": 10, "offset": -1, "length": 3, "matched": 3,
                                "sim": 0.75, "own_sim": 0.0}
        f = only(result)
        assert f.severity is Severity.ERROR and f.threshold == 0.1
        assert f.message.startswith("pairs shifted: from positive.txt:11 to 13 the best match is negative.txt line i-1 "
                                    "(line 10, similarity 0.75 vs 0.00 with its own partner)")
    else:  # two lines are a local swap, not a shift; too few to report
        assert al["shifts"] == [] and al["scattered_lines"] == [11, 12] and result.status == "passed"


@pytest.mark.parametrize("gap,shifted", [(3, True), (4, False)])
def test_tl002_run_allows_max_gap_unmatched_lines(tmp_path, gap, shifted):
    links = {10: 9, 11: 10, 12 + gap: 11 + gap}
    al, result = both(tmp_path, *layout(30, links))
    if shifted:
        assert shift_of(al) | {"sim": None} == {"positive_line": 11, "negative_line": 10, "offset": -1, "length": 6,
                                               "matched": 3, "sim": None, "own_sim": 0.0}
        assert "from positive.txt:11 to 16" in only(result).message
    else:
        assert al["shifts"] == [] and al["scattered_lines"] == [11, 12, 13 + gap] and result.status == "passed"


@pytest.mark.parametrize("b,shifted", [(3, True), (4, False)])
def test_tl002_better_match_must_reach_min_match(tmp_path, b, shifted):
    """3 shared words of 10 is a Jaccard of exactly 0.3 (min_match); one more own word makes it 0.27."""
    links = {10: 9, 11: 10, 12: 11}
    al, result = both(tmp_path, *layout(30, links, shapes={i: (3, 4, b) for i in links}))
    if shifted:
        assert shift_of(al)["sim"] == 0.3 and result.status == "failed"
    else:
        assert al["shifts"] == [] and al["scattered"] == 0 and result.status == "passed"


@pytest.mark.parametrize("g,shifted", [(5, True), (6, False)])
def test_tl002_better_match_must_beat_own_partner_by_margin(tmp_path, g, shifted):
    """With g words shared with the line in their own slot, the third shifted line beats its own
    partner by 0.106 (g=5, above margin 0.1, below 0.15) or by 0.030 (g=6)."""
    links = {10: 9, 11: 10, 12: 11}
    al, result = both(tmp_path, *layout(30, links, shape=(8, 1, 1), bleed={i: g for i in links}))
    if shifted:
        assert shift_of(al) == {"positive_line": 11, "negative_line": 10, "offset": -1, "length": 3, "matched": 3,
                                "sim": 0.533, "own_sim": 0.217}
        assert "similarity 0.53 vs 0.22 with its own partner" in only(result).message
    else:
        assert al["shifts"] == [] and result.status == "passed"


def test_aligner_margin_and_min_match_are_inclusive():
    """A better match of exactly min_match that beats an own partner of 0 by exactly margin counts."""
    links = {10: 9, 11: 10, 12: 11}
    pos, neg = layout(30, links, shapes={i: (1, 5, 4) for i in links})  # Jaccard 1/10 = 0.1
    assert shift_of(align(pos, neg, AlignParams(min_match=0.1, margin=0.1)).summary())["sim"] == 0.1
    assert align(pos, neg, AlignParams(min_match=0.1, margin=0.11)).shifts == []


@pytest.mark.parametrize("offset,shifted", [(3, True), (4, False)])
def test_tl002_without_rare_words_only_the_window_finds_a_partner(tmp_path, offset, shifted):
    links = {20 + k: 20 + k + offset for k in range(3)}
    al, result = both(tmp_path, *coded(100, links))
    if shifted:
        assert shift_of(al) | {"sim": None} == {"positive_line": 21, "negative_line": 24, "offset": 3, "length": 3,
                                               "matched": 3, "sim": None, "own_sim": 0.0}
        f = only(result)
        assert "line i+3" in f.message and "a line was inserted into negative.txt or deleted from positive.txt near line 21" in f.message
    else:  # documented: beyond ±window, pairs that share no rare word cannot be matched
        assert al["shifts"] == [] and al["scattered"] == 0 and result.status == "passed"


def test_aligner_window_reaches_the_first_line():
    al = align(*coded(100, {1: 0, 2: 1, 3: 2})).summary()
    assert shift_of(al)["positive_line"] == 2 and shift_of(al)["negative_line"] == 1
    al = align(*coded(100, {0: 1, 1: 0})).summary()  # a swap of the first two lines is mutual both ways
    assert al["scattered_lines"] == [1, 2] and al["shifts"] == []


@pytest.mark.parametrize("cycle,status", [(True, "warned"), (False, "passed")])
def test_tl002_min_scattered_boundary(tmp_path, cycle, status):
    """A swap (2 lines) plus a 3-cycle (3 lines) is 5 scattered mutual mismatches: a warning; two swaps are 4."""
    links = {5: 6, 6: 5, **({20: 22, 21: 20, 22: 21} if cycle else {20: 21, 21: 20})}
    al, result = both(tmp_path, *layout(40, links))
    expected = [6, 7, 21, 22, 23] if cycle else [6, 7, 21, 22]
    assert al["scattered_lines"] == expected and al["shifts"] == [] and not al["scrambled"]
    assert result.status == status
    if cycle:
        f = only(result)
        assert f.severity is Severity.WARNING and f.threshold == 5
        assert f.message == ("5 pairs match another line better than their own partner (mutual best match): "
                             "positive.txt lines 6, 7, 21, 22, 23")
        assert [(e.line, e.text) for e in f.evidence] == [(line, (tmp_path / "f0" / "positive.txt").read_text()
                                                          .splitlines()[line - 1]) for line in expected]


def swaps(k: int, start: int = 0) -> dict[int, int]:
    """k adjacent swaps, two aligned lines apart: lines start+4j and start+4j+1 trade partners."""
    out = {}
    for j in range(k):
        a = start + 4 * j
        out |= {a: a + 1, a + 1: a}
    return out


@pytest.mark.parametrize("n,scrambled", [(40, True), (41, False)])
def test_tl002_scramble_share_boundary(tmp_path, n, scrambled):
    """12 mutual mismatches of 40 lines is 30% (scramble_share): scrambled; of 41 it is 29%."""
    al, result = both(tmp_path, *layout(n, swaps(6)))
    assert al["scattered"] == 12 and al["scrambled"] is scrambled and al["median_best"] == 0.75
    f = only(result)
    if scrambled:
        assert f.severity is Severity.ERROR and f.threshold == 0.3
        assert f.message == ("pair order looks scrambled: 12 positive lines match a different negative line better "
                             "than their own partner (median best-match similarity 0.75)")
        assert f.metric == {"scattered": 12, "median_best": 0.75, "median_diagonal_aligned": 0.75}
        pos = (tmp_path / "f0" / "positive.txt").read_text().splitlines()
        assert [(e.line, e.text) for e in f.evidence] == [(line, pos[line - 1]) for line in (1, 2, 5, 6, 9)]
    else:
        assert f.severity is Severity.WARNING
        assert f.message.endswith("positive.txt lines 1, 2, 5, 6, 9, 10, 13, 14, 17, 18 and 2 more")


@pytest.mark.parametrize("b,scrambled", [(3, True), (4, False)])
def test_tl002_scrambled_needs_median_best_match_of_min_match(tmp_path, b, scrambled):
    """The swapped pairs match strongly, the aligned ones at 3/10 = 0.3 (the median: scrambled) or 0.27."""
    links = swaps(6)
    al, result = both(tmp_path, *layout(40, links, shapes={i: (3, 4, b) for i in range(40) if i not in links}))
    assert al["scattered"] == 12 and al["median_best"] == (0.3 if scrambled else 0.273)
    assert al["scrambled"] is scrambled
    assert only(result).severity is (Severity.ERROR if scrambled else Severity.WARNING)


def test_tl002_scramble_needs_at_least_run_length_lines():
    """In a tiny folder 30% is under one line: at least run_length (3) mismatches are needed."""
    pos, neg = layout(6, {0: 1, 1: 0})
    al = align(pos, neg)
    assert al.scattered == [0, 1] and not al.scrambled
    assert align(pos, neg, AlignParams(run_length=2)).scrambled


def test_aligner_walks_back_over_weak_first_lines():
    """Lines 12-13 match their shifted partner weakly (0.2: below min_match), so the run starts at
    line 14; the reported shift starts where the shifted partner first beats the own one, line 12."""
    links = {i: i - 1 for i in range(11, 32)}
    al = align(*layout(32, links, shapes={11: (1, 2, 2), 12: (1, 2, 2)})).summary()
    assert shift_of(al) == {"positive_line": 12, "negative_line": 11, "offset": -1, "length": 21, "matched": 19,
                            "sim": 0.2, "own_sim": 0.0}


def test_aligner_walk_back_reaches_the_first_line_of_either_file():
    inserted = {i: i + 1 for i in range(19)}  # a line inserted at the top of negative.txt
    al = align(*layout(20, inserted, shapes={0: (1, 2, 2)})).summary()
    assert shift_of(al)["positive_line"] == 1 and shift_of(al)["negative_line"] == 2
    deleted = {i: i - 1 for i in range(1, 20)}  # negative.txt's first line deleted
    al = align(*layout(20, deleted, shapes={1: (1, 2, 2)})).summary()
    assert shift_of(al)["positive_line"] == 2 and shift_of(al)["negative_line"] == 1


def test_aligner_walk_back_stops_at_the_previous_run():
    """Two runs of the same offset split by five weak lines (more than max_gap): the second walks back
    over the weak lines but not into the first."""
    links = {i: i - 1 for i in range(5, 20)}
    al = align(*layout(25, links, shapes={i: (1, 2, 2) for i in range(10, 15)})).summary()
    assert [(s["positive_line"], s["length"], s["matched"]) for s in al["shifts"]] == [(6, 5, 5), (11, 10, 5)]


def test_aligner_line_after_a_shift_can_still_be_scattered():
    links = {**{i: i - 1 for i in range(10, 15)}, 15: 17, 17: 15}
    al = align(*layout(30, links)).summary()
    assert shift_of(al)["length"] == 5 and al["scattered_lines"] == [16, 18]


def test_aligner_ties_go_to_the_own_partner_and_extra_lines_have_none():
    # positive 2 is as similar to negative 1 as to its own partner: it stays on the diagonal
    al = align(["x q", "x y", "k z"], ["x q", "x w", "k z"])
    assert al.diagonal[1] == al.best_sim[1] == jaccard(tokens("x y"), tokens("x q")) == 1 / 3
    assert al.best_index == [0, 1, 2] and al.shifts == [] and al.scattered == []
    al = align(["a b", "c d"], ["a b"])
    assert al.diagonal == [1.0, 0.0] and al.best_index == [0, 0] and al.best_sim == [1.0, 0.0]
    al = align(["a b"], [])
    assert al.best_index == [None] and al.best_sim == [0.0] and al.diagonal == [0.0]


def test_aligner_medians_and_rounding():
    pos, neg = layout(30, {10 + k: 9 + k for k in range(12)}, shape=(4, 1, 1))  # 2/3 on aligned lines
    al = align(pos, neg)
    s = al.summary()
    assert s["median_diagonal_aligned"] == 0.667 and s["median_best"] == 0.667 and shift_of(s)["sim"] == 0.667
    assert al.median_diagonal_aligned == pytest.approx(2 / 3)
    # the diagonal median is over aligned, non-empty lines only: 12 off lines (diagonal 0) are left out
    pos, neg = layout(22, {i: i - 1 for i in range(11, 22)})
    pos[3] = ""
    al = align(pos, neg)
    assert al.median_diagonal_aligned == 0.75 and al.summary()["scattered"] == 0
    empty = align([], [])
    assert empty.summary() == {"shifts": [], "scattered_lines": [], "scattered": 0, "scrambled": False,
                               "median_diagonal_aligned": 0.0, "median_best": 0.0}
    all_off = align(*layout(4, {0: 1, 1: 0, 2: 3, 3: 2}))
    assert all_off.median_diagonal_aligned == 0.0 and len(all_off.scattered) == 4


def test_aligner_scattered_lines_are_capped_at_fifty_in_the_summary():
    al = align(*layout(120, swaps(26))).summary()
    assert al["scattered"] == 52 and len(al["scattered_lines"]) == 50 and al["scattered_lines"][:3] == [1, 2, 5]


def test_fresh_records_are_empty():
    """What a Shift or Alignment holds before `align` fills it: nothing matched, zero medians."""
    from traitlint.audits.structural.alignment import Alignment, Shift

    assert Shift(0, 1, 3).matched == 0
    assert Alignment([], [], []).summary() == align([], []).summary()


def test_params_from_reads_prefixed_keys_and_keeps_defaults():
    p = params_from({"align_window": 5, "align_margin": 0.2, "other": 1})
    assert p == AlignParams(window=5, margin=0.2)
    assert AlignParams() == AlignParams(3, 0.3, 0.1, 3, 3, 0.3, 5)
    assert params_from(dict(Pairing.params)) == AlignParams()


# ---------------------------------------------------------------------------------------------- TL002 judge
@pytest.mark.parametrize("k", [10, 11])
def test_tl002_identical_pairs_lists_ten_lines(tmp_path, k):
    pos, neg = pairs(30)
    for i in range(k):
        neg[2 * i] = pos[2 * i]
    result = run(make(tmp_path, pos, neg), "TL002")
    f = next(f for f in result.findings if "identical" in f.message)
    assert f.severity is Severity.ERROR and f.threshold == 0
    listed = ", ".join(str(2 * i + 1) for i in range(10))
    assert f.message == f"{k} pair(s) with identical positive and negative text: lines {listed}" + (
        " and 1 more" if k == 11 else "")
    assert f.metric == {"identical_pairs": k, "lines": [2 * i + 1 for i in range(k)]}
    assert [(e.file, e.line, e.text) for e in f.evidence] == [
        ("positive.txt", 1, pos[0]), ("negative.txt", 1, pos[0]), ("positive.txt", 3, pos[2]),
        ("negative.txt", 3, pos[2]), ("positive.txt", 5, pos[4])]


def test_tl002_identical_pair_metrics_keep_fifty_lines(tmp_path):
    pos, _ = pairs(60)
    result = run(make(tmp_path, pos, pos), "TL002")
    assert result.metrics["identical_pairs"] == list(range(1, 61))
    f = next(f for f in result.findings if "identical" in f.message)
    assert f.metric["identical_pairs"] == 60 and f.metric["lines"] == list(range(1, 51))


def test_tl002_blank_pairs_are_not_identical_pairs(tmp_path):
    pos, neg = pairs(20)
    pos[4] = neg[4] = "   "
    result = run(make(tmp_path, pos, neg), "TL002")
    assert result.metrics["identical_pairs"] == []
    assert [f.message for f in result.findings if "identical" in f.message] == []


def test_tl002_shift_evidence_is_the_lines_at_both_ends(tmp_path):
    """positive.txt has 29 lines, negative.txt 27: the last three positives match negatives 24-26
    (i-3); the shift starts at positive 27 = the last negative line, whose text is shown."""
    links = {26: 23, 27: 24, 28: 25}
    pos, neg = layout(29, links, m=27)
    result = run(make(tmp_path, pos, neg), "TL002")
    f = next(f for f in result.findings if "shifted" in f.message)
    assert f.metric["positive_line"] == 27 and f.metric["negative_line"] == 24 and f.metric["offset"] == -3
    assert [(e.file, e.line, e.text) for e in f.evidence] == [
        ("positive.txt", 27, pos[26]), ("negative.txt", 27, neg[26]), ("negative.txt", 24, neg[23])]
    assert f.message.endswith("a line was deleted from negative.txt or inserted into positive.txt near line 24")
    links = {27: 24, 28: 25, 29: 26}  # the shift starts past negative.txt's end: no line to show there
    pos, neg = layout(31, links, m=27)
    write(tmp_path / "t", pos, neg)
    f = next(f for f in run(tmp_path / "t", "TL002").findings if "shifted" in f.message)
    assert f.metric["positive_line"] == 28
    assert [(e.file, e.line, e.text) for e in f.evidence] == [
        ("positive.txt", 28, pos[27]), ("negative.txt", 28, ""), ("negative.txt", 25, neg[24])]


def test_tl002_shift_evidence_at_the_first_negative_line(tmp_path):
    pos, neg = layout(20, {i: i - 1 for i in range(1, 20)}, shapes={1: (1, 2, 2)})  # negative line 1 deleted
    f = next(f for f in run(make(tmp_path, pos, neg), "TL002").findings if "shifted" in f.message)
    assert [(e.file, e.line, e.text) for e in f.evidence] == [
        ("positive.txt", 2, pos[1]), ("negative.txt", 2, neg[1]), ("negative.txt", 1, neg[0])]


def test_tl002_counts_only_its_own_load_findings(tmp_path):
    pos, neg = pairs(20)
    folder = make(tmp_path, pos, neg[:-1])  # TL002: unequal counts
    (folder / "positive.txt").write_bytes(b"\xef\xbb\xbf" + (folder / "positive.txt").read_bytes())  # TL001
    (folder / "notes.md").write_text("x", encoding="utf-8")  # TL001 too: two load findings that are not TL002's
    result = run(folder, "TL002")
    assert result.metrics["load_findings"] == 1
    assert [f.message for f in result.findings] == ["positive.txt has 20 lines but negative.txt has 19"]


def test_tl002_reports_the_file_names_it_read(tmp_path):
    pos, neg = layout(30, {10 + k: 9 + k for k in range(3)})
    folder = make(tmp_path, pos, neg)
    for side, lines in (("positive", pos), ("negative", neg)):
        (folder / f"{side}.txt").unlink()
        (folder / f"{side}.jsonl").write_text("".join(json.dumps({"prompt": t}) + "\n" for t in lines))
    f = only(run(folder, "TL002"))
    assert f.message.startswith("pairs shifted: from positive.jsonl:11 to 13 the best match is negative.jsonl line i-1")
    assert f.message.endswith("deleted from negative.jsonl or inserted into positive.jsonl near line 10")


def test_tl002_aligns_only_when_both_sides_are_read(tmp_path):
    pos, neg = pairs(20)
    folder = make(tmp_path, pos, neg)
    assert "alignment" in run(folder, "TL002").metrics
    (folder / "negative.txt").unlink()
    result = run(folder, "TL002")
    assert "alignment" not in result.metrics and result.metrics["identical_pairs"] == []


def _alignment(**kw: Any) -> dict[str, Any]:
    base = {"shifts": [], "scattered_lines": [], "scattered": 0, "scrambled": False,
            "median_diagonal_aligned": 0.8, "median_best": 0.8}
    return base | kw


@pytest.mark.parametrize("scattered,severity", [(4, None), (5, Severity.WARNING), (10, Severity.WARNING),
                                                (11, Severity.WARNING)])
def test_tl002_judge_scattered_boundary_at_default_params(tmp_path, scattered, severity):
    folder = make(tmp_path, *pairs(40))
    ctx = ctx_of(folder)
    lines = list(range(2, 2 + 2 * scattered, 2))
    metrics = {"identical_pairs": [], "alignment": _alignment(scattered=scattered, scattered_lines=lines)}
    out = Pairing().judge(metrics, dict(Pairing.params), ctx)
    assert [f.severity for f in out] == ([severity] if severity else [])
    if scattered == 11:
        assert out[0].message.endswith("lines 2, 4, 6, 8, 10, 12, 14, 16, 18, 20 and 1 more")
        assert [e.line for e in out[0].evidence] == [2, 4, 6, 8, 10]
    if scattered == 10:
        assert out[0].message.endswith("lines 2, 4, 6, 8, 10, 12, 14, 16, 18, 20")
    if scattered == 5:
        assert out[0].message.endswith("positive.txt lines 2, 4, 6, 8, 10") and out[0].threshold == 5


def test_tl002_judge_scrambled_is_an_error_whatever_the_count(tmp_path):
    folder = make(tmp_path, *pairs(40))
    metrics = {"identical_pairs": [], "alignment": _alignment(scattered=3, scattered_lines=[3, 4, 9], scrambled=True)}
    (f,) = Pairing().judge(metrics, dict(Pairing.params), ctx_of(folder))
    assert f.severity is Severity.ERROR and "scrambled" in f.message and [e.line for e in f.evidence] == [3, 4, 9]


def test_token_index_best_looks_at_the_four_candidates_sharing_most_rare_words():
    junk = [f"j{k}" for k in range(20)]
    docs = [frozenset({"r1", "r2", f"own{j}", *junk[j * 5:(j + 1) * 5]}) for j in range(4)] + [frozenset({"r3"})]
    query = frozenset({"r1", "r2", "r3", "r4", "r5"})
    index = TokenIndex(docs)
    assert index.candidates(query) == [0, 1, 2, 3]  # two rare words each; document 4 shares one
    assert index.best(query) == (0, jaccard(query, docs[0])) and jaccard(query, docs[4]) > jaccard(query, docs[0])
    assert index.best(query, limit=5) == (4, 0.2)


def test_aligner_walk_back_stops_where_the_own_slot_matches_better():
    """Positive 12 matches its shifted partner weakly (0.125) but the line in its own slot better
    (0.23): the shift starts at 13, not 12."""
    links = {i: i - 1 for i in range(11, 32)}
    pos, neg = layout(32, links, shapes={11: (1, 2, 2)}, bleed={11: 3})
    al = align(pos, neg)
    assert al.diagonal[11] > jaccard(tokens(pos[11]), tokens(neg[10])) > 0 == al.diagonal[10]
    assert shift_of(al.summary())["positive_line"] == 13


def test_aligner_mutual_check_looks_only_within_the_window():
    """Lines 11 and 12 trade partners. Positive 16 repeats the words of pair 11 (no rare words
    anywhere): it resembles negative slot 12 more than positive 11 does, but it is 4 lines away,
    outside the ±3 window of the mutual check, so the swap stays mutual."""
    pos, neg = coded(100, {10: 11, 11: 10})
    pos[15] = "r1 c0 d1"
    assert jaccard(tokens(pos[15]), tokens(neg[11])) > jaccard(tokens(pos[10]), tokens(neg[11]))
    assert align(pos, neg).summary()["scattered_lines"] == [11, 12]
    pos[14] = "r1 c0 d1"  # 3 lines away: inside the window, positive 15 is negative 12's best match back
    assert align(pos, neg).summary()["scattered_lines"] == [12, 15]


@pytest.mark.parametrize("k,status", [(3, "failed"), (2, "warned")])
def test_tl002_run_length_on_realistic_pairs(tmp_path, k, status):
    """A line lost at negative 10 and an unrelated one added k lines later: k shifted pairs in
    between. Three are a shift (an error at positive.txt:11); two are too few for a shift, and the
    all-pairs check reports them as lines that rotate (a warning: positive 10 has no partner left)."""
    pos, neg = pairs(40)
    extra = "Nobody wrote this line about the weather in March, because"
    result = run(make(tmp_path, pos, neg[:9] + neg[10:10 + k] + [extra] + neg[10 + k:]), "TL002")
    assert result.status == status
    if k == 3:
        f = only(result)
        assert f.metric["positive_line"] == 11 and f.metric["offset"] == -1 and f.metric["length"] == 3
        assert f.message.startswith("pairs shifted: from positive.txt:11 to 13 the best match is negative.txt line i-1")
    else:
        f = only(result)
        assert f.severity is Severity.WARNING and f.metric["lines"] == [11, 12]
        assert f.message.startswith("2 lines rotate among themselves (positive.txt lines 11, 12): "
                                    "positive.txt:11 matches negative.txt:10")
        assert where(f) == [("negative.txt", 10), ("positive.txt", 11), ("negative.txt", 11), ("positive.txt", 12)]


@pytest.mark.parametrize("cycle,status", [(True, "failed"), (False, "failed")])
def test_tl002_min_scattered_on_realistic_pairs(tmp_path, cycle, status):
    """The aligner sees 5 (or 4) mutual mismatches; the all-pairs check reports each group: a swap
    and a 3-cycle, or two swaps (errors: every line of each cycle moved to a clear partner)."""
    pos, neg = pairs(40)
    neg[3], neg[4] = neg[4], neg[3]
    if cycle:  # negatives 21-23 rotated: three more mismatches, five in all
        neg[20], neg[21], neg[22] = neg[21], neg[22], neg[20]
    else:
        neg[20], neg[21] = neg[21], neg[20]
    result = run(make(tmp_path, pos, neg), "TL002")
    assert result.status == status
    assert result.metrics["alignment"]["scattered_lines"] == ([4, 5, 21, 22, 23] if cycle else [4, 5, 21, 22])
    assert [f.metric["lines"] for f in result.findings] == [[4, 5], [21, 22, 23] if cycle else [21, 22]]
    assert all(f.severity is Severity.ERROR for f in result.findings)
    assert result.findings[0].message.startswith("positive.txt lines 4 and 5 look swapped")
    if cycle:
        assert result.findings[1].message.startswith("3 lines rotate among themselves (positive.txt lines 21, 22, 23)")


def test_tl005_gap_after_a_nested_band_names_the_band_that_ends_there():
    """LOW 0-40 contains a nested 10-20 band; the gap 41-69 starts after LOW (line 1), not after the
    nested band that sorts just before HIGH."""
    from traitlint.audits.structural.definition_format import coverage_problems

    bands = [{"label": "low", "lo": 0, "hi": 40, "line": 1}, {"label": "mid", "lo": 10, "hi": 20, "line": 2},
             {"label": "high", "lo": 70, "hi": 100, "line": 3}]
    overlap, gap = coverage_problems(bands)
    assert overlap.startswith("overlap: line 2 (10-20)")
    assert gap == "gap: scores 41-69 fall between bands (line 1 ends at 40, line 3 starts at 70)"
