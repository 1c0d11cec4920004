"""LocalJudge on a tokenizer that spells numbers digit by digit (SmolLM2, Llama): the digit tree.

The tree reuses the prompt's KV cache; here it is checked against brute force: the full forward
of prompt + every candidate answer, with P(stop) = the mass on non-digit next tokens.
"""
from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from traitlint.model.judges import MIN_INTEGER_MASS, LocalJudge, _digit_token_ids  # noqa: E402

from .tiny import tiny_llama, tiny_tokenizer  # noqa: E402

PROMPTS = ["rate the cat on the mat", "she stayed hopeful because the plan was good, rate it",
           "a dog ran in the park"]


def brute_force(judge: LocalJudge, prompt: str) -> dict[int, float]:
    """P(answer = n) from full forwards: P(digits of n) * P(next token is not a digit)."""
    digits = judge._digits
    base = judge.encode(prompt)
    out = {}
    for n in range(101):
        ids = base + [digits[int(c)] for c in str(n)]
        with torch.inference_mode():
            logprobs = torch.log_softmax(judge.model(input_ids=torch.tensor([ids])).logits[0].float(), -1)
        p = 1.0
        for k, c in enumerate(str(n)):
            p *= float(logprobs[len(base) - 1 + k, digits[int(c)]].exp())
        stop = 1.0 - float(logprobs[-1, digits].exp().sum())
        out[n] = p * (stop if n <= 10 else 1.0)  # the judge ends two-digit answers >= 11 (a third digit is > 100)
        if n == 100:
            out[n] = p
    return out


@pytest.fixture()
def digit_judge(tmp_path):
    tok = tiny_tokenizer(add_bos=False)
    assert _digit_token_ids(tok) is not None, "the tiny byte-level tokenizer spells numbers digit by digit"
    model = tiny_llama(3, vocab_size=len(tok))
    return LocalJudge(model, tok, name="tiny-digits", cache_dir=tmp_path, batch_size=2)


def test_digit_tree_equals_brute_force_for_batched_padded_prompts(digit_judge):
    trees = digit_judge.number_distribution(PROMPTS)
    for prompt, tree in zip(PROMPTS, trees):
        ref = brute_force(digit_judge, prompt)
        assert set(tree) == set(range(101))
        for n in range(101):
            assert tree[n] == pytest.approx(ref[n], rel=1e-3, abs=1e-7), (prompt, n)


def test_digit_judge_scores_by_the_rule_and_caches(digit_judge, tmp_path):
    results = digit_judge.score_many(PROMPTS)
    for prompt, result in zip(PROMPTS, results):
        dist = brute_force(digit_judge, prompt)
        mass = sum(dist.values())
        assert result.mass == pytest.approx(mass, rel=1e-3)
        if mass < MIN_INTEGER_MASS:
            assert result.score is None
        else:
            assert result.score == pytest.approx(sum(n * p for n, p in dist.items()) / mass, rel=1e-3)
    again = LocalJudge(digit_judge.model, digit_judge.tokenizer, name="tiny-digits", cache_dir=tmp_path)
    assert [r.score for r in again.score_many(PROMPTS)] == [r.score for r in results]
    assert again.usage.cached == len(PROMPTS) and again.usage.calls == 0


LONG = "the plan was good and the sun was warm and we are happy to help you with the task; " * 3


@pytest.mark.parametrize("prompts", [PROMPTS, [LONG + p for p in PROMPTS]], ids=["own", "shared-prefix"])
def test_shared_prefix_forward_equals_padded_forward(prompts, tmp_path):
    """Prompts that share a long prefix run it once; the result equals running them whole."""
    tok = tiny_tokenizer(add_bos=False)
    model = tiny_llama(3, vocab_size=len(tok))
    whole = LocalJudge(model, tok, name="w", cache_dir=None, min_shared_prefix=10_000)
    shared = LocalJudge(model, tok, name="s", cache_dir=None, min_shared_prefix=4)
    encoded = [whole.encode(p) for p in prompts]
    from traitlint.model.judges import _shared_prefix

    assert _shared_prefix(encoded) >= 4  # the chat header at least: the shared path runs in both cases
    assert (_shared_prefix(encoded) > 20) == prompts[0].startswith(LONG)
    assert torch.allclose(whole._forward(encoded)[0], shared._forward(encoded)[0], atol=1e-4)
    for a, b in zip(whole.number_distribution(prompts), shared.number_distribution(prompts)):
        assert a == pytest.approx(b, rel=1e-3, abs=1e-7)
    for prompt, tree in zip(prompts, shared.number_distribution(prompts)):
        ref = brute_force(shared, prompt)
        assert [tree[n] for n in range(101)] == pytest.approx([ref[n] for n in range(101)], rel=1e-3, abs=1e-7)


def test_answer_prefix_is_part_of_the_prompt_and_the_cache_key(tmp_path):
    tok = tiny_tokenizer(add_bos=False)
    model = tiny_llama(3, vocab_size=len(tok))
    plain = LocalJudge(model, tok, name="t", cache_dir=tmp_path, answer_prefix="")
    prefixed = LocalJudge(model, tok, name="t", cache_dir=tmp_path)
    assert prefixed.encode("x")[: len(plain.encode("x"))] == plain.encode("x")
    assert len(prefixed.encode("x")) > len(plain.encode("x"))
    assert plain.cache.key("x") != prefixed.cache.key("x")
