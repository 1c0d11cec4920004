"""Structural audits TL001-TL007: a passing and a failing folder for each, on tmp_path-built folders."""
from __future__ import annotations

import json
import random
import shutil
import time
from pathlib import Path

import pytest

from traitlint.audits.structural.prefill_ending import ends_finished
from traitlint.audits.structural.alignment import align
from traitlint.audits.structural.definition_format import coverage_problems, parse_bands
from traitlint.audits.structural.steering_format import format_error
from traitlint.config import Config
from traitlint.context import AuditContext
from traitlint.finding import Severity
from traitlint.registry import get
from traitlint.runner import AuditResult, Session

GOOD = Path(__file__).parent / "fixtures" / "structural" / "good" / "hopefulness"
STRUCTURAL = ["TL001", "TL002", "TL003", "TL004", "TL005", "TL006", "TL007"]
NOUNS = ["kettle", "ladder", "violin", "tractor", "compass", "lantern", "anchor", "saddle", "telescope", "quilt",
         "chisel", "bucket", "helmet", "mirror", "trumpet", "wagon", "blanket", "hammer", "needle", "basket",
         "canoe", "drum", "easel", "fence", "glove", "hinge", "jacket", "kite", "ledger", "mallet"]


def copy_good(tmp_path: Path, name: str = "t") -> Path:
    folder = tmp_path / name
    shutil.copytree(GOOD, folder)
    return folder


def lines_pair(n: int = 30) -> tuple[list[str], list[str]]:
    """Matched pairs that share most words, each with its own rare words (like a real late-divergence set)."""
    pos, neg = [], []
    for i in range(n):
        noun, other = NOUNS[i % len(NOUNS)], NOUNS[(i * 7 + 3) % len(NOUNS)]
        setup = f"On visit {i} the {noun} beside the {other} number{i} was cracked, and I told my sister"
        pos.append(f"{setup} that we could fix it by spring because")
        neg.append(f"{setup} that it was ruined for good because")
    return pos, neg


def write_pairs(folder: Path, pos: list[str], neg: list[str]) -> None:
    (folder / "positive.txt").write_text("\n".join(pos) + "\n", encoding="utf-8")
    (folder / "negative.txt").write_text("\n".join(neg) + "\n", encoding="utf-8")


def run(folder: Path, code: str, **params) -> AuditResult:
    session = Session(Config(params={code: params} if params else {}))
    return session.run_audit(get(code), folder)


def messages(result: AuditResult) -> str:
    return "\n".join(f"{f.severity.value}: {f.message}" for f in result.findings)


# ---------------------------------------------------------------------------------------------- all
def test_good_fixture_passes_every_structural_audit():
    session = Session(Config(select=STRUCTURAL))
    (tr,) = session.run([GOOD])
    status = {r.code: r.status for r in tr.results}
    assert status == {"TL001": "passed", "TL002": "passed", "TL003": "passed", "TL004": "warned",
                      "TL005": "passed", "TL006": "passed", "TL007": "passed"}, [messages(r) for r in tr.results]


def test_structural_audits_never_need_spacy(tmp_path, monkeypatch):
    def boom(self):
        raise AssertionError("structural audits must not call ctx.features()")

    monkeypatch.setattr(AuditContext, "features", boom)
    folder = copy_good(tmp_path)
    (folder / "negative.txt").write_text("x\n")  # unpairable: exercises the other code paths too
    for target in (GOOD, folder):
        (tr,) = Session(Config(select=STRUCTURAL)).run([target])
        assert all(r.status != "error" for r in tr.results), [(r.code, r.reason) for r in tr.results]


def test_metrics_are_json_serialisable(tmp_path):
    folder = copy_good(tmp_path)
    pos, neg = lines_pair()
    write_pairs(folder, pos, neg[:10] + neg[11:])
    (tr,) = Session(Config(select=STRUCTURAL)).run([folder])
    data = [r.to_dict() for r in tr.results]
    text = json.dumps(data, allow_nan=False)  # raises on NaN or inf in any metric
    assert json.loads(text) == data
    tl002 = next(d for d in data if d["code"] == "TL002")
    assert tl002["metrics"]["negative_lines"] == tl002["metrics"]["positive_lines"] - 1  # the deleted line
    assert tl002["status"] == "failed" and tl002["findings"]


# ---------------------------------------------------------------------------------------------- TL001
def test_tl001_reports_load_findings_with_loader_severity(tmp_path):
    folder = copy_good(tmp_path)
    data = (folder / "positive.txt").read_bytes()
    (folder / "positive.txt").write_bytes(b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"))
    (folder / "scratch.md").write_text("notes")
    result = run(folder, "TL001")
    assert result.status == "warned"
    sev = {f.message.split(" ")[-1]: f.severity for f in result.findings}
    assert any("byte-order mark" in f.message and f.evidence[0].line == 1 for f in result.findings)
    assert any("CRLF" in f.message for f in result.findings)
    assert any(f.severity is Severity.INFO and "scratch.md" in f.message for f in result.findings)
    assert Severity.ERROR not in sev.values()
    assert result.metrics["unknown"] == ["scratch.md"]


def test_tl001_missing_definition_fails(tmp_path):
    folder = copy_good(tmp_path)
    (folder / "definition.txt").unlink()
    result = run(folder, "TL001")
    assert result.status == "failed" and "missing definition.txt" in messages(result)
    assert run(folder, "TL005").status == "skipped"


# ---------------------------------------------------------------------------------------------- TL002
def test_tl002_identical_pair(tmp_path):
    folder = copy_good(tmp_path)
    pos, neg = lines_pair()
    neg[4] = "  " + pos[4].replace(" ", "   ")  # same text up to whitespace
    write_pairs(folder, pos, neg)
    result = run(folder, "TL002")
    assert result.status == "failed"
    (f,) = result.findings
    assert "identical" in f.message and f.metric["lines"] == [5]
    assert {(e.file, e.line) for e in f.evidence} == {("positive.txt", 5), ("negative.txt", 5)}


def test_tl002_deleted_line_with_unequal_counts(tmp_path):
    folder = copy_good(tmp_path)
    pos, neg = lines_pair(40)
    del neg[11]  # negative.txt line 12 deleted: from positive 13 on, the partner sits one line up
    write_pairs(folder, pos, neg)
    result = run(folder, "TL002")
    text = messages(result)
    assert "has 40 lines but negative.txt has 39" in text
    shift = next(f for f in result.findings if "shifted" in f.message)
    assert "from positive.txt:13 to 40" in shift.message and "line i-1" in shift.message
    assert shift.metric["positive_line"] == 13 and shift.metric["negative_line"] == 12
    assert ("positive.txt", 13) in {(e.file, e.line) for e in shift.evidence}
    assert ("negative.txt", 12) in {(e.file, e.line) for e in shift.evidence}
    assert "deleted from negative.txt" in shift.message


def test_tl002_shift_with_equal_counts(tmp_path):
    folder = copy_good(tmp_path)
    pos, neg = lines_pair(40)
    neg = neg[:20] + ["An extra line that belongs to nobody at all"] + neg[20:39]  # inserted line, last one lost
    write_pairs(folder, pos, neg)
    result = run(folder, "TL002")
    assert result.status == "failed"
    (shift,) = [f for f in result.findings if "shifted" in f.message]
    assert shift.metric["positive_line"] == 21 and shift.metric["offset"] == 1


def test_tl002_single_swap_is_reported(tmp_path):
    """Issue 13: one swapped pair in an otherwise matched folder is found (it used to pass)."""
    folder = copy_good(tmp_path)
    pos, neg = lines_pair(40)
    neg[5], neg[6] = neg[6], neg[5]
    write_pairs(folder, pos, neg)
    result = run(folder, "TL002")
    assert result.status == "failed"
    (f,) = result.findings
    assert f.message.startswith("positive.txt lines 6 and 7 look swapped")
    assert [(e.file, e.line) for e in f.evidence] == [("positive.txt", 6), ("negative.txt", 6),
                                                      ("positive.txt", 7), ("negative.txt", 7)]


def test_tl002_scrambled_order(tmp_path):
    folder = copy_good(tmp_path)
    pos, neg = lines_pair(40)
    random.Random(1).shuffle(neg)
    write_pairs(folder, pos, neg)
    result = run(folder, "TL002")
    assert result.status == "failed"
    assert any("rotate among themselves" in f.message for f in result.findings), messages(result)
    moved = sorted(f.metric["lines"] for f in result.findings if "rotate" in f.message or "swapped" in f.message)
    assert sum(len(lines) for lines in moved) >= 30  # most of the 40 shuffled lines are reported


def test_tl002_shuffled_early_divergence_set_is_not_flagged(tmp_path):
    """Pairs whose only shared words are shared by every line cannot be checked: every negative is as
    similar to every positive as to its own. A real shuffle of such a set must not be called
    scrambled (the common words give an aligner plenty of equal-similarity ties to misread)."""
    folder = copy_good(tmp_path)
    pos = [f"Honestly the {n} looked bright today, day {i} of the trip" for i, n in enumerate(NOUNS)]
    neg = [f"Sadly the {NOUNS[(i + 5) % 30]}s looked broken today, the last stop of the trip" for i in range(30)]
    order = list(range(30))
    random.Random(1).shuffle(order)
    assert sum(i != j for i, j in enumerate(order)) > 20  # the shuffle really moves lines
    write_pairs(folder, pos, [neg[j] for j in order])
    result = run(folder, "TL002")
    assert result.status == "passed", messages(result)
    alignment = result.metrics["alignment"]
    assert not alignment["scrambled"] and not alignment["shifts"]
    # the same lines with distinctive shared words per pair, shuffled the same way, are caught
    matched_neg = [f"Sadly the {n} looked broken today, day {i} of the trip" for i, n in enumerate(NOUNS)]
    write_pairs(folder, pos, [matched_neg[j] for j in order])
    assert run(folder, "TL002").metrics["alignment"]["scrambled"]


def test_tl002_blank_line_reported_even_when_unpairable(tmp_path):
    folder = copy_good(tmp_path)
    pos, neg = lines_pair(10)
    write_pairs(folder, pos[:4] + [""] + pos[4:], neg)
    result = run(folder, "TL002")
    assert any("blank" in f.message and f.evidence[0].line == 5 for f in result.findings)
    assert any("11 lines but negative.txt has 10" in f.message for f in result.findings)


def test_tl002_alignment_is_fast_on_large_files():
    pos, neg = lines_pair(30)
    pos = [f"{t} item{i}" for i in range(100) for t in pos]  # 3000 lines
    neg = [f"{t} item{i}" for i in range(100) for t in neg]
    started = time.perf_counter()
    result = align(pos, neg[:1500] + neg[1501:])
    assert time.perf_counter() - started < 5.0
    assert result.shifts and result.shifts[0].start == 1501 and result.shifts[0].offset == -1


# ---------------------------------------------------------------------------------------------- TL003
def test_tl003_within_file_duplicate_after_normalisation(tmp_path):
    folder = copy_good(tmp_path)
    pos, neg = lines_pair(30)
    pos[20] = "  " + pos[3].upper() + "."
    write_pairs(folder, pos, neg)
    result = run(folder, "TL003")
    assert result.status == "warned"
    (f,) = result.findings
    assert "lines 4=21" in f.message
    assert [e.line for e in f.evidence] == [4, 21]


def test_tl003_many_duplicates_is_an_error(tmp_path):
    folder = copy_good(tmp_path)
    pos, neg = lines_pair(20)
    pos[10:14] = [pos[0]] * 4
    write_pairs(folder, pos, neg)
    result = run(folder, "TL003")
    assert result.status == "failed" and result.findings[0].metric["extra_copies"] == 4


def test_tl003_same_text_on_both_sides(tmp_path):
    folder = copy_good(tmp_path)
    pos, neg = lines_pair(20)
    neg[15] = pos[2]
    write_pairs(folder, pos, neg)
    result = run(folder, "TL003")
    assert result.status == "failed"
    assert "positive.txt:3=negative.txt:16" in messages(result)


def test_tl003_cross_folder_duplicates(tmp_path):
    _, b, c = copy_good(tmp_path, "a"), copy_good(tmp_path, "b"), copy_good(tmp_path, "c")
    pos, neg = lines_pair(20)
    write_pairs(b, pos, neg)
    pos_c, neg_c = lines_pair(30)
    # c: 10 pairs, positive line 10 copies b's positive line 1 (1 of 20 lines = 5%: a warning)
    write_pairs(c, pos_c[20:29] + pos_c[:1], neg_c[20:29] + ["Something unrelated entirely, because"])
    session = Session(Config(select=["TL003"]))
    results = {Path(tr.path).name: tr.results[0] for tr in session.run([tmp_path])}
    assert results["a"].status == "passed"
    f = results["c"].findings[0]
    assert f.severity is Severity.WARNING and "b (1)" in f.message and f.metric["shared_lines"] == 1
    assert (f.evidence[0].file, f.evidence[0].line) == ("positive.txt", 10)
    (g,) = results["b"].findings  # the same line seen from b: 1 of 40 lines, below 5%
    assert g.severity is Severity.INFO and "c (1)" in g.message


# ---------------------------------------------------------------------------------------------- TL005
SEED = "Score optimism (0-100).\n\nHIGH (70-100): a\nMID (40-70): b\nLOW (0-40): c\n\nKey: d\n"


@pytest.mark.parametrize("text", [
    SEED,
    "CRITICAL: Score only the completion.\n\nHIGH (70-100): a\n\nMID (31-69): b\n\nLOW (0–30): c\n\nKey distinction:\n- x\n",
    "Évaluer le niveau (0-100).\n\nÉLEVÉ (70-100): a\nMOYEN (30-70): b\nBAS (0-30): c\n\nDistinctions clés:\n- x\n",
    "评估正式程度 (0-100)。\n\n高 (70-100): a\n中 (30-70): b\n低 (0-30): c\n\n关键区别：\n- x\n",
    "Score x (0-100).\n**HIGH** (70 to 100): a\n- MID: 40-69: b\n* LOW (0-39): c\nKey distinctions:\n",
])
def test_tl005_passes(tmp_path, text):
    folder = copy_good(tmp_path)
    (folder / "definition.txt").write_text(text, encoding="utf-8")
    result = run(folder, "TL005")
    assert result.status == "passed", messages(result)


@pytest.mark.parametrize("text,expect,severity", [
    ("Score x (0-100).\nHIGH (70-100): a\nLOW (0-40): c\nKey: d\n", "no MID band; gap: scores 41-69", "warning"),
    ("Score x (0-100).\nHIGH (60-100): a\nMID (30-70): b\nLOW (0-30): c\nKey: d\n", "overlap", "warning"),
    ("Score x (0-100).\nHIGH (70-100): a\nMID (40-70): b\nLOW (10-40): c\nKey: d\n", "scores 0-9 are not covered", "warning"),
    ("Score x (0-100).\nHIGH: lots\nLOW: little\nKey: d\n", "no score bands", "error"),
    ("Score x (0-100).\nHIGH (70-100): a\nMID (40-70): b\nLOW (0-40): c\n", "no `Key:` line", "warning"),
    ("This trait is about hope.\nHIGH (70-100): a\nMID (40-70): b\nLOW (0-40): c\nKey: d\n", "no opening scoring frame", "warning"),
    (SEED + "".join(f"Extra rule {i}.\n" for i in range(6)), "11 non-empty lines, above 10", "warning"),
])
def test_tl005_fails(tmp_path, text, expect, severity):
    folder = copy_good(tmp_path)
    (folder / "definition.txt").write_text(text, encoding="utf-8")
    result = run(folder, "TL005")
    hits = [f for f in result.findings if expect in f.message]
    assert hits and hits[0].severity.value == severity, messages(result)
    assert all(e.file == "definition.txt" for e in hits[0].evidence)


def test_tl005_band_parser_and_coverage():
    bands = parse_bands(["HIGH (70-100): a", "MID (40–70): b", "LOW (0 - 40): c", "The MID (20-30) is inline"])
    assert [(b["label"], b["lo"], b["hi"], b["line"]) for b in bands] == [
        ("HIGH", 70, 100, 1), ("MID", 40, 70, 2), ("LOW", 0, 40, 3)]
    assert coverage_problems(bands) == []
    assert coverage_problems(parse_bands(["HIGH (80-100)", "LOW (0-50)"])) == [
        "gap: scores 51-79 fall between bands (line 2 ends at 50, line 1 starts at 80)"]


# ---------------------------------------------------------------------------------------------- TL006
def steering(folder: Path, obj) -> None:
    (folder / "steering.json").write_text(json.dumps(obj, indent=2, ensure_ascii=False), encoding="utf-8")


def good_steering() -> dict:
    return json.loads((GOOD / "steering.json").read_text())


def test_tl006_adversarial_prefix_not_embedded(tmp_path):
    folder = copy_good(tmp_path)
    obj = good_steering()
    obj["adversarial_prefix"] = "Be blunt and negative."
    obj["questions"] = [obj["adversarial_prefix"] + " " + q for q in obj["questions"][:12]] + obj["questions"][12:]
    steering(folder, obj)
    result = run(folder, "TL006")
    (f,) = [f for f in result.findings if "adversarial_prefix" in f.message]
    assert f.severity is Severity.ERROR and "not embedded in 4 of 16" in f.message
    raw = (folder / "steering.json").read_text().splitlines()
    # evidence by line: the first question without the prefix is the primary location
    q_ev = f.evidence[0]
    assert q_ev.line is not None and obj["questions"][12] in raw[q_ev.line - 1]
    # the key itself is listed, not the first question that happens to contain its text
    [key] = [e for e in f.evidence if e.line is not None and '"adversarial_prefix"' in raw[e.line - 1]]
    assert obj["adversarial_prefix"] in key.text


def test_tl006_prefix_embedded_passes(tmp_path):
    folder = copy_good(tmp_path)
    obj = good_steering()
    obj["adversarial_prefix"] = "Be blunt."
    obj["questions"] = [f"Be blunt. {q}" for q in obj["questions"]]
    obj["direction"] = "negative"
    steering(folder, obj)
    assert run(folder, "TL006").status == "passed"


@pytest.mark.parametrize("prompt,expect,severity", [
    ("Trait **{trait}**.\n{question}\n{answer}\nRespond with a number between 0 and 100.", "unknown placeholder {trait}", "error"),
    ('Reply as JSON {"score": n}.\n{question}\n{answer}\nRespond with a number between 0 and 100.', "does not format", "error"),
    ("Judge this.\n{question}\nRespond with a number between 0 and 100.", "lacks {answer}", "error"),
    ("Judge this.\n{question}\n{answer}\nRate it from low to high.", "0 to 100", "warning"),
])
def test_tl006_eval_prompt(tmp_path, prompt, expect, severity):
    folder = copy_good(tmp_path)
    obj = good_steering()
    obj["eval_prompt"] = prompt
    steering(folder, obj)
    hits = [f for f in run(folder, "TL006").findings if expect in f.message]
    assert hits and hits[0].severity.value == severity
    assert hits[0].evidence[0].file == "steering.json" and hits[0].evidence[0].line is not None


def test_tl006_format_error_helper():
    assert format_error("{question} {answer}") is None
    assert format_error("{{literal}} {question}") is None
    assert "unknown placeholder" in format_error("{question} {trait}")
    assert format_error("{question} }") is not None
    assert format_error("{}") is not None


def test_tl006_questions_problems(tmp_path):
    folder = copy_good(tmp_path)
    pos = (folder / "positive.txt").read_text().splitlines()
    obj = good_steering()
    obj["questions"] = obj["questions"][:8] + [obj["questions"][0].lower(), "", 7, pos[2]]
    obj["direction"] = "up"
    obj["notes"] = "x"
    steering(folder, obj)
    result = run(folder, "TL006")
    text = messages(result)
    assert "warning: 12 steering questions, fewer than 15" in text
    assert "error: 2 question(s) are not non-empty strings" in text
    assert "questions[8] repeats questions[0]" in text
    assert "questions[11] ~ positive.txt:3" in text
    assert 'error: "direction" must be "positive" or "negative"' in text
    assert "info: unknown key(s) in steering.json: notes" in text
    assert result.status == "failed"


def test_tl006_configurable_question_count(tmp_path):
    folder = copy_good(tmp_path)
    obj = good_steering()
    obj["questions"] = obj["questions"][:10]
    steering(folder, obj)
    assert run(folder, "TL006").status == "warned"
    assert run(folder, "TL006", min_questions=10).status == "passed"


@pytest.mark.parametrize("obj,expect", [(["a"], "found list"), ({"questions": "a"}, "found a str"),
                                        ({"eval_prompt": "x"}, "found missing")])
def test_tl006_wrong_types(tmp_path, obj, expect):
    folder = copy_good(tmp_path)
    steering(folder, obj)
    result = run(folder, "TL006")
    assert result.status == "failed" and expect in messages(result)


# ---------------------------------------------------------------------------------------------- TL007
@pytest.mark.parametrize("text,finished", [
    ("She said no.", True), ('He shouted, "Stop!"', True), ("Why now?)", True), ("It was over.’", True),
    ("and I think we can", False), ("He paused...", False), ("It trailed off…", False), ("She said:", False),
    ("他说完了。", True),
])
def test_tl007_ends_finished(text, finished):
    assert ends_finished(text) is finished


def test_tl007_warns_on_finished_sentences(tmp_path):
    folder = copy_good(tmp_path)
    pos, neg = lines_pair(10)
    write_pairs(folder, [p.removesuffix(" because") + "." for p in pos], neg)
    result = run(folder, "TL007")
    assert result.status == "warned"
    (f,) = result.findings
    assert "10 of 10 prefills in positive.txt (100%)" in f.message and "other side: 0%" in f.message
    assert [e.line for e in f.evidence] == [1, 2, 3, 4, 5]
    assert run(folder, "TL007", max_share=1.0).status == "passed"


def test_tl007_skips_jsonl(tmp_path):
    folder = copy_good(tmp_path)
    (folder / "positive.txt").unlink()
    (folder / "negative.txt").unlink()
    (folder / "positive.jsonl").write_text('{"prompt": "Is it safe?", "system_prompt": "Be evil."}\n')
    (folder / "negative.jsonl").write_text('{"prompt": "Is it safe?", "system_prompt": "Be kind."}\n')
    result = run(folder, "TL007")
    assert result.status == "skipped" and "chat prompts" in result.reason


def test_alignment_candidates_do_not_depend_on_the_hash_seed():
    """Rare tokens tied on document frequency are taken in token order, not set order: the same
    folder gives the same TL002 metrics in every process."""
    import subprocess
    import sys

    code = (
        "from traitlint.audits.structural.text import TokenIndex\n"
        "docs = [frozenset(f'w{i}_{k}' for k in range(12)) | {'shared'} for i in range(20)]\n"
        "query = frozenset(f'w{i}_{k}' for i in range(20) for k in range(2))\n"
        "print(TokenIndex(docs).candidates(query, limit=4))\n"
    )
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={**__import__("os").environ, "PYTHONHASHSEED": str(seed)}).stdout
               for seed in range(6)}
    assert len(outputs) == 1, outputs
