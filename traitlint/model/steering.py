"""Activation steering: add ``coef * v`` to a decoder block's output, always removed afterwards.

Convention
    Layer ``L`` is the output of decoder block ``L`` (0-based), the same residual-stream layer a
    vector file's row ``L`` was extracted from (:mod:`traitlint.model.capture`). The hook adds
    ``coef * v`` to that block's output at EVERY position the block processes: the whole prompt on
    the first forward, then each new token on the KV-cache steps of generation, so the first
    generated token is already steered and the cached keys/values of the prompt were computed from
    the steered stream (generation with and without the cache gives the same tokens).

Coefficients
    A unit vector scaled by a raw coefficient means different things on different models and
    layers (SmolLM2-135M's residual norm is ~10 at block 2 and ~150 at block 20). The steer command
    therefore speaks in perturbation ratios: ``coef = ratio * mean_residual_norm(layer)``, the norm
    measured on the steered model itself over the steering prompts (:func:`prompt_norms`).

Why a context manager: a forward hook left behind silently steers every later call on a model
that is cached process-wide (`loading.load_model`); the hook handle is removed in ``finally``.
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from traitlint.model.loading import LoadedModel, require_torch

require_torch()  # ModelUnavailable with the install hint, rather than a bare ImportError

import torch  # noqa: E402

from traitlint.model.generate import chat_answers, chat_prompt  # noqa: E402


class SteeringMismatch(ValueError):
    """A vector does not fit the model it is applied to (hidden size or layer count)."""


def check_fits(loaded: LoadedModel, hidden_size: int, n_layers: int | None, source: str = "the vector") -> None:
    """Refuse a vector made for another architecture, with a message that says which numbers differ."""
    problems = []
    if int(hidden_size) != loaded.hidden_size:
        problems.append(f"hidden size {hidden_size} vs the model's {loaded.hidden_size}")
    if n_layers is not None and int(n_layers) != loaded.n_layers:
        problems.append(f"{n_layers} layers vs the model's {loaded.n_layers}")
    if problems:
        raise SteeringMismatch(
            f"{source} was extracted from a different architecture than {loaded.spec.name} "
            f"({'; '.join(problems)}): steer a model of the family it was extracted from")


@contextmanager
def steering(loaded: LoadedModel, vector: Any, layer: int, coefficient: float) -> Iterator[None]:
    """Within the block, block ``layer`` of ``loaded`` outputs ``h + coefficient * vector``.

    ``vector``: ``[hidden]`` (numpy or torch). The addition happens in the block's own dtype and
    device. The hook is removed when the block exits, normally or by an exception.
    """
    blocks = loaded.layers()
    if not 0 <= int(layer) < len(blocks):
        raise ValueError(f"layer {layer} out of range for a model with {len(blocks)} layers")
    direction = torch.as_tensor(np.asarray(vector, dtype=np.float32))
    if direction.ndim != 1 or direction.shape[0] != loaded.hidden_size:
        raise SteeringMismatch(
            f"a steering vector must have shape [{loaded.hidden_size}], not {tuple(direction.shape)}")
    block = blocks[int(layer)]
    weight = next(block.parameters(), None)
    if weight is not None:
        direction = direction.to(device=weight.device, dtype=weight.dtype)
    delta = direction * float(coefficient)

    def hook(module: Any, args: Any, output: Any) -> Any:
        if isinstance(output, tuple):
            return (output[0] + delta.to(output[0].dtype),) + tuple(output[1:])
        return output + delta.to(output.dtype)

    handle = block.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()


def steered_answers(
    loaded: LoadedModel,
    questions: Sequence[str],
    vector: Any,
    layer: int,
    coefficient: float,
    *,
    max_new_tokens: int = 64,
    batch_size: int = 8,
    progress: bool = False,
) -> list[str]:
    """Greedy chat answers to ``questions`` with the vector added at ``layer`` (0 = unsteered)."""
    if coefficient == 0:
        return chat_answers(loaded, list(questions), max_new_tokens=max_new_tokens, batch_size=batch_size,
                            progress=progress)
    with steering(loaded, vector, layer, coefficient):
        return chat_answers(loaded, list(questions), max_new_tokens=max_new_tokens, batch_size=batch_size,
                            progress=progress)


def prompt_norms(loaded: LoadedModel, questions: Sequence[str], layers: Sequence[int],
                 batch_size: int = 8) -> list[float]:
    """Mean residual-stream norm per layer over the chat-formatted ``questions`` (what gets steered).

    Token-weighted over the prompts' own tokens except position 0, the attention sink, whose norm
    is ~100x the rest (:func:`traitlint.model.capture.mean_residual_norms`).
    """
    from traitlint.model.capture import mean_residual_norms_of_ids

    ids = []
    for question in questions:
        text, templated = chat_prompt(loaded, question)
        ids.append(loaded.encode([text], add_special_tokens=not templated)[0])
    return [float(x) for x in mean_residual_norms_of_ids(loaded, ids, layers, batch_size=batch_size)]


__all__ = ["SteeringMismatch", "check_fits", "prompt_norms", "steered_answers", "steering"]
