"""Loader tests: every malformed input becomes a finding naming file and line, never a traceback,
and loading never touches the user's files."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from traitlint.config import Config
from traitlint.dataset import LoadLimits, TraitDataset, load
from traitlint.finding import Severity
from traitlint.runner import Session

GOOD_DEF = "Score x (0-100).\n\nHIGH (70-100): a\nMID (40-70): b\nLOW (0-40): c\n\nKey: d\n"
GOOD_STEER = json.dumps({"questions": ["What is a tide?"]})
#: The structural audits (fast, no spaCy): enough to prove bad input never crashes an audit.
STRUCTURAL = Config(select=["TL00"])


def make(folder: Path, **files: str | bytes) -> Path:
    """A trait folder with three good pairs, definition and steering, overridden by `files`
    (keyword `positive_txt` -> file `positive.txt`; value None deletes the file)."""
    folder.mkdir(parents=True, exist_ok=True)
    base: dict[str, str | bytes | None] = {
        "positive.txt": "I think it will work out because\nShe smiled and said we can\nThe plan looks promising since\n",
        "negative.txt": "I think it will fall apart because\nShe frowned and said we can't\nThe plan looks doomed since\n",
        "definition.txt": GOOD_DEF,
        "steering.json": GOOD_STEER,
    }
    for key, value in files.items():
        base[key.replace("_", ".", 1) if "." not in key else key] = value
    for name, content in base.items():
        if content is None:
            continue
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink():
            out[str(path)] = (path.read_bytes(), path.stat().st_mtime_ns)
    return out


def load_unchanged(folder: Path, **kw) -> TraitDataset:
    """Load `folder` (and run every audit on it) and assert no byte or mtime changed."""
    before = snapshot(folder)
    ds = load(folder, **kw)
    results = Session(STRUCTURAL, limits=kw.get("limits")).run([folder])
    assert all(r.status != "error" for tr in results for r in tr.results), [
        (r.code, r.reason) for tr in results for r in tr.results if r.status == "error"]
    assert snapshot(folder) == before
    return ds


def find(ds: TraitDataset, file: str, text: str, line: int | None | str = "any"):
    """The load finding for `file` whose message contains `text` (and whose evidence is at `line`)."""
    for f in ds.load_findings:
        for ev in f.evidence:
            if ev.file == file and text in f.message and (line == "any" or ev.line == line):
                return f
    raise AssertionError(f"no finding {text!r} at {file}:{line}; got " +
                         "; ".join(f"{f.code} {f.message} @ {[(e.file, e.line) for e in f.evidence]}" for f in ds.load_findings))


def test_clean_folder_has_no_findings(tmp_path):
    ds = load_unchanged(make(tmp_path / "t"))
    assert ds.load_findings == []
    assert ds.pairable and len(ds.pairs) == 3
    assert [p.line for p in ds.positive] == [1, 2, 3]
    assert ds.pairs[1].negative.text == "She frowned and said we can't"


@pytest.mark.parametrize("name", ["positive.txt", "negative.txt", "definition.txt", "steering.json"])
def test_missing_file(tmp_path, name):
    ds = load_unchanged(make(tmp_path / "t", **{name: None}))
    f = find(ds, name, "missing")
    assert f.code == "TL001" and f.severity is Severity.ERROR


def test_empty_file(tmp_path):
    ds = load_unchanged(make(tmp_path / "t", positive_txt=""))
    assert find(ds, "positive.txt", "is empty").severity is Severity.ERROR
    assert not ds.pairable


def test_empty_definition_and_steering(tmp_path):
    ds = load_unchanged(make(tmp_path / "t", definition_txt="\n\n", steering_json=""))
    find(ds, "definition.txt", "empty")
    find(ds, "steering.json", "invalid JSON", 1)


def test_non_utf8_bytes_name_line(tmp_path):
    ds = load_unchanged(make(tmp_path / "t", negative_txt=b"fine\nalso fine\ncaf\xe9 closed\n"))
    f = find(ds, "negative.txt", "not valid UTF-8", 3)
    assert "0xe9" in f.message
    assert len(ds.negative) == 3  # decoded with replacement, still pairable


def test_bom(tmp_path):
    ds = load_unchanged(make(tmp_path / "t", positive_txt="\ufeffa because\nb since\nc so\n".encode("utf-8")))
    assert find(ds, "positive.txt", "byte-order mark", 1).severity is Severity.WARNING
    assert ds.positive[0].text == "a because"


@pytest.mark.parametrize("ending,kind", [(b"\r\n", "CRLF"), (b"\r", "CR")])
def test_cr_line_endings(tmp_path, ending, kind):
    data = ending.join([b"one because", b"two since", b"three so"]) + ending
    ds = load_unchanged(make(tmp_path / "t", negative_txt=data))
    assert find(ds, "negative.txt", f"uses {kind} line endings", 1)
    assert [p.text for p in ds.negative] == ["one because", "two since", "three so"]


def test_crlf_only_from_line_two(tmp_path):
    ds = load_unchanged(make(tmp_path / "t", negative_txt=b"one\ntwo\r\nthree\n"))
    find(ds, "negative.txt", "CRLF", 2)


def test_nul_bytes(tmp_path):
    ds = load_unchanged(make(tmp_path / "t", positive_txt=b"ok line\nbad\x00line\nok\n"))
    assert find(ds, "positive.txt", "NUL", 2).severity is Severity.ERROR


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_blank_or_whitespace_line(tmp_path, blank):
    ds = load_unchanged(make(tmp_path / "t", positive_txt=f"a because\n{blank}\nc so\n"))
    f = find(ds, "positive.txt", "blank or whitespace-only", 2)
    assert f.code == "TL002"


@pytest.mark.parametrize("char,label", [("\u200b", "ZERO WIDTH SPACE"), ("\u202e", "RIGHT-TO-LEFT OVERRIDE"),
                                        ("\u2066", "LEFT-TO-RIGHT ISOLATE"), ("\x07", "U+0007")])
def test_invisible_or_control_characters(tmp_path, char, label):
    ds = load_unchanged(make(tmp_path / "t", negative_txt=f"one\ntwo{char}words\nthree\n"))
    f = find(ds, "negative.txt", "invisible or control", 2)
    assert label in f.message
    assert "<U+" in f.evidence[0].text  # shown visibly


def test_line_too_long(tmp_path):
    ds = load_unchanged(make(tmp_path / "t", positive_txt="short\n" + "x" * 300 + "\nshort\n"),
                        limits=LoadLimits(max_line_chars=200))
    assert "300 characters" in find(ds, "positive.txt", "too long", 2).message


def test_unequal_line_counts(tmp_path):
    ds = load_unchanged(make(tmp_path / "t", negative_txt="one\ntwo\nthree\nfour\nfive\n"))
    f = find(ds, "negative.txt", "has 3 lines but negative.txt has 5", 4)
    assert f.code == "TL002" and f.metric == {"positive": 3, "negative": 5}
    assert not ds.pairable and "3 lines" in ds.unpairable_reason


def test_invalid_steering_json(tmp_path):
    ds = load_unchanged(make(tmp_path / "t", steering_json='{\n  "questions": ["a",]\n}\n'))
    f = find(ds, "steering.json", "invalid JSON", 2)
    assert '"questions"' in f.evidence[0].text
    assert ds.steering is None


def test_invalid_jsonl_line(tmp_path):
    pos = '{"prompt": "a"}\n{"prompt": "b"\n{"prompt": "c"}\n'
    neg = '{"prompt": "x"}\n{"prompt": "y"}\n{"prompt": 3}\n'
    ds = load_unchanged(make(tmp_path / "t", positive_txt=None, negative_txt=None,
                             positive_jsonl=pos, negative_jsonl=neg))
    find(ds, "positive.jsonl", "invalid JSON", 2)
    find(ds, "negative.jsonl", 'string "prompt"', 3)


def test_jsonl_wrong_system_prompt_type(tmp_path):
    pos = '{"prompt": "a", "system_prompt": 5}\n'
    ds = load_unchanged(make(tmp_path / "t", positive_txt=None, negative_txt=None,
                             positive_jsonl=pos, negative_jsonl='{"prompt": "b"}\n'))
    find(ds, "positive.jsonl", "system_prompt", 1)


def test_invalid_toml(tmp_path):
    ds = load_unchanged(make(tmp_path / "t", trait_toml='[trait]\ntype = "state"\nis = \n'))
    assert find(ds, "trait.toml", "invalid TOML").evidence[0].line == 3


def test_toml_wrong_types_do_not_crash(tmp_path):
    ds = load_unchanged(make(tmp_path / "t", trait_toml='trait = "state"\ntraitlint = 3\n'))
    assert ds.trait_words == {"positive": [], "negative": []}
    assert ds.trait_ignores == {}


def test_annotations_wrong_type_and_count(tmp_path):
    ds = load_unchanged(make(tmp_path / "t", annotations_jsonl='{"topic": "a"}\n[1, 2]\n'))
    find(ds, "annotations.jsonl", "JSON object", 2)
    find(ds, "annotations.jsonl", "2 lines but there are 3 pairs", 3)


def test_hostile_json_does_not_raise(tmp_path):
    deep = "[" * 100_000 + "]" * 100_000
    huge_int = '{"questions": [' + "9" * 5000 + "]}"
    ds = load_unchanged(make(tmp_path / "t", steering_json=huge_int, annotations_jsonl=deep + "\n"))
    find(ds, "steering.json", "JSON", 1)
    find(ds, "annotations.jsonl", "JSON", 1)


def test_wrong_json_type_in_steering_is_reported_by_tl006(tmp_path):
    folder = make(tmp_path / "t", steering_json='["q1", "q2"]')
    load_unchanged(folder)
    (result,) = [r for tr in Session(STRUCTURAL).run([folder]) for r in tr.results if r.code == "TL006"]
    assert result.status == "failed"
    assert "must be a JSON object, found list" in result.findings[0].message
    assert result.findings[0].evidence[0].file == "steering.json"


def test_path_is_a_directory(tmp_path):
    folder = make(tmp_path / "t", positive_txt=None)
    (folder / "positive.txt").mkdir()
    ds = load_unchanged(folder)
    find(ds, "positive.txt", "is a directory")


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_symlink_leaving_the_tree(tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_text("secret\nlines\nhere\n")
    folder = make(tmp_path / "root" / "t", positive_txt=None)
    (folder / "positive.txt").symlink_to(outside)
    ds = load_unchanged(folder, root=tmp_path / "root")
    find(ds, "positive.txt", "outside the dataset tree")
    assert ds.positive == []


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_symlink_inside_the_tree_is_followed(tmp_path):
    root = tmp_path / "root"
    shared = make(root / "shared")
    folder = make(root / "t", positive_txt=None)
    (folder / "positive.txt").symlink_to(shared / "positive.txt")
    ds = load(folder, root=root)
    assert ds.load_findings == [] and len(ds.positive) == 3


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_broken_symlink(tmp_path):
    folder = make(tmp_path / "t", negative_txt=None)
    (folder / "negative.txt").symlink_to(tmp_path / "nowhere.txt")
    find(load_unchanged(folder), "negative.txt", "broken symlink")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifo_is_not_read(tmp_path):
    folder = make(tmp_path / "t", negative_txt=None)
    os.mkfifo(folder / "negative.txt")
    find(load(folder), "negative.txt", "not a regular file")  # would block forever if read


def test_huge_file(tmp_path):
    ds = load_unchanged(make(tmp_path / "t", positive_txt="x because\n" * 50),
                        limits=LoadLimits(max_file_bytes=100))
    f = find(ds, "positive.txt", "above the")
    assert f.metric["bytes"] == 500


def test_unknown_file_is_info(tmp_path):
    ds = load_unchanged(make(tmp_path / "t", notes_txt="scratch"))
    f = find(ds, "notes.txt", "unknown file")
    assert f.severity is Severity.INFO and ds.unknown_files == ["notes.txt"]


def test_both_txt_and_jsonl(tmp_path):
    ds = load_unchanged(make(tmp_path / "t", positive_jsonl='{"prompt": "a"}\n'))
    find(ds, "positive.jsonl", "both positive.txt and positive.jsonl")
    assert ds.positive_file == "positive.txt"


def test_not_a_directory(tmp_path):
    path = tmp_path / "file.txt"
    path.write_text("x")
    ds = load(path)
    assert ds.load_findings and "not a directory" in ds.load_findings[0].message


def test_unpairable_folder_still_gets_other_audits(tmp_path):
    folder = make(tmp_path / "t", negative_txt="one\n")
    (tr,) = Session(STRUCTURAL).run([folder])
    by_code = {r.code: r for r in tr.results}
    assert by_code["TL004"].status == "skipped" and "cannot pair" in by_code["TL004"].reason
    assert by_code["TL002"].status == "failed"  # the count mismatch, reported with file and line
    assert any(e.line == 2 for f in by_code["TL002"].findings for e in f.evidence)
    assert by_code["TL005"].status in ("passed", "warned")  # definition checked regardless
    assert all(r.status != "error" for r in tr.results)
