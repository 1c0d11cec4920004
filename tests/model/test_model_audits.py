"""The model-backed audits TL401-TL403 end to end through the runner, with the real `openai` client
against the loopback OpenAI-compatible server (judge and generator), so no model is loaded.

The server scores a prompt containing ``SCORE=NN`` at about NN (weighted mean over NN-1, NN, NN+1),
so a prefill or question that carries the marker fixes what the judge will say about it.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("openai")

from traitlint.config import Config, ModelConfig  # noqa: E402
from traitlint.model.services import ModelServices  # noqa: E402
from traitlint.nlp.features import FeatureStore  # noqa: E402
from traitlint.registry import get  # noqa: E402
from traitlint.runner import MODEL_OFF, Session  # noqa: E402

from .openai_server import Fault  # noqa: E402

DEFINITION = """Score optimism (0-100).

HIGH (70-100): expects things to improve.
MID (40-70): neutral.
LOW (0-40): expects things to get worse.

Key: the outlook, not the situation.
"""


def make_folder(root: Path, pos: list[int], neg: list[int], questions: list[int] = (5, 8, 12)) -> Path:
    folder = root / "traits" / "mental_state" / "optimism"
    folder.mkdir(parents=True)
    (folder / "positive.txt").write_text("".join(f"Case {i}: SCORE={s} she felt hopeful because\n"
                                                 for i, s in enumerate(pos)), encoding="utf-8")
    (folder / "negative.txt").write_text("".join(f"Case {i}: SCORE={s} she felt worried because\n"
                                                 for i, s in enumerate(neg)), encoding="utf-8")
    (folder / "definition.txt").write_text(DEFINITION, encoding="utf-8")
    steering = {"questions": [f"Question {i}: SCORE={s} what causes rain?" for i, s in enumerate(questions)],
                "eval_prompt": "Rate optimism.\n{question}\n{answer}\nRespond with a number between 0 and 100."}
    (folder / "steering.json").write_text(json.dumps(steering, indent=2), encoding="utf-8")
    return folder


def run(folder: Path, codes: str, calls: Path, **model: str) -> dict[str, object]:
    cfg = Config(select=codes.split(","))
    cfg.model = ModelConfig(enabled=True, judge="openai:judge-x", generator="openai:gen-x", progress=False, **model)
    session = Session(cfg, FeatureStore(None), model=ModelServices(cfg.model, calls, progress=False))
    (trait,) = session.run([folder])
    return {r.code: r for r in trait.results}


def test_scenario_vetting_passes_separated_sets_and_stores_readable_results(server, tmp_path):
    folder = make_folder(tmp_path, [80] * 6, [20] * 6)
    result = run(folder, "TL401", tmp_path / "calls")["TL401"]
    assert result.status == "passed", result.findings
    table = result.metrics["table"]
    assert table["positive"]["pass_rate"] == 1.0 and table["negative"]["pass_rate"] == 1.0
    assert 55 < table["separation"] < 65
    path = Path(result.metrics["results_file"])
    assert path.parent.parent == folder / ".traitlint" and (folder / ".traitlint" / "CACHEDIR.TAG").is_file()
    stored = json.loads(path.read_text())
    assert len(stored["scores"]["positive"]) == 6 and stored["identity"]["dataset"]


def test_scenario_vetting_fails_on_low_separation_and_points_at_the_worst_lines(server, tmp_path):
    folder = make_folder(tmp_path, [55, 50, 62, 52, 58, 64], [45, 42, 20, 48, 30, 44])
    result = run(folder, "TL401", tmp_path / "calls")["TL401"]
    assert result.status == "failed"
    sep = [f for f in result.findings if "separate by only" in f.message]
    assert sep and sep[0].severity.value == "error"
    shown = {(e.file, e.line): e.text for e in sep[0].evidence}  # the five worst, listed by line
    assert shown[("positive.txt", 2)].startswith("[positive 50")  # SCORE=50: the furthest below 60
    assert ("positive.txt", 6) not in shown and ("negative.txt", 3) not in shown  # 64 and 20 pass their bars
    assert any(f.severity.value == "warning" and "pass their side's bar" in f.message for f in result.findings)


def test_response_vetting_keeps_only_pairs_whose_both_sides_pass(server, tmp_path):
    folder = make_folder(tmp_path, [80, 80, 30, 80, 80, 80], [20, 20, 20, 75, 20, 20])
    result = run(folder, "TL402", tmp_path / "calls")["TL402"]
    assert result.metrics["kept_pairs"] == 4
    stored = json.loads(Path(result.metrics["results_file"]).read_text())
    assert stored["kept_lines"] == [1, 2, 5, 6]
    assert all(t.startswith(" continuation-") for t in stored["completions"]["positive"])
    assert stored["identity"]["models"]["base_model"] == "embedded"


def test_a_rerun_makes_no_requests_and_a_lost_results_file_costs_no_paid_call(server, tmp_path):
    folder = make_folder(tmp_path, [80] * 4, [20] * 4)
    first = run(folder, "TL401,TL402,TL403", tmp_path / "calls")
    sent = server.requests_total
    assert sent == 8 + 8 + 8 + 3 + 3  # judge(TL401) + completions + judge(TL402) + answers + judge(TL403)
    again = run(folder, "TL401,TL402,TL403", tmp_path / "calls")
    assert server.requests_total == sent
    assert all(r.metrics["from_results_file"] for r in again.values())
    for r in first.values():
        Path(r.metrics["results_file"]).unlink()
    third = run(folder, "TL401,TL402,TL403", tmp_path / "calls")
    assert server.requests_total == sent, "scores and generations come back from the call cache"
    assert {c: r.metrics["table"] if "table" in r.metrics else r.metrics["mean"] for c, r in third.items()} == \
        {c: r.metrics["table"] if "table" in r.metrics else r.metrics["mean"] for c, r in first.items()}


def test_a_judge_that_keeps_failing_is_an_error_never_a_pass(server, tmp_path):
    folder = make_folder(tmp_path, [80] * 4, [20] * 4)
    server.add_fault(Fault("status", status=500), times=None)
    cfg_calls = tmp_path / "calls"
    from traitlint.model.remote import RetryPolicy

    services = ModelServices(ModelConfig(enabled=True, judge="openai:judge-x", progress=False), cfg_calls,
                             progress=False)
    from traitlint.model.judges import OpenAIJudge

    services._judge = OpenAIJudge("judge-x", cache_dir=cfg_calls, retry=RetryPolicy(max_attempts=2, base_delay=0.001,
                                                                                    max_delay=0.002))
    cfg = Config(select=["TL401"])
    cfg.model = services.config
    (trait,) = Session(cfg, FeatureStore(None), model=services).run([folder])
    (result,) = trait.results
    assert result.status == "failed"
    assert "gave no score for 8 of 8" in result.findings[0].message and "500" in result.findings[0].message


def test_steering_baseline_fails_when_a_question_leaves_no_room(server, tmp_path):
    low = run(make_folder(tmp_path / "a", [80] * 2, [20] * 2, [5, 8, 12]), "TL403", tmp_path / "calls")["TL403"]
    assert low.status == "passed" and low.metrics["mean"] < 20
    high = run(make_folder(tmp_path / "b", [80] * 2, [20] * 2, [2, 3, 40]), "TL403", tmp_path / "calls")["TL403"]
    assert high.status == "failed"
    (finding,) = high.findings
    assert "question(s) score above 30" in finding.message
    assert finding.evidence[0].file == "steering.json" and "SCORE=40" in finding.evidence[0].text
    assert finding.evidence[0].line == 5  # "{", "\"questions\": [", then the third question


def test_model_audits_skip_with_the_reason_when_model_checks_are_off(tmp_path):
    folder = make_folder(tmp_path, [80] * 3, [20] * 3)
    session = Session(Config(), FeatureStore(None))
    result = session.run_audit(get("TL401"), folder)
    assert result.status == "skipped" and result.reason == MODEL_OFF
    assert "--traitlint-model" in result.reason and "traitlint check --model" in result.reason
    assert all(not a.needs_model for a in Config().enabled_audits())
    assert {a.code for a in Config().enabled_audits(include_model=True) if a.needs_model} == \
        {"TL401", "TL402", "TL403", "TL404", "TL405"}


def test_an_unloadable_model_is_an_error_result_with_the_reason(tmp_path):
    pytest.importorskip("torch")
    folder = make_folder(tmp_path, [80] * 12, [20] * 12)
    result = run(folder, "TL404", tmp_path / "calls", base_model=str(tmp_path / "no-such-model"))["TL404"]
    assert result.status == "error"
    assert "could not run" in result.findings[0].message and "no-such-model" in result.findings[0].message
    assert "traitlint bug" not in result.findings[0].hint


def test_max_pairs_vets_a_seeded_sample_and_says_so(server, tmp_path):
    folder = make_folder(tmp_path, [80] * 10, [20] * 10)
    cfg = Config(select=["TL402"], params={"TL402": {"max_pairs": 4}})
    cfg.model = ModelConfig(enabled=True, judge="openai:judge-x", generator="openai:gen-x", progress=False)

    def once(calls: Path):
        (trait,) = Session(cfg, FeatureStore(None), model=ModelServices(cfg.model, calls, progress=False)).run([folder])
        return trait.results[0]

    result = once(tmp_path / "calls")
    assert result.metrics["vetted_pairs"] == 4 and result.metrics["pairs"] == 10
    assert server.requests_total == 8 + 8  # 4 pairs: completions then judge
    stored = json.loads(Path(result.metrics["results_file"]).read_text())
    assert stored["sampled"] is True and len(stored["vetted_lines"]) == 4
    assert set(stored["kept_lines"]) <= set(stored["vetted_lines"])
    Path(result.metrics["results_file"]).unlink()
    again = once(tmp_path / "calls-2")  # a fresh call cache: only the same sample makes the same requests
    assert json.loads(Path(again.metrics["results_file"]).read_text())["vetted_lines"] == stored["vetted_lines"]


def test_extraction_does_not_filter_on_a_sampled_vetting(server, tmp_path):
    from traitlint.dataset import load
    from traitlint.model.extract import NO_VETTING, find_vetting

    folder = make_folder(tmp_path, [80, 30] * 5, [20] * 10)
    cfg = Config(select=["TL402"], params={"TL402": {"max_pairs": 4}})
    cfg.model = ModelConfig(enabled=True, judge="openai:judge-x", generator="openai:gen-x", progress=False)
    Session(cfg, FeatureStore(None), model=ModelServices(cfg.model, tmp_path / "calls", progress=False)).run([folder])
    assert find_vetting(load(folder), ["embedded"]).message == NO_VETTING
    full = Config(select=["TL402"])
    full.model = cfg.model
    Session(full, FeatureStore(None), model=ModelServices(full.model, tmp_path / "calls", progress=False)).run([folder])
    vetting = find_vetting(load(folder), ["embedded"])
    assert vetting.kept_lines == (1, 3, 5, 7, 9)
