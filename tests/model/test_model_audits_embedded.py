"""TL402, TL404 and TL405 with the real embedded model (SmolLM2-135M-Instruct) and the local judge.

One model load for the session (the `embedded_model` fixture; `ModelServices` reuses the same
process-wide load). Results and calls go to tmp folders: the shipped datasets are never written.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from traitlint.config import Config, ModelConfig
from traitlint.nlp.features import FeatureStore
from traitlint.runner import Session

ROOT = Path(__file__).resolve().parents[2]
SMALL = ROOT / "tests" / "fixtures" / "model" / "optimism_small"
OPTIMISM = ROOT / "datasets" / "traits" / "mental_state" / "optimism"


@pytest.fixture(scope="module")
def run_embedded(embedded_model, tmp_path_factory):
    from traitlint.model.services import ModelServices

    calls = tmp_path_factory.mktemp("calls")

    def run(folder: Path, code: str, results: Path):
        cfg = Config(select=[code])
        cfg.model = ModelConfig(enabled=True, progress=False, results_dir=results)
        (trait,) = Session(cfg, FeatureStore(None), model=ModelServices(cfg.model, calls, progress=False)).run([folder])
        (result,) = trait.results
        return result

    return run


def _copy(src: Path, dst: Path, pairs: int | None = None) -> Path:
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".traitlint"))
    if pairs is not None:
        for side in ("positive.txt", "negative.txt"):
            lines = (dst / side).read_text(encoding="utf-8").splitlines()[:pairs]
            (dst / side).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dst


def test_response_vetting_completes_and_scores_every_prefill(run_embedded, tmp_path):
    folder = _copy(SMALL, tmp_path / "traits" / "x" / "optimism", pairs=6)
    result = run_embedded(folder, "TL402", tmp_path / "results")
    assert result.status in ("passed", "warned", "failed"), result.reason
    missing = result.metrics["unscored"]
    assert missing["errors"] == 0 and missing["low_mass"] == 0, missing  # the digit-tree judge always answers
    import json

    stored = json.loads(Path(result.metrics["results_file"]).read_text())
    assert all(t and t.strip() for side in ("positive", "negative") for t in stored["completions"][side])
    assert all(0 <= s <= 100 for side in ("positive", "negative") for s in stored["scores"][side])
    assert set(stored["kept_lines"]) <= set(range(1, 7))


def test_probe_separates_a_shipped_dataset(run_embedded, tmp_path):
    """SmolLM2-135M separates the optimism pairs at about 0.8 held-out (mean pooling, its card's
    position): far above chance, and better in the middle layers than at the first."""
    result = run_embedded(OPTIMISM, "TL404", tmp_path / "results")
    m = result.metrics
    assert m["pooling"] == "mean" and m["layers"] == 30 and m["pairs"] == len((OPTIMISM / "positive.txt").read_text(encoding="utf-8").splitlines())
    assert m["best_accuracy"] >= 0.75, m
    assert m["accuracy_by_layer"][m["best_layer"]] == m["best_accuracy"]
    assert 5 <= m["best_layer"] <= 25 and m["best_accuracy"] > m["accuracy_by_layer"][0]
    assert result.status == ("passed" if m["best_accuracy"] >= 0.8 else "failed")


def test_fluency_flags_a_pair_whose_negative_was_made_ungrammatical(run_embedded, tmp_path):
    clean = run_embedded(_copy(SMALL, tmp_path / "clean" / "traits" / "x" / "optimism"), "TL405", tmp_path / "r1")
    assert clean.status == "passed" and clean.metrics["flagged"] == [], clean.metrics
    broken = _copy(SMALL, tmp_path / "broken" / "traits" / "x" / "optimism")
    lines = (broken / "negative.txt").read_text(encoding="utf-8").splitlines()
    lines[4] = "After flood the, council town the doubtful was streets the recover would because"
    (broken / "negative.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_embedded(broken, "TL405", tmp_path / "r2")
    assert result.status == "warned"
    assert [r["pair"] for r in result.metrics["flagged"]] == [5]
    assert result.metrics["flagged"][0]["less_likely"] == "negative"
    (finding,) = result.findings
    assert (finding.evidence[0].file, finding.evidence[0].line) == ("negative.txt", 5)
