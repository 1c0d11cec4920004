"""The model-backed audits through the front ends: the pytest marker and options, the CLI, config."""
from __future__ import annotations

import json

import pytest

pytest.importorskip("openai")

from traitlint.cli import main  # noqa: E402
from traitlint.config import ConfigError, from_table  # noqa: E402

from .test_model_audits import make_folder  # noqa: E402


def test_model_items_are_collected_marked_and_skip_with_the_reason(pytester):
    make_folder(pytester.path / "datasets", [80] * 3, [20] * 3)
    listed = pytester.runpytest("-p", "no:randomly", "datasets", "-m", "traitlint_model", "--collect-only", "-q")
    names = [line for line in listed.outlines if "::" in line]
    assert sorted(n.rsplit("::", 1)[1] for n in names) == sorted(
        ["scenario_vetting", "response_vetting", "steering_baseline", "probe_separability", "fluency_asymmetry"])
    result = pytester.runpytest("-p", "no:randomly", "datasets", "--traitlint-select", "TL401,TL004", "-rs")
    result.assert_outcomes(passed=0, skipped=1, failed=1)  # TL004: 3 pairs fail the size audit
    result.stdout.fnmatch_lines(["SKIPPED *optimism: model-backed audit; model checks are off: run `pytest --traitlint-model`*"])


def test_traitlint_model_runs_them_with_the_configured_judge_and_prints_usage(pytester, server):
    make_folder(pytester.path / "datasets", [80] * 4, [20] * 4)
    result = pytester.runpytest("-p", "no:randomly", "datasets", "--traitlint-model", "--traitlint-select",
                                "TL401,TL403", "--traitlint-judge", "openai:judge-x",
                                "--traitlint-generator", "openai:gen-x")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*traitlint model calls*", "judge openai:judge-x: 11 calls, 0 cached, 0 failed*",
                                 "generation openai:gen-x: 3 calls*"])
    assert server.requests_total == 8 + 3 + 3
    again = pytester.runpytest("-p", "no:randomly", "datasets", "--traitlint-model", "--traitlint-select",
                               "TL401,TL403", "--traitlint-judge", "openai:judge-x", "--traitlint-generator", "openai:gen-x")
    again.assert_outcomes(passed=2)
    assert server.requests_total == 14, "the second run reads its results files: no request"


def test_cli_model_flags_use_the_same_runner_and_json_schema(tmp_path, server, capsys, monkeypatch):
    folder = make_folder(tmp_path, [80] * 4, [20] * 4)
    monkeypatch.chdir(tmp_path)
    code = main(["check", str(folder), "--model", "--judge", "openai:judge-x", "--generator", "openai:gen-x",
                 "--select", "TL401,TL403", "--format", "json", "--no-cache"])
    out = capsys.readouterr()
    assert code == 0, out.out
    report = json.loads(out.out)
    (trait,) = report["traits"]
    assert [a["code"] for a in trait["audits"]] == ["TL401", "TL403"]
    assert all(set(a) >= {"code", "name", "status", "findings", "metrics"} for a in trait["audits"])
    assert trait["audits"][0]["metrics"]["table"]["separation"] > 50
    assert "judge openai:judge-x" in out.err and "sk-test" not in out.err + out.out
    without = main(["check", str(folder), "--format", "json", "--no-cache", "--select", "TL4"])
    assert without == 2, "selecting only model audits without --model is a usage error, not a clean run"


@pytest.mark.parametrize("table, message", [
    ({"model": {"base-modle": "x"}}, "unknown key 'base-modle'"),
    ({"model": {"judge": "anthropic:claude"}}, "judge 'anthropic:claude'"),
    ({"model": {"batch_size": 0}}, "must be a positive integer"),
    ({"model": {"dtype": "fp8"}}, "dtype 'fp8'"),
    ({"model": "embedded"}, "must be a table"),
])
def test_model_configuration_mistakes_are_errors(table, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        from_table(table)


def test_model_configuration_is_read(tmp_path):
    cfg = from_table({"model": {"base_model": "google/gemma-2-2b", "judge": "openai:gpt-4.1-mini",
                                "batch-size": 4, "results_dir": "out"}}, tmp_path / "pyproject.toml")
    assert cfg.model.base_model == "google/gemma-2-2b" and cfg.model.judge == "openai:gpt-4.1-mini"
    assert cfg.model.batch_size == 4 and cfg.model.results_dir == (tmp_path / "out").resolve()
    assert cfg.model.enabled is False, "configuring a model never switches model checks on"
