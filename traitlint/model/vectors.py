"""The trait-vector file format: one safetensors file per trait and method, metadata inside.

Why safetensors: loading never unpickles (a vector file from a colleague or a hub cannot run
code), the header is JSON that can be read without the tensor data (so `traitlint vectors` lists
a folder of files cheaply), and torch, numpy, JAX and Rust read it natively.

Layout
    ``<out>/<model-slug>/<category>/<trait>/<method>.safetensors`` holding ONE float32 tensor
    named ``"vectors"`` of shape ``[n_layers, hidden]``: row ``L`` is the unit trait direction at
    layer ``L``, the output of decoder block ``L`` (Hugging Face ``hidden_states[L + 1]``).
    Layers that were not extracted (``--layers``) are zero rows; ``metadata["layers"]`` lists the
    extracted ones. The safetensors string metadata has a single key, ``"traitlint"``, whose value
    is a JSON object (dataset hash, model and revision, layer convention, position, method,
    per-layer activation norms, evaluation, traitlint version, seed, whether ``--force`` was used).

Writes are atomic (bytes built in memory, then temp file + rename), so an interrupted run leaves
either the previous file or the new one, never half of one. A ``.pt`` file is only ever read with
``torch.load(weights_only=True)``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from traitlint.atomic import atomic_write_bytes

TENSOR = "vectors"
METADATA_KEY = "traitlint"
FORMAT = 1
SUFFIX = ".safetensors"


class VectorFileError(ValueError):
    """A file is not a readable traitlint vector file (the message says why)."""


@dataclass
class VectorFile:
    """A loaded vector file: ``vectors`` is None when only the metadata was read."""

    path: Path
    metadata: dict[str, Any]
    vectors: np.ndarray | None = None

    @property
    def layers(self) -> list[int]:
        return [int(x) for x in self.metadata.get("layers", [])]

    def vector(self, layer: int) -> np.ndarray:
        """The unit direction at ``layer`` (0-based block output)."""
        if self.vectors is None:
            raise ValueError("vectors were not loaded (metadata only)")
        if layer not in self.layers:
            raise KeyError(f"layer {layer} was not extracted (extracted: {self.layers})")
        return self.vectors[layer]


def save(path: Path, vectors: np.ndarray, metadata: dict[str, Any]) -> None:
    """Write ``vectors`` ``[n_layers, hidden]`` (float32) and ``metadata`` (JSON) atomically."""
    from safetensors.numpy import save as to_bytes

    array = np.ascontiguousarray(vectors, dtype=np.float32)
    if array.ndim != 2:
        raise ValueError(f"vectors must be [n_layers, hidden], not {array.shape}")
    meta = {"format": FORMAT, **metadata}
    text = json.dumps(meta, sort_keys=True, ensure_ascii=False, allow_nan=False)
    atomic_write_bytes(Path(path), to_bytes({TENSOR: array}, metadata={METADATA_KEY: text}))


def _parse_metadata(path: Path, raw: dict[str, str] | None) -> dict[str, Any]:
    if not raw or METADATA_KEY not in raw:
        raise VectorFileError(f"{path}: no {METADATA_KEY!r} metadata: not a traitlint vector file")
    try:
        meta = json.loads(raw[METADATA_KEY])
    except ValueError as exc:
        raise VectorFileError(f"{path}: {METADATA_KEY!r} metadata is not JSON ({exc})") from None
    if not isinstance(meta, dict):
        raise VectorFileError(f"{path}: {METADATA_KEY!r} metadata is not a JSON object")
    return meta


def read_metadata(path: Path) -> dict[str, Any]:
    """The metadata of a vector file, reading only its header."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    try:
        with safe_open(str(path), framework="numpy") as handle:
            return _parse_metadata(path, handle.metadata())
    except (SafetensorError, OSError, ValueError) as exc:
        if isinstance(exc, VectorFileError):
            raise
        raise VectorFileError(f"{path}: not a readable safetensors file ({type(exc).__name__}: {exc})") from None


def load(path: Path) -> VectorFile:
    """Load a vector file: safetensors (never unpickled) or, for ``.pt``, ``torch.load(weights_only=True)``."""
    path = Path(path)
    if path.suffix == ".pt":
        return _load_pt(path)
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="numpy") as handle:
            meta = _parse_metadata(path, handle.metadata())
            if TENSOR not in handle.keys():  # noqa: SIM118 - a safe_open handle has keys(), not __contains__
                raise VectorFileError(f"{path}: no tensor named {TENSOR!r}")
            vectors = handle.get_tensor(TENSOR)
    except (SafetensorError, OSError, ValueError) as exc:
        if isinstance(exc, VectorFileError):
            raise
        raise VectorFileError(f"{path}: not a readable safetensors file ({type(exc).__name__}: {exc})") from None
    return VectorFile(path, meta, np.asarray(vectors, dtype=np.float32))


def _load_pt(path: Path) -> VectorFile:
    """A ``{"vectors": tensor, "metadata": dict}`` checkpoint, loaded without unpickling code."""
    import torch

    data = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(data, dict) or TENSOR not in data:
        raise VectorFileError(f"{path}: expected a dict with a {TENSOR!r} tensor")
    meta = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    return VectorFile(path, meta, data[TENSOR].float().numpy())


def find(root: Path) -> list[Path]:
    """Every vector file under ``root`` (a file is itself), sorted."""
    root = Path(root)
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob(f"*{SUFFIX}") if p.is_file() and not p.name.startswith("."))


__all__ = ["FORMAT", "METADATA_KEY", "TENSOR", "VectorFile", "VectorFileError", "find", "load", "read_metadata",
           "save"]
