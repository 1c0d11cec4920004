"""Greedy generation and token log-probabilities on a tiny random Llama."""
from __future__ import annotations

import math

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from traitlint.model.generate import (  # noqa: E402
    FALLBACK_TEMPLATE,
    chat_answers,
    chat_prompt,
    complete,
    generate_ids,
    mean_token_logprobs,
    token_logprobs,
)
from traitlint.model.loading import from_parts  # noqa: E402

from .tiny import EOS, tiny_llama, tiny_loaded, tiny_tokenizer  # noqa: E402

PROMPTS = [
    "the cat sat on the mat and",
    "hello",
    "she stayed hopeful because the plan was good, so she said",
    "a dog",
    "after the layoffs",
]


def manual_greedy(loaded, ids: list[int], steps: int) -> list[int]:
    """Greedy decoding by hand: argmax of a full forward pass, no cache, no batching."""
    ids = list(ids)
    new = []
    for _ in range(steps):
        with torch.inference_mode():
            logits = loaded.model(torch.tensor([ids])).logits[0, -1]
        token = int(logits.argmax())
        new.append(token)
        if token == EOS:
            break
        ids.append(token)
    return new


@pytest.mark.parametrize("side", ["left", "right"])
def test_batched_complete_equals_one_at_a_time(tiny_model, side):
    tiny_model.tokenizer.padding_side = side
    batched = complete(tiny_model, PROMPTS, max_new_tokens=6, batch_size=len(PROMPTS))
    single = [complete(tiny_model, [p], max_new_tokens=6, batch_size=1)[0] for p in PROMPTS]
    assert batched == single
    assert all(isinstance(text, str) for text in batched)
    assert any(text for text in batched)
    assert tiny_model.tokenizer.padding_side == side  # restored


def test_generation_is_greedy(tiny_model):
    prompts = tiny_model.encode(PROMPTS)
    got = generate_ids(tiny_model, prompts, max_new_tokens=5, batch_size=2)
    assert got == [manual_greedy(tiny_model, p, 5) for p in prompts]
    assert all(len(new) == 5 for new in got if EOS not in new)


def test_padding_side_restored_after_error(tiny_model, monkeypatch):
    tiny_model.tokenizer.padding_side = "right"

    def fail(*args, **kwargs):
        raise RuntimeError("generation failed")

    monkeypatch.setattr(tiny_model.model, "generate", fail)
    with pytest.raises(RuntimeError, match="generation failed"):
        complete(tiny_model, PROMPTS[:2])
    assert tiny_model.tokenizer.padding_side == "right"


def test_stops_at_eos_and_drops_it():
    """Make the third greedy token the eos: generation must stop there and not print it."""
    loaded = tiny_loaded()
    prompt = loaded.encode([PROMPTS[0]])[0]
    free = generate_ids(loaded, [prompt], max_new_tokens=6)[0]
    assert EOS not in free[:3]
    head = loaded.model.lm_head.weight
    with torch.no_grad():  # swap the vocabulary rows of EOS and the third token
        third = free[2]
        head[[EOS, third]] = head[[third, EOS]]
    assert third not in free[:2]
    # batched with a prompt that runs on, so the finished row gets padding the cut must remove
    stopped, other = generate_ids(loaded, [prompt, loaded.encode([PROMPTS[1]])[0]], max_new_tokens=6)
    assert len(other) > 3
    assert stopped == free[:2] + [EOS]
    text = complete(loaded, [PROMPTS[0], PROMPTS[1]], max_new_tokens=6)[0]
    assert text == loaded.tokenizer.decode(free[:2])
    assert "</s>" not in text


def test_complete_returns_only_new_text(tiny_model):
    text = complete(tiny_model, [PROMPTS[0]], max_new_tokens=4)[0]
    new = generate_ids(tiny_model, tiny_model.encode([PROMPTS[0]]), max_new_tokens=4)[0]
    assert text == tiny_model.tokenizer.decode(new, skip_special_tokens=True)
    assert not text.startswith(PROMPTS[0])


def test_chat_answers_use_the_template(tiny_model):
    text, templated = chat_prompt(tiny_model, "how are you?")
    assert templated and text == "<s>user: how are you?\nassistant:"
    ids = tiny_model.encode([text], add_special_tokens=False)[0]
    assert ids.count(tiny_model.tokenizer.bos_token_id) == 1  # no second BOS added
    expected = tiny_model.tokenizer.decode(manual_greedy(tiny_model, ids, 5), skip_special_tokens=True)
    questions = ["how are you?", "what is the plan?", "why"]
    answers = chat_answers(tiny_model, questions, max_new_tokens=5, batch_size=2)
    assert answers[0] == expected
    assert answers == [chat_answers(tiny_model, [q], max_new_tokens=5)[0] for q in questions]


def test_chat_answers_fallback_without_template():
    loaded = from_parts(tiny_llama(), tiny_tokenizer(chat_template=False))
    text, templated = chat_prompt(loaded, "why?")
    assert not templated and text == FALLBACK_TEMPLATE.format(question="why?")
    ids = loaded.encode([text])[0]
    expected = loaded.tokenizer.decode(manual_greedy(loaded, ids, 4), skip_special_tokens=True)
    assert chat_answers(loaded, ["why?"], max_new_tokens=4) == [expected]


def manual_logprobs(loaded, text: str) -> list[float]:
    ids = loaded.encode([text])[0]
    with torch.inference_mode():
        logits = loaded.model(torch.tensor([ids])).logits[0].double()
    logprobs = torch.log_softmax(logits, dim=-1)
    return [float(logprobs[i - 1, ids[i]]) for i in range(1, len(ids))]


TEXTS = PROMPTS + ["x", ""]


@pytest.mark.parametrize("side", ["left", "right"])
def test_token_logprobs_match_manual_computation(tiny_model, side):
    tiny_model.tokenizer.padding_side = side
    batched = token_logprobs(tiny_model, TEXTS, batch_size=3)
    for text, got in zip(TEXTS, batched, strict=True):
        expected = manual_logprobs(tiny_model, text)
        assert len(got) == len(tiny_model.encode([text])[0]) - 1  # every token after BOS
        np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.parametrize("side", ["left", "right"])
def test_mean_token_logprobs_batched_equals_unbatched(tiny_model, side):
    tiny_model.tokenizer.padding_side = side
    batched = mean_token_logprobs(tiny_model, TEXTS, batch_size=len(TEXTS))
    single = [mean_token_logprobs(tiny_model, [t], batch_size=1)[0] for t in TEXTS]
    manual = [float(np.mean(manual_logprobs(tiny_model, t))) if t else math.nan for t in TEXTS]
    np.testing.assert_allclose(batched, single, atol=1e-5)
    np.testing.assert_allclose(batched, manual, atol=1e-5)
    assert math.isnan(batched[-1])  # "" is only BOS: nothing to score
    assert all(value < 0 for value in batched[:-1])


def test_logprobs_without_bos_skip_the_first_token():
    loaded = tiny_loaded(add_bos=False)
    text = PROMPTS[0]
    ids = loaded.encode([text])[0]
    assert ids[0] != loaded.tokenizer.bos_token_id
    got = token_logprobs(loaded, [text, "", "x"])
    assert len(got[0]) == len(ids) - 1
    np.testing.assert_allclose(got[0], manual_logprobs(loaded, text), atol=1e-5)
    assert got[1] == [] and got[2] == []  # no tokens / one token: nothing to score
    assert token_logprobs(loaded, [""]) == [[]]
