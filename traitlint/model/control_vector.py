"""llama.cpp control-vector export: a trait vector as a GGUF file ``llama-cli`` can steer with.

Format (what llama.cpp's ``llama_control_vector_load`` reads, and what its ``cvector-generator``
and repeng write): ``general.architecture = "controlvector"``, ``controlvector.model_hint`` (the
model's architecture, e.g. ``"llama"``), ``controlvector.layer_count`` (the number of direction
tensors), and one float32 1-D tensor ``direction.N`` of length ``hidden`` per layer.

Numbering
    ``N`` is the decoder block counted from 1: ``direction.N`` holds our layer ``N - 1`` (the
    output of block ``N - 1`` counted from 0 = Hugging Face ``hidden_states[N]``). There is never
    a ``direction.0`` (llama.cpp rejects it). This is the numbering llama.cpp's own
    cvector-generator uses (its ``l_out-i`` activations are written as ``direction.{i+1}``);
    llama.cpp adds ``direction.N`` to the residual stream after its block ``N`` (0-based), so
    ``--control-vector-layer-range A B`` selects ``direction.A`` .. ``direction.B``, and the
    vector of our last layer (``direction.n_layers``) is never applied by llama.cpp.

The file is written to a temporary name beside the target, read back with ``gguf.GGUFReader``
and compared (names, shapes, dtype, values, metadata) before it is renamed into place: a file
that reports success has been read back.
"""
from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ARCHITECTURE = "controlvector"


class ControlVectorError(RuntimeError):
    """The exported GGUF file did not read back as written."""


@dataclass(frozen=True)
class ControlVectorFile:
    """A control-vector file that was read back: its tensors and metadata."""

    path: Path
    model_hint: str
    layer_count: int
    directions: dict[int, int]  # N (block counted from 1) -> length


def tensor_name(layer: int) -> str:
    """``direction.N`` for our 0-based ``layer`` (N = layer + 1)."""
    return f"direction.{int(layer) + 1}"


def write_control_vector(path: Path, vectors: np.ndarray, layers: Sequence[int], model_hint: str) -> ControlVectorFile:
    """Write rows ``layers`` of ``vectors`` ``[n_layers, hidden]`` as a control vector; verify; rename.

    Raises :class:`ControlVectorError` (and leaves nothing at ``path``'s temp name) when the
    read-back differs from what was written.
    """
    import gguf

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    chosen = sorted({int(layer) for layer in layers})
    if not chosen:
        raise ValueError("no layers to export")
    rows = {layer: np.ascontiguousarray(vectors[layer], dtype=np.float32) for layer in chosen}
    tmp = path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp"
    try:
        writer = gguf.GGUFWriter(str(tmp), ARCHITECTURE)
        writer.add_string(f"{ARCHITECTURE}.model_hint", model_hint)
        writer.add_int32(f"{ARCHITECTURE}.layer_count", len(chosen))
        for layer, row in rows.items():
            writer.add_tensor(tensor_name(layer), row)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        checked = read_control_vector(tmp, expected={layer + 1: row for layer, row in rows.items()},
                                      model_hint=model_hint)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return ControlVectorFile(path, checked.model_hint, checked.layer_count, checked.directions)


def _field(reader: object, key: str) -> object:
    field = reader.get_field(key)  # type: ignore[attr-defined]
    if field is None:
        raise ControlVectorError(f"missing metadata key {key!r}")
    return field.contents()


def read_control_vector(path: Path, *, expected: dict[int, np.ndarray] | None = None,
                        model_hint: str | None = None) -> ControlVectorFile:
    """Read a control-vector GGUF file and check it; with ``expected`` (N -> row), compare values too."""
    import gguf

    path = Path(path)
    try:
        reader = gguf.GGUFReader(str(path))
    except (ValueError, OSError) as exc:
        raise ControlVectorError(f"{path}: not a readable GGUF file ({exc})") from None
    try:
        arch = _field(reader, "general.architecture")
        if arch != ARCHITECTURE:
            raise ControlVectorError(f"general.architecture is {arch!r}, not {ARCHITECTURE!r}")
        hint = str(_field(reader, f"{ARCHITECTURE}.model_hint"))
        if model_hint is not None and hint != model_hint:
            raise ControlVectorError(f"model_hint is {hint!r}, expected {model_hint!r}")
        count = int(_field(reader, f"{ARCHITECTURE}.layer_count"))  # type: ignore[call-overload]
        directions: dict[int, int] = {}
        width = None
        for tensor in reader.tensors:
            prefix, _, number = tensor.name.partition(".")
            if prefix != "direction" or not number.isdigit() or int(number) < 1:
                raise ControlVectorError(f"unexpected tensor {tensor.name!r} (want direction.N, N >= 1)")
            if tensor.tensor_type != gguf.GGMLQuantizationType.F32:
                raise ControlVectorError(f"{tensor.name} is {tensor.tensor_type.name}, not F32")
            shape = [int(x) for x in tensor.shape]
            if len(shape) != 1:
                raise ControlVectorError(f"{tensor.name} has shape {shape}, not 1-D")
            if width is not None and shape[0] != width:
                raise ControlVectorError(f"{tensor.name} has length {shape[0]}, the others {width}")
            width = shape[0]
            directions[int(number)] = shape[0]
            if expected is not None:
                want = expected.get(int(number))
                if want is None:
                    raise ControlVectorError(f"{tensor.name} was not written")
                got = np.asarray(tensor.data, dtype=np.float32).reshape(-1)
                if got.shape != want.shape or not np.array_equal(got, want):
                    raise ControlVectorError(f"{tensor.name} does not read back as written")
        if expected is not None and set(directions) != set(expected):
            missing = sorted(set(expected) - set(directions))
            raise ControlVectorError(f"tensors missing on read-back: {', '.join(f'direction.{n}' for n in missing)}")
        if count != len(directions):
            raise ControlVectorError(f"layer_count is {count} but the file has {len(directions)} direction tensors")
    except ControlVectorError as exc:
        raise ControlVectorError(f"{path}: {exc}") from None
    finally:
        del reader  # the memmap, before the file is renamed or removed
    return ControlVectorFile(path, hint, count, dict(sorted(directions.items())))


def layer_range(best_layer: int, n_layers: int, width: int = 2) -> tuple[int, int]:
    """``--control-vector-layer-range A B`` around our ``best_layer``, in ``direction.N`` numbering.

    ``width`` layers on each side, clipped to what llama.cpp applies (1 .. n_layers - 1).
    """
    centre = best_layer + 1
    top = max(1, n_layers - 1)
    return max(1, centre - width), max(1, min(top, centre + width))


def llama_cpp_command(path: Path, scale: float, first: int, last: int, model: str = "MODEL.gguf") -> str:
    """The llama.cpp command line that steers with this file (``scale`` < 0 steers away)."""
    return (f"llama-cli -m {model} --control-vector-scaled {path}:{scale:g} "
            f"--control-vector-layer-range {first} {last}")


__all__ = ["ARCHITECTURE", "ControlVectorError", "ControlVectorFile", "layer_range", "llama_cpp_command",
           "read_control_vector", "tensor_name", "write_control_vector"]
