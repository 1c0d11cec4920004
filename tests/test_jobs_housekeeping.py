"""Issue 14, speed and housekeeping: `-j N` equals a serial run, pytest node ids can be passed back
and audit codes are markers, the cache folder carries its tag files and `traitlint clean` removes
only a tagged one, the licence is an SPDX string, and `--corpus` gives TL003 its context.
"""
from __future__ import annotations

import importlib.util
import io
import json
import os
import shutil
import subprocess
import tomllib
import warnings
from pathlib import Path

import pytest

from traitlint import registry
from traitlint.cachedir import GITIGNORE_TEXT, SIGNATURE, is_traitlint_cache, mark_cache_dir
from traitlint.cli import main
from traitlint.config import Config, load_config
from traitlint.nlp.features import FeatureStore
from traitlint.parallel import lint, run_parallel
from traitlint.progress import ProgressBar
from traitlint.runner import Session

ROOT = Path(__file__).resolve().parents[1]
FRONTENDS = ROOT / "tests" / "fixtures" / "frontends"
FRONTEND_PYPROJECT = (FRONTENDS / "pyproject.toml").read_text(encoding="utf-8")
ALPHA = FRONTENDS / "datasets" / "traits" / "good" / "alpha"


def _fake_audits():
    spec = importlib.util.spec_from_file_location("traitlint_test_fake_audits_jobs", FRONTENDS / "fake_audits.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def isolated_registry():
    """Tests that install the fake audits (or run a conftest that does) get the real table back."""
    saved, loaded = registry._REGISTRY, registry._loaded
    yield
    registry._REGISTRY = saved
    registry._loaded = loaded


@pytest.fixture
def fake_audits():
    _fake_audits().install()


def _report(results) -> str:
    return json.dumps([r.to_dict() for r in results], sort_keys=True, default=str)


def _json_check(capsys, *args: str) -> tuple[int, dict]:
    code = main(["check", "--format", "json", *args])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    return code, json.loads(out)


# -j N ------------------------------------------------------------------------------------------------
def test_jobs_2_reports_exactly_what_jobs_1_reports(capsys, monkeypatch):
    """Real audits, cold (no cache, so the workers compute everything), on the shipped datasets and
    every fixture folder (broken ones included): the whole JSON report is equal, byte for byte."""
    monkeypatch.chdir(ROOT)
    paths = ["datasets", "tests/fixtures"]
    serial = _json_check(capsys, "--no-cache", "-j", "1", *paths)
    parallel = _json_check(capsys, "--no-cache", "-j", "2", *paths)
    assert len(serial[1]["traits"]) >= 10
    assert parallel == serial


def test_jobs_with_a_result_cache_equal_serial_cold_and_warm(tmp_path, capsys, monkeypatch):
    """With the cache on, a parallel cold run fills it and a parallel warm run reads it: both equal serial."""
    monkeypatch.chdir(ROOT)
    paths = ["datasets/traits/style", "datasets/traits/behavior", "tests/fixtures/confounds"]
    serial = _json_check(capsys, "--no-cache", "-j", "1", *paths)
    cache = str(tmp_path / "cache")
    assert _json_check(capsys, "--cache-dir", cache, "-j", "2", *paths) == serial
    assert _json_check(capsys, "--cache-dir", cache, "-j", "2", *paths) == serial


def test_spawned_workers_equal_serial_and_unknown_audits_run_in_the_parent(fake_audits, tmp_path, monkeypatch):
    """A spawned worker imports the audits afresh: the test-only ones registered here are unknown
    to it, so the parent runs them; TL004 (a real audit) runs in the workers. Same report."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(FRONTENDS / "datasets", tmp_path / "datasets")
    config = Config(params={"TL004": {"min_pairs": 4, "hard_min_pairs": 2}}, ignore=["TX902"])

    def session() -> Session:
        return Session(config, FeatureStore(None))

    serial = session().run([Path("datasets")])
    par = session()
    folders = par.prepare([Path("datasets")])
    spawned = run_parallel(par, folders, config.enabled_audits(), 2, method="spawn")
    assert _report(spawned) == _report(serial)
    assert {r.code for r in spawned[0].results} >= {"TL004", "TX901"}


class DiesInAWorker(registry.Audit):
    """What it does
    Test-only: kills the process it runs in when that is a worker, so the pool breaks."""

    code = "TX990"
    name = "dies_in_a_worker"
    summary = "Test-only."
    params: dict = {}

    def compute(self, ctx, params):
        import multiprocessing

        if multiprocessing.parent_process() is not None:
            os._exit(3)
        return {"lines": len(ctx.dataset.positive)}

    def judge(self, metrics, params, ctx):
        return []


def test_a_worker_that_dies_costs_speed_not_results(fake_audits, tmp_path, monkeypatch):
    registry.register(DiesInAWorker)
    monkeypatch.chdir(tmp_path)
    shutil.copytree(FRONTENDS / "datasets", tmp_path / "datasets")
    config = Config(params={"TL004": {"min_pairs": 4, "hard_min_pairs": 2}}, ignore=["TX902"])
    serial = Session(config, FeatureStore(None)).run([Path("datasets")])
    parallel = lint(Session(config, FeatureStore(None)), [Path("datasets")], jobs=2)
    assert _report(parallel) == _report(serial)
    assert [r.status for r in parallel[1].results if r.code == "TX990"] == ["passed"]


def test_parallel_progress_names_running_folders_and_counts_up(fake_audits, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(FRONTENDS / "datasets", tmp_path / "datasets")
    config = Config(params={"TL004": {"min_pairs": 4, "hard_min_pairs": 2}}, ignore=["TX902"])
    calls: list[tuple[str, int, int]] = []
    results = lint(Session(config, FeatureStore(None)), [Path("datasets")], jobs=2,
                   on_folder=lambda *a: calls.append(a))
    names = {r.path for r in results}
    assert calls and all(name in names and total == 4 for name, _, total in calls)
    done = [d for _, d, _ in calls]
    assert done == sorted(done) and done[-1] >= 2


def test_jobs_must_be_positive(capsys):
    assert main(["check", "-j", "0", str(ALPHA)]) == 2
    assert "--jobs 0: must be at least 1" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_only():
    assert ProgressBar.for_terminal(io.StringIO()) is None  # a pipe or a file: silent
    stream = _Terminal()
    bar = ProgressBar.for_terminal(stream)
    assert bar is not None
    bar("emotions/joy", 3, 12)
    assert "3/12 emotions/joy" in stream.getvalue() and stream.getvalue().startswith("\r")
    assert "[######" in bar.line("x", 3, 12) and bar.line("x", 12, 12).count("#") == ProgressBar.WIDTH
    bar.close()
    assert stream.getvalue().endswith("\r\x1b[K")


def test_check_prints_no_progress_when_stderr_is_not_a_terminal(fake_audits, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(FRONTENDS / "datasets", tmp_path / "datasets")
    (tmp_path / "pyproject.toml").write_text(FRONTEND_PYPROJECT, encoding="utf-8")
    main(["check", "--no-cache", "-j", "2", "datasets"])
    err = capsys.readouterr().err
    assert "\r" not in err and "/4" not in err


# pytest: node ids and markers ------------------------------------------------------------------------
@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    shutil.copytree(FRONTENDS / "datasets", pytester.path / "datasets")
    pytester.makeconftest((FRONTENDS / "fake_audits.py").read_text(encoding="utf-8") + "\ninstall()\n")
    pytester.makepyprojecttoml(FRONTEND_PYPROJECT)
    return pytester


def _outcomes(result: pytest.RunResult) -> dict[str, str]:
    out = {}
    for line in result.outlines:
        for word in ("PASSED", "FAILED", "ERROR"):
            if line.startswith(word + " "):
                out[line[len(word) + 1:].split(" - ")[0].strip()] = word
    return out


def test_a_printed_node_id_re_runs_that_one_item(project):
    ids = [line for line in project.runpytest("--collect-only", "-q", "datasets").outlines if "::" in line]
    failing = "datasets/traits/good/alpha/positive.txt::error_third_line"
    assert failing in ids and "datasets/traits/good/beta/positive.txt::warn_first_line" in ids
    result = project.runpytest(failing, "-rA")
    result.assert_outcomes(failed=1)
    assert _outcomes(result) == {failing: "FAILED"}
    passing = "datasets/traits/good/beta/positive.txt::warn_first_line"
    result = project.runpytest(passing, "-rA")
    result.assert_outcomes(passed=1)
    assert _outcomes(result) == {passing: "PASSED"}


def test_the_folder_form_of_a_node_id_works_too(project):
    """``FOLDER::audit`` (what the README and older output showed) is no longer a usage error."""
    result = project.runpytest("datasets/traits/good/alpha::error_third_line", "-rA")
    result.assert_outcomes(failed=1)
    assert _outcomes(result) == {"datasets/traits/good/alpha/positive.txt::error_third_line": "FAILED"}


def test_a_node_id_of_a_folder_without_positive_txt(project):
    """The anchor is the folder's first trait file that exists, and the id it prints re-runs."""
    folder = project.path / "datasets" / "traits" / "good" / "beta"
    for side in ("positive", "negative"):
        lines = (folder / f"{side}.txt").read_text(encoding="utf-8").splitlines()
        (folder / f"{side}.jsonl").write_text("".join(json.dumps({"prompt": t}) + "\n" for t in lines), encoding="utf-8")
        (folder / f"{side}.txt").unlink()
    ids = [line for line in project.runpytest("--collect-only", "-q", "datasets/traits/good/beta").outlines if "::" in line]
    assert ids and all(i.startswith("datasets/traits/good/beta/positive.jsonl::") for i in ids)
    project.runpytest(ids[0]).assert_outcomes(passed=1)


def test_audit_codes_are_markers_even_under_strict_markers(project):
    result = project.runpytest("datasets", "-m", "TX904", "--strict-markers", "-rA")
    result.assert_outcomes(failed=1, passed=1, skipped=2, deselected=16)  # broken: unpairable; gamma: ignored
    assert _outcomes(result) == {"datasets/traits/good/alpha/positive.txt::error_third_line": "FAILED",
                                 "datasets/traits/good/beta/positive.txt::error_third_line": "PASSED"}
    result = project.runpytest("datasets", "-m", "TL004 and not traitlint_model", "--strict-markers")
    result.assert_outcomes(passed=3, skipped=1, deselected=16)


# the cache folder ----------------------------------------------------------------------------------
def test_a_new_cache_folder_carries_cachedir_tag_and_gitignore(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    cache = tmp_path / "cache"
    main(["check", "--cache-dir", str(cache), "--select", "TL004,TL101", "datasets/traits/style"])
    capsys.readouterr()
    assert (cache / "CACHEDIR.TAG").read_text(encoding="utf-8").startswith(SIGNATURE)
    assert (cache / ".gitignore").read_text(encoding="utf-8") == GITIGNORE_TEXT
    assert "*" in GITIGNORE_TEXT.splitlines()
    assert (cache / "results").is_dir() and (cache / "features").is_dir()
    assert is_traitlint_cache(cache)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_git_never_sees_the_cache(tmp_path, capsys, monkeypatch):
    shutil.copytree(ALPHA, tmp_path / "alpha")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRAITLINT_CACHE_DIR", raising=False)
    main(["check", "--select", "TL004", "alpha"])
    capsys.readouterr()
    assert (tmp_path / ".traitlint_cache" / "results").is_dir()
    status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=all"], cwd=tmp_path,
                            capture_output=True, text=True, check=True).stdout
    assert "alpha/positive.txt" in status and ".traitlint_cache" not in status


def test_a_folder_of_the_users_is_never_tagged(tmp_path):
    mine = tmp_path / "home"
    mine.mkdir()
    (mine / "thesis.tex").write_text("precious", encoding="utf-8")
    assert mark_cache_dir(mine) is False
    assert not (mine / "CACHEDIR.TAG").exists() and not (mine / ".gitignore").exists()
    old = tmp_path / "old_cache"  # a cache from before the tag: only traitlint's own folders
    (old / "features").mkdir(parents=True)
    assert mark_cache_dir(old) is True and is_traitlint_cache(old)


def test_clean_removes_a_tagged_cache_and_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    cache = tmp_path / "cache"
    main(["check", "--cache-dir", str(cache), "--select", "TL004", "datasets/traits/style"])
    capsys.readouterr()
    assert main(["clean", "--cache-dir", str(cache)]) == 0
    out = capsys.readouterr().out
    assert not cache.exists() and f"removed {cache}" in out and "file(s)" in out
    assert main(["clean", "--cache-dir", str(cache)]) == 0
    assert "nothing to remove" in capsys.readouterr().out


def test_clean_finds_the_default_cache_of_a_project(tmp_path, capsys, monkeypatch):
    shutil.copytree(ALPHA, tmp_path / "alpha")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRAITLINT_CACHE_DIR", raising=False)
    main(["check", "--select", "TL004", "alpha"])
    capsys.readouterr()
    assert (tmp_path / ".traitlint_cache").is_dir()
    monkeypatch.chdir(ROOT)
    assert main(["clean", str(tmp_path)]) == 0
    assert not (tmp_path / ".traitlint_cache").exists() and (tmp_path / "alpha" / "positive.txt").is_file()


def test_clean_refuses_an_untagged_folder_and_a_link(tmp_path, capsys):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    assert main(["clean", "--cache-dir", str(mine)]) == 2
    err = capsys.readouterr().err
    assert "no CACHEDIR.TAG written by traitlint" in err and err.count("\n") == 1
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "keep me"
    cache = tmp_path / "cache"
    mark_cache_dir(cache)
    link = tmp_path / "link"
    link.symlink_to(cache, target_is_directory=True)
    assert main(["clean", "--cache-dir", str(link)]) == 2
    assert "symbolic link" in capsys.readouterr().err and cache.is_dir() and link.is_symlink()


# packaging ------------------------------------------------------------------------------------------
def _setuptools_warnings(pyproject: Path) -> list[str]:
    from setuptools.config.pyprojecttoml import apply_configuration
    from setuptools.dist import Distribution

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        apply_configuration(Distribution(), str(pyproject))
    return [str(w.message) for w in caught]


def test_the_licence_is_an_spdx_expression_without_deprecation_warnings(tmp_path):
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["project"]["license"] == "MIT"
    assert not [c for c in data["project"].get("classifiers", []) if c.startswith("License ::")]
    assert any(r.replace(" ", "").startswith("setuptools>=") and int(r.split(">=")[1].split(".")[0]) >= 77
               for r in data["build-system"]["requires"])
    assert not [w for w in _setuptools_warnings(ROOT / "pyproject.toml") if "licen" in w.lower()]
    # ... and the check can fail: the old table form warns
    old = tmp_path / "pyproject.toml"
    old.write_text('[project]\nname = "x"\nversion = "0"\nlicense = { text = "MIT" }\n', encoding="utf-8")
    assert [w for w in _setuptools_warnings(old) if "license" in w.lower()]


# TL003 with a corpus -------------------------------------------------------------------------------
@pytest.fixture
def two_traits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """datasets/traits/a/changed and .../unchanged share their prefills (as after a copy-paste)."""
    for name in ("changed", "unchanged"):
        shutil.copytree(ALPHA, tmp_path / "datasets" / "traits" / "a" / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRAITLINT_CACHE_DIR", raising=False)
    return tmp_path


def _tl003(report: dict) -> dict[str, dict]:
    return {t["path"]: next(a for a in t["audits"] if a["code"] == "TL003") for t in report["traits"]}


def test_corpus_compares_a_changed_folder_with_unchanged_ones(two_traits, capsys):
    changed = "datasets/traits/a/changed/positive.txt"  # what pre-commit passes
    _, alone = _json_check(capsys, "--no-cache", "--select", "TL003", changed)
    assert _tl003(alone)["datasets/traits/a/changed"]["metrics"]["cross_folder_lines"] == 0
    _, with_corpus = _json_check(capsys, "--no-cache", "--select", "TL003", "--corpus", "datasets", changed)
    assert list(_tl003(with_corpus)) == ["datasets/traits/a/changed"]  # context is not reported
    tl003 = _tl003(with_corpus)["datasets/traits/a/changed"]
    assert tl003["metrics"]["cross_folder_counts"] == {"datasets/traits/a/unchanged": 10}
    assert any("also appear in other trait folders" in f["message"] for f in tl003["findings"])


def test_corpus_from_pyproject_and_its_errors(two_traits, capsys):
    (two_traits / "pyproject.toml").write_text('[tool.traitlint]\ncorpus = ["datasets"]\n', encoding="utf-8")
    assert load_config(two_traits).corpus == [(two_traits / "datasets").resolve()]
    _, report = _json_check(capsys, "--no-cache", "--select", "TL003", "datasets/traits/a/changed")
    assert _tl003(report)["datasets/traits/a/changed"]["metrics"]["cross_folder_counts"] == {
        "datasets/traits/a/unchanged": 10}
    (two_traits / "pyproject.toml").write_text('[tool.traitlint]\n\ncorpus = ["nowhere"]\n', encoding="utf-8")
    assert main(["check", "datasets"]) == 2
    err = capsys.readouterr().err
    assert "pyproject.toml:3" in err and "corpus" in err and "nowhere" in err and "not a directory" in err
    (two_traits / "pyproject.toml").unlink()
    assert main(["check", "--corpus", "nowhere", "datasets"]) == 2
    assert "--corpus nowhere: no such directory" in capsys.readouterr().err


def test_corpus_never_compares_a_folder_with_itself(two_traits, capsys):
    _, report = _json_check(capsys, "--no-cache", "--select", "TL003", "--corpus", "datasets", "datasets")
    counts = {p: a["metrics"]["cross_folder_counts"] for p, a in _tl003(report).items()}
    assert counts == {"datasets/traits/a/changed": {"datasets/traits/a/unchanged": 10},
                      "datasets/traits/a/unchanged": {"datasets/traits/a/changed": 10}}
