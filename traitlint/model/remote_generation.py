"""Greedy generation through an OpenAI-compatible server, for runs too big for in-process models.

Why: vetting a trait dataset at scale means thousands of short continuations of a base model
(`/v1/completions`) and answers of an instruct model (`/v1/chat/completions`); a vLLM server does
that far faster than a local forward loop. Same retry policy, thread-pool concurrency and
per-call on-disk cache as the judges (namespace ``generation``, keyed by endpoint kind, model,
prompt and max_new_tokens), so a killed run resumes where it stopped.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from traitlint.model.judge_cache import CallCache
from traitlint.model.remote import (
    Attempted, CallUsage, MalformedResponse, RetryPolicy, make_openai_client, map_with_retry, price_for,
    usage_tokens,
)


@dataclass(frozen=True)
class GenerationResult:
    """`text` of one greedy generation, or `error` when the call failed (then not cached)."""

    text: str | None
    error: str | None = None
    cached: bool = False


@dataclass(frozen=True)
class _Generated:
    text: str | None
    error: str | None
    prompt_tokens: int
    completion_tokens: int


class OpenAIGenerator:
    """Temperature-0 generation from one model on an OpenAI-compatible server.

    `complete` uses the completions endpoint (a base model continuing a prefill); `chat` sends
    each question as a single user message. The server and key come from `OPENAI_BASE_URL` /
    `OPENAI_API_KEY` (or `base_url`).
    """

    def __init__(self, model: str, *, cache_dir: Path | None = None, concurrency: int = 8,
                 retry: RetryPolicy | None = None, timeout: float = 60.0, base_url: str | None = None) -> None:
        if not model:
            raise ValueError("OpenAIGenerator needs a model name")
        self.model = model
        self.model_id = f"openai:{model}"
        self.cache_dir = cache_dir
        self.concurrency = max(1, int(concurrency))
        self.retry = retry or RetryPolicy()
        self._client, self.base_url, self._redact = make_openai_client(base_url=base_url, timeout=timeout)
        self.usage = CallUsage(model_id=self.model_id, label="generation",
                               price_per_million=price_for(model, self.base_url))

    @classmethod
    def from_spec(cls, spec: str, **kwargs: Any) -> OpenAIGenerator:
        """A generator from "openai:MODEL"."""
        backend, sep, model = (spec or "").strip().partition(":")
        if backend != "openai" or not sep or not model.strip():
            raise ValueError(f"unknown generator spec {spec!r}: use 'openai:MODEL' (the model the server serves)")
        return cls(model.strip(), **kwargs)

    def __repr__(self) -> str:
        return f"OpenAIGenerator(model_id={self.model_id!r}, base_url={self.base_url!r})"

    def complete(self, prompts: Sequence[str], max_new_tokens: int = 16, *,
                 progress: bool = False) -> list[GenerationResult]:
        """Greedy continuations of `prompts` from the completions endpoint, in input order."""
        def request(prompt: str) -> _Generated:
            response = self._client.completions.create(model=self.model, prompt=prompt, max_tokens=max_new_tokens,
                                                       temperature=0, n=1)
            return _parse(response, "completion")
        return self._run("completion", prompts, max_new_tokens, request, progress)

    def chat(self, questions: Sequence[str], max_new_tokens: int = 64, *,
             progress: bool = False) -> list[GenerationResult]:
        """Greedy answers to `questions` (one user message each) from the chat endpoint."""
        def request(question: str) -> _Generated:
            response = self._client.chat.completions.create(
                model=self.model, messages=[{"role": "user", "content": question}],
                max_tokens=max_new_tokens, temperature=0, n=1)
            return _parse(response, "chat")
        return self._run("chat", questions, max_new_tokens, request, progress)

    def _run(self, kind: str, prompts: Sequence[str], max_new_tokens: int,
             request: Callable[[str], _Generated], progress: bool) -> list[GenerationResult]:
        cache = CallCache(self.cache_dir, kind=kind, model_id=self.model_id,
                          params={"max_new_tokens": int(max_new_tokens), "temperature": 0}, namespace="generation")
        results: dict[str, GenerationResult] = {}
        pending: list[str] = []
        for prompt in dict.fromkeys(prompts):
            entry = cache.get(prompt)
            hit = _from_cache(entry.result) if entry is not None else None
            if hit is not None:
                results[prompt] = hit
            else:
                pending.append(prompt)
        self.usage.add(cached=len(results), failed=sum(r.error is not None for r in results.values()))

        def done(i: int, outcome: Attempted[_Generated]) -> None:
            prompt, gen = pending[i], outcome.value
            self.usage.add(calls=int(outcome.attempts > 0))
            if gen is None:
                results[prompt] = GenerationResult(None, outcome.error or "unknown error")
                self.usage.add(failed=1)
                return
            try:
                cache.put(prompt, {"text": gen.text, "error": gen.error},
                          prompt_tokens=gen.prompt_tokens, completion_tokens=gen.completion_tokens)
            except OSError as exc:  # a full disk must not throw away a finished generation
                warnings.warn(f"could not write generation cache entry: {exc}", RuntimeWarning, stacklevel=2)
            self.usage.add(failed=int(gen.error is not None), prompt_tokens=gen.prompt_tokens,
                           completion_tokens=gen.completion_tokens)
            results[prompt] = GenerationResult(gen.text, gen.error)

        if pending:
            map_with_retry(request, pending, policy=self.retry, concurrency=self.concurrency, on_done=done,
                           redact=self._redact, progress=progress, desc=f"{kind} {self.model_id}",
                           on_retry=lambda _f: self.usage.add(retries=1))
        return [results[p] for p in prompts]


def _parse(response: Any, kind: str) -> _Generated:
    if isinstance(response, (str, bytes)) or response is None:
        raise MalformedResponse(f"expected a JSON object, got {type(response).__name__}")
    prompt_tokens, completion_tokens = usage_tokens(response)
    try:
        choice = response.choices[0]
        text = choice.text if kind == "completion" else choice.message.content
    except (AttributeError, IndexError, KeyError, TypeError) as exc:
        raise MalformedResponse(f"response has no choices[0] text ({type(exc).__name__})") from exc
    if text is None:  # e.g. a refusal or tool call: an answer, but no text to use
        reason = getattr(choice, "finish_reason", None)
        return _Generated(None, f"server returned no text (finish_reason={reason})", prompt_tokens, completion_tokens)
    if not isinstance(text, str):
        raise MalformedResponse(f"generated text is {type(text).__name__}, not a string")
    return _Generated(text, None, prompt_tokens, completion_tokens)


def _from_cache(result: dict[str, Any]) -> GenerationResult | None:
    text, error = result.get("text"), result.get("error")
    if not (text is None or isinstance(text, str)) or not (error is None or isinstance(error, str)):
        return None
    if text is None and error is None:
        return None
    return GenerationResult(text, error, True)
