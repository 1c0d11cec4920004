"""Robustness: hostile trait folders, filesystems and caches.

The standard under test: bad input gets a clear finding naming the file (and line), never a
traceback, an INTERNALERROR or an audit crash (status "error"); traitlint never modifies a
user's files; caches and reports are written atomically and a damaged cache entry is recomputed.

The fuzz tests generate folders with hypothesis (random bytes, invalid UTF-8, NUL, BOM, CR/CRLF,
lone surrogates, control and bidi characters, huge lines; JSON and TOML of the wrong type at every
level) and run the full `Session`, every audit included, over them.
"""
from __future__ import annotations

import contextlib
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from traitlint import cli
from traitlint.config import Config, ConfigError, from_table
from traitlint.dataset import discover, load
from traitlint.atomic import atomic_write_text
from traitlint.nlp.features import MAX_PARSE_CHARS, FeatureStore, TextFeatures
from traitlint.finding import Finding, Severity
from traitlint.reporters import RunReport, render
from traitlint.runner import Session

FIXTURES = Path(__file__).parent / "fixtures"
CLEAN = FIXTURES / "confounds" / "clean"
STEERING = {"questions": [f"What happens to a river delta in year {i}?" for i in range(16)],
            "eval_prompt": "Question: {question}\nAnswer: {answer}\nRate 0 to 100."}
PLAN = '\n[plan]\ntopic = { a = 0.5, b = 0.5 }\nvalence = ["good", "bad"]\n'
#: TRAITLINT_FUZZ_EXAMPLES=2000 fuzzes longer, with fresh random examples each run (CI: fixed and fast).
_DEEP = int(os.environ.get("TRAITLINT_FUZZ_EXAMPLES", "0") or 0)
FUZZ = settings(max_examples=_DEEP or 40, deadline=None, derandomize=not _DEEP, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# helpers -----------------------------------------------------------------------------------------
def base_folder(folder: Path) -> Path:
    """A good 24-pair trait folder (traitlint's own fixture) with steering, plan and annotations."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("positive.txt", "negative.txt", "definition.txt", "trait.toml"):
        shutil.copy(CLEAN / name, folder / name)
    (folder / "steering.json").write_text(json.dumps(STEERING), encoding="utf-8")
    with open(folder / "trait.toml", "a", encoding="utf-8") as handle:
        handle.write(PLAN)
    rows = [{"topic": "ab"[i % 2], "valence": ["good", "bad"][i // 2 % 2]} for i in range(24)]
    (folder / "annotations.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return folder


def write_files(folder: Path, files: dict[str, bytes | None]) -> None:
    for name, data in files.items():
        path = folder / name
        if data is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(data)


def snapshot(root: Path) -> dict[str, tuple[bytes | str, int]]:
    """Every entry under `root`: content (or link target) and mtime, to prove nothing was touched."""
    out: dict[str, tuple[bytes | str, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            st_ = path.lstat()
            if path.is_symlink():
                out[str(path)] = (os.readlink(path), st_.st_mtime_ns)
            elif path.is_file():
                out[str(path)] = (path.read_bytes(), st_.st_mtime_ns)
            else:
                out[str(path)] = ("", st_.st_mtime_ns)
    return out


def check_session(folder: Path, store: FeatureStore, config: Config | None = None) -> Session:
    """Run every audit on `folder` and assert the robustness standard; returns the session."""
    before = snapshot(folder)
    session = Session(config or Config(), store)
    results = session.run([folder])  # must not raise
    assert len(results) == 1
    crashed = [(r.code, r.reason) for r in results[0].results if r.status == "error"]
    assert not crashed, crashed
    ds = session.corpus.datasets[0]
    for finding in ds.load_findings:
        if finding.severity is not Severity.INFO:
            assert finding.evidence and finding.evidence[0].file, finding
    report = RunReport(results, session.config.enabled_audits(), show_passing=True)
    for fmt in ("text", "json", "github", "sarif"):
        text = render(fmt, report)
        text.encode("utf-8")  # printable on a strict UTF-8 stream
        if fmt in ("json", "sarif"):
            json.loads(text)
    assert snapshot(folder) == before, "a user file was modified"
    return session


@contextlib.contextmanager
def strict_stdout() -> Iterator[io.BytesIO]:
    """stdout as a strict UTF-8 stream (as on a UTF-8 desktop), to catch unencodable output."""
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", errors="strict", write_through=True)
    old = sys.stdout
    sys.stdout = stream
    try:
        yield raw
    finally:
        sys.stdout = old
        stream.detach()  # leave `raw` open for the caller


def run_cli(*args: str) -> tuple[int, str, str]:
    """`traitlint` in-process with strict UTF-8 stdout: (exit code, stdout, stderr)."""
    err = io.StringIO()
    with strict_stdout() as raw, contextlib.redirect_stderr(err):
        code = cli.main(list(args))
        out = raw.getvalue().decode("utf-8")
    return code, out, err.getvalue()


# strategies --------------------------------------------------------------------------------------
HOSTILE = ["\x00", "\ufeff", "\u202e", "\u2066", "\u200b", "\r", "\r\n", "\t", "\x85", "\u2028", "\x1b",
           "\u00ad", "é", "😀", "{", "}", "{0}", "\\", '"', "\ud800", "\udcff"]
hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=8)), max_size=12).map("".join)
toml_safe_text = hostile_text.map(lambda s: "".join(c for c in s if not "\ud800" <= c <= "\udfff"))
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20),
                         st.floats(allow_nan=True, allow_infinity=True), hostile_text)
json_keys = st.one_of(hostile_text, st.sampled_from(["questions", "question", "eval_prompt", "topic", "valence", "prompt"]))


def _json_containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.lists(inner, max_size=4), st.dictionaries(json_keys, inner, max_size=4))


json_values = st.recursive(json_scalars, _json_containers, max_leaves=12)
BRACES = ["{0}", "{x.y}", "{", "}", "{question!r}", "{answer:>10}", "{question[0]}", "{question.__class__}",
          "{question:%}", "{question!z}", "{{question}}", "{question:{answer}}", "{}"]
eval_prompts = st.one_of(json_values, st.lists(st.sampled_from(BRACES + ["{question}", "{answer}", " 0-100 "]),
                                               max_size=5).map("".join))
steering_objects = st.one_of(json_values, st.fixed_dictionaries({}, optional={
    "questions": st.one_of(json_values, st.lists(st.one_of(hostile_text, json_values,
                                                           st.fixed_dictionaries({"question": json_values})), max_size=25)),
    "eval_prompt": eval_prompts, "adversarial_prefix": json_values, "direction": json_values}))


def dump_json(value: Any, ascii_only: bool) -> bytes:
    return json.dumps(value, ensure_ascii=ascii_only, allow_nan=True).encode("utf-8", "surrogatepass")


def toml_value(value: Any) -> str:
    """An inline TOML rendering of a JSON-like value (strings without surrogates)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") if math.isinf(value) else repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    return '"none"'  # TOML has no null


toml_scalars = st.one_of(st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True), toml_safe_text)
def _toml_containers(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.lists(inner, max_size=4), st.dictionaries(toml_safe_text, inner, max_size=4))


toml_values = st.recursive(toml_scalars, _toml_containers, max_leaves=10)
cards = st.fixed_dictionaries({}, optional={
    "trait": st.one_of(toml_values, st.fixed_dictionaries({}, optional={
        "type": st.one_of(toml_values, st.sampled_from(["state", "action", "style", "behavior", "STYLE "])),
        "words": st.one_of(toml_values, st.fixed_dictionaries({}, optional={
            "positive": toml_values, "negative": toml_values})),
        "hook": toml_values, "isnt": toml_values})),
    "plan": st.one_of(toml_values, st.dictionaries(st.sampled_from(["topic", "valence", "manifestation", "divergence", ""]),
                                                   st.one_of(toml_values, st.dictionaries(toml_safe_text, st.floats(-2, 2), max_size=3)),
                                                   max_size=3)),
    "traitlint": st.one_of(toml_values, st.fixed_dictionaries({"ignore": st.one_of(
        toml_values, st.dictionaries(st.sampled_from(["TL004", "TL101", "pair_count", "TL999"]), toml_values, max_size=3))})),
})


def dump_toml(card: dict[str, Any]) -> bytes:
    lines = [f"{json.dumps(k)} = {toml_value(v)}" for k, v in card.items() if not isinstance(v, dict)]
    for key, table in card.items():
        if isinstance(table, dict):
            lines.append(f"[{json.dumps(key)}]")
            lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in table.items()]
    return ("\n".join(lines) + "\n").encode("utf-8")


line_ends = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def text_files(draw: st.DrawFn) -> bytes:
    """A prefill or definition file: hostile lines, mixed line ends, maybe BOM, invalid UTF-8, NUL."""
    lines = draw(st.lists(st.one_of(hostile_text, st.sampled_from(["", " ", "x" * 9000, "I was sure because"])),
                          max_size=30))
    end = draw(line_ends)
    data = end.join(lines).encode("utf-8", "surrogatepass")  # lone surrogates become invalid UTF-8 (CESU)
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if draw(st.booleans()):
        data += draw(st.binary(max_size=20))
    return data


@st.composite
def jsonl_files(draw: st.DrawFn, prompt_key: str | None) -> bytes:
    rows = draw(st.lists(st.one_of(json_values, st.fixed_dictionaries(
        {prompt_key: st.one_of(hostile_text, json_values)} if prompt_key else {"topic": json_values},
        optional={"system_prompt": json_values, "valence": json_values})), max_size=30))
    ascii_only = draw(st.booleans())
    return b"\n".join(dump_json(r, ascii_only) for r in rows) + draw(st.sampled_from([b"", b"\n", b"\n\n{"]))


any_bytes = st.one_of(st.binary(max_size=200), st.just(b""), st.just(b" \n\t\n"), st.just(b"\x00" * 10))


@st.composite
def paired_texts(draw: st.DrawFn) -> tuple[bytes, bytes]:
    """positive.txt and negative.txt with the same number of hostile lines, so the pairs (and the
    NLP and statistics audits on them) run on hostile text rather than being skipped as unpairable."""
    clean = [(p, n) for p, n in zip(*((CLEAN / f).read_text(encoding="utf-8").splitlines()
                                      for f in ("positive.txt", "negative.txt")))]
    line = hostile_text.map(lambda s: s.replace("\r", "").replace("\n", ""))  # keep the line count
    pairs = draw(st.lists(st.one_of(st.sampled_from(clean), st.tuples(line, line),
                                    st.tuples(st.sampled_from([p for p, _ in clean]), line)),
                          min_size=12, max_size=30))  # TL306 needs >= 10 pairs
    end = draw(line_ends)
    return tuple(end.join(side).encode("utf-8", "surrogatepass") + b"\n" for side in zip(*pairs))


# fuzz: the full session over generated folders ---------------------------------------------------
@FUZZ
@given(files=st.dictionaries(st.sampled_from(["positive.txt", "negative.txt", "definition.txt"]),
                             st.one_of(text_files(), any_bytes, st.none()), min_size=1, max_size=3))
def test_fuzz_text_files(store, files):
    with tempfile.TemporaryDirectory() as tmp:
        folder = base_folder(Path(tmp) / "cat" / "trait")
        write_files(folder, files)
        check_session(folder, store)


@settings(FUZZ, max_examples=_DEEP or 15)
@given(texts=paired_texts())
def test_fuzz_paired_hostile_text(store, texts):
    with tempfile.TemporaryDirectory() as tmp:
        folder = base_folder(Path(tmp) / "cat" / "trait")
        write_files(folder, {"positive.txt": texts[0], "negative.txt": texts[1], "annotations.jsonl": None})
        check_session(folder, store)


@FUZZ
@given(steering=st.one_of(st.builds(dump_json, steering_objects, st.booleans()), any_bytes),
       annotations=st.one_of(jsonl_files(None), any_bytes, st.none()))
def test_fuzz_steering_and_annotations(store, steering, annotations):
    with tempfile.TemporaryDirectory() as tmp:
        folder = base_folder(Path(tmp) / "cat" / "trait")
        write_files(folder, {"steering.json": steering, "annotations.jsonl": annotations})
        check_session(folder, store)


@FUZZ
@given(card=st.one_of(cards.map(dump_toml), any_bytes))
def test_fuzz_trait_card(store, card):
    with tempfile.TemporaryDirectory() as tmp:
        folder = base_folder(Path(tmp) / "cat" / "trait")
        write_files(folder, {"trait.toml": card})
        check_session(folder, store)


@FUZZ
@given(positive=jsonl_files("prompt"), negative=jsonl_files("prompt"), keep_txt=st.booleans())
def test_fuzz_jsonl_prefills(store, positive, negative, keep_txt):
    with tempfile.TemporaryDirectory() as tmp:
        folder = base_folder(Path(tmp) / "cat" / "trait")
        write_files(folder, {"positive.jsonl": positive, "negative.jsonl": negative})
        if not keep_txt:
            write_files(folder, {"positive.txt": None, "negative.txt": None})
        check_session(folder, store)


# regressions found by the fuzzing ---------------------------------------------------------------
def test_card_whose_trait_is_not_a_table_does_not_crash_the_classifier(store, tmp_path):
    folder = base_folder(tmp_path / "t")
    (folder / "trait.toml").write_text("trait = 5\n", encoding="utf-8")
    check_session(folder, store, Config(select=["TL306"]))


def test_lone_surrogate_escapes_are_reported_and_replaced(tmp_path):
    folder = base_folder(tmp_path / "t")
    rows = (folder / "annotations.jsonl").read_text(encoding="utf-8").splitlines()
    rows[2] = '{"topic": "a\\ud800", "valence": "good"}'
    (folder / "annotations.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    steering = dict(STEERING, questions=[*STEERING["questions"][:-1], "Why \\udc00?"])
    (folder / "steering.json").write_text(json.dumps(steering, indent=1).replace("\\\\udc00", "\\udc00"), encoding="utf-8")
    (folder / "positive.jsonl").write_text('{"prompt": "ok"}\n{"prompt": "\\ud83d\\ude00 fine"}\n'
                                           '{"prompt": "bad \\ud83d"}\n', encoding="utf-8")
    ds = load(folder)
    hits = {(f.evidence[0].file, f.evidence[0].line) for f in ds.load_findings if "surrogate" in f.message}
    questions_line = 1 + next(i for i, line in enumerate((folder / "steering.json").read_text().splitlines())
                              if "udc00" in line)
    assert hits == {("annotations.jsonl", 3), ("steering.json", questions_line)}
    assert ds.annotations[2]["topic"] == "a\ufffd" and ds.steering["questions"][-1] == "Why \ufffd?"
    (folder / "positive.txt").unlink()
    (folder / "negative.txt").unlink()
    ds = load(folder)
    assert [p.text for p in ds.positive] == ["ok", "😀 fine", "bad \ufffd"]  # a valid pair is kept
    assert [f.evidence[0].line for f in ds.load_findings
            if "surrogate" in f.message and f.evidence[0].file == "positive.jsonl"] == [3]


def test_reports_naming_undecodable_files_print_on_a_strict_utf8_stdout(tmp_path, monkeypatch):
    folder = base_folder(tmp_path / "t")
    try:
        (folder / os.fsdecode(b"notes\xff.txt")).write_text("x", encoding="utf-8")
    except (OSError, UnicodeEncodeError):
        pytest.skip("this filesystem refuses non-UTF-8 file names")
    rows = (folder / "annotations.jsonl").read_text(encoding="utf-8").splitlines()
    rows[0] = '{"topic": "\\ud800", "valence": "good"}'
    (folder / "annotations.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for fmt in ("text", "json", "github", "sarif"):
        code, out, err = run_cli("check", "t", "--no-cache", "--select", "TL001,TL205", "--format", fmt, "--show-info")
        assert code in (0, 1), err
        assert "notes\\udcff.txt" in out
        if fmt in ("json", "sarif"):
            json.loads(out)


def test_a_runaway_line_does_not_crash_the_nlp_audits(store, tmp_path):
    folder = base_folder(tmp_path / "t")
    lines = (folder / "positive.txt").read_text(encoding="utf-8").splitlines()
    lines[5] = "word " * 220_000  # over spaCy's 1,000,000-character limit
    (folder / "positive.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    session = check_session(folder, store, Config(select=["TL001", "TL101", "TL304"]))
    assert any("too long" in f.message for f in session.corpus.datasets[0].load_findings)
    assert MAX_PARSE_CHARS < 1_000_000


def test_config_parameter_of_the_wrong_type_is_a_config_error():
    with pytest.raises(ConfigError, match="min_questions = 'x': must be an integer"):
        from_table({"params": {"TL006": {"min_questions": "x"}}}).validate()
    with pytest.raises(ConfigError, match="must be a number"):
        from_table({"params": {"pair_count": {"min_pairs": 150}, "TL007": {"max_share": "half"}}}).validate()
    from_table({"params": {"TL007": {"max_share": 1}, "TL306": {"register_types": ["style", "mode"]}}}).validate()


# front ends --------------------------------------------------------------------------------------
MALFORMED = {
    "steering": {"steering.json": b'{"questions": [1, null, {"q": 2}], "eval_prompt": "{question!r} {x.y} {"}'},
    "bytes": {"positive.txt": b"\xef\xbb\xbfok\r\n\xff\xfe bad\r\n\x00\n", "definition.txt": b"\x80\x81"},
    "card": {"trait.toml": b'trait = 5\nplan = "x"\n[traitlint]\nignore = ["TL004"]\n',
             "annotations.jsonl": b'[1]\n{"topic": {"a": [1]}}\n'},
}


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_cli_on_malformed_folders_exits_0_or_1_with_valid_output(tmp_path, monkeypatch, fmt):
    for name, files in MALFORMED.items():
        write_files(base_folder(tmp_path / "traits" / name), files)
    before = snapshot(tmp_path / "traits")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli("check", "traits", "--no-cache", "--select", "TL0,TL2", "--format", fmt)
    assert code in (0, 1) and "internal error" not in err, err
    if fmt in ("json", "sarif"):
        data = json.loads(out)
        if fmt == "json":
            assert {t["path"] for t in data["traits"]} == {f"traits/{n}" for n in MALFORMED}
            assert not [a for t in data["traits"] for a in t["audits"] if a["status"] == "error"]
    assert snapshot(tmp_path / "traits") == before


def test_plugin_on_a_malformed_folder_fails_items_naming_files(pytester: pytest.Pytester):
    folder = base_folder(pytester.path / "datasets" / "broken")
    write_files(folder, {**MALFORMED["bytes"], **MALFORMED["steering"]})
    (folder / "self").symlink_to(".", target_is_directory=True)  # a link loop must not recurse
    result = pytester.runpytest("datasets", "-rA", "-p", "no:cacheprovider", "--traitlint-no-cache",
                                "--traitlint-select", "TL00")
    text = result.stdout.str()
    assert "INTERNALERROR" not in text and "Traceback" not in text
    assert "datasets/broken/definition.txt:1: TL001 [error] definition.txt is not valid UTF-8" in text
    assert "datasets/broken/steering.json:1: TL006 [error]" in text
    outcomes = {line.split(" - ")[0] for line in result.outlines if line.startswith(("PASSED", "FAILED"))}
    assert {"FAILED datasets/broken/positive.txt::files", "FAILED datasets/broken/positive.txt::steering_format"} <= outcomes
    result.assert_outcomes(failed=4, passed=2, skipped=1)  # one item per audit, once: the link is not followed


# filesystem edge cases ---------------------------------------------------------------------------
def test_special_files_become_findings(store, tmp_path):
    folder = base_folder(tmp_path / "tree" / "t")
    (folder / "positive.txt").unlink()
    (folder / "positive.txt").mkdir()
    (folder / "negative.txt").unlink()
    (folder / "negative.txt").symlink_to("negative.txt")  # a link to itself
    (folder / "definition.txt").unlink()
    (folder / "definition.txt").symlink_to(CLEAN / "definition.txt")  # out of the tree
    (folder / "steering.json").unlink()
    os.mkfifo(folder / "steering.json")  # reading it would block forever
    session = check_session(folder, store)
    messages = {f.evidence[0].file: f.message for f in session.corpus.datasets[0].load_findings}
    assert "is a directory" in messages["positive.txt"]
    assert "broken symlink" in messages["negative.txt"]
    assert "outside the dataset tree" in messages["definition.txt"]
    assert "not a regular file" in messages["steering.json"]


def test_unreadable_file_is_a_finding(store, tmp_path):
    folder = base_folder(tmp_path / "t")
    (folder / "definition.txt").chmod(0)
    try:
        readable = os.access(folder / "definition.txt", os.R_OK)
        if readable:
            pytest.skip("running as root: chmod 000 does not stop reads")
        session = check_session(folder, store, Config(select=["TL00"]))
        assert any("cannot be read" in f.message and f.evidence[0].file == "definition.txt"
                   for f in session.corpus.datasets[0].load_findings)
    finally:
        (folder / "definition.txt").chmod(0o644)


def test_very_deep_tree_is_searched_without_recursion(tmp_path):
    levels = [str(tmp_path / "deep")]
    for _ in range(1100):  # deeper than the interpreter's recursion limit
        levels.append(os.path.join(levels[-1], "d"))
    for level in levels:
        os.mkdir(level)
    try:
        base_folder(Path(levels[-1]))
        assert discover([tmp_path / "deep"]) == [Path(levels[-1])]
    finally:  # shutil.rmtree (pytest's clean-up) recurses too: remove the tree bottom up
        for name in os.listdir(levels[-1]):
            os.unlink(os.path.join(levels[-1], name))
        for level in reversed(levels):
            os.rmdir(level)


def test_odd_names_and_paths(store, tmp_path, monkeypatch):
    folder = base_folder(tmp_path / "data sets" / "ünï cødé 💡")
    before = snapshot(folder)
    monkeypatch.chdir(tmp_path)
    for args in (["data sets"], ["data sets/"], ["data sets/ünï cødé 💡/positive.txt"]):
        code, out, err = run_cli("check", *args, "--no-cache", "--select", "TL00", "--format", "json")
        assert code in (0, 1) and [t["path"] for t in json.loads(out)["traits"]] == ["data sets/ünï cødé 💡"], args
    code, out, err = run_cli("check", "no such dir", "--no-cache")
    assert code == 2 and "no such file or directory" in err and "Traceback" not in err
    assert snapshot(folder) == before


def test_each_folder_is_linted_once_however_it_is_named(tmp_path, monkeypatch):
    folder = base_folder(tmp_path / "datasets" / "cat" / "t")
    (tmp_path / "datasets" / "alias").symlink_to(folder, target_is_directory=True)
    (folder / "loop").symlink_to("..", target_is_directory=True)
    outside = base_folder(tmp_path / "elsewhere" / "x")
    (tmp_path / "datasets" / "external").symlink_to(outside, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    spellings = ["datasets", "datasets/cat", str(folder), "datasets/cat/t/", "datasets/cat/t/positive.txt"]
    assert discover(spellings) == [Path("datasets/cat/t")]
    code, out, err = run_cli("check", *spellings, "--no-cache", "--select", "TL001,TL003", "--format", "json")
    data = json.loads(out)
    assert [t["path"] for t in data["traits"]] == ["datasets/cat/t"]
    assert code in (0, 1) and data["summary"]["results"] == 2


# caches ------------------------------------------------------------------------------------------
def cached_run(folder: Path, cache: Path, store: FeatureStore) -> list[tuple[str, str]]:
    """Statuses of a run with feature and result caches in `cache`, after rendering every format.

    In-process with the suite's loaded spaCy pipeline (a CLI run would load it again each time).
    """
    session = Session(Config(select=["TL001", "TL004", "TL101", "TL304"]),
                      FeatureStore(cache, pipeline=store.pipeline_name, nlp=store.nlp()))
    results = session.run([folder])
    report = RunReport(results, session.config.enabled_audits(), show_passing=True)
    for fmt in ("text", "json", "github", "sarif"):
        render(fmt, report).encode("utf-8")
    return [(r.code, r.status) for t in results for r in t.results]


CORRUPTIONS = {
    "empty": lambda data: "",
    "truncated": lambda data: json.dumps(data)[: len(json.dumps(data)) // 2],
    "not an object": lambda data: "[1, 2]",
    "wrong types": lambda data: json.dumps(_poison(data)),
}


def _poison(data: Any) -> Any:
    """The same structure with the first string of every list replaced by an integer, and numbers by text."""
    if isinstance(data, dict):
        return {k: _poison(v) for k, v in data.items()}
    if isinstance(data, list):
        out = [_poison(v) for v in data]
        for i, v in enumerate(data):
            if isinstance(v, str):
                out[i] = 7
                break
        return out
    if isinstance(data, (int, float)) and not isinstance(data, bool):
        return "7"
    return data


@pytest.mark.parametrize("kind", ["features", "results"])
@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_damaged_cache_entries_are_recomputed(store, tmp_path, kind, corruption):
    folder = base_folder(tmp_path / "t")
    data = (folder / "positive.txt").read_bytes()
    (folder / "positive.txt").write_bytes(b"\xef\xbb\xbf" + data)  # a finding with a line number to cache
    cache = tmp_path / "cache"
    expected = cached_run(folder, cache, store)
    assert {s for _, s in expected} <= {"passed", "warned", "failed", "skipped"}
    if kind == "features":
        shutil.rmtree(cache / "results")  # else the results cache hides the feature entry
    entries = sorted((cache / kind).rglob("*.json"))
    assert entries
    for entry in entries:
        entry.write_text(CORRUPTIONS[corruption](json.loads(entry.read_text(encoding="utf-8"))), encoding="utf-8")
    assert cached_run(folder, cache, store) == expected
    assert cached_run(folder, cache, store) == expected  # and the rewritten entries read back


def test_unusable_cache_dir_does_not_break_a_lint(store, tmp_path):
    folder = base_folder(tmp_path / "t")
    expected = cached_run(folder, tmp_path / "fresh", store)
    blocker = tmp_path / "a file"
    blocker.write_text("not a directory", encoding="utf-8")
    assert cached_run(folder, blocker, store) == expected
    assert cached_run(folder, blocker / "below a file", store) == expected
    assert blocker.read_text(encoding="utf-8") == "not a directory"
    readonly = tmp_path / "readonly"
    readonly.mkdir()
    readonly.chmod(0o555)
    try:
        assert cached_run(folder, readonly, store) == expected
    finally:
        readonly.chmod(0o755)


def test_concurrent_runs_share_a_cache_safely(tmp_path):
    exe = Path(sys.executable).with_name("traitlint")
    if not exe.exists():
        pytest.skip("console script not installed next to the interpreter")
    folder = base_folder(tmp_path / "t")
    cache = tmp_path / "cache"
    cmd = [str(exe), "check", str(folder), "--cache-dir", str(cache), "--format", "json", "--select", "TL0,TL1,TL304"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode in (0, 1), err
    runs = [json.loads(out)["traits"] for out, _ in outputs]
    warm = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert runs[0] == runs[1] == json.loads(warm.stdout)["traits"]
    assert sorted(e.name for e in cache.iterdir() if e.is_file()) == [".gitignore", "CACHEDIR.TAG"]
    for entry in cache.rglob("*"):
        assert not entry.name.endswith(".tmp"), "a temporary file was left behind"
        if entry.is_file() and entry.parent != cache:  # below the tag files: every entry is whole JSON
            json.loads(entry.read_text(encoding="utf-8"))


def test_feature_rows_of_the_wrong_shape_are_rejected(store):
    row = store.parse(["She was hopeful because"])[0].to_json()
    assert TextFeatures.from_json(json.loads(json.dumps(row))).words[0] == "She"
    bad_rows = [row[:9], [*row[:1], [1, 2, 3, 4, 5], *row[2:]], [row[0][:1], *row[1:]],
                [*row[:5], [99] * len(row[0]), *row[6:]], [*row[:9], [-1]], "row", None]
    for bad in bad_rows:
        with pytest.raises((ValueError, TypeError)):
            TextFeatures.from_json(bad)


def test_cached_findings_of_the_wrong_shape_are_rejected():
    good = {"code": "TL001", "name": "files", "severity": "error", "message": "m", "metric": {}, "threshold": None,
            "evidence": [{"file": "positive.txt", "line": 3, "text": "t"}], "hint": ""}
    assert Finding.from_dict(good).evidence[0].line == 3
    for key, value in [("message", ["m"]), ("metric", []), ("evidence", {}), ("severity", "fatal"),
                       ("evidence", [{"file": 3, "line": 1}]), ("evidence", [{"file": "f", "line": "3"}]),
                       ("evidence", [{"file": "f", "line": True}]), ("evidence", ["f"])]:
        with pytest.raises((ValueError, KeyError)):
            Finding.from_dict({**good, key: value})


# atomic writes -----------------------------------------------------------------------------------
def test_atomic_write_keeps_the_old_file_on_failure_and_honours_the_umask(tmp_path):
    target = tmp_path / "report.json"
    atomic_write_text(target, "old")
    with pytest.raises(UnicodeEncodeError):
        atomic_write_text(target, "new \ud800")  # fails mid-write
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left
    umask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.json"
        atomic_write_text(fresh, "x")
        assert fresh.stat().st_mode & 0o777 == 0o644  # as open(..., "w") would, not mkstemp's 0600
        fresh.chmod(0o640)
        atomic_write_text(fresh, "y")
        assert fresh.stat().st_mode & 0o777 == 0o640  # an existing file keeps its mode
    finally:
        os.umask(umask)


def _limit_file_size() -> None:  # runs in the child before exec
    import resource
    import signal

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit then fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs POSIX resource limits")
def test_output_file_is_replaced_whole_or_not_at_all(tmp_path):
    """A disk that fills mid-report (simulated by a file-size limit) leaves the old report intact."""
    exe = Path(sys.executable).with_name("traitlint")
    if not exe.exists():
        pytest.skip("console script not installed next to the interpreter")
    base_folder(tmp_path / "t")
    report = tmp_path / "report.sarif"
    report.write_text('{"old": "report"}', encoding="utf-8")
    proc = subprocess.run([str(exe), "check", "t", "--no-cache", "--select", "TL00", "--format", "sarif", "-o", str(report)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, preexec_fn=_limit_file_size,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    assert proc.returncode == 2 and "cannot write" in proc.stderr and "Traceback" not in proc.stderr
    assert report.read_text(encoding="utf-8") == '{"old": "report"}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.sarif", "t"]  # no temporary file left


def test_output_file_gets_ordinary_permissions(tmp_path, monkeypatch):
    base_folder(tmp_path / "t")
    report = tmp_path / "out" / "report.sarif"
    report.parent.mkdir()
    monkeypatch.chdir(tmp_path)
    umask = os.umask(0o022)
    try:
        code, out, err = run_cli("check", "t", "--no-cache", "--select", "TL00", "--format", "sarif", "-o", str(report))
    finally:
        os.umask(umask)
    assert code in (0, 1) and out == "" and json.loads(report.read_text(encoding="utf-8"))["version"] == "2.1.0"
    assert report.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in report.parent.iterdir()) == ["report.sarif"]
