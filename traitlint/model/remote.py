"""Retries, concurrency, usage accounting and client set-up shared by every remote model call.

Why our own retries rather than the SDK's: the SDK retries a fixed few times and knows nothing of
malformed bodies (a proxy's HTML page, JSON without `choices`), which on vLLM/Ollama deployments
are as transient as a 503. One policy here governs judges and generation alike, classifies every
failure into "retry", "give up on this call" or "give up on the run" (a bad key fails every call
the same way), and tests can shrink its delays to milliseconds.

Secrets: the API key lives only inside the SDK client. Every error text that leaves this module
goes through `Redactor`, which strips the key (and anything shaped like one) before it can reach a
result, a log line or a cache file.
"""
from __future__ import annotations

import email.utils
import json
import math
import os
import random
import re
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit, urlunsplit

from traitlint.errors import Unavailable

T = TypeVar("T")
X = TypeVar("X")

DEFAULT_OPENAI_BASE_URL = "https://api.openai.com/v1"
_RETRY_STATUS = {408, 409, 429}  # 4xx that are worth retrying; every 5xx is
_FATAL_STATUS = {401, 403, 404}  # the same for every call: bad key, no access, no such model
_ERROR_TEXT_LIMIT = 300


class MalformedResponse(Exception):
    """A response arrived but lacks a field we need (no `choices`, a non-object body...): retried."""


class RemoteConfigError(Unavailable, ValueError):
    """The remote client cannot be set up (e.g. no API key for api.openai.com)."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: attempt k (1-based) waits min(max_delay, base_delay * 2**(k-1)),
    times a random factor in [0.5, 1] when `jitter` (so concurrent workers that failed together do
    not retry together). A server's Retry-After wins over the backoff, up to `max_retry_after`."""

    max_attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    jitter: bool = True
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("RetryPolicy.max_attempts must be >= 1")
        if self.base_delay < 0 or self.max_delay < 0:
            raise ValueError("RetryPolicy delays must be >= 0")

    def backoff(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None and math.isfinite(retry_after) and retry_after >= 0:
            return min(retry_after, self.max_retry_after)
        delay = min(self.max_delay, self.base_delay * (2 ** max(0, attempt - 1)))
        return delay * random.uniform(0.5, 1.0) if self.jitter else delay


@dataclass(frozen=True)
class Failure:
    """How one exception is handled: `retryable` → try again; `fatal` → stop sending this run."""

    reason: str
    retryable: bool
    retry_after: float | None = None
    fatal: bool = False


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait from `retry-after-ms`, `retry-after` (seconds, fractions allowed) or an HTTP
    date in `retry-after`; None when absent or unparsable."""
    if not headers:
        return None
    try:
        ms = headers.get("retry-after-ms")
        if ms is not None:
            return max(0.0, float(ms) / 1000.0)
    except (TypeError, ValueError):
        pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def classify(exc: BaseException) -> Failure:
    """Map an exception from an SDK call (or our parsing of its result) to a retry decision.

    Works by duck typing (`status_code`, `response.headers`) and class names so that this module
    imports neither openai nor pydantic, and so an SDK upgrade that moves a class keeps working.
    """
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and name != "APIResponseValidationError":
        headers = getattr(getattr(exc, "response", None), "headers", None)
        reason = f"HTTP {status}: {_exc_text(exc)}"
        if status == 429:
            return Failure(reason, True, parse_retry_after(headers))
        if status >= 500 or status in _RETRY_STATUS:
            return Failure(reason, True, parse_retry_after(headers))
        return Failure(reason, False, fatal=status in _FATAL_STATUS)
    mro = {c.__name__ for c in type(exc).__mro__}
    if "APITimeoutError" in mro or isinstance(exc, TimeoutError) or "TimeoutException" in mro:
        return Failure(f"timeout: {_exc_text(exc)}", True)
    if "APIConnectionError" in mro or isinstance(exc, ConnectionError) or "TransportError" in mro:
        return Failure(f"connection error: {_exc_text(exc)}", True)
    if isinstance(exc, json.JSONDecodeError):
        return Failure(f"malformed response (invalid JSON): {_exc_text(exc)}", True)
    if isinstance(exc, MalformedResponse) or name == "APIResponseValidationError" or (
            name == "ValidationError" and type(exc).__module__.startswith("pydantic")):
        return Failure(f"malformed response: {_exc_text(exc)}", True)
    if isinstance(exc, (AttributeError, KeyError, TypeError, IndexError)):
        return Failure(f"malformed response ({name}): {_exc_text(exc)}", True)
    return Failure(f"{name}: {_exc_text(exc)}", False)


def _exc_text(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())


class Redactor:
    """Removes secrets from text: the exact key, plus anything shaped like an OpenAI-style key
    (a server may echo a masked or partial key back in an error body)."""

    _KEYLIKE = re.compile(r"\bsk-[A-Za-z0-9_\-*.]{6,}")
    _BEARER = re.compile(r"(?i)bearer\s+\S+")

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        text = self._BEARER.sub("Bearer [redacted]", text)
        text = self._KEYLIKE.sub("[redacted]", text)
        return text if len(text) <= _ERROR_TEXT_LIMIT else text[:_ERROR_TEXT_LIMIT - 3] + "..."

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secret(s))"


@dataclass
class Attempted(Generic[T]):
    """The outcome of one logical call after retries: `value` or an `error` reason."""

    value: T | None
    error: str | None = None
    attempts: int = 0
    fatal: bool = False


def call_with_retry(fn: Callable[[], T], policy: RetryPolicy, *, redact: Callable[[str], str] = str,
                    sleep: Callable[[float], None] = time.sleep,
                    on_retry: Callable[[Failure], None] | None = None) -> Attempted[T]:
    """Run `fn` until it returns, a non-retryable failure, or `policy.max_attempts` attempts."""
    failure: Failure | None = None
    for attempt in range(1, policy.max_attempts + 1):
        try:
            return Attempted(fn(), None, attempt)
        except Exception as exc:  # noqa: BLE001 - classified below, never swallowed silently
            failure = classify(exc)
        if not failure.retryable or attempt == policy.max_attempts:
            reason = failure.reason if not failure.retryable else \
                f"failed after {attempt} attempt(s): {failure.reason}"
            return Attempted(None, redact(reason), attempt, failure.fatal)
        if on_retry is not None:
            on_retry(failure)
        sleep(policy.backoff(attempt, failure.retry_after))
    raise AssertionError("unreachable")  # pragma: no cover


def map_with_retry(fn: Callable[[X], T], items: Sequence[X], *, policy: RetryPolicy, concurrency: int,
                   on_done: Callable[[int, Attempted[T]], None] | None = None,
                   redact: Callable[[str], str] = str, progress: bool = False, desc: str = "",
                   on_retry: Callable[[Failure], None] | None = None) -> list[Attempted[T]]:
    """`call_with_retry(fn(item))` for every item on a pool of `concurrency` threads, in input order.

    `on_done(i, outcome)` runs in the worker as soon as item i finishes: callers write their cache
    entry there, so a run killed midway keeps every finished call. After a fatal failure (bad key,
    unknown model) the items not yet started are not sent and carry the fatal reason.
    """
    results: list[Attempted[T] | None] = [None] * len(items)
    abort: list[str] = []
    lock = threading.Lock()
    bar = _progress_bar(len(items), desc, progress)

    def work(i: int) -> None:
        if abort:
            outcome: Attempted[T] = Attempted(None, f"not sent: {abort[0]}", 0, True)
        else:
            outcome = call_with_retry(lambda: fn(items[i]), policy, redact=redact, on_retry=on_retry)
            if outcome.fatal:
                with lock:
                    if not abort:
                        abort.append(outcome.error or "fatal error")
        results[i] = outcome
        if on_done is not None:
            on_done(i, outcome)
        if bar is not None:
            with lock:
                bar.update(1)

    try:
        if concurrency <= 1 or len(items) <= 1:
            for i in range(len(items)):
                work(i)
        else:
            _run_pool(work, len(items), concurrency)
    finally:
        if bar is not None:
            bar.close()
    return [r if r is not None else Attempted(None, "not run", 0) for r in results]


def _run_pool(work: Callable[[int], None], n: int, concurrency: int) -> None:
    """Run work(0..n-1) on a thread pool; on Ctrl-C cancel what has not started instead of
    waiting for the whole queue (the finished calls are already cached)."""
    pool = ThreadPoolExecutor(max_workers=min(concurrency, n), thread_name_prefix="traitlint-remote")
    futures = [pool.submit(work, i) for i in range(n)]
    try:
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for fut in done:
                fut.result()  # re-raise a bug in a callback instead of hiding it
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _progress_bar(total: int, desc: str, enabled: bool) -> Any:
    if not enabled or total == 0:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc=desc or None, file=sys.stderr, unit="call", dynamic_ncols=True)


# --- usage and prices ------------------------------------------------------------------------------

# USD per million tokens (input, output), OpenAI list prices. Only applied against api.openai.com:
# the same model name behind a self-hosted server costs something else (or nothing).
PRICES_PER_MILLION: dict[str, tuple[float, float]] = {
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4o-mini": (0.15, 0.60),
}


def price_for(model: str, base_url: str | None) -> tuple[float, float] | None:
    """The (input, output) USD/M price of `model` at `base_url`, None when unknown."""
    if base_url is not None and urlsplit(base_url).hostname != urlsplit(DEFAULT_OPENAI_BASE_URL).hostname:
        return None
    return PRICES_PER_MILLION.get(model)


_USAGE_LOCK = threading.Lock()  # not a field: a Lock would break dataclasses.asdict/copy


@dataclass
class CallUsage:
    """What a run of remote (or local) calls cost. `calls` counts prompts sent (not retries);
    `cached` counts prompts answered from the cache; `failed` counts results with an error."""

    model_id: str
    label: str = "calls"
    calls: int = 0
    cached: int = 0
    failed: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    price_per_million: tuple[float, float] | None = None

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def estimated_cost_usd(self) -> float | None:
        if self.price_per_million is None:
            return None
        inp, out = self.price_per_million
        return (self.prompt_tokens * inp + self.completion_tokens * out) / 1e6

    def add(self, *, calls: int = 0, cached: int = 0, failed: int = 0, retries: int = 0,
            prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
        with _USAGE_LOCK:
            self.calls += calls
            self.cached += cached
            self.failed += failed
            self.retries += retries
            self.prompt_tokens += prompt_tokens
            self.completion_tokens += completion_tokens

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready counters for a report."""
        return {"model_id": self.model_id, "calls": self.calls, "cached": self.cached, "failed": self.failed,
                "retries": self.retries, "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens, "estimated_cost_usd": self.estimated_cost_usd}

    def summary(self) -> str:
        cost = self.estimated_cost_usd
        cost_text = f"~${cost:.4f}" if cost is not None else "cost unknown"
        retries = f", {self.retries:,} {'retry' if self.retries == 1 else 'retries'}" if self.retries else ""
        return (f"{self.label} {self.model_id}: {self.calls:,} calls, {self.cached:,} cached, "
                f"{self.failed:,} failed{retries}, {self.total_tokens:,} tokens, {cost_text}")


# --- OpenAI client ----------------------------------------------------------------------------------

def display_url(url: str) -> str:
    """`url` without user:password (a base URL may carry credentials)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def make_openai_client(*, base_url: str | None = None, timeout: float = 30.0) -> tuple[Any, str, Redactor]:
    """An `openai.OpenAI` client with SDK retries off, plus its base URL for display and a redactor.

    The key comes only from `OPENAI_API_KEY` (never an argument, so it never lands in a config file
    or a repr). The base URL is `base_url`, else the SDK's `OPENAI_BASE_URL`, else api.openai.com.
    A self-hosted server (vLLM, Ollama) needs no key, so a placeholder is sent there.
    """
    from openai import OpenAI

    url = base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_OPENAI_BASE_URL
    key = os.environ.get("OPENAI_API_KEY") or ""
    if not key:
        if urlsplit(url).hostname == urlsplit(DEFAULT_OPENAI_BASE_URL).hostname:
            raise RemoteConfigError(
                "OPENAI_API_KEY is not set: export OPENAI_API_KEY=<your key> to use the OpenAI API, "
                "or set OPENAI_BASE_URL to an OpenAI-compatible server (vLLM, Ollama) that needs none")
        key = "EMPTY"
    secrets = [key] + [p for p in (urlsplit(url).password,) if p]
    client = OpenAI(api_key=key, base_url=url, max_retries=0, timeout=timeout)
    return client, display_url(url), Redactor(secrets)


def usage_tokens(response: Any) -> tuple[int, int]:
    """(prompt_tokens, completion_tokens) of a response; zeros when the server reports none."""
    usage = getattr(response, "usage", None)
    p = getattr(usage, "prompt_tokens", None)
    c = getattr(usage, "completion_tokens", None)
    return (p if isinstance(p, int) else 0, c if isinstance(c, int) else 0)
