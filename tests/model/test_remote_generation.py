"""Remote generation through the real `openai` SDK against the loopback server: both endpoints,
retries, and the per-call cache (a second run sends nothing; a failure is never cached)."""
from __future__ import annotations

import json

import pytest

from tests.model.openai_server import Fault, OpenAIServer, chat_text, completion_text
from traitlint.model.remote import RetryPolicy
from traitlint.model.remote_generation import GenerationResult, OpenAIGenerator

SENTINEL = "sk-traitlint-gen-SENTINEL-9876543210"
FAST = RetryPolicy(max_attempts=4, base_delay=0.001, max_delay=0.005)


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


@pytest.fixture
def server():
    with OpenAIServer() as srv:
        yield srv


def gen(server: OpenAIServer, cache_dir, **kw) -> OpenAIGenerator:
    kw.setdefault("retry", FAST)
    return OpenAIGenerator("base-model", base_url=server.base_url, cache_dir=cache_dir, **kw)


def test_completions_and_chat_return_the_servers_text_in_order(server, tmp_path):
    g = gen(server, tmp_path, concurrency=4)
    prompts = [f"The assistant said {i}" for i in range(12)]
    done = g.complete(prompts, max_new_tokens=16)
    assert [r.text for r in done] == [completion_text(p, 16) for p in prompts]
    answers = g.chat(["What is a trait?", "Why?"], max_new_tokens=64)
    assert answers == [GenerationResult(chat_text("What is a trait?", 64)), GenerationResult(chat_text("Why?", 64))]
    assert g.usage.calls == 14 and g.usage.failed == 0 and g.usage.completion_tokens == 12 * 16 + 2


@pytest.mark.parametrize("fault", [Fault("status", 503), Fault("status", 429, retry_after="0.05"),
                                   Fault("invalid_json"), Fault("no_choices"), Fault("sleep", seconds=2.0)],
                         ids=["503", "429", "invalid_json", "no_choices", "timeout"])
def test_faults_are_retried(server, tmp_path, fault):
    server.add_fault(fault, match="flaky", times=1)
    g = gen(server, tmp_path, timeout=0.5)
    result = g.complete(["a flaky prompt"], max_new_tokens=8)[0]
    assert result == GenerationResult(completion_text("a flaky prompt", 8))
    assert server.per_prompt["a flaky prompt"] == 2 and g.usage.retries == 1


def test_second_run_makes_zero_requests_and_keys_differ_by_endpoint_and_length(server, tmp_path):
    prompts = ["one", "two", "three"]
    gen(server, tmp_path).complete(prompts, max_new_tokens=16)
    assert server.requests_total == 3
    again = gen(server, tmp_path)
    cached = again.complete(prompts, max_new_tokens=16)
    assert server.requests_total == 3 and all(r.cached for r in cached)
    assert [r.text for r in cached] == [completion_text(p, 16) for p in prompts]
    assert again.usage.calls == 0 and again.usage.cached == 3
    again.complete(prompts, max_new_tokens=4)  # another length: another answer
    again.chat(prompts, max_new_tokens=16)  # another endpoint: another answer
    assert server.requests_total == 9
    entries = list((tmp_path / "generation").glob("*/*.json"))
    assert len(entries) == 9
    kinds = {json.loads(p.read_text())["kind"] for p in entries}
    assert kinds == {"completion", "chat"}
    assert not any(SENTINEL in p.read_text() for p in entries)


def test_persistent_failure_is_reported_and_not_cached(server, tmp_path):
    server.add_fault(Fault("status", 502), match="down", times=None)
    policy = RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.001)
    results = gen(server, tmp_path, retry=policy).chat(["server down", "fine"], max_new_tokens=8)
    assert results[0].text is None and "502" in results[0].error and SENTINEL not in results[0].error
    assert results[1].text == chat_text("fine", 8)
    server.reset_counts()
    gen(server, tmp_path, retry=policy).chat(["server down", "fine"], max_new_tokens=8)
    assert dict(server.per_prompt) == {"server down": 2}


def test_spec_parsing(server, monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    g = OpenAIGenerator.from_spec("openai:meta-llama/Llama-3.1-8B", retry=FAST)
    assert g.model == "meta-llama/Llama-3.1-8B" and g.model_id == "openai:meta-llama/Llama-3.1-8B"
    assert g.complete(["x"], max_new_tokens=2)[0].text == completion_text("x", 2)
    for bad in ("openai", "openai:", "vllm:model", ""):
        with pytest.raises(ValueError, match="openai:MODEL"):
            OpenAIGenerator.from_spec(bad)
