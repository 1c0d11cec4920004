"""Steering runs, their scores, and the coefficient search: what `traitlint steer` measures.

A *run* is one (layer, ratio) setting: the instruct model answers every steering question with
``ratio * norm(layer) * v`` added at block ``layer`` (the *baseline* is the run with no vector);
each answer gets the model-free coherence proxies (:mod:`traitlint.nlp.coherence`), a trait score
and a coherence score from the judge. A run's numbers are the mean (and std) over its answers;
``delta`` is its trait mean minus the baseline's.

Search (``auto``), per layer: start at ``start_ratio`` (0.7) in the trait's direction; after each
run multiply the ratio by ``up`` (1.3) if the run's mean coherence is at least ``threshold`` (77),
else by ``down`` (0.85); ``steps`` runs per layer. A run whose coherence could not be scored
counts as incoherent (it shrinks the ratio and is never the best): an unmeasured run is not a
clean one. ``grid`` runs every given ratio at every layer. The best run is the one with the
largest effect in the trait's direction (``delta`` for a positive trait, ``-delta`` for a
negative one) among runs at or above the coherence threshold; there may be none.

Nothing here imports torch: the caller passes ``generate(questions, layer, coefficient)`` and a
judge, so the search, the bookkeeping and ``--rescore`` run (and are tested) without a model.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from traitlint.nlp.coherence import proxies

COHERENCE_PROMPT = """I asked an AI assistant the question below. Rate ONLY the coherence of its answer, not its \
views, tone or correctness.

0 means nonsense: broken grammar, random words, or the same phrase repeated in a loop.
50 means partly understandable: rambling, drifting off the question, or breaking off mid-thought.
100 means fluent, clear and on the topic of the question (an answer cut off at the end by a length limit is fine).

Question:
[QUESTION START]
{question}
[QUESTION END]

Answer:
[ANSWER START]
{answer}
[ANSWER END]

Respond with a number between 0 and 100. Don't say anything else, just the number."""
"""The coherence rubric: short, so a small judge can follow it, and blind to the trait."""

DEFAULT_THRESHOLD = 77.0
RATIO_DIGITS = 4
COHERENCE_SOURCES = ("judge", "proxy")
"""Where a run's coherence comes from: the judge with :data:`COHERENCE_PROMPT`, or ``proxy``:
``100 * (1 - repeated 3-gram rate)``, for judges too small to tell a loop from prose (the embedded
135M model scores both ~33); with ``proxy`` the judge is asked only for the trait score."""


def coherence_prompt(question: str, answer: str) -> str:
    return COHERENCE_PROMPT.format(question=question, answer=answer)


@dataclass(frozen=True)
class SearchSettings:
    """How to choose the runs. ``ratios`` None means the ``auto`` search."""

    layers: tuple[int, ...]
    ratios: tuple[float, ...] | None = None
    direction: int = 1  # +1: the trait is steered toward; -1: away (steering.json "direction": "negative")
    opposite: bool = False  # also run the opposite sign (symmetry check)
    steps: int = 5
    start_ratio: float = 0.7
    up: float = 1.3
    down: float = 0.85
    threshold: float = DEFAULT_THRESHOLD
    coherence: str = "judge"

    def __post_init__(self) -> None:
        if self.coherence not in COHERENCE_SOURCES:
            raise ValueError(f"coherence must be one of {', '.join(COHERENCE_SOURCES)}")
        if not self.layers:
            raise ValueError("no layer to steer")
        if self.direction not in (1, -1):
            raise ValueError("direction must be +1 or -1")
        if self.ratios is None and self.steps < 1:
            raise ValueError("steps must be at least 1")
        if self.ratios is not None and not self.ratios:
            raise ValueError("no coefficient given")
        if self.start_ratio <= 0 or self.up <= 0 or self.down <= 0:
            raise ValueError("start ratio and step factors must be positive")

    @property
    def mode(self) -> str:
        return "auto" if self.ratios is None else "grid"

    def describe(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(self).items()} | {"mode": self.mode}


@dataclass
class Answer:
    """One steered (or baseline) answer with everything measured on it."""

    question: str
    text: str | None
    trait: float | None = None
    coherence: float | None = None
    proxies: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question, "answer": self.text, "trait": _round(self.trait, 2),
                "coherence": _round(self.coherence, 2), **self.proxies, "errors": self.errors}


@dataclass
class Run:
    """One setting's answers and their summary. ``layer`` None and ratio 0: the baseline."""

    layer: int | None
    ratio: float
    coefficient: float
    answers: list[Answer]

    @property
    def is_baseline(self) -> bool:
        return self.layer is None

    @property
    def key(self) -> tuple[int | None, float]:
        return run_key(self.layer, self.ratio)

    def summary(self, baseline_mean: float | None) -> dict[str, Any]:
        trait = [a.trait for a in self.answers if a.trait is not None]
        coherence = [a.coherence for a in self.answers if a.coherence is not None]
        texts = [a for a in self.answers if a.text is not None]
        mean_trait = _mean(trait)
        delta = None if mean_trait is None or baseline_mean is None else mean_trait - baseline_mean
        return {
            "layer": self.layer, "ratio": round(self.ratio, RATIO_DIGITS), "coefficient": round(self.coefficient, 4),
            "trait_mean": _round(mean_trait, 2), "trait_std": _round(_std(trait), 2),
            "coherence_mean": _round(_mean(coherence), 2), "delta": _round(delta, 2),
            "n": len(self.answers), "n_trait": len(trait), "n_coherence": len(coherence),
            "unscored": len(self.answers) - min(len(trait), len(coherence)),
            "repeated_3gram_rate": _round(_mean([a.proxies["repeated_3gram_rate"] for a in texts]), 4),
            "compression_ratio": _round(_mean([a.proxies["compression_ratio"] for a in texts]), 4),
        }


def run_key(layer: int | None, ratio: float) -> tuple[int | None, float]:
    return (layer, round(float(ratio), RATIO_DIGITS))


def coherent(summary: dict[str, Any], threshold: float) -> bool:
    """At or above the threshold; an unscored coherence is not coherent."""
    value = summary.get("coherence_mean")
    return value is not None and value >= threshold


class Evaluator:
    """Generates and scores runs, memoised by (layer, ratio) so no setting runs twice.

    ``generate(questions, layer, coefficient) -> list[str | None]`` (None: that answer failed);
    ``score(prompts) -> list`` of objects with ``.score`` and ``.error`` (`JudgeResult`);
    ``trait_prompt(question, answer)``: the trait's judge prompt; ``norms[layer]``: the mean
    residual norm a ratio is a fraction of; ``on_run(run)`` is called after every new run (the
    caller writes its files there, so an interrupted search keeps what it finished).
    """

    def __init__(self, questions: Sequence[str], norms: dict[int, float],
                 generate: Callable[[list[str], int | None, float], list[str | None]],
                 score: Callable[[list[str]], list[Any]],
                 trait_prompt: Callable[[str, str], str],
                 on_run: Callable[["Run"], None] | None = None,
                 done: dict[tuple[int | None, float], Run] | None = None,
                 coherence: str = "judge") -> None:
        self.questions = list(questions)
        self.norms = norms
        self._generate = generate
        self._score = score
        self._trait_prompt = trait_prompt
        self._on_run = on_run
        self.coherence = coherence
        self.runs: dict[tuple[int | None, float], Run] = dict(done or {})

    def coefficient(self, layer: int | None, ratio: float) -> float:
        if layer is None or ratio == 0:
            return 0.0
        return float(ratio) * float(self.norms[layer])

    def run(self, layer: int | None, ratio: float) -> Run:
        key = run_key(layer, ratio)
        if key in self.runs:
            return self.runs[key]
        ratio = key[1]
        coefficient = self.coefficient(layer, ratio)
        texts = self._generate(self.questions, layer, coefficient)
        answers = [Answer(q, t, proxies=proxies(t) if t is not None else {},
                          errors=[] if t is not None else ["generation failed"])
                   for q, t in zip(self.questions, texts, strict=True)]
        score_answers(answers, self._score, self._trait_prompt, coherence=self.coherence)
        run = Run(layer, ratio, coefficient, answers)
        self.runs[key] = run
        if self._on_run is not None:
            self._on_run(run)
        return run


def proxy_coherence(text: str) -> float:
    """``100 * (1 - repeated 3-gram rate)``: 100 for text that never repeats itself, ~20 for a loop."""
    return round(100.0 * (1.0 - proxies(text)["repeated_3gram_rate"]), 2)


def score_answers(answers: list[Answer], score: Callable[[list[str]], list[Any]],
                  trait_prompt: Callable[[str, str], str], coherence: str = "judge") -> None:
    """Judge every answer that has text: trait (and, from the judge, coherence) prompts in one batch.

    Scores are rounded to 2 decimals as they are stored, so a run read back from its files
    summarises exactly as it did when it was scored.
    """
    scorable = [a for a in answers if a.text is not None]
    prompts = [trait_prompt(a.question, a.text or "") for a in scorable]
    if coherence == "judge":
        prompts += [coherence_prompt(a.question, a.text or "") for a in scorable]
    results = score(prompts) if prompts else []
    n = len(scorable)
    for i, answer in enumerate(scorable):
        answer.errors = [e for e in answer.errors if e == "generation failed"]
        kinds = [("trait", results[i])] + ([("coherence", results[n + i])] if coherence == "judge" else [])
        for kind, result in kinds:
            value = getattr(result, "score", None)
            ok = value is not None and math.isfinite(value)
            setattr(answer, kind, round(float(value), 2) if ok else None)
            if not ok:
                why = getattr(result, "error", None) or "the judge gave no number"
                answer.errors.append(f"{kind}: {why}")
        if coherence == "proxy":
            answer.coherence = proxy_coherence(answer.text or "")


def search(settings: SearchSettings, evaluator: Evaluator) -> tuple[Run, list[Run]]:
    """The baseline and the runs in the order they were chosen (auto) or given (grid)."""
    baseline = evaluator.run(None, 0.0)
    runs: list[Run] = []
    signs = [settings.direction] + ([-settings.direction] if settings.opposite else [])
    for layer in settings.layers:
        if settings.ratios is not None:
            ratios = list(settings.ratios) + ([-r for r in settings.ratios if r != 0] if settings.opposite else [])
            for ratio in dict.fromkeys(round(r, RATIO_DIGITS) for r in ratios):
                runs.append(evaluator.run(layer, ratio))
            continue
        for sign in signs:
            ratio = settings.start_ratio * sign
            for _ in range(settings.steps):
                run = evaluator.run(layer, ratio)
                runs.append(run)
                good = coherent(run.summary(None), settings.threshold)
                ratio = run.ratio * (settings.up if good else settings.down)
    return baseline, _unique(runs)


def _unique(runs: list[Run]) -> list[Run]:
    seen: dict[tuple[int | None, float], Run] = {}
    for run in runs:
        seen.setdefault(run.key, run)
    return list(seen.values())


def best_run(summaries: Sequence[dict[str, Any]], direction: int, threshold: float) -> dict[str, Any] | None:
    """The coherent run with the largest delta in the trait's direction (None if no run qualifies)."""
    eligible = [s for s in summaries if s.get("layer") is not None and s.get("delta") is not None
                and coherent(s, threshold)]
    if not eligible:
        return None
    return max(eligible, key=lambda s: (s["delta"] * direction, -abs(s["ratio"])))


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _std(values: Sequence[float]) -> float | None:
    if not values:
        return None
    m = sum(values) / len(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / len(values))


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


__all__ = ["Answer", "COHERENCE_PROMPT", "DEFAULT_THRESHOLD", "Evaluator", "Run", "SearchSettings", "best_run",
           "coherence_prompt", "coherent", "proxy_coherence", "run_key", "score_answers", "search"]
