"""The pytest plugin, run through pytester on the fixture trait folders with test-only audits.

See tests/fixtures/frontends/fake_audits.py for the audits and the outcome each folder should get.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from traitlint import registry

FIXTURES = Path(__file__).parent / "fixtures" / "frontends"
PYPROJECT = (FIXTURES / "pyproject.toml").read_text(encoding="utf-8")
FOLDERS = ["datasets/traits/bad/broken", "datasets/traits/good/alpha", "datasets/traits/good/beta",
           "datasets/traits/good/gamma"]
AUDIT_NAMES = ["pair_count", "warn_first_line", "load_errors", "error_third_line", "corpus_size"]


@pytest.fixture(autouse=True)
def isolated_registry():
    """In-process runs execute the conftest that swaps the registry: restore it afterwards."""
    saved, loaded = registry._REGISTRY, registry._loaded
    yield
    registry._REGISTRY = saved
    registry._loaded = loaded


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    shutil.copytree(FIXTURES / "datasets", pytester.path / "datasets")
    pytester.makeconftest((FIXTURES / "fake_audits.py").read_text(encoding="utf-8") + "\ninstall()\n")
    pytester.makepyprojecttoml(PYPROJECT)
    return pytester


def outcomes_by_id(result: pytest.RunResult) -> dict[str, str]:
    """{nodeid: PASSED/FAILED/SKIPPED/ERROR} from `-rA` short summary lines."""
    out = {}
    for line in result.outlines:
        for word in ("PASSED", "FAILED", "SKIPPED", "ERROR"):
            if line.startswith(word + " "):
                rest = line[len(word) + 1:]
                if word == "SKIPPED":  # "SKIPPED [1] path: reason" carries no node id
                    continue
                out[rest.split(" - ")[0].strip()] = word
    return out


def junit_outcomes(path: Path) -> dict[str, str]:
    out = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        out[f"{case.get('classname')}::{case.get('name')}"] = kinds[0] if kinds else "passed"
    return out


def test_collection_names_and_order(project):
    result = project.runpytest("--collect-only", "-q", "datasets")
    ids = [line for line in result.outlines if "::" in line]
    assert ids == [f"{folder}/positive.txt::{name}" for folder in FOLDERS for name in AUDIT_NAMES]


def test_keyword_selects_by_code(project):
    result = project.runpytest("datasets", "-k", "TL004", "-rA")
    assert result.ret == 0
    result.assert_outcomes(passed=3, skipped=1, deselected=16)
    outcomes = outcomes_by_id(result)
    assert set(outcomes) == {f"{f}/positive.txt::pair_count" for f in FOLDERS[1:]}


def test_outcomes_warnings_and_failure_report(project):
    result = project.runpytest("datasets", "-rA")
    assert result.ret == 1
    outcomes = outcomes_by_id(result)
    assert outcomes["datasets/traits/good/alpha/positive.txt::error_third_line"] == "FAILED"
    assert outcomes["datasets/traits/bad/broken/positive.txt::load_errors"] == "FAILED"
    assert outcomes["datasets/traits/good/beta/positive.txt::pair_count"] == "PASSED"  # a warning passes
    assert outcomes["datasets/traits/good/beta/positive.txt::warn_first_line"] == "PASSED"
    assert [k for k, v in outcomes.items() if v == "FAILED"] == [
        "datasets/traits/bad/broken/positive.txt::load_errors", "datasets/traits/good/alpha/positive.txt::error_third_line"]
    text = result.stdout.str()
    # the failure: finding, metric vs threshold, evidence as file:line  text, hint
    result.stdout.fnmatch_lines([
        "*TX904 error_third_line failed: the third pair is suspicious*",
        "datasets/traits/good/alpha/negative.txt:3: TX904 [[]error[]] the third pair is suspicious",
        "  datasets/traits/good/alpha/negative.txt:3  When the oven stopped working, she looked at it and angrily",
        "  datasets/traits/good/alpha/positive.txt:3  When the oven stopped working, she looked at it and quietly",
        "  metric: share=0.5, pairs=5 vs threshold 0.2",
        "  hint: Rewrite the third pair.",
    ])
    # warnings are listed in their own summary section, sorted by node id
    section = text[text.index("traitlint warnings"):text.index("short test summary")]
    assert section.index("good/beta/positive.txt::pair_count") < section.index("good/beta/positive.txt::warn_first_line")
    assert "3 pairs, below the recommended 4" in section
    assert "datasets/traits/good/beta/positive.txt:1  The bus might maybe be late" in section
    assert "ignores TX901 without a reason" in section  # gamma's empty ignore reason is a warning
    assert "INTERNALERROR" not in text


def test_strict_makes_warnings_fail(project):
    result = project.runpytest("datasets", "-k", "beta", "--traitlint-strict", "-rA")
    outcomes = outcomes_by_id(result)
    assert outcomes["datasets/traits/good/beta/positive.txt::pair_count"] == "FAILED"
    assert outcomes["datasets/traits/good/beta/positive.txt::warn_first_line"] == "FAILED"
    assert outcomes["datasets/traits/good/beta/positive.txt::error_third_line"] == "PASSED"
    assert result.ret == 1


def test_strict_from_pyproject(project):
    project.makepyprojecttoml(PYPROJECT.replace('ignore = ["TX902"]', 'ignore = ["TX902"]\nstrict = true'))
    result = project.runpytest("datasets", "-k", "beta and pair_count")
    result.assert_outcomes(failed=1, deselected=19)


def test_select_and_ignore_options(project):
    result = project.runpytest("datasets", "--collect-only", "-q", "--traitlint-select", "TX9,TL004",
                               "--traitlint-ignore", "TX903", "--traitlint-ignore", "corpus_size")
    ids = [line for line in result.outlines if "::" in line]
    assert ids == [f"{f}/positive.txt::{n}" for f in FOLDERS for n in ("pair_count", "warn_first_line", "error_third_line")]


def test_unknown_selector_is_a_usage_error(project):
    result = project.runpytest("datasets", "--traitlint-select", "TL9")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "unknown audit selector 'TL9'" in result.stderr.str()
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def test_bad_selector_in_pyproject_is_a_clean_collection_error(project):
    project.makepyprojecttoml('[tool.traitlint]\nselect = ["TL9"]\n')
    result = project.runpytest("datasets")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*unknown audit selector 'TL9'*"])
    assert "INTERNALERROR" not in result.stdout.str()
    assert "Traceback" not in result.stdout.str()


def test_skip_reasons_are_shown(project):
    result = project.runpytest("datasets", "-rs")
    text = result.stdout.str()
    assert "SKIPPED [3] datasets/traits/bad/broken: cannot pair prefills" in text
    assert "SKIPPED [1] datasets/traits/good/gamma: ignored in trait.toml: fixture: the third line is fine" in text
    section = text[text.index("traitlint ignores"):]
    assert "datasets/traits/good/gamma/positive.txt::error_third_line: ignored in trait.toml: fixture: the third line is fine" in section


def test_junitxml_rows_carry_file_and_line(project):
    result = project.runpytest("datasets", "-k", "alpha", "--junitxml=out.xml", "-o", "junit_family=xunit1")
    assert result.ret == 1
    cases = {c.get("name"): c for c in ET.parse(project.path / "out.xml").getroot().iter("testcase")}
    failing = cases["error_third_line"]
    assert failing.get("file") == "datasets/traits/good/alpha/negative.txt"
    assert failing.get("line") == "2"  # pytest locations are 0-based, as for Python tests
    assert cases["pair_count"].get("file") == "datasets/traits/good/alpha/positive.txt"  # the anchor file
    # the default xunit2 family drops file/line attributes: evidence goes into properties
    project.runpytest("datasets", "-k", "alpha", "--junitxml=out2.xml")
    props = [(p.get("name"), p.get("value")) for p in ET.parse(project.path / "out2.xml").getroot().iter("property")]
    assert ("traitlint_evidence", "datasets/traits/good/alpha/negative.txt:3") in props


def test_works_without_cacheprovider(project):
    result = project.runpytest("datasets", "-p", "no:cacheprovider", "-k", "alpha or beta")
    result.assert_outcomes(passed=9, failed=1, deselected=10)
    assert not (project.path / ".pytest_cache").exists()


def test_crashing_audit_fails_its_item(project):
    project.makepyprojecttoml(PYPROJECT.replace('ignore = ["TX902"]', ""))
    result = project.runpytest("datasets", "--traitlint-select", "TX902", "-rA")
    assert result.ret == 1
    result.assert_outcomes(failed=4)
    text = result.stdout.str()
    assert "internal error in audit TX902: RuntimeError: boom from the crash audit" in text
    assert "INTERNALERROR" not in text


def test_malformed_folder_fails_cleanly_naming_its_files(project):
    result = project.runpytest("datasets/traits/bad", "-rA")
    text = result.stdout.str()
    assert outcomes_by_id(result)["datasets/traits/bad/broken/positive.txt::load_errors"] == "FAILED"
    assert "datasets/traits/bad/broken/positive.txt:1: TL001 [warning] positive.txt starts with a UTF-8 byte-order mark" in text
    assert "datasets/traits/bad/broken/steering.json:4: TL001 [error] invalid JSON" in text
    assert "positive.txt has 3 lines but negative.txt has 2" in text
    assert "Traceback" not in text and "INTERNALERROR" not in text


def test_corpus_holds_every_collected_folder_before_the_first_item(project):
    # -k deselects after collection: the corpus still holds all four folders
    result = project.runpytest("datasets", "-k", "alpha and corpus_size")
    result.assert_outcomes(passed=1, deselected=19)
    # collecting one folder makes a corpus of one, which the audit rejects (so the check above can fail)
    result = project.runpytest("datasets/traits/good/alpha", "-k", "corpus_size")
    result.assert_outcomes(failed=1, deselected=4)


def test_ordinary_suites_are_untouched(pytester: pytest.Pytester):
    pytester.makepyfile(test_plain="def test_one():\n    assert 1 + 1 == 2\n")
    (pytester.path / "data").mkdir()
    (pytester.path / "data" / "notes.txt").write_text("not a trait folder\n")
    result = pytester.runpytest("-rA")
    result.assert_outcomes(passed=1)
    assert "::" not in result.stdout.str().replace("test_plain.py::test_one", "")
    assert "traitlint warnings" not in result.stdout.str()


def test_trait_dataset_fixture_is_parametrized_over_trait_folders(project):
    project.makepyfile(test_mine="""
        def test_pairs_are_short(trait_dataset):
            assert all(len(p.text) < 200 for p in trait_dataset.positive)

        def test_has_definition(trait_dataset):
            assert trait_dataset.definition is not None
    """)
    result = project.runpytest("test_mine.py", "-v")
    result.assert_outcomes(passed=8)
    result.stdout.fnmatch_lines(["*test_pairs_are_short[[]datasets/traits/bad/broken[]] PASSED*",
                                 "*test_pairs_are_short[[]datasets/traits/good/gamma[]] PASSED*"])
    # traitlint_paths points the fixture elsewhere
    project.makeini("[pytest]\ntraitlint_paths = datasets/traits/good\n")
    result = project.runpytest("test_mine.py", "-v")
    result.assert_outcomes(passed=6)


def test_xdist_gives_the_same_outcomes_as_a_serial_run(project):
    pytest.importorskip("xdist")
    serial = project.runpytest_subprocess("datasets", "-p", "no:cacheprovider", "--junitxml=serial.xml")
    parallel = project.runpytest_subprocess("datasets", "-p", "no:cacheprovider", "-n", "2",
                                            "--junitxml=parallel.xml")
    assert serial.ret == parallel.ret == 1
    a, b = junit_outcomes(project.path / "serial.xml"), junit_outcomes(project.path / "parallel.xml")
    assert len(a) == 20 and a == b
    assert "traitlint warnings" in parallel.stdout.str()  # the controller gets the warnings too
    assert "good/beta/positive.txt::warn_first_line" in parallel.stdout.str()


def test_plugin_and_cli_imports_are_cheap():
    code = ("import sys, traitlint.pytest_plugin, traitlint.cli; "
            "heavy = [m for m in ('spacy', 'sklearn', 'scipy', 'numpy', 'traitlint.audits.structural') if m in sys.modules]; "
            "print(heavy); sys.exit(1 if heavy else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
