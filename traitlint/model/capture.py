"""Residual-stream capture: pooled activations per text and layer.

Layer convention
    Layer ``L`` (0-based) is the OUTPUT of decoder block ``L``, i.e. the residual stream after
    ``L + 1`` blocks; it is what Hugging Face returns as ``hidden_states[L + 1]`` with
    ``output_hidden_states=True`` (``hidden_states[0]`` is the embeddings, which we never
    capture). One exception on HF's side: its final entry ``hidden_states[-1]`` is taken AFTER the
    model's final norm (transformers ties it to ``last_hidden_state``), whereas we always return
    the raw block output, so the last layer is consistent with the others.

How
    Forward hooks on the decoder blocks pool each block's output inside the hook, using the
    attention mask, so a full ``[batch, seq, hidden]`` tensor is never kept; the forward pass
    stops (by an internal exception) after the deepest requested block, so neither later blocks
    nor the LM head run. Texts are batched by length (longest first) and results written back in
    input order. Position ids are derived from the attention mask, so left and right padding give
    the same result. Hooks are removed in ``finally`` whatever happens.

Tokens
    Raw text, no chat template, special tokens added as the tokenizer does by default (BOS for
    Llama-family tokenizers; SmolLM2's and GPT-2's add nothing). ``"last"`` is the text's last own
    token (never a tokenizer-appended EOS). ``"mean"`` (and :func:`mean_residual_norms`) cover the
    text's own tokens EXCEPT sequence position 0: that is the BOS when the tokenizer adds one, and
    otherwise the first text token, which then plays the BOS's role as attention sink and carries
    a massive activation (SmolLM2-135M: residual norm ~20,000 against ~150 elsewhere at layers
    11-28) that would dominate any mean. A text too short to leave a position (one token, or only
    special tokens) falls back to all its positions.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from traitlint.model.loading import LoadedModel, length_batches, require_torch

require_torch()  # ModelUnavailable with the install hint, rather than a bare ImportError

import torch  # noqa: E402

from traitlint.model.generate import (  # noqa: E402
    decode_continuation,
    generate_ids,
    progress_batches,
    require_tokens,
)

POOLINGS = ("last", "mean")


class _StopForward(Exception):
    """Raised by the deepest hook: everything needed has been captured."""


def resolve_layers(loaded: LoadedModel, layers: Sequence[int] | None) -> list[int]:
    """Requested layers as non-negative indices (None = all; negative counts from the end)."""
    if layers is None:
        return list(range(loaded.n_layers))
    resolved = []
    for layer in layers:
        index = int(layer)
        if not -loaded.n_layers <= index < loaded.n_layers:
            raise ValueError(f"layer {layer} out of range for a model with {loaded.n_layers} layers")
        resolved.append(index % loaded.n_layers)
    if not resolved:
        raise ValueError("layers is empty")
    return resolved


def content_positions(loaded: LoadedModel, ids: list[list[int]]) -> list[list[bool]]:
    """Per row, the positions pooled over: the text's own tokens, never sequence position 0.

    Tokenizer-added tokens (BOS, an appended EOS) are dropped, and so is position 0 even when it
    is a real text token (tokenizers that add no BOS, like SmolLM2's): whatever sits at position 0
    becomes the attention sink with a huge residual norm (SmolLM2-135M: ~20,000 against ~150 at
    layers 11-28), which would swamp a mean. A row left with nothing falls back to all positions.
    """
    prefix, suffix = loaded.added_special_tokens()
    start = max(prefix, 1)
    masks = []
    for row in ids:
        keep = [start <= i < len(row) - suffix for i in range(len(row))]
        masks.append(keep if any(keep) else [True] * len(row))
    return masks


@dataclass
class _Pooled:
    """Per-layer results of one pass over all texts."""

    vectors: dict[int, np.ndarray]  # layer -> [n_texts, hidden] (last/mean)
    norm_sums: dict[int, float]  # layer -> sum of per-position L2 norms (norm)
    count: int  # number of positions summed (norm)


def _pooled_pass(
    loaded: LoadedModel,
    ids: list[list[int]],
    select: list[list[bool]],
    layers: list[int],
    mode: str,
    batch_size: int,
    progress: bool,
) -> _Pooled:
    """Run the model over ``ids`` and pool each requested block's output over ``select``.

    ``mode``: ``"last"`` (last selected position), ``"mean"`` (mean over selected positions) or
    ``"norm"`` (sum of L2 norms over selected positions, for :func:`mean_residual_norms`).
    """
    wanted = sorted(set(layers))
    deepest = wanted[-1]
    blocks = loaded.layers()
    side = loaded.tokenizer.padding_side
    vectors = {} if mode == "norm" else {
        layer: np.zeros((len(ids), loaded.hidden_size), dtype=np.float32) for layer in wanted
    }
    norm_sums = dict.fromkeys(wanted, 0.0)
    count = 0
    state: dict[str, torch.Tensor] = {}
    batch_out: dict[int, torch.Tensor] = {}

    def make_hook(layer: int):
        def hook(module, args, output):
            hidden = output[0] if isinstance(output, tuple) else output
            batch_out[layer] = _pool(hidden, mode, state["select"], state["last"])
            if layer == deepest:
                raise _StopForward

        return hook

    handles = [blocks[layer].register_forward_hook(make_hook(layer)) for layer in wanted]
    try:
        groups = length_batches([len(row) for row in ids], batch_size)
        for group in progress_batches(groups, progress, "capture"):
            batch = loaded.batch([ids[i] for i in group], padding_side=side)
            selected = _place([select[i] for i in group], batch.input_ids.shape[1], side)
            state["select"] = selected
            state["last"] = _last_true(selected)
            batch_out.clear()
            try:
                with torch.inference_mode():
                    loaded.model(**batch.model_inputs(), use_cache=False)
            except _StopForward:
                pass
            missing = [layer for layer in wanted if layer not in batch_out]
            if missing:
                raise RuntimeError(f"decoder blocks {missing} did not run; cannot capture them")
            for layer in wanted:
                if mode == "norm":
                    norm_sums[layer] += float(batch_out[layer])
                else:
                    vectors[layer][group] = batch_out[layer].numpy()
            count += int(selected.sum())
    finally:
        for handle in handles:
            handle.remove()
        state.clear()
        batch_out.clear()
    return _Pooled(vectors=vectors, norm_sums=norm_sums, count=count)


def _pool(hidden: torch.Tensor, mode: str, select: torch.Tensor, last: torch.Tensor) -> torch.Tensor:
    """Pool one block's output ``[batch, seq, hidden]`` (float32, on CPU) over ``select``."""
    select = select.to(hidden.device)
    if mode == "last":
        rows = torch.arange(hidden.shape[0], device=hidden.device)
        return hidden[rows, last.to(hidden.device)].float().cpu()
    hidden = hidden.float()
    if mode == "mean":
        # masked_fill, not multiply: padded positions may hold inf/NaN and 0 * NaN = NaN
        summed = hidden.masked_fill(~select.unsqueeze(-1), 0.0).sum(dim=1)
        return (summed / select.sum(dim=1, keepdim=True).clamp(min=1)).cpu()
    return hidden.norm(dim=-1).masked_fill(~select, 0.0).sum().cpu()


def _place(rows: list[list[bool]], width: int, side: str) -> torch.Tensor:
    """Pad boolean rows to ``width`` exactly as :func:`pad_batch` pads the token ids."""
    out = torch.zeros((len(rows), width), dtype=torch.bool)
    for i, row in enumerate(rows):
        if row:
            start = width - len(row) if side == "left" else 0
            out[i, start:start + len(row)] = torch.tensor(row, dtype=torch.bool)
    return out


def _last_true(mask: torch.Tensor) -> torch.Tensor:
    """Index of the last True per row (0 for an all-False row)."""
    width = mask.shape[1]
    flipped_first = mask.flip(-1).int().argmax(dim=-1)
    return (width - 1 - flipped_first).where(mask.any(dim=-1), torch.zeros_like(flipped_first))


def _stack(pooled: _Pooled, layers: list[int]) -> np.ndarray:
    return np.stack([pooled.vectors[layer] for layer in layers], axis=1).astype(np.float32, copy=False)


def capture(
    loaded: LoadedModel,
    texts: Sequence[str],
    *,
    layers: Sequence[int] | None = None,
    pooling: str = "last",
    batch_size: int = 16,
    progress: bool = False,
) -> np.ndarray:
    """Pooled residual stream of each text: float32 ``[n_texts, n_layers_selected, hidden]``.

    ``pooling="last"``: the last token of the text (what the model "has read" at the end of a
    prefill); ``"mean"``: the mean over the text's own tokens, position 0 (BOS or attention sink)
    excluded, see the module docstring.
    Layers come out in the order requested.
    """
    if pooling not in POOLINGS:
        raise ValueError(f"pooling must be one of {POOLINGS}, not {pooling!r}")
    chosen = resolve_layers(loaded, layers)
    if not texts:
        return np.zeros((0, len(chosen), loaded.hidden_size), dtype=np.float32)
    ids = loaded.encode(list(texts))
    require_tokens(ids, list(texts))
    pooled = _pooled_pass(loaded, ids, content_positions(loaded, ids), chosen, pooling, batch_size, progress)
    return _stack(pooled, chosen)


def capture_generated_with_texts(
    loaded: LoadedModel,
    texts: Sequence[str],
    *,
    k: int = 5,
    layers: Sequence[int] | None = None,
    batch_size: int = 16,
    progress: bool = False,
) -> tuple[np.ndarray, list[str]]:
    """Like :func:`capture_generated`, also returning the generated continuations as text."""
    if k < 1:
        raise ValueError(f"k must be >= 1, not {k}")
    chosen = resolve_layers(loaded, layers)
    if not texts:
        return np.zeros((0, len(chosen), loaded.hidden_size), dtype=np.float32), []
    prompts = loaded.encode(list(texts))
    require_tokens(prompts, list(texts))
    new = generate_ids(loaded, prompts, max_new_tokens=k, batch_size=batch_size, progress=progress)
    pairs = list(zip(prompts, new, strict=True))
    full = [prompt + generated for prompt, generated in pairs]
    select = [[False] * len(prompt) + [True] * len(generated) for prompt, generated in pairs]
    pooled = _pooled_pass(loaded, full, select, chosen, "mean", batch_size, progress)
    continuations = [decode_continuation(loaded, prompt, generated) for prompt, generated in pairs]
    return _stack(pooled, chosen), continuations


def capture_generated(
    loaded: LoadedModel,
    texts: Sequence[str],
    *,
    k: int = 5,
    layers: Sequence[int] | None = None,
    batch_size: int = 16,
    progress: bool = False,
) -> np.ndarray:
    """Mean residual stream over the first ``k`` greedily generated tokens after each prefill.

    Activations of what the model *does* after a prefill rather than of the prefill itself.
    Generation is raw text (no chat template) and stops early at eos; the eos token, when
    generated, counts as one of the positions. One forward pass over prefill + generated tokens
    computes the activations; only generated positions are pooled. Shape as :func:`capture`.
    """
    activations, _ = capture_generated_with_texts(
        loaded, texts, k=k, layers=layers, batch_size=batch_size, progress=progress
    )
    return activations


def mean_residual_norms(
    loaded: LoadedModel,
    texts: Sequence[str],
    layers: Sequence[int] | None = None,
    batch_size: int = 16,
    progress: bool = False,
) -> np.ndarray:
    """Mean L2 norm of the residual stream per layer over the texts' own tokens: ``[n_layers]``.

    Token-weighted (every pooled position of every text counts once: real tokens, not padding,
    not position 0 / BOS, see the module docstring), in the order the layers were requested.
    Used to scale steering coefficients to the stream's size at a layer.
    """
    ids = loaded.encode(list(texts))
    if not ids:
        raise ValueError("mean_residual_norms needs at least one text")
    require_tokens(ids, list(texts))
    return mean_residual_norms_of_ids(loaded, ids, layers, batch_size=batch_size, progress=progress)


def mean_residual_norms_of_ids(
    loaded: LoadedModel,
    ids: list[list[int]],
    layers: Sequence[int] | None = None,
    batch_size: int = 16,
    progress: bool = False,
) -> np.ndarray:
    """:func:`mean_residual_norms` of already-tokenized prompts (e.g. chat-formatted ones)."""
    chosen = resolve_layers(loaded, layers)
    if not ids:
        raise ValueError("mean_residual_norms needs at least one text")
    require_tokens(ids)
    pooled = _pooled_pass(loaded, ids, content_positions(loaded, ids), chosen, "norm", batch_size, progress)
    return np.array([pooled.norm_sums[layer] / max(pooled.count, 1) for layer in chosen], dtype=np.float32)
