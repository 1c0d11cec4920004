"""The steering hook on a tiny random Llama: exact addition, clean removal, KV-cache equivalence."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from traitlint.model.generate import chat_prompt  # noqa: E402
from traitlint.model.steering import (  # noqa: E402
    SteeringMismatch,
    check_fits,
    prompt_norms,
    steered_answers,
    steering,
)

from .tiny import tiny_loaded  # noqa: E402

QUESTIONS = ["the cat sat on the mat", "she stayed hopeful because", "a dog ran in the park"]


def unit(hidden: int, seed: int = 1) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(hidden).astype(np.float32)
    return v / np.linalg.norm(v)


def logits(loaded, text: str) -> torch.Tensor:
    ids = torch.tensor([loaded.encode([text])[0]])
    with torch.inference_mode():
        return loaded.model(input_ids=ids, use_cache=False).logits.clone()


def block_outputs(loaded, layer: int, text: str) -> torch.Tensor:
    """What block ``layer`` hands to the next block, seen by a hook registered after any steering hook."""
    seen = {}

    def grab(module, args, output):
        seen["h"] = (output[0] if isinstance(output, tuple) else output).detach().clone()

    handle = loaded.layers()[layer].register_forward_hook(grab)
    try:
        logits(loaded, text)
    finally:
        handle.remove()
    return seen["h"]


def hooks_on(loaded) -> int:
    return sum(len(block._forward_hooks) for block in loaded.layers())


def test_the_hook_adds_exactly_coef_times_v_at_every_position():
    loaded = tiny_loaded()
    v, layer, coef = unit(loaded.hidden_size), 1, 2.5
    plain = block_outputs(loaded, layer, QUESTIONS[1])
    with steering(loaded, v, layer, coef):
        steered = block_outputs(loaded, layer, QUESTIONS[1])
    added = (steered - plain)[0]
    expected = torch.tensor(coef * v).expand_as(added)
    assert added.shape[0] > 3
    assert torch.allclose(added, expected, atol=1e-5)
    before_logits = logits(loaded, QUESTIONS[1])
    before_block0 = block_outputs(loaded, 0, QUESTIONS[1])
    with steering(loaded, v, layer, coef):
        assert torch.equal(block_outputs(loaded, 0, QUESTIONS[1]), before_block0)  # earlier blocks untouched
        assert not torch.allclose(logits(loaded, QUESTIONS[1]), before_logits)  # later ones see the change
    assert torch.equal(logits(loaded, QUESTIONS[1]), before_logits)


def test_the_model_is_exactly_as_before_after_the_block_and_after_an_exception():
    loaded = tiny_loaded()
    before = logits(loaded, QUESTIONS[0])
    with steering(loaded, unit(loaded.hidden_size), 2, 5.0):
        assert hooks_on(loaded) == 1
    assert hooks_on(loaded) == 0
    assert torch.equal(logits(loaded, QUESTIONS[0]), before)
    with pytest.raises(RuntimeError, match="boom"), steering(loaded, unit(loaded.hidden_size), 0, 5.0):
        raise RuntimeError("boom")
    assert hooks_on(loaded) == 0
    assert torch.equal(logits(loaded, QUESTIONS[0]), before)


def test_a_zero_vector_changes_no_logits():
    loaded = tiny_loaded()
    before = logits(loaded, QUESTIONS[2])
    with steering(loaded, np.zeros(loaded.hidden_size, dtype=np.float32), 1, 10.0):
        assert torch.equal(logits(loaded, QUESTIONS[2]), before)
    with steering(loaded, unit(loaded.hidden_size), 1, 0.0):
        assert torch.equal(logits(loaded, QUESTIONS[2]), before)


def greedy(loaded, question: str, use_cache: bool, n: int = 12) -> list[int]:
    text, templated = chat_prompt(loaded, question)
    ids = torch.tensor([loaded.encode([text], add_special_tokens=not templated)[0]])
    with torch.inference_mode():
        out = loaded.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=n,
                                    min_new_tokens=n, do_sample=False, use_cache=use_cache,
                                    pad_token_id=loaded.tokenizer.pad_token_id)
    return out[0, ids.shape[1]:].tolist()


def test_steered_generation_with_the_kv_cache_equals_generation_without_it():
    loaded = tiny_loaded()
    v = unit(loaded.hidden_size, seed=3)
    plain = greedy(loaded, QUESTIONS[1], use_cache=True)
    with steering(loaded, v, 1, 8.0):
        cached = greedy(loaded, QUESTIONS[1], use_cache=True)
        uncached = greedy(loaded, QUESTIONS[1], use_cache=False)
    assert cached == uncached
    assert cached != plain  # the steer is strong enough to change the greedy path: the comparison means something


def test_steered_answers_are_batched_like_single_ones_and_unsteered_at_zero():
    loaded = tiny_loaded()
    v = unit(loaded.hidden_size, seed=4)
    together = steered_answers(loaded, QUESTIONS, v, 1, 6.0, max_new_tokens=8, batch_size=3)
    alone = [steered_answers(loaded, [q], v, 1, 6.0, max_new_tokens=8, batch_size=1)[0] for q in QUESTIONS]
    assert together == alone
    from traitlint.model.generate import chat_answers

    assert steered_answers(loaded, QUESTIONS, v, 1, 0.0, max_new_tokens=8) == chat_answers(loaded, QUESTIONS,
                                                                                          max_new_tokens=8)
    assert hooks_on(loaded) == 0


def test_vectors_of_another_shape_are_refused():
    loaded = tiny_loaded()
    with pytest.raises(SteeringMismatch, match=r"hidden size 576 vs the model's 32"):
        check_fits(loaded, 576, loaded.n_layers)
    with pytest.raises(SteeringMismatch, match=r"30 layers vs the model's 3"):
        check_fits(loaded, loaded.hidden_size, 30)
    with pytest.raises(SteeringMismatch, match=r"shape \[32\]"), steering(loaded, np.ones(8), 0, 1.0):
        pass
    with pytest.raises(ValueError, match="out of range"), steering(loaded, unit(loaded.hidden_size), 3, 1.0):
        pass
    assert hooks_on(loaded) == 0


def test_prompt_norms_are_per_layer_and_skip_the_attention_sink():
    loaded = tiny_loaded(add_bos=False)
    norms = prompt_norms(loaded, QUESTIONS, [0, 2])
    assert len(norms) == 2 and all(n > 0 for n in norms)
    # by hand: block outputs of each chat prompt, positions 1.. (position 0 is the sink), token-weighted
    total, count = {0: 0.0, 2: 0.0}, 0
    for q in QUESTIONS:
        text, templated = chat_prompt(loaded, q)
        ids = loaded.encode([text], add_special_tokens=not templated)[0]
        for layer in (0, 2):
            h = block_outputs_ids(loaded, layer, ids)[0, 1:]
            total[layer] += float(h.norm(dim=-1).sum())
        count += len(ids) - 1
    assert norms == pytest.approx([total[0] / count, total[2] / count], rel=1e-4)


def block_outputs_ids(loaded, layer: int, ids: list[int]) -> torch.Tensor:
    seen = {}

    def grab(module, args, output):
        seen["h"] = (output[0] if isinstance(output, tuple) else output).detach().clone()

    handle = loaded.layers()[layer].register_forward_hook(grab)
    try:
        with torch.inference_mode():
            loaded.model(input_ids=torch.tensor([ids]), use_cache=False)
    finally:
        handle.remove()
    return seen["h"]
