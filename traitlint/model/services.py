"""What the model-backed audits ask of the model layer, behind one object.

Why one object: the audits (layer 3) must not import torch, and a run must load each model once
whatever the number of folders and items. The front ends build a `ModelServices` from
`[tool.traitlint.model]` when model checks are enabled and hand it to the runner; audits reach
it as ``ctx.model`` and call the plain methods below (lists and numpy arrays in and out).
Everything slow is loaded or computed on first use and cached:

- models: one load per process per (name, device, dtype) (`loading.load_model`);
- generations (local or remote) and judge scores: one JSON file per call in the call cache,
  written as each batch or call completes, so an interrupted run resumes where it stopped;
- each audit's results: a JSON file per (dataset, model, judge, parameters) in the results
  directory (`results_path`), which `traitlint extract` reads back (TL402's kept pairs).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from traitlint.atomic import atomic_write_text
from traitlint.model.judge_cache import CallCache

if TYPE_CHECKING:  # the front ends pass it; the model layer does not import the runner's layer
    from traitlint.config import ModelConfig

RESULTS_FORMAT = 1
RESULTS_DIRNAME = ".traitlint"


@dataclass(frozen=True)
class Generated:
    """One generation: the text, or the reason it could not be produced."""

    text: str | None
    error: str | None = None


def slug(model_id: str) -> str:
    """A file-name-safe form of a model id: ``google/gemma-2-2b`` -> ``google--gemma-2-2b``."""
    text = re.sub(r"[^A-Za-z0-9._-]+", "-", model_id.replace("/", "--")).strip("-.")
    return text[:80] or "model"


class ModelServices:
    """Models, generation, activations, log-probabilities and the judge for one run."""

    def __init__(self, config: "ModelConfig", cache_dir: Path | None, *, progress: bool | None = None) -> None:
        """`cache_dir`: the call cache (judge scores, generations); None disables it (tests only)."""
        self.config = config
        self.cache_dir = Path(config.cache_dir) if config.cache_dir is not None else cache_dir
        self.progress = config.progress if progress is None else progress
        self._judge: Any = None
        self._remote: Any = None

    # models ------------------------------------------------------------------------------------
    def _load(self, name: str) -> Any:
        from traitlint.model.loading import ModelSpec, load_model

        return load_model(ModelSpec(name=name, device=self.config.device, dtype=self.config.dtype))

    def base(self) -> Any:
        """The base model (`LoadedModel`): completions, activations, log-probabilities."""
        return self._load(self.config.base_model)

    def instruct(self) -> Any:
        """The instruction-tuned model: answers to the steering questions, the local judge."""
        return self._load(self.config.instruct_model)

    @staticmethod
    def model_id(loaded: Any) -> str:
        """``name@revision``: what identifies a local model's outputs in caches and results."""
        return f"{loaded.name}@{(loaded.revision or 'unknown')[:12]}"

    def describe(self) -> dict[str, Any]:
        """The configuration that identifies this run's outputs (no model is loaded for it)."""
        return self.config.describe()

    # generation --------------------------------------------------------------------------------
    def _openai(self, role_model: str) -> Any:
        """The remote generator for `role_model` (or the one model of ``openai:MODEL``), built once."""
        from traitlint.model.remote_generation import OpenAIGenerator

        spec = self.config.generator
        name = spec.split(":", 1)[1] if ":" in spec else role_model
        if self._remote is None:
            self._remote = {}
        if name not in self._remote:
            self._remote[name] = OpenAIGenerator(name, cache_dir=self.cache_dir,
                                                 concurrency=self.config.judge_concurrency)
        return self._remote[name]

    def generator_id(self, role: str) -> str:
        """Who produces TL402 completions (`role="base"`) or TL403 answers (`"instruct"`)."""
        name = self.config.base_model if role == "base" else self.config.instruct_model
        if self.config.generator.startswith("openai"):
            model = self.config.generator.split(":", 1)[1] if ":" in self.config.generator else name
            return f"openai:{model}"
        return f"local:{name}"

    def complete(self, prompts: Sequence[str], max_new_tokens: int) -> list[Generated]:
        """Greedy continuations of raw prefills by the base model (no chat template)."""
        if self.config.generator.startswith("openai"):
            out = self._openai(self.config.base_model).complete(list(prompts), max_new_tokens, progress=self.progress)
            return [Generated(r.text, r.error) for r in out]
        from traitlint.model.generate import complete

        loaded = self.base()
        return self._cached_local("completion", loaded, prompts, max_new_tokens,
                                  lambda todo: complete(loaded, todo, max_new_tokens=max_new_tokens,
                                                        batch_size=self.config.batch_size))

    def answer(self, questions: Sequence[str], max_new_tokens: int) -> list[Generated]:
        """Greedy answers of the instruct model to each question (chat template applied)."""
        if self.config.generator.startswith("openai"):
            out = self._openai(self.config.instruct_model).chat(list(questions), max_new_tokens,
                                                                progress=self.progress)
            return [Generated(r.text, r.error) for r in out]
        from traitlint.model.generate import chat_answers

        loaded = self.instruct()
        return self._cached_local("chat", loaded, questions, max_new_tokens,
                                  lambda todo: chat_answers(loaded, todo, max_new_tokens=max_new_tokens,
                                                            batch_size=max(1, self.config.batch_size // 2)))

    def _cached_local(self, kind: str, loaded: Any, prompts: Sequence[str], max_new_tokens: int,
                      generate: Any) -> list[Generated]:
        """Local greedy generation through the call cache, written batch by batch (resumable)."""
        cache = CallCache(self.cache_dir, kind=kind, model_id=f"local:{self.model_id(loaded)}",
                          params={"max_new_tokens": int(max_new_tokens), "greedy": True}, namespace="generation")
        done, todo = cache.split_texts(prompts)
        step = max(1, self.config.batch_size) * 2
        chunks = [todo[i:i + step] for i in range(0, len(todo), step)]
        for chunk in _progress(chunks, self.progress, f"{kind} ({loaded.name})", unit="batch"):
            for prompt, text in zip(chunk, generate(chunk)):
                done[prompt] = text
                cache.put(prompt, {"text": text, "error": None})
        return [Generated(done[p]) for p in prompts]

    # activations and log-probabilities ---------------------------------------------------------
    def activations(self, texts: Sequence[str], pooling: str) -> Any:
        """Pooled residual-stream activations of the base model, ``[n_texts, n_layers, hidden]``."""
        from traitlint.model.capture import capture

        return capture(self.base(), list(texts), pooling=pooling, batch_size=self.config.batch_size,
                       progress=self.progress)

    def token_logprobs(self, texts: Sequence[str]) -> list[list[float]]:
        """Per text, the base model's log-probability of every token given the ones before it.

        Tokenizers that add no BOS (SmolLM2, GPT-2) would leave the first word unscored, and a
        pair that differs in its first word would look equally fluent whatever the word: the
        text is then scored after a document-separator token (``<|endoftext|>`` where the
        vocabulary has one, else the BOS or EOS token), as the start of a new document.
        """
        from traitlint.model.generate import END_OF_TEXT_TOKENS, token_logprobs

        loaded = self.base()
        texts = list(texts)
        if loaded.added_special_tokens()[0] == 0:
            tok = loaded.tokenizer
            vocab = tok.get_vocab()
            start = next((t for t in END_OF_TEXT_TOKENS if t in vocab), None) or tok.bos_token or tok.eos_token
            if start:
                texts = [start + t for t in texts]
        return token_logprobs(loaded, texts, batch_size=self.config.batch_size)

    # judge -------------------------------------------------------------------------------------
    def judge(self) -> Any:
        """The configured judge (`traitlint.model.judges.Judge`), built once."""
        if self._judge is None:
            from traitlint.model.judges import make_judge

            spec = self.config.judge
            if spec.startswith("local"):
                name = spec.split(":", 1)[1] if ":" in spec else self.config.instruct_model
                loaded = self._load(name)
                self._judge = make_judge("local", cache_dir=self.cache_dir,
                                         local_loader=lambda: (loaded.model, loaded.tokenizer),
                                         local_name=self.model_id(loaded))
            else:
                self._judge = make_judge(spec, cache_dir=self.cache_dir, concurrency=self.config.judge_concurrency)
        return self._judge

    def judge_id(self) -> str:
        spec = self.config.judge
        if spec.startswith("local"):
            return f"local:{spec.split(':', 1)[1] if ':' in spec else self.config.instruct_model}"
        return spec if ":" in spec else "openai:gpt-4.1-nano"

    def score(self, prompts: Sequence[str]) -> list[Any]:
        """Judge scores (`JudgeResult`: score 0-100 or None, error) in input order, cached."""
        return self.judge().score_many(list(prompts), progress=self.progress)

    def usage_lines(self) -> list[str]:
        """One line per judge or remote generator used in this run (calls, cache hits, tokens, cost)."""
        lines = []
        if self._judge is not None:
            lines.append(self._judge.usage.summary())
        if self._remote is not None:
            lines.extend(g.usage.summary() for g in self._remote.values())
        return lines

    # results -----------------------------------------------------------------------------------
    def results_path(self, folder: Path, audit_name: str, identity: dict[str, Any]) -> Path:
        """Where an audit's results for this exact input live.

        ``<results_dir or folder/.traitlint>/<audit>/<base model slug>-<key>.json``, with key a
        hash of `identity` (dataset content, definition, steering, models, judge, parameters).
        """
        key = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:16]
        root = Path(self.config.results_dir) if self.config.results_dir is not None else Path(folder) / RESULTS_DIRNAME
        return root / audit_name / f"{slug(self.config.base_model)}-{key}.json"

    def load_results(self, path: Path) -> dict[str, Any] | None:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if isinstance(data, dict) and data.get("format") == RESULTS_FORMAT and isinstance(data.get("metrics"), dict):
            return data
        return None

    def store_results(self, path: Path, identity: dict[str, Any], metrics: dict[str, Any],
                      details: dict[str, Any]) -> None:
        """Write results atomically, with a CACHEDIR.TAG and .gitignore in a fresh results folder."""
        path = Path(path)
        root = path.parent.parent
        if root.name == RESULTS_DIRNAME:
            _mark_cache_dir(root)
        payload = {"format": RESULTS_FORMAT, "identity": identity, "metrics": metrics, **details}
        atomic_write_text(path, json.dumps(payload, indent=1, ensure_ascii=False, allow_nan=False, default=str) + "\n")


def _mark_cache_dir(root: Path) -> None:
    """`.traitlint/` holds generated results: never committed, skipped by backup tools."""
    root.mkdir(parents=True, exist_ok=True)
    tag, ignore = root / "CACHEDIR.TAG", root / ".gitignore"
    if not tag.exists():
        atomic_write_text(tag, "Signature: 8a477f597d28d172789f06886806bc55\n"
                               "# traitlint model results; see https://bford.info/cachedir/\n")
    if not ignore.exists():
        atomic_write_text(ignore, "# created by traitlint\n*\n")


def _progress(items: list[Any], enabled: bool, desc: str, unit: str = "it") -> Any:
    """tqdm on stderr when enabled and installed and there is more than one step."""
    if not enabled or len(items) < 2:
        return items
    try:
        from tqdm import tqdm
    except ImportError:
        return items
    return tqdm(items, desc=desc, unit=unit, leave=False)


__all__ = ["Generated", "ModelServices", "slug"]
