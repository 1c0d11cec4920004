"""Greedy generation and token log-probabilities.

Generation is greedy (``do_sample=False``) so results are reproducible and cacheable, batched with
LEFT padding (new tokens must follow each prompt directly), and always goes through
``model.generate(..., use_cache=True)``: a steering hook registered on a decoder block (or a
wrapper around ``model.generate``) therefore applies to every function here unchanged.

``complete`` works on raw text (a prefill, continued as the base model would); ``chat_answers``
applies the tokenizer's chat template. Log-probabilities (``token_logprobs``,
``mean_token_logprobs``) score raw text as the model sees it by default (with BOS where the
tokenizer adds one), a fluency signal for prefills.
"""
from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from traitlint.model.loading import LoadedModel, length_batches, require_torch

require_torch()  # ModelUnavailable with the install hint, rather than a bare ImportError

import torch  # noqa: E402

FALLBACK_TEMPLATE = "Question: {question}\nAnswer:"
"""Prompt used by :func:`chat_answers` when the tokenizer has no chat template (base models)."""


END_OF_TEXT_TOKENS = ("<|endoftext|>", "<|end_of_text|>")
"""Document-end tokens that also stop generation when the tokenizer has them as special tokens."""


def eos_ids(loaded: LoadedModel) -> list[int]:
    """Token ids that end generation.

    The generation config's eos id(s), the tokenizer's eos, and a special document-end token
    (:data:`END_OF_TEXT_TOKENS`) if the vocabulary has one: SmolLM2-Instruct's eos is
    ``<|im_end|>`` (end of a chat turn), but continuing raw text it can end the document with
    ``<|endoftext|>`` and would otherwise carry on with an unrelated new one.
    """
    candidates: list[Any] = []
    configured = getattr(getattr(loaded.model, "generation_config", None), "eos_token_id", None)
    candidates.extend(configured if isinstance(configured, (list, tuple)) else [configured])
    tokenizer = loaded.tokenizer
    candidates.append(tokenizer.eos_token_id)
    specials = set(getattr(tokenizer, "all_special_tokens", []) or [])
    candidates.extend(tokenizer.convert_tokens_to_ids(token) for token in END_OF_TEXT_TOKENS if token in specials)
    ids: list[int] = []
    for value in candidates:
        if value is not None and int(value) not in ids:
            ids.append(int(value))
    return ids


def progress_batches(indices: list[list[int]], progress: bool, desc: str) -> Iterator[list[int]] | Any:
    """The batches, wrapped in a tqdm bar when ``progress`` (tqdm imported only then)."""
    if not progress:
        return iter(indices)
    from tqdm.auto import tqdm

    return tqdm(indices, desc=desc, unit="batch")


def require_tokens(ids: list[list[int]], texts: list[str] | None = None) -> None:
    """Refuse empty token sequences (an empty text with a tokenizer that adds no BOS, e.g.
    SmolLM2's): there is nothing to run the model on, and silently padding would give garbage."""
    for index, row in enumerate(ids):
        if not row:
            shown = f" ({texts[index]!r})" if texts is not None else ""
            raise ValueError(f"text {index}{shown} encodes to no tokens; drop empty texts first")


def generate_ids(
    loaded: LoadedModel,
    prompt_ids: list[list[int]],
    *,
    max_new_tokens: int = 16,
    batch_size: int = 16,
    progress: bool = False,
) -> list[list[int]]:
    """Greedy-generate from token-id prompts; return each prompt's new ids, cut after the first eos.

    The eos token itself is kept (it was generated; callers decoding text drop it as a special
    token). Padding HF appends to finished rows is removed by the same cut. The tokenizer's padding
    side is not touched: prompts are padded on the left here explicitly.
    """
    require_tokens(prompt_ids)
    if max_new_tokens < 1:
        return [[] for _ in prompt_ids]
    stop = eos_ids(loaded)
    pad_id = loaded.tokenizer.pad_token_id
    results: list[list[int]] = [[] for _ in prompt_ids]
    groups = length_batches([len(ids) for ids in prompt_ids], batch_size)
    for group in progress_batches(groups, progress, "generate"):
        batch = loaded.batch([prompt_ids[i] for i in group], padding_side="left")
        with torch.inference_mode():
            output = loaded.model.generate(
                input_ids=batch.input_ids,
                attention_mask=batch.attention_mask,
                max_new_tokens=max_new_tokens,
                do_sample=False,
                temperature=None,
                top_p=None,
                top_k=None,
                use_cache=True,
                pad_token_id=pad_id,
                eos_token_id=stop or None,
            )
        new = output[:, batch.input_ids.shape[1]:].tolist()
        for row, index in zip(new, group, strict=True):
            results[index] = _cut_after_eos(row, stop)
    return results


def _cut_after_eos(ids: list[int], stop: list[int]) -> list[int]:
    for position, token in enumerate(ids):
        if token in stop:
            return ids[: position + 1]
    return ids


def decode_continuation(loaded: LoadedModel, prompt: list[int], new: list[int]) -> str:
    """Decode only the new tokens, keeping a leading space that some tokenizers drop.

    SentencePiece tokenizers strip the space of a sequence-initial "▁word" when decoding the new
    tokens alone, so decode prompt+new and remove the decoded prompt when that is a clean prefix.
    """
    tokenizer = loaded.tokenizer
    alone = tokenizer.decode(new, skip_special_tokens=True)
    full = tokenizer.decode(prompt + new, skip_special_tokens=True)
    head = tokenizer.decode(prompt, skip_special_tokens=True)
    if full.startswith(head) and full[len(head):].strip() == alone.strip():
        return full[len(head):]
    return alone


def complete(
    loaded: LoadedModel,
    prompts: list[str],
    *,
    max_new_tokens: int = 16,
    batch_size: int = 16,
    progress: bool = False,
) -> list[str]:
    """Greedy raw-text continuations of ``prompts`` (no chat template), new text only.

    Prompts are tokenized as the tokenizer does by default (BOS for Llama, nothing for SmolLM2),
    generation stops at eos, and special tokens are dropped from the decoded text.
    """
    return _complete_ids(loaded, loaded.encode(list(prompts)), max_new_tokens, batch_size, progress)


def _complete_ids(
    loaded: LoadedModel, prompt_ids: list[list[int]], max_new_tokens: int, batch_size: int, progress: bool
) -> list[str]:
    tokenizer = loaded.tokenizer
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"  # for anyone tokenizing inside generate (and to be explicit)
    try:
        new = generate_ids(
            loaded, prompt_ids, max_new_tokens=max_new_tokens, batch_size=batch_size, progress=progress
        )
    finally:
        tokenizer.padding_side = side
    return [decode_continuation(loaded, prompt, ids) for prompt, ids in zip(prompt_ids, new, strict=True)]


def chat_prompt(loaded: LoadedModel, question: str) -> tuple[str, bool]:
    """The prompt text for ``question`` and whether it came from the tokenizer's chat template.

    With a template the text already holds whatever special tokens the template writes (BOS
    included, for Llama 3), so it is tokenized without adding special tokens again. Without one
    (base models) we fall back to :data:`FALLBACK_TEMPLATE`, tokenized normally.
    """
    tokenizer = loaded.tokenizer
    if getattr(tokenizer, "chat_template", None):
        text = tokenizer.apply_chat_template(
            [{"role": "user", "content": question}], add_generation_prompt=True, tokenize=False
        )
        return str(text), True
    return FALLBACK_TEMPLATE.format(question=question), False


def chat_answers(
    loaded: LoadedModel,
    questions: list[str],
    *,
    max_new_tokens: int = 64,
    batch_size: int = 8,
    progress: bool = False,
) -> list[str]:
    """Greedy answers to ``questions`` as single-turn user messages (chat template applied)."""
    prompt_ids: list[list[int]] = []
    for question in questions:
        text, templated = chat_prompt(loaded, question)
        prompt_ids.append(loaded.encode([text], add_special_tokens=not templated)[0])
    return _complete_ids(loaded, prompt_ids, max_new_tokens, batch_size, progress)


def token_logprobs(
    loaded: LoadedModel,
    texts: list[str],
    *,
    batch_size: int = 16,
    progress: bool = False,
) -> list[list[float]]:
    """Per text, ``log p(token_i | tokens_<i)`` for every token after the first.

    The first token has no prefix to be predicted from; with a BOS-adding tokenizer (Llama) it is
    the BOS, so every real text token is scored; without one (SmolLM2, GPT-2) the first text token
    is not scored. A text with fewer than two tokens gets an empty list. Padding never enters a
    score.
    """
    ids = loaded.encode(list(texts))
    results: list[list[float]] = [[] for _ in ids]
    scorable = [i for i, row in enumerate(ids) if len(row) >= 2]
    groups = [[scorable[j] for j in group] for group in length_batches([len(ids[i]) for i in scorable], batch_size)]
    for group in progress_batches(groups, progress, "log-probs"):
        batch = loaded.batch([ids[i] for i in group])
        with torch.inference_mode():
            logits = loaded.model(**batch.model_inputs(), use_cache=False).logits
        logits = logits[:, :-1].float()
        targets = batch.input_ids[:, 1:]
        scores = logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1) - torch.logsumexp(logits, dim=-1)
        scored = (batch.attention_mask[:, 1:] * batch.attention_mask[:, :-1]).bool()
        for row, index in enumerate(group):
            results[index] = scores[row][scored[row]].tolist()
    return results


def mean_token_logprobs(
    loaded: LoadedModel,
    texts: list[str],
    *,
    batch_size: int = 16,
    progress: bool = False,
) -> list[float]:
    """Per text, the mean of :func:`token_logprobs` (NaN for a text with nothing to score)."""
    per_token = token_logprobs(loaded, texts, batch_size=batch_size, progress=progress)
    return [sum(scores) / len(scores) if scores else math.nan for scores in per_token]
