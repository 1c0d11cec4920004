"""LLM judges that score text 0-100 from one token's logprobs (the persona_vectors rule).

Why logprobs and not a sampled answer: a single greedy token quantises the score and hides how
sure the judge was; the probability-weighted mean over the integer tokens in the top 20 is smooth,
needs one output token per prompt (cheap), and says "no answer" when the judge did not put at
least a quarter of its mass on numbers (it refused, or answered in words).

Two backends share the caching and accounting in `Judge.score_many`: `OpenAIJudge` (any
OpenAI-compatible server: OpenAI, vLLM, Ollama) and `LocalJudge` (a Hugging Face causal LM already
in memory). This module imports neither torch nor openai at import time.
"""
from __future__ import annotations

import inspect
import math
import threading
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from traitlint.model.judge_cache import CallCache
from traitlint.model.remote import (
    Attempted, CallUsage, MalformedResponse, RetryPolicy, make_openai_client, map_with_retry, price_for,
    usage_tokens,
)

MIN_INTEGER_MASS = 0.25
TOP_LOGPROBS = 20
DEFAULT_OPENAI_JUDGE = "gpt-4.1-nano"
NO_LOGPROBS = "server returned no logprobs (does it support logprobs/top_logprobs on chat completions?)"


@dataclass(frozen=True)
class JudgeResult:
    """`score` None with `error` None: the judge put < 0.25 of its mass on integers (a valid
    answer: it would not give a number). `error` set: the call failed or the server cannot score."""

    score: float | None
    error: str | None = None
    cached: bool = False
    mass: float | None = None


@dataclass
class JudgeUsage(CallUsage):
    """Calls, cache hits, failures and tokens of one judge; `summary()` is one line for a report."""

    label: str = "judge"


def score_from_top_logprobs(top: Mapping[str, float]) -> tuple[float | None, float]:
    """(score, integer mass) from token → logprob: the probability-weighted mean of the tokens
    that are integers 0..100 (surrounding whitespace ignored, ASCII digits only, so "1_0", "+5" or
    "٣" do not count), None when those tokens hold less than 0.25 of the probability."""
    mass = 0.0
    weighted = 0.0
    for token, logprob in top.items():
        value = _integer_token(token)
        if value is None or logprob is None or math.isnan(logprob):
            continue
        p = math.exp(logprob) if logprob <= 0 else 1.0
        mass += p
        weighted += p * value
    if mass < MIN_INTEGER_MASS or mass <= 0:
        return None, mass
    return weighted / mass, mass


def _integer_token(token: str) -> int | None:
    text = token.strip()
    if not text or not (text.isascii() and text.isdigit()) or len(text) > 3:
        return None
    value = int(text)
    return value if 0 <= value <= 100 else None


def merge_top(pairs: Iterable[tuple[str, float]]) -> dict[str, float]:
    """token → logprob, summing the probability of tokens that appear twice (two ids can decode
    to the same string; a dict would otherwise keep only the last)."""
    merged: dict[str, float] = {}
    for token, logprob in pairs:
        if token in merged:
            merged[token] = float(_logaddexp(merged[token], logprob))
        else:
            merged[token] = float(logprob)
    return merged


def _logaddexp(a: float, b: float) -> float:
    if a == -math.inf:
        return b
    if b == -math.inf:
        return a
    hi, lo = max(a, b), min(a, b)
    return hi + math.log1p(math.exp(lo - hi))


@dataclass(frozen=True)
class _Scored:
    """What a backend returns for one prompt that got an answer (cached by `score_many`)."""

    score: float | None
    mass: float | None
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0


def _scored_from_top(top: Mapping[str, float], prompt_tokens: int = 0, completion_tokens: int = 0) -> _Scored:
    score, mass = score_from_top_logprobs(top)
    return _Scored(score, mass, None, prompt_tokens, completion_tokens)


class Judge(ABC):
    """Scores prompts 0-100. Subclasses implement `_score_uncached`; this class owns the cache
    (a cached prompt is never re-sent; duplicates in one call are sent once) and the usage."""

    model_id: str
    cache_kind = "judge-top-logprobs"

    def __init__(self, model_id: str, cache_dir: Path | None) -> None:
        self.model_id = model_id
        self.cache = CallCache(cache_dir, kind=self.cache_kind, model_id=model_id,
                               params={"top_logprobs": TOP_LOGPROBS}, namespace="judge")
        self.usage = JudgeUsage(model_id=model_id)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model_id={self.model_id!r})"

    def score(self, prompt: str) -> JudgeResult:
        return self.score_many([prompt])[0]

    def score_many(self, prompts: Sequence[str], *, progress: bool = False) -> list[JudgeResult]:
        """One JudgeResult per prompt, in input order. Cached prompts are answered from disk; the
        rest go to the backend, and each answer is written to the cache as soon as it returns."""
        results: dict[str, JudgeResult] = {}
        pending: list[str] = []
        for prompt in dict.fromkeys(prompts):
            entry = self.cache.get(prompt)
            hit = _result_from_cache(entry.result) if entry is not None else None
            if hit is not None:
                results[prompt] = hit
            else:
                pending.append(prompt)
        self.usage.add(cached=len(results))
        self.usage.add(failed=sum(1 for r in results.values() if r.error is not None))
        lock = threading.Lock()

        def done(prompt: str, outcome: Attempted[_Scored]) -> None:
            scored = outcome.value
            self.usage.add(calls=int(outcome.attempts > 0))
            if scored is None:  # failed after retries: report, do not cache
                result = JudgeResult(None, outcome.error or "unknown error")
                self.usage.add(failed=1)
            else:
                result = JudgeResult(_finite(scored.score), scored.error, False, _finite(scored.mass))
                try:
                    self.cache.put(prompt, {"score": result.score, "mass": result.mass, "error": result.error},
                                   prompt_tokens=scored.prompt_tokens, completion_tokens=scored.completion_tokens)
                except OSError as exc:  # a full disk must not throw away a paid-for answer
                    warnings.warn(f"could not write judge cache entry: {exc}", RuntimeWarning, stacklevel=2)
                self.usage.add(failed=int(scored.error is not None), prompt_tokens=scored.prompt_tokens,
                               completion_tokens=scored.completion_tokens)
            with lock:
                results[prompt] = result

        if pending:
            self._score_uncached(pending, done, progress=progress)
        return [results[p] for p in prompts]

    @abstractmethod
    def _score_uncached(self, prompts: Sequence[str], done: Callable[[str, Attempted[_Scored]], None], *,
                        progress: bool) -> None:
        """Score every prompt, calling `done(prompt, outcome)` as each one finishes."""


def _finite(x: float | None) -> float | None:
    return x if x is None or math.isfinite(x) else None


def _result_from_cache(result: Mapping[str, Any]) -> JudgeResult | None:
    score, mass, error = result.get("score"), result.get("mass"), result.get("error")
    if not (score is None or (isinstance(score, (int, float)) and not isinstance(score, bool))):
        return None
    if not (mass is None or (isinstance(mass, (int, float)) and not isinstance(mass, bool))):
        return None
    if not (error is None or isinstance(error, str)):
        return None
    return JudgeResult(None if score is None else float(score), error, True, None if mass is None else float(mass))


class OpenAIJudge(Judge):
    """A judge behind an OpenAI-compatible chat-completions endpoint, scored from top-20 logprobs.

    The SDK's `OPENAI_BASE_URL` and `OPENAI_API_KEY` select the server and key (vLLM and Ollama
    work); `base_url` overrides the former for tests. The SDK's retries are off: `retry` governs
    429/5xx/timeouts/malformed bodies, and `concurrency` requests run at once.
    """

    def __init__(self, model: str = DEFAULT_OPENAI_JUDGE, *, cache_dir: Path | None = None,
                 concurrency: int = 8, retry: RetryPolicy | None = None, timeout: float = 30.0,
                 base_url: str | None = None) -> None:
        if not model:
            raise ValueError("OpenAIJudge needs a model name, e.g. 'gpt-4.1-nano'")
        super().__init__(f"openai:{model}", cache_dir)
        self.model = model
        self.concurrency = max(1, int(concurrency))
        self.retry = retry or RetryPolicy()
        self._client, self.base_url, self._redact = make_openai_client(base_url=base_url, timeout=timeout)
        self.usage.price_per_million = price_for(model, self.base_url)
        self._token_param = "max_tokens"

    def __repr__(self) -> str:
        return f"OpenAIJudge(model_id={self.model_id!r}, base_url={self.base_url!r}, concurrency={self.concurrency})"

    def _request(self, prompt: str) -> _Scored:
        try:
            response = self._create(prompt)
        except Exception as exc:
            # Newer OpenAI models reject max_tokens; switch once and re-send at no attempt cost.
            if self._token_param == "max_tokens" and "max_completion_tokens" in str(exc) \
                    and getattr(exc, "status_code", None) == 400:
                self._token_param = "max_completion_tokens"
                response = self._create(prompt)
            else:
                raise
        return _parse_chat_logprobs(response)

    def _create(self, prompt: str) -> Any:
        return self._client.chat.completions.create(
            model=self.model, messages=[{"role": "user", "content": prompt}], temperature=0,
            logprobs=True, top_logprobs=TOP_LOGPROBS, n=1, **{self._token_param: 1})

    def _score_uncached(self, prompts: Sequence[str], done: Callable[[str, Attempted[_Scored]], None], *,
                        progress: bool) -> None:
        map_with_retry(self._request, prompts, policy=self.retry, concurrency=self.concurrency,
                       on_done=lambda i, outcome: done(prompts[i], outcome), redact=self._redact,
                       progress=progress, desc=f"judge {self.model_id}",
                       on_retry=lambda _failure: self.usage.add(retries=1))


def _parse_chat_logprobs(response: Any) -> _Scored:
    """Top logprobs of the first generated token; "no logprobs" is an answer, a missing `choices`
    or non-object body is a malformed response (retried)."""
    if isinstance(response, (str, bytes)) or response is None:
        raise MalformedResponse(f"expected a JSON object, got {type(response).__name__}")
    prompt_tokens, completion_tokens = usage_tokens(response)
    try:
        choice = response.choices[0]
        logprobs = choice.logprobs
    except (AttributeError, IndexError, KeyError, TypeError) as exc:
        raise MalformedResponse(f"response has no choices[0].logprobs field ({type(exc).__name__})") from exc
    content = getattr(logprobs, "content", None) if logprobs is not None else None
    if not content:
        return _Scored(None, None, NO_LOGPROBS, prompt_tokens, completion_tokens)
    try:
        top = content[0].top_logprobs
        pairs = [(str(t.token), float(t.logprob)) for t in (top or [])]
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
        raise MalformedResponse(f"malformed top_logprobs ({type(exc).__name__})") from exc
    if not pairs:
        return _Scored(None, None, NO_LOGPROBS, prompt_tokens, completion_tokens)
    return _scored_from_top(merge_top(pairs), prompt_tokens, completion_tokens)


class LocalJudge(Judge):
    """A judge run on a Hugging Face causal LM in memory, from its next-token distribution.

    The prompt is chat-formatted and, with a chat template, the assistant's answer is begun with
    `answer_prefix` ("Score: "): a small instruct model asked for "just the number" otherwise
    opens with "[", "The" or "Score" (SmolLM2-135M puts 0.13 of its mass on digits without the
    prefix, 0.98 with it). The score is then the same rule as the remote judge (the probability-
    weighted mean of the integer answers 0-100, None below 0.25 of the mass), computed two ways:

    - tokenizers with whole-number tokens ("42"): the top-20 next tokens, as `OpenAIJudge`;
    - tokenizers that split numbers into digits (SmolLM2, Llama): the exact probability of each
      answer 0..100 from a digit tree: P(n) = P(first digit) * P(second digit | first) * P(stop),
      where "stop" is any non-digit next token; the tree reuses the prompt's KV cache, so it costs
      two one-token steps (plus one for "100") instead of a forward per candidate.

    Prompts are batched with left padding (position ids from the attention mask, so a padded
    prompt scores exactly as it would alone); a finished batch is cached before the next starts.
    """

    cache_kind = "judge-local-v2"

    def __init__(self, model: Any, tokenizer: Any, *, name: str = "embedded", cache_dir: Path | None = None,
                 batch_size: int = 8, answer_prefix: str = "Score: ", min_shared_prefix: int = 32) -> None:
        super().__init__(name if name.startswith("local:") else f"local:{name}", cache_dir)
        self.model = model
        self.tokenizer = tokenizer
        self.batch_size = max(1, int(batch_size))
        self.answer_prefix = answer_prefix if getattr(tokenizer, "chat_template", None) else ""
        self.cache.params = {**self.cache.params, "answer_prefix": self.answer_prefix}
        self._digits = _digit_token_ids(tokenizer)
        self.min_shared_prefix = max(1, int(min_shared_prefix))

    def encode(self, prompt: str) -> list[int]:
        """Token ids of the single-user-message chat plus the answer prefix (or the bare prompt)."""
        tok = self.tokenizer
        if getattr(tok, "chat_template", None):
            text = tok.apply_chat_template([{"role": "user", "content": prompt}], tokenize=False,
                                           add_generation_prompt=True) + self.answer_prefix
            return list(tok(text, add_special_tokens=False)["input_ids"])
        return list(tok(prompt, add_special_tokens=True)["input_ids"])

    def top_logprobs(self, prompts: Sequence[str]) -> list[dict[str, float]]:
        """token -> logprob of the 20 likeliest next tokens for each prompt (one batched forward)."""
        logprobs, _ = self._forward([self.encode(p) for p in prompts])
        return self._top(logprobs)

    def number_distribution(self, prompts: Sequence[str]) -> list[dict[int, float]]:
        """P(answer = n) for n in 0..100 per prompt (digit tree; needs single-digit tokens)."""
        return self._digit_tree([self.encode(p) for p in prompts])

    # model steps -------------------------------------------------------------------------------
    def _forward(self, encoded: Sequence[Sequence[int]]) -> tuple[Any, Any]:
        """Log-probabilities of the next token after each prompt, and the state to extend it.

        Judge prompts of one audit share a long prefix (chat header and definition.txt, often half
        the prompt): when a batch shares at least `min_shared_prefix` tokens, the prefix is run
        once and its KV cache copied to every row, then only the suffixes are run, right-padded;
        the padding inside the sequence is masked, and position ids count real tokens only, so a
        row scores exactly as it would alone. Otherwise prompts are left-padded and run whole.
        """
        import torch

        if getattr(self.model, "training", False):
            self.model.eval()  # dropout would make scores random
        device = _model_device(self.model)
        shared = _shared_prefix(encoded)
        if len(encoded) > 1 and shared >= self.min_shared_prefix and _accepts(self.model, "position_ids"):
            return self._forward_shared(encoded, shared, device)
        width = max(len(ids) for ids in encoded)
        pad = self._pad_id()
        input_ids = torch.full((len(encoded), width), pad, dtype=torch.long)
        mask = torch.zeros((len(encoded), width), dtype=torch.long)
        for row, ids in enumerate(encoded):
            if ids:
                input_ids[row, width - len(ids):] = torch.tensor(ids, dtype=torch.long)
                mask[row, width - len(ids):] = 1
        kwargs: dict[str, Any] = {"input_ids": input_ids.to(device), "attention_mask": mask.to(device),
                                  "use_cache": True}
        if _accepts(self.model, "position_ids"):
            kwargs["position_ids"] = (mask.cumsum(-1) - 1).clamp(min=0).to(device)
        if _accepts(self.model, "logits_to_keep"):
            kwargs["logits_to_keep"] = 1  # only the last position's logits: not [batch, length, vocab]
        with torch.inference_mode():
            out = self.model(**kwargs)
            logprobs = torch.log_softmax(out.logits[:, -1, :].float(), dim=-1)
        return logprobs, (_cache_of(out), mask.to(device))

    def _forward_shared(self, encoded: Sequence[Sequence[int]], shared: int, device: Any) -> tuple[Any, Any]:
        import torch

        b = len(encoded)
        with torch.inference_mode():
            head = self.model(input_ids=torch.tensor([list(encoded[0][:shared])], device=device), use_cache=True)
        cache = _cache_of(head)
        for layer in getattr(cache, "layers", []):
            layer.reorder_cache(torch.zeros(b, dtype=torch.long, device=device))  # one copy per row
        tails = [list(ids[shared:]) for ids in encoded]
        width = max(len(t) for t in tails)
        input_ids = torch.full((b, width), self._pad_id(), dtype=torch.long)
        mask = torch.zeros((b, shared + width), dtype=torch.long)
        mask[:, :shared] = 1
        for row, tail in enumerate(tails):
            input_ids[row, :len(tail)] = torch.tensor(tail, dtype=torch.long)
            mask[row, shared:shared + len(tail)] = 1
        mask = mask.to(device)
        position_ids = (shared + torch.arange(width)).unsqueeze(0).expand(b, width).to(device)
        cache_arg = "cache" if _accepts(self.model, "cache") else "past_key_values"
        with torch.inference_mode():
            out = self.model(input_ids=input_ids.to(device), attention_mask=mask, position_ids=position_ids,
                             use_cache=True, **{cache_arg: cache})
            last = torch.tensor([len(t) - 1 for t in tails], device=device)
            logits = out.logits[torch.arange(b, device=device), last].float()
            logprobs = torch.log_softmax(logits, dim=-1)
        return logprobs, (_cache_of(out), mask)

    def _step(self, state: tuple[Any, Any], rows: Any, tokens: Any) -> tuple[Any, tuple[Any, Any]]:
        """Extend the prompts in `rows` (indices into the state's batch) by one token each."""
        import torch

        cache, mask = state
        for layer in getattr(cache, "layers", []):
            layer.reorder_cache(rows)  # index_select on the batch axis: repeats and picks rows
        mask = torch.cat([mask.index_select(0, rows), torch.ones_like(rows).unsqueeze(1)], dim=1)
        cache_arg = "cache" if _accepts(self.model, "cache") else "past_key_values"  # renamed in transformers 5.x
        kwargs: dict[str, Any] = {"input_ids": tokens.unsqueeze(1), "attention_mask": mask,
                                  cache_arg: cache, "use_cache": True}
        if _accepts(self.model, "position_ids"):
            kwargs["position_ids"] = (mask.sum(-1, keepdim=True) - 1)
        with torch.inference_mode():
            out = self.model(**kwargs)
            logprobs = torch.log_softmax(out.logits[:, -1, :].float(), dim=-1)
        return logprobs, (_cache_of(out), mask)

    def _digit_tree(self, encoded: Sequence[Sequence[int]]) -> list[dict[int, float]]:
        import torch

        digits = torch.tensor(self._digits, device=_model_device(self.model))
        first, state = self._forward(encoded)
        p1 = first.exp()[:, digits]  # [B, 10]
        b = len(encoded)
        rows = torch.arange(b, device=digits.device).repeat_interleave(10)
        second, state = self._step(state, rows, digits.repeat(b))
        p2 = second.exp()[:, digits].view(b, 10, 10)  # [B, first digit, second digit]
        stop1 = (1 - p2.sum(-1)).clamp(min=0)  # a one-digit answer ends after its digit
        ten = torch.arange(b, device=digits.device) * 10 + 1  # the rows whose first digit is "1"
        third, _ = self._step(state, ten, digits[[0] * b])
        p3 = third.exp()[:, digits]  # after "10"
        stop10 = (1 - p3.sum(-1)).clamp(min=0)
        out = []
        for i in range(b):
            dist = {n: float(p1[i, n] * stop1[i, n]) for n in range(10)}
            for n in range(10, 100):
                # a third digit would make >= 110 (not a score); its mass stays with the two digits
                dist[n] = float(p1[i, n // 10] * p2[i, n // 10, n % 10]) if n // 10 else 0.0
            dist[10] = float(p1[i, 1] * p2[i, 1, 0] * stop10[i])
            dist[100] = float(p1[i, 1] * p2[i, 1, 0] * p3[i, 0])
            out.append(dist)
        return out

    def _top(self, logprobs: Any) -> list[dict[str, float]]:
        k = min(TOP_LOGPROBS, logprobs.shape[-1])
        values, indices = logprobs.topk(k, dim=-1)
        return [merge_top((self.tokenizer.decode([i]), v) for i, v in zip(ids, vals))
                for vals, ids in zip(values.tolist(), indices.tolist())]

    def _pad_id(self) -> int:
        for attr in ("pad_token_id", "eos_token_id"):
            value = getattr(self.tokenizer, attr, None)
            if isinstance(value, int):
                return value
        return 0

    def _score_batch(self, encoded: list[list[int]]) -> list[_Scored]:
        if self._digits is not None:
            scored = []
            for ids, dist in zip(encoded, self._digit_tree(encoded)):
                mass = sum(dist.values())
                score = sum(n * p for n, p in dist.items()) / mass if mass >= MIN_INTEGER_MASS else None
                scored.append(_Scored(score, mass, None, len(ids), 0))
            return scored
        logprobs, _ = self._forward(encoded)
        return [_scored_from_top(top, len(ids), 0) for ids, top in zip(encoded, self._top(logprobs))]

    def _score_uncached(self, prompts: Sequence[str], done: Callable[[str, Attempted[_Scored]], None], *,
                        progress: bool) -> None:
        # Similar lengths together: less padding per batch.
        order = sorted(prompts, key=len)
        bar = None
        if progress:
            import sys

            from tqdm import tqdm
            bar = tqdm(total=len(order), desc=f"judge {self.model_id}", file=sys.stderr, unit="prompt", leave=False)
        try:
            for start in range(0, len(order), self.batch_size):
                batch = order[start:start + self.batch_size]
                encoded = [self.encode(p) for p in batch]
                for prompt, scored in zip(batch, self._score_batch(encoded)):
                    done(prompt, Attempted(scored, None, 1))
                if bar is not None:
                    bar.update(len(batch))
        finally:
            if bar is not None:
                bar.close()


def _shared_prefix(encoded: Sequence[Sequence[int]]) -> int:
    """Tokens every prompt starts with, leaving each at least one token of its own."""
    shortest = min(len(ids) for ids in encoded)
    n = 0
    while n < shortest - 1 and all(ids[n] == encoded[0][n] for ids in encoded):
        n += 1
    return n


def _cache_of(out: Any) -> Any:
    """The KV cache of a forward's output (`cache` in transformers 5.x, `past_key_values` before)."""
    cache = getattr(out, "cache", None) if "cache" in getattr(out, "keys", lambda: ())() else None
    return cache if cache is not None else out.past_key_values


def _digit_token_ids(tokenizer: Any) -> list[int] | None:
    """Ids of the tokens "0".."9" when the tokenizer spells numbers digit by digit, else None."""
    try:
        ids = [tokenizer.convert_tokens_to_ids(str(d)) for d in range(10)]
        splits = all(len(tokenizer.tokenize(str(n))) == len(str(n)) for n in (10, 42, 100))
    except Exception:  # an exotic tokenizer: fall back to the top-20 rule
        return None
    unk = getattr(tokenizer, "unk_token_id", None)
    if not splits or any(not isinstance(i, int) or i == unk for i in ids) or len(set(ids)) != 10:
        return None
    return ids


def _model_device(model: Any) -> Any:
    device = getattr(model, "device", None)
    if device is not None:
        return device
    try:
        return next(model.parameters()).device
    except (StopIteration, AttributeError):
        return "cpu"


def _accepts(model: Any, name: str) -> bool:
    try:
        return name in inspect.signature(model.forward).parameters
    except (TypeError, ValueError, AttributeError):
        return False


def make_judge(spec: str, *, cache_dir: Path | None, local_loader: Callable[[], tuple[Any, Any]] | None = None,
               concurrency: int = 8, retry: RetryPolicy | None = None, local_name: str = "embedded") -> Judge:
    """A judge from a spec: "openai" (gpt-4.1-nano), "openai:MODEL", or "local" (the model that
    `local_loader()` returns; the caller chooses it, by default the embedded model)."""
    text = (spec or "").strip()
    backend, _, model = text.partition(":")
    if backend == "openai":
        if _ and not model.strip():
            raise ValueError(f"judge spec {spec!r}: give a model after 'openai:', e.g. 'openai:gpt-4.1-nano'")
        return OpenAIJudge(model.strip() or DEFAULT_OPENAI_JUDGE, cache_dir=cache_dir, concurrency=concurrency,
                           retry=retry)
    if backend == "local" and not _:
        if local_loader is None:
            raise ValueError("judge spec 'local' needs a local model loader (none was given)")
        model_obj, tokenizer = local_loader()
        return LocalJudge(model_obj, tokenizer, name=local_name, cache_dir=cache_dir)
    raise ValueError(f"unknown judge spec {spec!r}: use 'openai', 'openai:MODEL' (e.g. 'openai:gpt-4.1-nano') "
                     f"or 'local'")
