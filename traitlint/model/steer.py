"""Steer one trait: vector file + instruct model + judge -> a run directory (and a rescore of one).

The pieces: :mod:`steering` (the hook, steered generation, residual norms), :mod:`steer_search`
(runs, scores, the coefficient search), :mod:`steer_results` (the files). This module wires them
to the caches so that nothing is computed twice:

- every steered generation is cached per (model, vector file hash, layer, coefficient,
  generation length, question) in the call cache, written batch by batch;
- every judge call is cached by the judge (`judges.Judge.score_many`);
- finished runs are read back from the run directory when its identity matches.

An interrupted run therefore resumes where it stopped, and a finished one re-runs in seconds.
:func:`rescore` re-judges saved responses with a new definition or judge and never loads the
steered model (with an OpenAI-compatible judge it loads no model at all).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from traitlint import __version__
from traitlint.model import steer_results
from traitlint.model.judge_cache import CallCache
from traitlint.model.steer_search import COHERENCE_PROMPT, Evaluator, Run, SearchSettings, score_answers, search

STEER_FORMAT = 1
NORM_SOURCE = ("mean L2 norm of the block's output over the chat-formatted steering questions' tokens "
               "(position 0, the attention sink, excluded), measured on the steered model")


class SteerError(ValueError):
    """The inputs cannot be steered as asked (the message says what to change)."""


@dataclass
class SteerJob:
    """What to steer and how: everything except the model, the vector and the judge."""

    trait: str  # "<category>/<trait>"
    questions: list[str]
    trait_prompt: Callable[[str, str], str]  # (question, answer) -> the judge's trait prompt
    prompt_identity: dict[str, Any]  # hashes of what trait_prompt depends on (eval_prompt, definition)
    settings: SearchSettings
    run_dir: Path
    max_new_tokens: int = 64
    batch_size: int = 8
    progress: bool = False
    extra_header: dict[str, Any] = field(default_factory=dict)  # gate, folder, notes


@dataclass
class SteerOutcome:
    run_dir: Path
    summary: dict[str, Any]  # baseline, runs, best
    plot: Path | None
    resumed: int  # runs read back from an earlier start
    header: dict[str, Any]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def vector_record(vector_file: Any, sha256: str) -> dict[str, Any]:
    """The vector's provenance for the header (what it was extracted from, by whom)."""
    meta = vector_file.metadata
    evaluation = meta.get("evaluation") or {}
    return {"path": str(vector_file.path), "sha256": sha256, "trait": meta.get("trait"), "method": meta.get("method"),
            "model": meta.get("model"), "position": meta.get("position"), "layers": vector_file.layers,
            "best_layer": evaluation.get("best_layer"), "dataset": meta.get("dataset"), "forced": meta.get("forced"),
            "traitlint": meta.get("traitlint"), "key": meta.get("key")}


def check_vector(loaded: Any, vector_file: Any, layers: Sequence[int]) -> None:
    """Refuse a vector of another architecture, or layers it has no direction for."""
    from traitlint.model.steering import check_fits

    if vector_file.vectors is None or vector_file.vectors.ndim != 2:
        raise SteerError(f"{vector_file.path}: expected a [n_layers, hidden] tensor")
    meta_model = vector_file.metadata.get("model") or {}
    n_layers, hidden = vector_file.vectors.shape
    try:
        check_fits(loaded, hidden, meta_model.get("n_layers", n_layers), source=str(vector_file.path))
        check_fits(loaded, hidden, n_layers, source=str(vector_file.path))
    except ValueError as exc:
        raise SteerError(str(exc)) from None
    extracted = vector_file.layers or [i for i in range(n_layers) if float(abs(vector_file.vectors[i]).sum()) > 0]
    missing = [layer for layer in layers if layer not in extracted]
    if missing:
        raise SteerError(f"{vector_file.path}: no direction at layer(s) {missing} (extracted: "
                         f"{_span(extracted)}); pick --layers among those")


def _span(layers: Sequence[int]) -> str:
    layers = list(layers)
    if layers and layers == list(range(layers[0], layers[-1] + 1)):
        return f"{layers[0]}-{layers[-1]}"
    return ",".join(map(str, layers)) or "none"


class _CachedGenerator:
    """Steered chat answers through the call cache, written after every batch (resumable)."""

    def __init__(self, loaded: Any, vector_file: Any, vector_sha: str, model_id: str, cache_dir: Path | None,
                 max_new_tokens: int, batch_size: int, progress: bool) -> None:
        self.loaded, self.vector_file, self.vector_sha = loaded, vector_file, vector_sha
        self.model_id, self.cache_dir = model_id, cache_dir
        self.max_new_tokens, self.batch_size, self.progress = max_new_tokens, batch_size, progress
        self.generated = 0  # answers generated (not from the cache) in this process

    def _cache(self, layer: int | None, coefficient: float) -> CallCache:
        params = {"max_new_tokens": int(self.max_new_tokens), "greedy": True, "layer": layer,
                  "coefficient": f"{coefficient:.6g}", "vector": self.vector_sha if layer is not None else None}
        return CallCache(self.cache_dir, kind="steered_chat", model_id=f"local:{self.model_id}", params=params,
                         namespace="generation")

    def __call__(self, questions: list[str], layer: int | None, coefficient: float) -> list[str | None]:
        from traitlint.model.steering import steered_answers

        cache = self._cache(layer, coefficient)
        done, todo = cache.split_texts(questions)
        vector = self.vector_file.vector(layer) if layer is not None else None
        for start in range(0, len(todo), self.batch_size):
            chunk = todo[start:start + self.batch_size]
            texts = steered_answers(self.loaded, chunk, vector, layer if layer is not None else 0,
                                    coefficient if layer is not None else 0.0,
                                    max_new_tokens=self.max_new_tokens, batch_size=self.batch_size)
            for question, text in zip(chunk, texts, strict=True):
                done[question] = text
                cache.put(question, {"text": text, "error": None})
            self.generated += len(chunk)
        return [done[q] for q in questions]


def steer_vector(loaded: Any, vector_file: Any, job: SteerJob, judge: Any, judge_id: str,
                 cache_dir: Path | None, log: Callable[[str], None] | None = None) -> SteerOutcome:
    """Baseline, search and files for one vector on one model (see the module docstring)."""
    from traitlint.model.services import ModelServices
    from traitlint.model.steering import prompt_norms

    say = log or (lambda message: None)
    layers = list(job.settings.layers)
    check_vector(loaded, vector_file, layers)
    if not job.questions:
        raise SteerError("no steering questions to ask")
    sha = file_sha256(vector_file.path)
    model_id = ModelServices.model_id(loaded)
    norms = dict(zip(layers, prompt_norms(loaded, job.questions, layers, batch_size=job.batch_size), strict=True))
    identity = {"format": STEER_FORMAT, "vector": sha, "model": model_id, "judge": judge_id,
                "prompts": job.prompt_identity,
                "coherence": text_sha256(COHERENCE_PROMPT) if job.settings.coherence == "judge" else "proxy",
                "questions": text_sha256("\n".join(job.questions)), "max_new_tokens": int(job.max_new_tokens)}
    header = {
        "trait": job.trait, "traitlint": __version__, "written_at": _now(), "identity": identity,
        "vector": vector_record(vector_file, sha),
        "model": {"id": loaded.spec.name, "name": loaded.name, "revision": loaded.revision,
                  "n_layers": loaded.n_layers, "hidden_size": loaded.hidden_size, "dtype": loaded.dtype},
        "judge": judge_id, "settings": job.settings.describe(), "questions": job.questions,
        "max_new_tokens": int(job.max_new_tokens), "decoding": "greedy, chat template, batched",
        "norms": {str(k): round(v, 4) for k, v in norms.items()}, "norm_source": NORM_SOURCE,
        "coefficient_rule": "coefficient = ratio x norm[layer]; the vector is a unit vector", **job.extra_header,
    }
    done = steer_results.resumable_runs(job.run_dir, identity)
    if done:
        say(f"resuming: {len(done)} finished run(s) read back from {job.run_dir / steer_results.RESULTS}")
    generator = _CachedGenerator(loaded, vector_file, sha, model_id, cache_dir, job.max_new_tokens,
                                 job.batch_size, job.progress)
    order: list[Run] = []

    def on_run(run: Run) -> None:
        order.append(run)
        baseline = next((r for r in order if r.is_baseline), None) or evaluator.runs.get((None, 0.0))
        if baseline is None:
            return
        steer_results.write_run_dir(job.run_dir, header, baseline, [r for r in order if not r.is_baseline],
                                    job.settings.direction, job.settings.threshold)
        if not run.is_baseline:
            s = run.summary(baseline.summary(None)["trait_mean"])
            say(f"layer {run.layer} ratio {run.ratio:+.3f}: trait {_fmt(s['trait_mean'])}, "
                f"coherence {_fmt(s['coherence_mean'])}, delta {_fmt(s['delta'], '+.1f')}")

    def score(prompts: list[str]) -> list[Any]:
        return judge.score_many(prompts, progress=job.progress)

    evaluator = Evaluator(job.questions, norms, generator, score, job.trait_prompt, on_run=on_run, done=done,
                          coherence=job.settings.coherence)
    baseline, runs = search(job.settings, evaluator)
    chosen = {r.key for r in runs}
    kept = runs + [r for key, r in done.items() if not r.is_baseline and key not in chosen]
    summary = steer_results.write_run_dir(job.run_dir, header, baseline, kept, job.settings.direction,
                                          job.settings.threshold)
    image = steer_results.plot(job.run_dir / steer_results.PLOT, job.trait, summary, job.settings.threshold)
    return SteerOutcome(job.run_dir, summary, image, resumed=sum(1 for r in done.values() if not r.is_baseline),
                        header=header)


def rescore(run_dir: Path, trait_prompt: Callable[[str, str], str], prompt_identity: dict[str, Any], judge: Any,
            judge_id: str, *, trait: str | None = None, progress: bool = False) -> SteerOutcome:
    """Re-judge the saved responses of ``run_dir`` (no generation, no steered model)."""
    run_dir = Path(run_dir)
    header = steer_results.read_header(run_dir)
    baseline, runs = steer_results.read_runs(run_dir)
    previous = {"judge": header.get("judge"), "prompts": (header.get("identity") or {}).get("prompts")}
    settings = header.get("settings") or {}
    source = str(settings.get("coherence") or "judge")
    for run in [baseline, *runs]:
        score_answers(run.answers, lambda prompts: judge.score_many(prompts, progress=progress), trait_prompt,
                      coherence=source)
    direction = int(settings.get("direction") or 1)
    threshold = float(settings.get("threshold") or 77.0)
    identity = dict(header.get("identity") or {})
    identity.update({"judge": judge_id, "prompts": prompt_identity})
    header = {k: v for k, v in header.items() if k not in ("type", "format")}
    header.update({"identity": identity, "judge": judge_id, "written_at": _now(),
                   "rescored": {"at": _now(), "previous": previous}})
    summary = steer_results.write_run_dir(run_dir, header, baseline, runs, direction, threshold)
    name = trait or str(header.get("trait") or run_dir.name)
    image = steer_results.plot(run_dir / steer_results.PLOT, name, summary, threshold)
    return SteerOutcome(run_dir, summary, image, resumed=0, header=header)


def _fmt(value: float | None, spec: str = ".1f") -> str:
    return "-" if value is None else format(value, spec)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


__all__ = ["SteerError", "SteerJob", "SteerOutcome", "check_vector", "rescore", "steer_vector", "vector_record"]
