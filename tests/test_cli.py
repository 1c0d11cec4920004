"""The `traitlint` command, run in-process on copies of the fixture folders with test-only audits."""
from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from traitlint import __version__, registry
from traitlint.cli import main

FIXTURES = Path(__file__).parent / "fixtures" / "frontends"
PYPROJECT = (FIXTURES / "pyproject.toml").read_text(encoding="utf-8")
STATUSES = {"passed", "warned", "failed", "skipped", "error"}


def _fake_audits():
    spec = importlib.util.spec_from_file_location("traitlint_test_fake_audits", FIXTURES / "fake_audits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def isolated_registry():
    saved, loaded = registry._REGISTRY, registry._loaded
    _fake_audits().install()
    yield
    registry._REGISTRY = saved
    registry._loaded = loaded


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(FIXTURES / "datasets", tmp_path / "datasets")
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRAITLINT_CACHE_DIR", raising=False)
    return tmp_path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


# exit codes --------------------------------------------------------------------------------------
def test_exit_0_when_clean(repo, capsys):
    code, out, err = run(capsys, "check", "datasets/traits/good/alpha", "--select", "TL004")
    assert code == 0, out + err
    assert "All checks passed!" in out


def test_exit_1_on_failed_audit_and_exit_zero_flag(repo, capsys):
    code, out, _ = run(capsys, "check", "datasets/traits/good/alpha")
    assert code == 1
    assert run(capsys, "check", "datasets/traits/good/alpha", "--exit-zero")[0] == 0


def test_warnings_exit_0_unless_strict(repo, capsys):
    # (TX905 fails a corpus of one folder)
    assert run(capsys, "check", "datasets/traits/good/beta", "--ignore", "TX905")[0] == 0
    assert run(capsys, "check", "datasets/traits/good/beta", "--ignore", "TX905", "--strict")[0] == 1


@pytest.mark.parametrize("args, message", [
    (["check", "does/not/exist"], "does/not/exist: no such file or directory"),
    (["check", "datasets", "--select", "TL9"], "unknown audit selector 'TL9'"),
    (["check", "datasets", "--config", "missing.toml"], "missing.toml: no such file"),
    (["explain", "TL999"], "unknown audit 'TL999'"),
    ([], "a command is required"),
])
def test_usage_errors_exit_2_with_one_line(repo, capsys, args, message):
    code, out, err = run(capsys, *args)
    assert code == 2
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) <= 2  # usage line + message at most


def test_bad_config_exits_2(repo, capsys):
    (repo / "pyproject.toml").write_text("[tool.traitlint]\nselect = 3\n", encoding="utf-8")
    code, _, err = run(capsys, "check", "datasets")
    assert code == 2 and "must be a list of strings" in err
    (repo / "pyproject.toml").write_text("[tool.traitlint.params.TL004]\nnot_a_param = 1\n", encoding="utf-8")
    code, _, err = run(capsys, "check", "datasets")
    assert code == 2 and "unknown parameter(s) not_a_param" in err


def test_audit_crash_exits_2_and_reports_the_error(repo, capsys):
    # TX902 is ignored in pyproject.toml, and --select does not override an ignore: nothing would
    # run, which is a usage error (it used to print "All checks passed!")
    code, out, err = run(capsys, "check", "datasets/traits/good/alpha", "--select", "TX902", "--format", "json")
    assert code == 2 and out == "" and "leaves no audit to run" in err
    (repo / "pyproject.toml").write_text("", encoding="utf-8")
    code, out, _ = run(capsys, "check", "datasets/traits/good/alpha", "--select", "TX902", "--format", "json")
    audit = json.loads(out)["traits"][0]["audits"][0]
    assert code == 2
    assert audit["status"] == "error"
    assert "RuntimeError: boom from the crash audit" in audit["findings"][0]["message"]


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"traitlint {__version__}"


# formats -----------------------------------------------------------------------------------------
def test_text_format_is_ruff_like(repo, capsys):
    code, out, _ = run(capsys, "check", "datasets")
    assert code == 1
    assert "datasets/traits/good/alpha/negative.txt:3: TX904 [error] the third pair is suspicious" in out
    assert "  datasets/traits/good/alpha/negative.txt:3  When the oven stopped working, she looked at it and angrily" in out
    assert "  metric: share=0.5, pairs=5 vs threshold 0.2" in out
    assert "  hint: Rewrite the third pair." in out
    # grouped by folder: a header with the folder's summary, its findings, then its skips beside it
    lines = out.splitlines()
    assert "datasets/traits/good/alpha: 1 error, 0 warnings; audits: 4 passed, 1 failed" in lines
    gamma = lines.index("datasets/traits/good/gamma: 0 errors, 1 warning; audits: 3 passed, 1 warned, 1 skipped")
    assert "  skipped TX904 error_third_line: ignored in trait.toml: fixture: the third line is fine" in lines[gamma:]
    assert "  skipped 3 audits (TL004, TX901, TX904): cannot pair prefills: positive.txt has 3 lines" \
           " but negative.txt has 2: line i of one no longer matches line i of the other" in lines
    summary = out.strip().splitlines()[-1]
    assert re.fullmatch(r"Checked 4 trait folders with 5 audits: \d+ passed, \d+ warned, 2 failed, 4 skipped, 0 errors; .*",
                        summary), summary


def test_show_passing_lists_metrics(repo, capsys):
    _, out, _ = run(capsys, "check", "datasets/traits/good/alpha", "--show-passing")
    lines = out.splitlines()
    header = lines.index("datasets/traits/good/alpha: 2 errors, 0 warnings; audits: 3 passed, 2 failed")
    assert "  TL004 pair_count passed (pairs=5)" in lines[header:]


def test_json_schema(repo, capsys):
    code, out, _ = run(capsys, "check", "datasets", "--format", "json")
    data = json.loads(out)
    assert set(data) == {"version", "traits", "summary"} and data["version"] == __version__
    assert [t["path"] for t in data["traits"]] == ["datasets/traits/bad/broken", "datasets/traits/good/alpha",
                                                   "datasets/traits/good/beta", "datasets/traits/good/gamma"]
    seen = set()
    for trait in data["traits"]:
        assert [a["code"] for a in trait["audits"]] == ["TL004", "TX901", "TX903", "TX904", "TX905"]
        for audit in trait["audits"]:
            assert {"code", "name", "status", "findings", "metrics"} <= set(audit)
            assert audit["status"] in STATUSES
            seen.add(audit["status"])
            for finding in audit["findings"]:
                assert {"severity", "message", "metric", "evidence", "hint"} <= set(finding)
                assert finding["severity"] in {"error", "warning", "info"}
                for ev in finding["evidence"]:
                    assert {"file", "line", "text"} <= set(ev)
                    assert Path(ev["path"]).exists(), ev
    assert seen == {"passed", "warned", "failed", "skipped"}
    alpha = {a["code"]: a for a in data["traits"][1]["audits"]}
    assert alpha["TL004"]["metrics"] == {"pairs": 5}  # metrics of passing audits are always there
    gamma = {a["code"]: a for a in data["traits"][3]["audits"]}
    assert gamma["TX904"]["reason"] == "ignored in trait.toml: fixture: the third line is fine"
    s = data["summary"]
    assert s["traits"] == 4 and s["failed"] == 2 and s["exit_code"] == code == 1
    assert s["passed"] + s["warned"] + s["failed"] + s["skipped"] + s["error"] == s["results"] == 20


def test_github_annotations(repo, capsys):
    _, out, _ = run(capsys, "check", "datasets", "--format", "github")
    lines = [line for line in out.splitlines() if line.startswith("::")]
    skips = [line for line in lines if re.search(r",title=[^:]* skipped::", line)]
    lines = [line for line in lines if line not in skips]
    pattern = re.compile(r"::(error|warning|notice) file=[^,:]+(,line=\d+)?,title=TX?L?\d+ [a-z_]+::.+")
    assert lines and all(pattern.fullmatch(line) for line in lines), lines
    # skipped audits are annotated too, one line per folder and reason, on a file of the folder
    assert ("::notice file=datasets/traits/good/gamma/positive.txt,title=TX904 error_third_line skipped::"
            "datasets/traits/good/gamma: TX904 not checked: ignored in trait.toml: fixture: the third line is fine") \
        in skips, skips
    assert any(line.startswith("::warning file=datasets/traits/bad/broken/") and "title=3 audits skipped::" in line
               for line in skips), skips
    assert any(line.startswith("::error file=datasets/traits/good/alpha/negative.txt,line=3,title=TX904 error_third_line::"
                               "the third pair is suspicious%0A") for line in lines)
    assert any(line.startswith("::warning file=datasets/traits/good/beta/positive.txt,line=1,") for line in lines)


def test_sarif_structure(repo, capsys):
    _, out, _ = run(capsys, "check", "datasets", "--format", "sarif")
    data = json.loads(out)
    assert data["version"] == "2.1.0" and "sarif-2.1.0" in data["$schema"]
    run0 = data["runs"][0]
    rules = run0["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert {"TL004", "TX901", "TX903", "TX904", "TX905"} <= set(ids)
    assert "TL001" in ids and "TL002" in ids  # load findings' codes get rules of their own
    assert all(r["defaultConfiguration"]["level"] in {"error", "warning", "note"} for r in rules)
    results = run0["results"]
    assert results
    for result in results:
        assert ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in {"error", "warning", "note"} and result["message"]["text"]
        for loc in result["locations"]:
            artifact = loc["physicalLocation"]["artifactLocation"]
            assert artifact["uriBaseId"] == "%SRCROOT%" and not artifact["uri"].startswith("/")
            assert (repo / artifact["uri"]).exists()
            if "region" in loc["physicalLocation"]:
                assert loc["physicalLocation"]["region"]["startLine"] >= 1
    third = next(r for r in results if r["ruleId"] == "TX904")
    assert [(l["physicalLocation"]["artifactLocation"]["uri"], l["physicalLocation"]["region"]["startLine"])
            for l in third["locations"] + third["relatedLocations"]] == [("datasets/traits/good/alpha/negative.txt", 3),
                                                                        ("datasets/traits/good/alpha/positive.txt", 3)]
    assert len(third["locations"]) == 1  # the partner line is a related location


def test_output_file(repo, capsys):
    code, out, _ = run(capsys, "check", "datasets", "--format", "sarif", "-o", "report.sarif")
    assert out == "" and json.loads((repo / "report.sarif").read_text())["version"] == "2.1.0"


# paths -------------------------------------------------------------------------------------------
def test_file_paths_lint_their_trait_folder(repo, capsys):
    (repo / "datasets" / "README.md").write_text("about the datasets\n")
    code, out, _ = run(capsys, "check", "datasets/traits/good/beta/positive.txt", "datasets/traits/good/beta/negative.txt",
                       "datasets/README.md", "--format", "json")
    assert [t["path"] for t in json.loads(out)["traits"]] == ["datasets/traits/good/beta"]
    code, out, err = run(capsys, "check", "datasets/README.md")
    assert code == 0 and "no trait folders found" in err


# audits / explain / init -------------------------------------------------------------------------
def test_audits_table(repo, capsys):
    code, out, _ = run(capsys, "audits")
    assert code == 0
    rows = [line.split()[:3] for line in out.splitlines() if re.match(r"T[LX]\d", line)]
    assert rows[0] == ["TL004", "pair_count", "warning"]
    assert [r[0] for r in rows] == ["TL004", "TX901", "TX902", "TX903", "TX904", "TX905"]
    assert "min_pairs=150" in out
    code, out, _ = run(capsys, "audits", "--format", "json")
    assert json.loads(out)[0]["params"] == {"min_pairs": 150, "hard_min_pairs": 20}


def test_explain_prints_the_doc_and_params(capsys):
    code, out, _ = run(capsys, "explain", "TL004")
    assert code == 0
    assert out.startswith("TL004 pair_count (default severity: warning)")
    for section in ("What it does", "Why it matters", "Example", "How to fix"):
        assert f"\n{section}\n" in out
    assert "  min_pairs = 150" in out and "[tool.traitlint.params.TL004]" in out
    assert run(capsys, "explain", "pair_count")[1] == out  # by name too


def test_init_scaffolds_a_trait_folder(tmp_path, capsys):
    target = tmp_path / "datasets" / "traits" / "mood" / "calm_focus"
    code, out, _ = run(capsys, "init", str(target), "--type", "mode")
    assert code == 0
    assert sorted(p.name for p in target.iterdir()) == ["definition.txt", "negative.txt", "positive.txt",
                                                       "steering.json", "trait.toml"]
    card = tomllib.loads((target / "trait.toml").read_text())
    assert card["trait"]["type"] == "mode" and "words" in card["trait"]
    steering = json.loads((target / "steering.json").read_text())
    assert steering["questions"] == [] and "{question}" in steering["eval_prompt"] and "calm focus" in steering["eval_prompt"]
    assert (target / "definition.txt").read_text().startswith("Score calm focus (0-100).")
    assert (target / "positive.txt").read_text() == ""


def test_init_refuses_to_overwrite(tmp_path, capsys):
    target = tmp_path / "t"
    target.mkdir()
    (target / "definition.txt").write_text("mine\n")
    code, out, err = run(capsys, "init", str(target))
    assert code == 2 and "refusing to overwrite" in err and "definition.txt" in err
    assert (target / "definition.txt").read_text() == "mine\n"
    assert sorted(p.name for p in target.iterdir()) == ["definition.txt"]  # nothing else written


def test_console_script_runs(tmp_path):
    exe = Path(sys.executable).with_name("traitlint")
    if not exe.exists():
        pytest.skip("console script not installed next to the interpreter")
    proc = subprocess.run([str(exe), "check", str(tmp_path / "missing")], capture_output=True, text=True)
    assert proc.returncode == 2 and "no such file or directory" in proc.stderr and "Traceback" not in proc.stderr


def test_cache_dir_precedence(tmp_path, monkeypatch):
    from traitlint.config import Config
    from traitlint.frontend import resolve_cache_dir

    monkeypatch.delenv("TRAITLINT_CACHE_DIR", raising=False)
    cfg = Config()
    assert resolve_cache_dir(cfg, tmp_path) == (tmp_path / ".traitlint_cache").resolve()
    cfg.cache_dir = tmp_path / "from_pyproject"
    assert resolve_cache_dir(cfg, tmp_path) == tmp_path / "from_pyproject"
    monkeypatch.setenv("TRAITLINT_CACHE_DIR", str(tmp_path / "from_env"))
    assert resolve_cache_dir(cfg, tmp_path) == (tmp_path / "from_env").resolve()
    assert resolve_cache_dir(cfg, tmp_path, flag=tmp_path / "flag") == (tmp_path / "flag").resolve()
    assert resolve_cache_dir(cfg, tmp_path, flag=tmp_path / "flag", no_cache=True) is None


def test_pre_commit_hook_definition():
    text = (Path(__file__).parents[1] / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    fields = dict(re.findall(r"^\s*-?\s*(\w+): (.+)$", text, flags=re.M))
    assert fields["id"] == "traitlint" and fields["entry"] == "traitlint check --force-exclude"
    assert fields["require_serial"] == "true" and fields["pass_filenames"] == "true"
    files = re.compile(fields["files"])
    for path in ("datasets/traits/x/opt/positive.txt", "negative.jsonl", "a/b/trait.toml", "a/steering.json"):
        assert files.search(path), path
    for path in ("README.md", "a/positive.txt.bak", "src/definition.py"):
        assert not files.search(path), path
