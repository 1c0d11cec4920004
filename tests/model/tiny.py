"""A tiny, randomly initialised Llama and an in-memory tokenizer: model-core tests without downloads.

The tokenizer is a byte-level BPE trained in memory on a few sentences (so any text encodes, with
no unknown tokens), wrapped in ``PreTrainedTokenizerFast`` with pad/bos/eos/unk tokens and a simple
chat template. ``add_bos=True`` mimics Llama (BOS prepended), ``add_bos=False`` mimics SmolLM2.
"""
from __future__ import annotations

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from traitlint.model.loading import LoadedModel, ModelSpec, from_parts

SPECIALS = ["<pad>", "<s>", "</s>", "<unk>"]
PAD, BOS, EOS, UNK = range(4)
VOCAB_SIZE = 320
CHAT_TEMPLATE = (
    "{% for m in messages %}<s>{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant:{% endif %}"
)
CORPUS = [
    "the cat sat on the mat",
    "she stayed hopeful because the plan was good",
    "a dog ran in the park and the sun was warm",
    "after the layoffs he felt angry and tired",
    "we are happy to help you with the task",
]


def tiny_tokenizer(*, add_bos: bool = True, chat_template: bool = True) -> PreTrainedTokenizerFast:
    backend = Tokenizer(models.BPE(unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIALS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(CORPUS, trainer)
    if add_bos:
        backend.post_processor = processors.TemplateProcessing(
            single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", BOS)]
        )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>"
    )
    if chat_template:
        tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def tiny_llama(seed: int = 0, *, n_layers: int = 3, vocab_size: int = VOCAB_SIZE) -> LlamaForCausalLM:
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=n_layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        initializer_range=0.2,  # larger than the default so greedy choices are not near-ties
        bos_token_id=BOS,
        eos_token_id=EOS,
        pad_token_id=PAD,
        tie_word_embeddings=False,
    )
    torch.manual_seed(seed)
    model = LlamaForCausalLM(config)
    return model.eval()


def tiny_loaded(seed: int = 0, *, add_bos: bool = True, chat_template: bool = True) -> LoadedModel:
    tokenizer = tiny_tokenizer(add_bos=add_bos, chat_template=chat_template)
    model = tiny_llama(seed, vocab_size=max(VOCAB_SIZE, len(tokenizer)))
    return from_parts(model, tokenizer, name="tiny-llama", spec=ModelSpec(name="tiny-llama"))


def reference_hidden_states(loaded: LoadedModel, ids: list[int]) -> list[torch.Tensor]:
    """Block outputs for one unpadded sequence via ``output_hidden_states``: item L = layer L.

    ``tie_last_hidden_states`` is switched off so HF's last entry is the last block's output
    rather than the final-norm output it reports by default.
    """
    config = loaded.model.config
    before = getattr(config, "tie_last_hidden_states", None)
    config.tie_last_hidden_states = False
    try:
        with torch.inference_mode():
            out = loaded.model(torch.tensor([ids]), output_hidden_states=True)
    finally:
        config.tie_last_hidden_states = before
    return [h[0].float() for h in out.hidden_states[1:]]
