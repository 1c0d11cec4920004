"""Judges: the logprob scoring rule, the OpenAI judge through the real SDK against a loopback
server (retries, faults, cache, concurrency, secrecy, a killed run), and the local HF judge."""
from __future__ import annotations

import dataclasses
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.model.openai_server import Fault, OpenAIServer, distribution_for
from traitlint.model.judge_cache import CallCache
from traitlint.model.judges import (
    NO_LOGPROBS, JudgeResult, JudgeUsage, LocalJudge, OpenAIJudge, make_judge, merge_top, score_from_top_logprobs,
)
from traitlint.model.remote import (
    DEFAULT_OPENAI_BASE_URL, RemoteConfigError, RetryPolicy, classify, parse_retry_after, price_for,
)

ROOT = Path(__file__).resolve().parents[2]
SENTINEL = "sk-traitlint-test-SENTINEL-0123456789abcdef"
FAST = RetryPolicy(max_attempts=4, base_delay=0.001, max_delay=0.005)


def lp(p: float) -> float:
    return math.log(p)


def expected(prompt: str) -> float | None:
    return score_from_top_logprobs({t: math.log(p) for t, p in distribution_for(prompt)})[0]


@pytest.fixture(autouse=True)
def _env(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


@pytest.fixture
def server():
    with OpenAIServer() as srv:
        yield srv


def judge_for(server: OpenAIServer, cache_dir: Path | None, **kw) -> OpenAIJudge:
    kw.setdefault("retry", FAST)
    return OpenAIJudge(base_url=server.base_url, cache_dir=cache_dir, **kw)


# --- the scoring rule ------------------------------------------------------------------------------

def test_weighted_mean_over_integer_tokens():
    score, mass = score_from_top_logprobs({"70": lp(0.5), "80": lp(0.25), "The": lp(0.25)})
    assert mass == pytest.approx(0.75)
    assert score == pytest.approx((70 * 0.5 + 80 * 0.25) / 0.75)


def test_less_than_a_quarter_of_integer_mass_is_none():
    assert score_from_top_logprobs({"50": lp(0.2), "Sorry": lp(0.8)}) == (None, pytest.approx(0.2))
    score, mass = score_from_top_logprobs({"50": lp(0.3), "Sorry": lp(0.7)})
    assert score == pytest.approx(50) and mass == pytest.approx(0.3)
    assert score_from_top_logprobs({}) == (None, 0.0)


def test_non_integer_and_out_of_range_tokens_are_ignored():
    top = {"101": lp(0.1), "-5": lp(0.1), "3.5": lp(0.1), "1_0": lp(0.1), "+5": lp(0.1), "\u0663": lp(0.1),
           "abc": lp(0.1), "42": lp(0.3)}
    score, mass = score_from_top_logprobs(top)
    assert score == pytest.approx(42) and mass == pytest.approx(0.3)


def test_whitespace_around_an_integer_token_is_stripped():
    score, mass = score_from_top_logprobs({" 42": lp(0.5), "42\n": lp(0.3), "0": lp(0.2)})
    assert mass == pytest.approx(1.0)
    assert score == pytest.approx(42 * 0.8)


def test_merge_top_sums_tokens_that_decode_alike():
    merged = merge_top([("7", lp(0.2)), ("x", lp(0.5)), ("7", lp(0.3))])
    assert math.exp(merged["7"]) == pytest.approx(0.5)
    assert score_from_top_logprobs(merged) == (pytest.approx(7), pytest.approx(0.5))


_TOKENS = st.one_of(st.integers(-20, 150).map(str), st.integers(0, 100).map(lambda n: f" {n}"),
                    st.sampled_from(["The", "I", "Sorry", "yes", "3.5", "", " "]))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_TOKENS, st.floats(1e-6, 1.0), min_size=0, max_size=20))
def test_property_score_within_integer_range_and_none_iff_low_mass(raw):
    total = sum(raw.values())
    probs = {t: p / total for t, p in raw.items()} if total > 1 else raw
    ints = {t: int(t.strip()) for t in probs if t.strip().isdigit() and 0 <= int(t.strip()) <= 100}
    mass = sum(probs[t] for t in ints)
    assume(abs(mass - 0.25) > 1e-9)
    score, got_mass = score_from_top_logprobs({t: math.log(p) for t, p in probs.items()})
    assert got_mass == pytest.approx(mass, abs=1e-9)
    assert (score is None) == (mass < 0.25)
    if score is not None:
        assert min(ints.values()) - 1e-9 <= score <= max(ints.values()) + 1e-9


# --- retry machinery -------------------------------------------------------------------------------

def test_parse_retry_after_forms():
    assert parse_retry_after({"retry-after": "2"}) == 2.0
    assert parse_retry_after({"retry-after": "0.25"}) == 0.25
    assert parse_retry_after({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({}) is None
    from email.utils import formatdate
    assert 5 < parse_retry_after({"retry-after": formatdate(time.time() + 10, usegmt=True)}) <= 10.5


def test_backoff_is_exponential_capped_and_jittered():
    policy = RetryPolicy(base_delay=1.0, max_delay=5.0, jitter=False)
    assert [policy.backoff(k) for k in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]
    assert policy.backoff(1, retry_after=42.0) == 42.0  # the server's word beats max_delay
    jittered = RetryPolicy(base_delay=1.0, max_delay=5.0)
    draws = [jittered.backoff(3) for _ in range(200)]
    assert all(2.0 <= d <= 4.0 for d in draws) and len(set(draws)) > 1


def test_classify_status_codes_and_body_errors():
    class Resp:
        headers = {"retry-after": "3"}

    class StatusErr(Exception):
        def __init__(self, code):
            super().__init__(f"Error code: {code}")
            self.status_code, self.response = code, Resp()

    for code in (408, 409, 429, 500, 502, 503):
        assert classify(StatusErr(code)).retryable, code
    assert classify(StatusErr(429)).retry_after == 3.0
    for code in (400, 401, 403, 404, 422):
        assert not classify(StatusErr(code)).retryable, code
    assert classify(StatusErr(401)).fatal and not classify(StatusErr(400)).fatal
    assert classify(json.JSONDecodeError("x", "doc", 0)).retryable
    assert classify(KeyError("choices")).retryable
    assert not classify(ValueError("a bug")).retryable


# --- OpenAI judge against the loopback server ---------------------------------------------------------

def test_scores_follow_the_servers_distribution(server, tmp_path):
    judge = judge_for(server, tmp_path)
    prompts = ["Rate this. SCORE=73", "Another text", "SCORE=0 edge", "SCORE=100 edge"]
    results = judge.score_many(prompts)
    assert results[0].score == pytest.approx((73 * 0.6 + 74 * 0.2 + 72 * 0.1) / 0.9)
    assert results[0].mass == pytest.approx(0.9)
    for prompt, result in zip(prompts, results):
        assert result.error is None and not result.cached
        assert result.score == pytest.approx(expected(prompt))
    sent = server.per_prompt
    assert all(sent[p] == 1 for p in prompts)
    assert judge.usage.calls == 4 and judge.usage.failed == 0 and judge.usage.prompt_tokens > 0


FAULTS = {
    "429_retry_after": Fault("status", 429, retry_after="0.4"),
    "500": Fault("status", 500),
    "503": Fault("status", 503),
    "timeout": Fault("sleep", seconds=2.0),
    "invalid_json": Fault("invalid_json"),
    "json_without_choices": Fault("no_choices"),
}


@pytest.mark.parametrize("name", list(FAULTS))
def test_each_injected_fault_is_retried_then_succeeds(server, tmp_path, name):
    judge = judge_for(server, tmp_path, timeout=0.5)
    prompt = f"fault {name} SCORE=40"
    server.add_fault(FAULTS[name], match=prompt, times=1)
    started = time.monotonic()
    result = judge.score(prompt)
    assert result.error is None, result.error
    assert result.score == pytest.approx(expected(prompt))
    assert server.per_prompt[prompt] == 2
    assert judge.usage.retries == 1 and judge.usage.failed == 0
    if name == "429_retry_after":
        first, second = server.times[prompt]
        assert second - first >= 0.38  # Retry-After: 0.4 honoured although max_delay is 5 ms
    if name == "timeout":
        assert time.monotonic() - started < 1.9  # gave up on the slow answer at the client timeout


def test_missing_logprobs_is_a_recorded_answer_not_a_crash(server, tmp_path):
    judge = judge_for(server, tmp_path)
    results = judge.score_many(["NOLOGPROBS please", "SCORE=10"])
    assert results[0] == JudgeResult(None, NO_LOGPROBS, False, None)
    assert results[1].score == pytest.approx(expected("SCORE=10"))
    assert server.per_prompt["NOLOGPROBS please"] == 1  # an answer, so not retried
    again = judge_for(server, tmp_path).score("NOLOGPROBS please")
    assert again.error == NO_LOGPROBS and again.cached
    assert server.per_prompt["NOLOGPROBS please"] == 1


def test_low_integer_mass_gives_none_and_is_cached(server, tmp_path):
    judge = judge_for(server, tmp_path)
    result = judge.score("LOWMASS words only")
    assert result.score is None and result.error is None and result.mass == pytest.approx(0.1)
    assert judge_for(server, tmp_path).score("LOWMASS words only") == JudgeResult(None, None, True,
                                                                                 pytest.approx(0.1))
    assert server.requests_total == 1


def test_persistent_failure_is_reported_run_continues_and_is_not_cached(server, tmp_path):
    server.add_fault(Fault("status", 500), match="BROKEN", times=None)
    policy = RetryPolicy(max_attempts=3, base_delay=0.001, max_delay=0.002)
    prompts = ["ok one SCORE=20", "BROKEN prompt", "ok two SCORE=30"]
    results = judge_for(server, tmp_path, retry=policy).score_many(prompts)
    assert results[1].score is None
    assert "500" in results[1].error and "3 attempt" in results[1].error
    assert results[0].score == pytest.approx(expected(prompts[0]))
    assert results[2].score == pytest.approx(expected(prompts[2]))
    assert server.per_prompt["BROKEN prompt"] == 3
    assert len(list((tmp_path / "judge").glob("*/*.json"))) == 2
    server.reset_counts()
    rerun = judge_for(server, tmp_path, retry=policy)
    rerun.score_many(prompts)
    assert dict(server.per_prompt) == {"BROKEN prompt": 3}  # only the failure is sent again
    assert rerun.usage.cached == 2 and rerun.usage.failed == 1


def test_client_errors_are_not_retried_and_auth_errors_stop_the_run(server, tmp_path):
    server.add_fault(Fault("status", 400), match="bad request", times=None)
    judge = judge_for(server, tmp_path)
    assert "HTTP 400" in judge.score("bad request").error
    assert server.per_prompt["bad request"] == 1
    server.reset_counts()
    server.add_fault(Fault("status", 401), times=None)
    results = judge_for(server, tmp_path, concurrency=1).score_many([f"p{i}" for i in range(5)])
    assert server.requests_total == 1  # a bad key fails every call: do not send the other four
    assert all(r.error and "401" in r.error for r in results)
    assert all(r.error.startswith("not sent") for r in results[1:])


def test_a_second_run_makes_zero_requests(server, tmp_path):
    prompts = [f"text number {i}" for i in range(30)] + ["text number 3"]  # a duplicate, sent once
    first = judge_for(server, tmp_path, concurrency=4).score_many(prompts)
    assert server.requests_total == 30
    second_judge = judge_for(server, tmp_path)
    second = second_judge.score_many(prompts)
    assert server.requests_total == 30
    assert all(r.cached for r in second)
    assert [r.score for r in second] == [r.score for r in first]
    assert second_judge.usage.calls == 0 and second_judge.usage.cached == 30
    entry = json.loads(next((tmp_path / "judge").glob("*/*.json")).read_text())
    assert {"model", "prompt_sha256", "result", "usage", "created"} <= entry.keys()
    assert entry["model"] == "openai:gpt-4.1-nano" and entry["usage"]["prompt_tokens"] > 0


def test_corrupt_or_foreign_cache_entries_are_treated_as_missing(server, tmp_path):
    prompts = ["alpha", "beta", "gamma"]
    judge_for(server, tmp_path).score_many(prompts)
    cache = CallCache(tmp_path, kind="judge-top-logprobs", model_id="openai:gpt-4.1-nano",
                      params={"top_logprobs": 20})
    cache.path("alpha").write_text("{not json")
    beta = json.loads(cache.path("beta").read_text())
    beta["prompt_sha256"] = "0" * 64
    cache.path("beta").write_text(json.dumps(beta))
    server.reset_counts()
    results = judge_for(server, tmp_path).score_many(prompts)
    assert sorted(server.per_prompt) == ["alpha", "beta"]
    assert [r.cached for r in results] == [False, False, True]
    assert results[0].score == pytest.approx(expected("alpha"))


def test_requests_overlap_at_concurrency_16(tmp_path):
    with OpenAIServer(latency=0.2) as srv:
        judge = judge_for(srv, None, concurrency=16)
        started = time.monotonic()
        results = judge.score_many([f"concurrent {i}" for i in range(32)])
        elapsed = time.monotonic() - started
    assert all(r.error is None for r in results)
    assert srv.max_in_flight >= 4, srv.max_in_flight
    assert elapsed < 32 * 0.2 / 2


def test_the_api_key_never_leaks(server, tmp_path):
    server.add_fault(Fault("echo_auth"), match="echo", times=None)
    server.add_fault(Fault("status", 500), match="flaky", times=None)
    judge = judge_for(server, tmp_path, retry=RetryPolicy(max_attempts=2, base_delay=0.001, max_delay=0.001))
    results = judge.score_many(["echo my headers", "flaky call", "SCORE=55", "NOLOGPROBS x"])
    assert any(SENTINEL in h for h in server.auth_headers)  # the server did get it ...
    assert "echo" not in "".join(r.error or "" for r in results[2:])
    assert results[0].error and "[redacted]" in results[0].error
    texts = [repr(judge), str(judge.__dict__), judge.usage.summary(), repr(judge.cache), repr(results)]
    texts += [r.error or "" for r in results]
    for text in texts:  # ... but it appears in nothing we produce
        assert SENTINEL not in text and SENTINEL[3:20] not in text
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert files
    for path in files:
        assert SENTINEL.encode() not in path.read_bytes(), path


def test_missing_key_for_openai_is_a_clear_error_and_base_url_env_is_honoured(server, tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(RemoteConfigError, match="OPENAI_API_KEY"):
        OpenAIJudge(cache_dir=tmp_path)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)  # a vLLM-style server needs no key
    judge = OpenAIJudge("my-served-model", cache_dir=tmp_path, retry=FAST)
    assert judge.score("SCORE=12").score == pytest.approx(expected("SCORE=12"))
    assert judge.usage.estimated_cost_usd is None


def test_make_judge_specs(server, monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    assert make_judge("openai", cache_dir=None).model_id == "openai:gpt-4.1-nano"
    assert make_judge("openai:gpt-4o-mini", cache_dir=None, concurrency=3).concurrency == 3
    for bad in ("openai:", "gpt-4", "local:thing", ""):
        with pytest.raises(ValueError):
            make_judge(bad, cache_dir=None)
    with pytest.raises(ValueError, match="loader"):
        make_judge("local", cache_dir=None)
    loaded = make_judge("local", cache_dir=tmp_path, local_loader=lambda: ("MODEL", "TOKENIZER"))
    assert isinstance(loaded, LocalJudge) and loaded.model == "MODEL" and loaded.model_id == "local:embedded"


def test_usage_summary_and_prices():
    assert price_for("gpt-4.1-nano", DEFAULT_OPENAI_BASE_URL) == (0.10, 0.40)
    assert price_for("gpt-4.1-nano", "http://localhost:8000/v1") is None
    assert price_for("some-unknown-model", DEFAULT_OPENAI_BASE_URL) is None
    usage = JudgeUsage(model_id="openai:gpt-4.1-nano", calls=40, cached=12, failed=1, prompt_tokens=5000,
                       completion_tokens=210, price_per_million=(0.10, 0.40))
    assert usage.estimated_cost_usd == pytest.approx(584e-6)
    assert usage.summary() == "judge openai:gpt-4.1-nano: 40 calls, 12 cached, 1 failed, 5,210 tokens, ~$0.0006"
    assert "cost unknown" in JudgeUsage(model_id="openai:x").summary()
    assert dataclasses.asdict(usage)["calls"] == 40  # no lock or client inside: reports can serialise it
    assert usage.to_dict()["estimated_cost_usd"] == pytest.approx(584e-6)


def test_an_unwritable_cache_warns_but_keeps_the_answers(server, tmp_path):
    (tmp_path / "judge").write_text("a file where the cache folder should be")
    with pytest.warns(RuntimeWarning, match="cache entry"):
        results = judge_for(server, tmp_path).score_many(["SCORE=33", "SCORE=44"])
    assert [r.score for r in results] == pytest.approx([expected("SCORE=33"), expected("SCORE=44")])


def test_progress_bar_goes_to_stderr(server, capfd):
    judge_for(server, None).score_many(["a", "b", "c"], progress=True)
    out, err = capfd.readouterr()
    assert "judge openai:gpt-4.1-nano" in err and "3/3" in err and "judge" not in out


# --- a run killed midway ---------------------------------------------------------------------------

_KILL_SCRIPT = """
import sys
from pathlib import Path
from traitlint.model.judges import OpenAIJudge
from traitlint.model.remote import RetryPolicy
judge = OpenAIJudge(base_url=sys.argv[1], cache_dir=Path(sys.argv[2]), concurrency=2,
                    retry=RetryPolicy(max_attempts=2, base_delay=0.01, max_delay=0.01))
judge.score_many([f"item {i} SCORE={i}" for i in range(int(sys.argv[3]))])
print("FINISHED", flush=True)
"""


def test_a_killed_run_loses_no_finished_score(tmp_path):
    n = 40
    prompts = [f"item {i} SCORE={i}" for i in range(n)]
    with OpenAIServer(latency=0.15) as srv:
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        proc = subprocess.Popen([sys.executable, "-c", _KILL_SCRIPT, srv.base_url, str(tmp_path), str(n)],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while len(list(tmp_path.glob("judge/*/*.json"))) < 5:
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "the subprocess wrote no cache entries"
                time.sleep(0.02)
            proc.send_signal(signal.SIGKILL)
            out, _ = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == -signal.SIGKILL and b"FINISHED" not in out
        time.sleep(0.3)  # let the server finish answering requests in flight at the kill
        first_phase_requests, answered = srv.requests_total, srv.responses_sent
        assert first_phase_requests < n  # killed midway, not after sending everything
        cache = CallCache(tmp_path, kind="judge-top-logprobs", model_id="openai:gpt-4.1-nano",
                          params={"top_logprobs": 20})
        finished = {p for p in prompts if cache.get(p) is not None}
        assert 5 <= len(finished) < n
        assert len(list(tmp_path.glob("judge/*/*.json"))) == len(finished)  # every file is a whole entry
        srv.reset_counts()
        srv.latency = 0.0
        results = judge_for(srv, tmp_path).score_many(prompts)
        assert set(srv.per_prompt) == set(prompts) - finished
        assert srv.requests_total == n - len(finished)
    assert first_phase_requests >= len(finished)
    # Entries are written as calls complete: at most the 2 calls in flight had an answer not yet on disk.
    assert len(finished) >= answered - 2, (len(finished), answered)
    assert [r.cached for r in results] == [p in finished for p in prompts]
    assert [r.score for r in results] == pytest.approx([expected(p) for p in prompts])


def test_server_runs_as_a_subprocess_with_a_port_file(tmp_path):
    port_file = tmp_path / "port"
    proc = subprocess.Popen([sys.executable, "-m", "tests.model.openai_server", "--port-file", str(port_file)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not port_file.exists():
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        url = f"http://127.0.0.1:{int(port_file.read_text())}/v1"
        result = OpenAIJudge(base_url=url, retry=FAST).score("SCORE=64")
        assert result.score == pytest.approx(expected("SCORE=64"))
    finally:
        proc.kill()
        proc.wait(timeout=10)


# --- the local judge -------------------------------------------------------------------------------

WORDS = ["how", "much", "does", "this", "text", "show", "the", "trait", "answer", "with", "a", "number",
         "user", "assistant", ":", "hello", "world", "please", "rate", "it"]


def tiny_llama(seed: int = 0):
    """A random 2-layer Llama and a word-level tokenizer whose vocabulary holds "0".."100"."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    tokenizers = pytest.importorskip("tokenizers")
    vocab = {t: i for i, t in enumerate(["<pad>", "<unk>", "<s>", "</s>"] + [str(n) for n in range(101)] + WORDS)}
    backend = tokenizers.Tokenizer(tokenizers.models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = tokenizers.pre_tokenizers.WhitespaceSplit()
    tok = transformers.PreTrainedTokenizerFast(tokenizer_object=backend, pad_token="<pad>", unk_token="<unk>",
                                               bos_token="<s>", eos_token="</s>")
    torch.manual_seed(seed)
    config = transformers.LlamaConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64,
                                      num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                                      max_position_embeddings=64, pad_token_id=0, bos_token_id=2, eos_token_id=3)
    model = transformers.LlamaForCausalLM(config).eval()
    return model, tok, vocab


def reference_score(judge: LocalJudge, prompt: str) -> tuple[float | None, float]:
    """The rule applied to the model's own logits for the prompt alone (no batch, no padding)."""
    import torch
    ids = torch.tensor([judge.encode(prompt)])
    with torch.no_grad():
        logprobs = torch.log_softmax(judge.model(input_ids=ids).logits[0, -1].float(), dim=-1)
    values, indices = logprobs.topk(20)
    top = merge_top((judge.tokenizer.decode([i]), v) for i, v in zip(indices.tolist(), values.tolist()))
    return score_from_top_logprobs(top)


PROMPTS = ["rate this text", "how much does this text show the trait please answer with a number",
           "hello world", "the trait", "does it show the trait"]


@pytest.mark.parametrize("chat_template", [False, True])
def test_local_judge_matches_the_rule_on_its_own_logits_and_caches(tmp_path, chat_template):
    import torch
    model, tok, _ = tiny_llama()
    with torch.no_grad():
        model.lm_head.weight *= 10  # a peakier distribution: integers hold ~half the top-20 mass
    if chat_template:
        tok.chat_template = ("{% for m in messages %}<s> user : {{ m['content'] }} {% endfor %}"
                             "{% if add_generation_prompt %}assistant : {% endif %}")
    judge = LocalJudge(model, tok, name="tiny", cache_dir=tmp_path, batch_size=3)
    if chat_template:
        assert judge.encode("hello")[:3] == [2, tok.convert_tokens_to_ids("user"), tok.convert_tokens_to_ids(":")]
    calls = []
    model.register_forward_hook(lambda *_: calls.append(1))
    results = judge.score_many(PROMPTS)
    assert len(calls) == 2  # 5 prompts in batches of 3
    for prompt, result in zip(PROMPTS, results):
        ref_score, ref_mass = reference_score(judge, prompt)
        assert result.error is None and result.mass == pytest.approx(ref_mass, abs=1e-5)
        assert (result.score is None) == (ref_score is None)
        if ref_score is not None:
            assert result.score == pytest.approx(ref_score, abs=1e-4)
    assert any(r.score is not None for r in results)
    calls.clear()
    again = LocalJudge(model, tok, name="tiny", cache_dir=tmp_path).score_many(PROMPTS)
    assert not calls and all(r.cached for r in again)
    assert [r.score for r in again] == pytest.approx([r.score for r in results])


def test_local_judge_gives_none_when_the_model_avoids_numbers(tmp_path):
    torch = pytest.importorskip("torch")
    model, tok, _ = tiny_llama(seed=1)
    with torch.no_grad():
        head = model.lm_head.weight
        head[4:105] = 0.0  # integer tokens: logit 0
        head[105:] = torch.randn_like(head[105:]) * 10  # word tokens: some logit far above 0
    judge = LocalJudge(model, tok, name="avoider", cache_dir=tmp_path)
    results = judge.score_many(PROMPTS)
    for prompt, result in zip(PROMPTS, results):
        assert result.score is None and result.error is None and result.mass < 0.25
        assert reference_score(judge, prompt)[0] is None
    assert judge.usage.calls == len(PROMPTS) and judge.usage.estimated_cost_usd is None
