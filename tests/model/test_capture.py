"""Residual-stream capture against Hugging Face's own hidden states, on a tiny random Llama."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from traitlint.model.capture import (  # noqa: E402
    capture,
    capture_generated,
    capture_generated_with_texts,
    mean_residual_norms,
)
from traitlint.model.generate import generate_ids  # noqa: E402

from .tiny import reference_hidden_states, tiny_loaded  # noqa: E402

TEXTS = [
    "the cat sat on the mat",
    "hello",
    "she stayed hopeful because the plan was good, and then some more words came",
    "a dog ran",
    "after the layoffs he felt angry",
    "x",
]
ATOL = 1e-5


def hook_counts(loaded) -> list[int]:
    return [len(block._forward_hooks) for block in loaded.layers()]


def test_shape_and_dtype(tiny_model):
    out = capture(tiny_model, TEXTS, layers=[2, 0])
    assert out.shape == (len(TEXTS), 2, tiny_model.hidden_size)
    assert out.dtype == np.float32
    assert np.isfinite(out).all()


@pytest.mark.parametrize("pooling", ["last", "mean"])
@pytest.mark.parametrize("add_bos", [True, False])
def test_capture_equals_output_hidden_states(pooling, add_bos):
    """Layer L == hidden_states[L + 1] (the block output), pooled over the text's own tokens."""
    loaded = tiny_loaded(add_bos=add_bos)
    out = capture(loaded, TEXTS, pooling=pooling, batch_size=1)
    for i, text in enumerate(TEXTS):
        ids = loaded.encode([text])[0]
        assert (ids[0] == loaded.tokenizer.bos_token_id) == add_bos
        reference = reference_hidden_states(loaded, ids)
        skip = 1 if len(ids) > 1 else 0  # position 0 (BOS or attention sink) is not averaged
        for layer in range(loaded.n_layers):
            hidden = reference[layer]
            expected = hidden[-1] if pooling == "last" else hidden[skip:].mean(dim=0)
            np.testing.assert_allclose(out[i, layer], expected.numpy(), atol=ATOL, rtol=0)


@pytest.mark.parametrize("add_bos", [True, False])
def test_mean_excludes_position_zero(add_bos):
    """BOS, or without one the first token (the attention sink), is left out of the mean."""
    loaded = tiny_loaded(add_bos=add_bos)
    ids = loaded.encode([TEXTS[0]])[0]
    reference = reference_hidden_states(loaded, ids)[1]
    got = capture(loaded, [TEXTS[0]], layers=[1], pooling="mean")[0, 0]
    with_bos = reference.mean(dim=0).numpy()
    assert not np.allclose(got, with_bos, atol=1e-3)  # the check below could not pass by accident
    np.testing.assert_allclose(got, reference[1:].mean(dim=0).numpy(), atol=ATOL, rtol=0)


def test_last_layer_is_block_output_not_final_norm(tiny_model):
    """HF's default hidden_states[-1] is post-norm; ours is the raw last block output."""
    ids = tiny_model.encode([TEXTS[0]])[0]
    with torch.inference_mode():
        default = tiny_model.model(torch.tensor([ids]), output_hidden_states=True).hidden_states[-1][0, -1]
    got = capture(tiny_model, [TEXTS[0]], layers=[-1])[0, 0]
    block = reference_hidden_states(tiny_model, ids)[-1][-1].numpy()
    np.testing.assert_allclose(got, block, atol=ATOL, rtol=0)
    assert not np.allclose(got, default.numpy(), atol=1e-3)


@pytest.mark.parametrize("pooling", ["last", "mean"])
@pytest.mark.parametrize("side", ["left", "right"])
def test_batched_equals_unbatched(tiny_model, pooling, side):
    tiny_model.tokenizer.padding_side = side
    one = capture(tiny_model, TEXTS, pooling=pooling, batch_size=1)
    batched = capture(tiny_model, TEXTS, pooling=pooling, batch_size=4)
    all_at_once = capture(tiny_model, TEXTS, pooling=pooling, batch_size=len(TEXTS))
    np.testing.assert_allclose(batched, one, atol=ATOL, rtol=1e-5)
    np.testing.assert_allclose(all_at_once, one, atol=ATOL, rtol=1e-5)
    assert tiny_model.tokenizer.padding_side == side


def test_left_and_right_padding_agree(tiny_model):
    tiny_model.tokenizer.padding_side = "left"
    left = capture(tiny_model, TEXTS, pooling="mean", batch_size=len(TEXTS))
    tiny_model.tokenizer.padding_side = "right"
    right = capture(tiny_model, TEXTS, pooling="mean", batch_size=len(TEXTS))
    np.testing.assert_allclose(left, right, atol=ATOL, rtol=1e-5)


def test_output_is_in_input_order(tiny_model):
    out = capture(tiny_model, TEXTS, batch_size=2)
    reversed_out = capture(tiny_model, TEXTS[::-1], batch_size=2)
    np.testing.assert_allclose(reversed_out[::-1], out, atol=ATOL, rtol=1e-5)
    assert not np.allclose(out[0], out[1], atol=1e-3)  # different texts really differ


def test_layer_selection_order_and_negative_indices(tiny_model):
    full = capture(tiny_model, TEXTS[:2])
    picked = capture(tiny_model, TEXTS[:2], layers=[-1, 0])
    np.testing.assert_allclose(picked[:, 0], full[:, 2], atol=ATOL)
    np.testing.assert_allclose(picked[:, 1], full[:, 0], atol=ATOL)
    with pytest.raises(ValueError):
        capture(tiny_model, TEXTS[:1], layers=[3])
    with pytest.raises(ValueError):
        capture(tiny_model, TEXTS[:1], pooling="max")


def test_forward_stops_after_deepest_requested_layer(tiny_model):
    ran: list[int] = []
    handles = [
        block.register_forward_hook(lambda module, args, output, i=i: ran.append(i))
        for i, block in enumerate(tiny_model.layers())
    ]
    try:
        capture(tiny_model, TEXTS[:1], layers=[0])
    finally:
        for handle in handles:
            handle.remove()
    assert ran == [0]


def test_hooks_removed_after_success_and_after_error(tiny_model):
    before = hook_counts(tiny_model)
    capture(tiny_model, TEXTS[:2])
    assert hook_counts(tiny_model) == before

    def boom(module, args, output):
        raise RuntimeError("boom inside the forward pass")

    handle = tiny_model.layers()[0].register_forward_hook(boom)
    try:
        with pytest.raises(RuntimeError, match="boom"):
            capture(tiny_model, TEXTS[:2])
    finally:
        handle.remove()
    assert hook_counts(tiny_model) == before
    mean_residual_norms(tiny_model, TEXTS[:2])
    capture_generated(tiny_model, TEXTS[:2], k=2)
    assert hook_counts(tiny_model) == before


def test_text_without_tokens_is_refused():
    loaded = tiny_loaded(add_bos=False)  # like SmolLM2: "" encodes to nothing at all
    with pytest.raises(ValueError, match="no tokens"):
        capture(loaded, ["fine", ""])
    with pytest.raises(ValueError, match="no tokens"):
        capture_generated(loaded, [""])


def test_empty_input(tiny_model):
    assert capture(tiny_model, [], layers=[0, 1]).shape == (0, 2, tiny_model.hidden_size)
    only_bos = capture(tiny_model, ["", "x"], pooling="mean", layers=[0])
    assert np.isfinite(only_bos).all()
    ids = tiny_model.encode([""])[0]
    assert ids == [tiny_model.tokenizer.bos_token_id]  # nothing but BOS: falls back to it
    np.testing.assert_allclose(only_bos[0, 0], reference_hidden_states(tiny_model, ids)[0][0].numpy(), atol=ATOL)


@pytest.mark.parametrize("side", ["left", "right"])
def test_capture_generated_uses_exactly_the_generated_positions(tiny_model, side):
    tiny_model.tokenizer.padding_side = side
    k = 4
    out, texts = capture_generated_with_texts(tiny_model, TEXTS, k=k, batch_size=3)
    assert out.shape == (len(TEXTS), tiny_model.n_layers, tiny_model.hidden_size)
    assert len(texts) == len(TEXTS)
    prompts = tiny_model.encode(TEXTS)
    generated = generate_ids(tiny_model, prompts, max_new_tokens=k, batch_size=1)
    for i, (prompt, new) in enumerate(zip(prompts, generated, strict=True)):
        assert 1 <= len(new) <= k
        reference = reference_hidden_states(tiny_model, prompt + new)
        for layer in range(tiny_model.n_layers):
            expected = reference[layer][len(prompt):].mean(dim=0).numpy()
            np.testing.assert_allclose(out[i, layer], expected, atol=ATOL, rtol=1e-5)
    # not the same as pooling over the prompt, nor over prompt + generated
    prompt_mean = capture(tiny_model, TEXTS, pooling="mean")
    assert not np.allclose(out, prompt_mean, atol=1e-3)
    np.testing.assert_allclose(capture_generated(tiny_model, TEXTS, k=k), out, atol=ATOL, rtol=1e-5)


def test_mean_residual_norms_matches_direct_computation(tiny_model):
    got = mean_residual_norms(tiny_model, TEXTS, batch_size=4)
    sums = np.zeros(tiny_model.n_layers)
    count = 0
    for text in TEXTS:
        ids = tiny_model.encode([text])[0]
        for layer, hidden in enumerate(reference_hidden_states(tiny_model, ids)):
            sums[layer] += hidden[1:].norm(dim=-1).sum().item()  # skip position 0 (BOS)
        count += len(ids) - 1
    np.testing.assert_allclose(got, sums / count, rtol=1e-5)
    assert got.shape == (tiny_model.n_layers,)
    picked = mean_residual_norms(tiny_model, TEXTS, layers=[2])
    np.testing.assert_allclose(picked, got[2:], rtol=1e-5)


def test_gpt2_tuple_outputs_and_absolute_positions_with_left_padding():
    """GPT-2 blocks may return tuples and its position embeddings are absolute: left padding
    must still give each token its own position, so batched equals unbatched."""
    from transformers import GPT2Config, GPT2LMHeadModel

    from traitlint.model.loading import from_parts

    from .tiny import tiny_tokenizer

    tokenizer = tiny_tokenizer()
    torch.manual_seed(0)
    model = GPT2LMHeadModel(GPT2Config(n_layer=2, n_embd=32, n_head=4, vocab_size=len(tokenizer),
                                       n_positions=128, initializer_range=0.2))
    loaded = from_parts(model, tokenizer, name="tiny-gpt2")
    assert loaded.layers() is model.transformer.h
    loaded.tokenizer.padding_side = "left"
    one = capture(loaded, TEXTS, pooling="mean", batch_size=1)
    batched = capture(loaded, TEXTS, pooling="mean", batch_size=len(TEXTS))
    np.testing.assert_allclose(batched, one, atol=ATOL, rtol=1e-5)
    ids = loaded.encode([TEXTS[0]])[0]
    with torch.inference_mode():
        hidden = model(torch.tensor([ids]), output_hidden_states=True).hidden_states[1][0]
    np.testing.assert_allclose(one[0, 0], hidden[1:].mean(dim=0).numpy(), atol=ATOL, rtol=0)
