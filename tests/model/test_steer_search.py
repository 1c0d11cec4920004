"""The coefficient search, run summaries, coherence proxies and the run directory, without a model."""
from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from traitlint.model import steer_results
from traitlint.model.steer_search import (
    COHERENCE_PROMPT,
    Evaluator,
    SearchSettings,
    best_run,
    proxy_coherence,
    search,
)
from traitlint.nlp.coherence import compression_ratio, mean_proxies, repeated_ngram_rate

QUESTIONS = ["Why do rivers flood?", "How do bees find flowers?", "What is inflation?"]


@dataclass
class Score:
    score: float | None
    error: str | None = None


class Fake:
    """Generation and judge stand-ins: the answer names its setting; scores follow ``trait`` and
    ``coherence`` functions of the coefficient, so the search's choices are known in advance."""

    def __init__(self, trait=lambda c: 10 + c, coherence=lambda c: 90 - 10 * abs(c), fail_coherence=False):
        self.trait, self.coherence, self.fail_coherence = trait, coherence, fail_coherence
        self.generated: list[tuple] = []
        self.prompts = 0

    def generate(self, questions, layer, coefficient):
        self.generated.append((layer, round(coefficient, 6)))
        return [f"answer to {q} at c={coefficient:.6f}" for q in questions]

    def score(self, prompts):
        self.prompts += len(prompts)
        out = []
        for p in prompts:
            c = float(p.split("at c=")[1].split()[0].rstrip("\n"))
            if p.startswith(COHERENCE_PROMPT[:40]):
                out.append(Score(None, "timeout") if self.fail_coherence else Score(self.coherence(c)))
            else:
                out.append(Score(self.trait(c)))
        return out


def trait_prompt(question: str, answer: str) -> str:
    return f"TRAIT {question} {answer}"


def evaluator(fake: Fake, norms=None, **kwargs) -> Evaluator:
    return Evaluator(QUESTIONS, norms or {3: 1.0, 5: 2.0}, fake.generate, fake.score, trait_prompt, **kwargs)


def test_auto_search_grows_while_coherent_and_shrinks_when_not():
    # coherence = 90 - 10*|coef| with norm 1: >= 77 up to |coef| 1.3
    fake = Fake()
    baseline, runs = search(SearchSettings(layers=(3,), steps=5), evaluator(fake))
    ratios = [r.ratio for r in runs]
    expected, r = [], 0.7
    for _ in range(5):
        expected.append(round(r, 4))
        r = round(r, 4) * (1.3 if 90 - 10 * abs(round(r, 4)) >= 77 else 0.85)
    assert ratios == expected == [0.7, 0.91, 1.183, 1.5379, 1.3072]
    assert baseline.is_baseline and baseline.coefficient == 0.0
    assert fake.generated[0] == (None, 0.0) and len(fake.generated) == 6
    assert fake.prompts == 6 * 2 * len(QUESTIONS)  # trait + coherence per answer


def test_coefficients_are_ratios_of_the_layer_norm_and_negative_direction_steers_away():
    fake = Fake()
    _, runs = search(SearchSettings(layers=(5,), steps=2, direction=-1), evaluator(fake))
    # norm 2 at layer 5: coefficient -1.4, coherence 90 - 14 = 76 < 77, so the ratio shrinks
    assert [r.ratio for r in runs] == [-0.7, -0.595]
    assert [r.coefficient for r in runs] == pytest.approx([-1.4, -1.19])


def test_grid_with_the_opposite_sign_and_no_setting_runs_twice():
    fake = Fake()
    ev = evaluator(fake)
    _, runs = search(SearchSettings(layers=(3, 5), ratios=(0.5, 1.0), opposite=True), ev)
    assert [(r.layer, r.ratio) for r in runs] == [(3, 0.5), (3, 1.0), (3, -0.5), (3, -1.0),
                                                  (5, 0.5), (5, 1.0), (5, -0.5), (5, -1.0)]
    n = len(fake.generated)
    search(SearchSettings(layers=(3,), ratios=(0.5,)), ev)
    assert len(fake.generated) == n  # memoised


def test_summary_delta_and_best_run():
    fake = Fake(trait=lambda c: 10 + 20 * c, coherence=lambda c: 100 - 20 * c)
    ev = evaluator(fake)
    baseline, runs = search(SearchSettings(layers=(3,), ratios=(0.5, 1.0, 1.5)), ev)
    base = baseline.summary(None)
    assert base["trait_mean"] == 10 and base["coherence_mean"] == 100 and base["n"] == 3
    summaries = [r.summary(base["trait_mean"]) for r in runs]
    assert [s["delta"] for s in summaries] == [10, 20, 30]
    assert [s["coherence_mean"] for s in summaries] == [90, 80, 70]
    best = best_run(summaries, 1, 77)
    assert (best["ratio"], best["delta"]) == (1.0, 20)  # 1.5 has the larger delta but is incoherent
    assert best_run(summaries, 1, 95) is None
    assert best_run(summaries, -1, 77)["ratio"] == 0.5  # steering away: the smallest delta wins


def test_an_unscored_coherence_is_never_coherent():
    fake = Fake(fail_coherence=True)
    baseline, runs = search(SearchSettings(layers=(3,), steps=3), evaluator(fake))
    assert [r.ratio for r in runs] == [0.7, 0.595, 0.5057]  # every step shrinks (0.595 * 0.85 = 0.50575 -> 4 digits)
    s = runs[0].summary(baseline.summary(None)["trait_mean"])
    assert s["coherence_mean"] is None and s["unscored"] == 3
    assert best_run([s], 1, 0) is None
    assert all("coherence: timeout" in a.errors for a in runs[0].answers)


def test_proxy_coherence_asks_the_judge_for_the_trait_only():
    fake = Fake()
    baseline, runs = search(SearchSettings(layers=(3,), ratios=(0.5,), coherence="proxy"),
                            evaluator(fake, coherence="proxy"))
    assert fake.prompts == 2 * len(QUESTIONS)
    assert all(a.coherence == proxy_coherence(a.text) for a in runs[0].answers)


def test_failed_generations_are_recorded_and_not_scored():
    fake = Fake()

    def generate(questions, layer, coefficient):
        return [None] + fake.generate(questions[1:], layer, coefficient)

    ev = Evaluator(QUESTIONS, {3: 1.0}, generate, fake.score, trait_prompt)
    run = ev.run(3, 0.5)
    assert run.answers[0].text is None and run.answers[0].errors == ["generation failed"]
    assert fake.prompts == 2 * 2
    assert run.summary(None)["unscored"] == 1


def test_settings_are_validated():
    for bad in ({"layers": ()}, {"layers": (1,), "direction": 2}, {"layers": (1,), "steps": 0},
                {"layers": (1,), "ratios": ()}, {"layers": (1,), "coherence": "vibes"}):
        with pytest.raises(ValueError):
            SearchSettings(**bad)


# proxies ----------------------------------------------------------------------------------------------
def test_proxies_on_prose_and_loops():
    prose = "Rivers flood when heavy rain falls faster than the ground and channels can carry it away."
    loop = "to the non " * 20
    assert repeated_ngram_rate(prose) == 0.0
    assert repeated_ngram_rate(loop) > 0.9
    assert compression_ratio(loop) < 0.3 < compression_ratio(prose)
    assert proxy_coherence(prose) == 100.0 and proxy_coherence(loop) < 10
    assert mean_proxies([]) == {"repeated_3gram_rate": None, "compression_ratio": None}


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_proxy_ranges(text):
    rate = repeated_ngram_rate(text)
    assert 0.0 <= rate < 1.0
    assert compression_ratio(text) > 0
    assert 0.0 < proxy_coherence(text) <= 100.0


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=4, max_size=40), st.integers(2, 6))
def test_repeating_a_text_never_lowers_its_repeat_rate(tokens, times):
    text = " ".join(tokens)
    assert repeated_ngram_rate(" ".join([text] * times)) >= repeated_ngram_rate(text)


# the run directory ---------------------------------------------------------------------------------------
def test_run_dir_round_trip_and_resume_identity(tmp_path):
    fake = Fake()
    ev = evaluator(fake)
    baseline, runs = search(SearchSettings(layers=(3,), ratios=(0.5, 1.0)), ev)
    header = {"trait": "t/x", "identity": {"vector": "abc"}, "settings": {"coherence": "judge"}}
    summary = steer_results.write_run_dir(tmp_path, header, baseline, runs, 1, 77)
    lines = [json.loads(x) for x in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert [x["type"] for x in lines] == ["header", "baseline", "run", "run", "best"]
    assert lines[2]["coefficient"] == 0.5 and lines[2]["n"] == 3 and "delta" in lines[2]
    assert len((tmp_path / "responses.jsonl").read_text().splitlines()) == 9
    base2, runs2 = steer_results.read_runs(tmp_path)
    assert base2.summary(None) == baseline.summary(None)
    assert [r.summary(10.0) for r in runs2] == [r.summary(10.0) for r in runs]
    assert set(steer_results.resumable_runs(tmp_path, {"vector": "abc"})) == {(None, 0.0), (3, 0.5), (3, 1.0)}
    assert steer_results.resumable_runs(tmp_path, {"vector": "other"}) == {}
    assert summary["best"] is not None
    path = steer_results.plot(tmp_path / "p.png", "t/x", summary, 77)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_a_corrupt_responses_file_names_the_line(tmp_path):
    (tmp_path / "results.jsonl").write_text('{"type": "header", "identity": {}}\n')
    (tmp_path / "responses.jsonl").write_text('{"layer": null, "ratio": 0, "question": "q", "answer": "a"}\n{oops\n')
    with pytest.raises(steer_results.RunDirError, match=r"responses.jsonl:2: not JSON"):
        steer_results.read_runs(tmp_path)
    assert steer_results.resumable_runs(tmp_path, {}) == {}
    (tmp_path / "results.jsonl").write_text('{"type": "run"}\n')
    with pytest.raises(steer_results.RunDirError, match=r"results.jsonl:1: no header"):
        steer_results.read_header(tmp_path)
