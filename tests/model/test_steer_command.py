"""`traitlint steer` end to end on the tiny random Llama with the loopback OpenAI-compatible judge:
search, files, resume after an interruption, rescoring without the model, refusals."""
from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("safetensors")
pytest.importorskip("matplotlib")

from traitlint.cli import build_parser, main  # noqa: E402
from traitlint.dataset import load as load_dataset  # noqa: E402
from traitlint.extract_command import CommandError  # noqa: E402
from traitlint.model import steering as steering_module  # noqa: E402
from traitlint.model import vectors as vector_files  # noqa: E402
from traitlint.steer_command import parse_ratios, run_steer  # noqa: E402

from .tiny import tiny_loaded  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "model" / "optimism_small"  # 16 pairs: fails TL004 pair_count
JUDGE = "openai:test-judge"


@pytest.fixture()
def work(tmp_path, monkeypatch):
    """A copy of the fixture trait, a vector file for the tiny model, and a private cache."""
    trait = tmp_path / "traits" / "model" / "optimism_small"
    shutil.copytree(FIXTURE, trait, ignore=shutil.ignore_patterns(".traitlint"))
    monkeypatch.setenv("TRAITLINT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    loaded = tiny_loaded()
    vector = write_vector(tmp_path / "vectors" / "tiny-llama" / "model" / "optimism_small" / "mean_diff.safetensors",
                          loaded.n_layers, loaded.hidden_size, trait)
    return tmp_path, trait, loaded, vector


def write_vector(path: Path, n_layers: int, hidden: int, trait: Path, method: str = "mean_diff") -> Path:
    rng = np.random.default_rng(0)
    rows = rng.standard_normal((n_layers, hidden)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    ds = load_dataset(trait)
    vector_files.save(path, rows, {
        "trait": "model/optimism_small", "method": method, "layers": list(range(n_layers)),
        "model": {"id": "tiny-llama", "n_layers": n_layers, "hidden_size": hidden},
        "dataset": {"folder": str(trait), "content_hash": ds.content_hash()},
        "evaluation": {"best_layer": 1}, "suggested": {"method": "mean_diff", "layer": 1}})
    return path


def steer(argv: list[str], loaded, cwd: Path) -> tuple[int, str]:
    args = build_parser().parse_args(["steer", *argv])
    out = io.StringIO()
    code = run_steer(args, out, loaded=loaded, cwd=cwd)
    return code, out.getvalue()


def results(run_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]


COMMON = ["--judge", JUDGE, "--questions", "3", "--max-new-tokens", "6", "--force", "--no-progress"]


def test_search_writes_results_responses_and_plot_then_a_rerun_repeats_nothing(work, server, monkeypatch):
    tmp, trait, loaded, vector = work
    code, text = steer([str(vector), "--trait", str(trait), "--steps", "2", "--threshold", "0", *COMMON],
                       loaded, tmp)
    assert code == 0
    run_dir = tmp / "steering" / "tiny-llama" / "model" / "optimism_small" / "mean_diff"
    lines = results(run_dir)
    assert [x["type"] for x in lines] == ["header", "baseline", "run", "run", "best"]
    header = lines[0]
    assert header["vector"]["sha256"] and header["vector"]["path"] == str(vector)
    assert header["model"]["hidden_size"] == loaded.hidden_size and header["judge"] == JUDGE
    assert header["gate"]["forced"] is True and header["gate"]["failed_audits"] == ["TL004 pair_count (failed)", "TL307 signal_valence (failed)"]
    assert header["settings"]["mode"] == "auto" and header["settings"]["layers"] == [1]
    norm = header["norms"]["1"]
    runs = lines[2:4]
    assert [r["ratio"] for r in runs] == [0.7, 0.91]  # threshold 0: every run is coherent, the ratio grows
    assert runs[0]["coefficient"] == pytest.approx(0.7 * norm, rel=1e-3)
    for r in runs:
        assert r["n"] == 3 and r["delta"] == pytest.approx(r["trait_mean"] - lines[1]["trait_mean"], abs=0.02)
        assert {"trait_std", "coherence_mean", "repeated_3gram_rate", "compression_ratio"} <= set(r)
    assert lines[-1]["run"]["ratio"] in (0.7, 0.91)
    responses = [json.loads(x) for x in (run_dir / "responses.jsonl").read_text().splitlines()]
    assert len(responses) == 9 and {r["layer"] for r in responses} == {None, 1}
    assert (run_dir / "steering.png").read_bytes()[:4] == b"\x89PNG"
    assert "best: layer 1" in text and f"plot: {run_dir.relative_to(tmp) / 'steering.png'}" in text
    assert "LAYER" in text and "judge openai:test-judge" in text
    requests = server.requests_total
    # three settings x three answers x (trait, coherence); identical prompts (the tiny model can give
    # the same answer twice) are asked once
    assert 0 < requests <= 3 * 3 * 2

    def no_generation(*args, **kwargs):
        raise AssertionError("a finished run was generated again")

    monkeypatch.setattr(steering_module, "steered_answers", no_generation)
    code, text = steer([str(vector), "--trait", str(trait), "--steps", "2", "--threshold", "0", *COMMON],
                       loaded, tmp)
    assert code == 0 and server.requests_total == requests and "resumed 2 finished run(s)" in text
    assert results(run_dir)[2:4] == runs


def test_an_interrupted_search_resumes_without_repeating_generations_or_judge_calls(work, server, monkeypatch):
    tmp, trait, loaded, vector = work
    real = steering_module.steered_answers
    calls = []

    def flaky(loaded_, questions, vector_, layer, coefficient, **kwargs):
        calls.append((layer, round(coefficient, 3)))
        if len(calls) == 3:  # baseline, first run, then the second run is interrupted
            raise KeyboardInterrupt
        return real(loaded_, questions, vector_, layer, coefficient, **kwargs)

    monkeypatch.setattr(steering_module, "steered_answers", flaky)
    argv = [str(vector), "--trait", str(trait), "--coefficients", "0.3,0.6", *COMMON]
    with pytest.raises(KeyboardInterrupt):
        steer(argv, loaded, tmp)
    run_dir = tmp / "steering" / "tiny-llama" / "model" / "optimism_small" / "mean_diff"
    saved = results(run_dir)
    assert [x["type"] for x in saved] == ["header", "baseline", "run", "best"] and saved[2]["ratio"] == 0.3
    assert not [p for p in run_dir.iterdir() if p.name.startswith(".")]  # no half-written temp files
    requests = server.requests_total
    assert 0 < requests <= 2 * 3 * 2

    calls.clear()
    monkeypatch.setattr(steering_module, "steered_answers", real)
    monkeypatch.setattr(steering_module, "steered_answers", lambda *a, **k: (calls.append(a[3]), real(*a, **k))[1])
    code, text = steer(argv, loaded, tmp)
    assert code == 0 and calls == [1]  # only the unfinished run is generated
    assert requests < server.requests_total <= requests + 3 * 2
    assert [x["ratio"] for x in results(run_dir)[2:4]] == [0.3, 0.6]


def test_rescore_rejudges_saved_answers_without_the_model(work, server, monkeypatch):
    tmp, trait, loaded, vector = work
    code, _ = steer([str(vector), "--trait", str(trait), "--coefficients", "0.5", *COMMON], loaded, tmp)
    run_dir = tmp / "steering" / "tiny-llama" / "model" / "optimism_small" / "mean_diff"
    before = results(run_dir)
    answers_before = [json.loads(x)["answer"] for x in (run_dir / "responses.jsonl").read_text().splitlines()]
    requests = server.requests_total

    steering_json = trait / "steering.json"
    data = json.loads(steering_json.read_text())
    data["eval_prompt"] = "Rate the optimism of this answer. SCORE=90\n{question}\n{answer}\nJust the number."
    steering_json.write_text(json.dumps(data, indent=2))

    import traitlint.model.loading as loading

    def no_model(*args, **kwargs):
        raise AssertionError("rescoring loaded a model")

    monkeypatch.setattr(loading, "load_model", no_model)
    monkeypatch.setattr(steering_module, "steered_answers", no_model)
    assert main(["steer", "--rescore", str(run_dir), "--trait", str(trait), "--judge", JUDGE, "--no-progress"]) == 0
    after = results(run_dir)
    assert after[1]["trait_mean"] == pytest.approx(90, abs=1) and after[2]["trait_mean"] == pytest.approx(90, abs=1)
    assert after[2]["coherence_mean"] == before[2]["coherence_mean"]  # the coherence prompt did not change: cached
    assert requests < server.requests_total <= requests + 2 * 3  # trait prompts only
    assert after[0]["rescored"]["previous"]["judge"] == JUDGE and after[0]["identity"] != before[0]["identity"]
    assert [json.loads(x)["answer"] for x in (run_dir / "responses.jsonl").read_text().splitlines()] == answers_before


def test_refusals_are_clear_usage_errors(work, server, capsys):
    tmp, trait, loaded, vector = work
    with pytest.raises(CommandError, match=r"refused: failed static audits: TL004 pair_count.*--force"):
        steer([str(vector), "--trait", str(trait), "--judge", JUDGE], loaded, tmp)
    wide = write_vector(tmp / "other" / "wide.safetensors", 30, 576, trait)
    with pytest.raises(CommandError, match=r"hidden size 576 vs the model's 32; 30 layers vs the model's 3"):
        steer([str(wide), "--trait", str(trait), *COMMON], loaded, tmp)
    with pytest.raises(CommandError, match=r"no direction at layer\(s\) \[7\]"):
        steer([str(vector), "--trait", str(trait), "--layers", "7", *COMMON], loaded, tmp)
    with pytest.raises(CommandError, match="not a number"):
        steer([str(vector), "--trait", str(trait), "--coefficients", "0.5,big", *COMMON], loaded, tmp)
    with pytest.raises(CommandError, match="not a steer run folder"):
        steer(["--rescore", str(tmp), "--trait", str(trait), "--judge", JUDGE], loaded, tmp)
    assert main(["steer", str(tmp / "missing.safetensors"), "--trait", str(trait)]) == 2
    assert "no such file" in capsys.readouterr().err
    assert not (tmp / "steering").exists()


def test_a_vector_folder_resolves_to_the_trait_and_method(work, server):
    tmp, trait, loaded, vector = work
    write_vector(vector.with_name("probe.safetensors"), loaded.n_layers, loaded.hidden_size, trait, method="probe")
    root = tmp / "vectors"
    code, _ = steer([str(root), "--trait", str(trait), "--coefficients", "0.2", *COMMON], loaded, tmp)
    header = results(tmp / "steering" / "tiny-llama" / "model" / "optimism_small" / "mean_diff")[0]
    assert code == 0 and header["vector"]["method"] == "mean_diff"  # extract's suggestion
    code, _ = steer([str(root), "--trait", str(trait), "--method", "probe", "--coefficients", "0.2", *COMMON],
                    loaded, tmp)
    probe_header = results(tmp / "steering" / "tiny-llama" / "model" / "optimism_small" / "probe")[0]
    assert code == 0 and probe_header["vector"]["method"] == "probe"
    with pytest.raises(CommandError, match="no vector file for trait 'model/elsewhere'"):
        steer([str(root), "--trait", str(tmp / "traits" / "model" / "elsewhere"), *COMMON], loaded, tmp)


def test_parse_ratios():
    assert parse_ratios("auto") is None
    assert parse_ratios("0.2, -0.5,1") == (0.2, -0.5, 1.0)
    for bad in ("0", "0,0", "nan", "x", ","):
        with pytest.raises(CommandError):
            parse_ratios(bad)
