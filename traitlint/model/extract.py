"""`traitlint extract` for one trait folder: capture, fit, evaluate, write, export.

Why here and not in the front end: everything that touches the model (which pairs, which
position, which layers, the activations) and everything derived from them (directions, scores,
files) is decided in one place, so the CLI, a notebook or a test with a tiny model get the same
vectors from the same inputs. The gate (static audits) belongs to the front end, which passes its
verdict in as a :class:`Gate` to be recorded.

Steps for one folder
    1. Pairs: all pairs, or only those TL402 response_vetting kept (both sides passed) when its
       results file matches this dataset's content hash and this model (:func:`find_vetting`).
    2. Split by pair, seeded and shuffled (:func:`traitlint.model.evaluation.split_pairs`).
    3. Capture once for every pair and layer (both sides in one batched pass; raw text, no
       chat template): ``mean``/``last`` over the prefill, or ``response:K``, the mean over the
       first K greedily generated tokens (:mod:`traitlint.model.capture`).
    4. Fit and score every method at every layer, baselines and confound projections
       (:mod:`traitlint.model.evaluation`).
    5. Write ``<method>.safetensors`` per method, then ``evaluation.json`` last: a trait is done
       when its evaluation.json carries the run's key and every vector file does too, so an
       interrupted run is redone, a finished one is skipped ("up to date").
    6. Optionally export each method as a llama.cpp control vector (read back before success).
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from traitlint import __version__
from traitlint.atomic import atomic_write_text
from traitlint.dataset import Pair, TraitDataset
from traitlint.model import vectors as vector_files
from traitlint.model.evaluation import (
    METHODS,
    ConfoundFeature,
    MethodResult,
    evaluate,
    split_pairs,
    text_confounds,
)
from traitlint.model.evaluation import VERSION as EVALUATION_VERSION
from traitlint.model.services import RESULTS_DIRNAME, slug

EVALUATION_FILE = "evaluation.json"
EVALUATION_FORMAT = 1
POSITIONS = ("mean", "last", "response")
DEFAULT_RESPONSE_TOKENS = 5
LAYER_CONVENTION = ("row L = output of decoder block L (0-based) = Hugging Face hidden_states[L+1] "
                    "(the raw block output, also for the last block, where Hugging Face reports the "
                    "final-norm output); rows of layers not extracted are zero")
NO_VETTING = "no TL402 results for this dataset hash and model; extracting from all pairs"


class ExtractError(ValueError):
    """A folder cannot be extracted as asked (too few pairs, a bad option): the message says why."""


# options ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Position:
    """Where the trait is read: ``mean``/``last`` over the prefill, or ``response`` (first ``k`` generated tokens)."""

    kind: str
    k: int = DEFAULT_RESPONSE_TOKENS

    def __post_init__(self) -> None:
        if self.kind not in POSITIONS:
            raise ExtractError(f"position must be one of {', '.join(POSITIONS)}, not {self.kind!r}")
        if self.k < 1:
            raise ExtractError(f"response:K needs K >= 1, not {self.k}")

    @property
    def label(self) -> str:
        return f"response:{self.k}" if self.kind == "response" else self.kind

    @classmethod
    def parse(cls, text: str) -> Position:
        """``mean``, ``last``, ``response`` or ``response:K``."""
        kind, _, k = text.strip().lower().partition(":")
        if k and kind != "response":
            raise ExtractError(f"only response takes a token count (response:K), not {text!r}")
        if k and not k.isdigit():
            raise ExtractError(f"response:K needs a whole number K, not {text!r}")
        return cls(kind, int(k) if k else DEFAULT_RESPONSE_TOKENS)


@dataclass(frozen=True)
class ExtractOptions:
    """What to extract; everything here except ``batch_size``/``progress``/``export_gguf`` keys the outputs."""

    position: Position
    methods: tuple[str, ...] = METHODS
    layers: tuple[int, ...] | None = None  # None = every layer
    val_fraction: float = 0.2
    seed: int = 0
    batch_size: int = 16
    export_gguf: bool = False
    progress: bool = False
    position_note: str = ""  # how the position was chosen ("auto: trait.toml type state"), for the record

    def __post_init__(self) -> None:
        unknown = [m for m in self.methods if m not in METHODS]
        if unknown or not self.methods:
            raise ExtractError(f"unknown method(s) {', '.join(unknown) or '(none)'}; known: {', '.join(METHODS)}")
        if not 0.0 < self.val_fraction < 1.0:
            raise ExtractError(f"--val-fraction must be between 0 and 1, not {self.val_fraction}")
        if self.batch_size < 1:
            raise ExtractError(f"--batch-size must be >= 1, not {self.batch_size}")


@dataclass(frozen=True)
class Gate:
    """The front end's static-audit verdict, recorded in every output file."""

    forced: bool = False
    failed_audits: tuple[str, ...] = ()  # e.g. "TL101 lexical_label_leak (failed)"


@dataclass(frozen=True)
class Vetting:
    """Which pairs to extract from: ``kept_lines`` (1-based) from TL402, or None for all."""

    kept_lines: tuple[int, ...] | None
    source: str | None
    message: str


# TL402 -------------------------------------------------------------------------------------------
def find_vetting(ds: TraitDataset, model_ids: Sequence[str], results_root: Path | None = None) -> Vetting:
    """TL402's paired-filter result for this dataset content and extraction model, if any.

    Looks in ``<results_root or folder/.traitlint>/response_vetting/`` for a results file whose
    identity names this dataset's content hash and, as base model, one of ``model_ids`` (the id
    the user gave, e.g. ``embedded``, and the loaded model's name). The newest matching file wins
    (several exist when TL402 ran with different judges). A vetting of a sample of the pairs
    (TL402 ``max_pairs``; ``"sampled": true``) is no filter: pairs it never saw are not rejected.
    """
    root = Path(results_root) if results_root is not None else Path(ds.path) / RESULTS_DIRNAME
    folder = root / "response_vetting"
    digest = ds.content_hash()
    wanted = {str(m) for m in model_ids if m}
    found: list[tuple[float, Path, list[int]]] = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        ident = data.get("identity") if isinstance(data, dict) else None
        models = ident.get("models") if isinstance(ident, dict) else None
        kept = data.get("kept_lines") if isinstance(data, dict) else None
        if not (isinstance(ident, dict) and ident.get("dataset") == digest and isinstance(models, dict)
                and models.get("base_model") in wanted and isinstance(kept, list)) or data.get("sampled"):
            continue
        try:
            found.append((path.stat().st_mtime, path, sorted({int(x) for x in kept})))
        except (OSError, TypeError, ValueError):
            continue
    if not found:
        return Vetting(None, None, NO_VETTING)
    _, path, kept = max(found, key=lambda item: (item[0], str(item[1])))
    n = len(ds.pairs)
    kept = [line for line in kept if 1 <= line <= n]
    return Vetting(tuple(kept), str(path),
                   f"TL402 response_vetting kept {len(kept)} of {n} pairs ({path.name}); extracting from those")


# records ------------------------------------------------------------------------------------------
@dataclass
class TraitExtraction:
    """What happened to one folder."""

    trait: str  # "<category>/<trait>"
    folder: Path
    out_dir: Path
    status: str  # "extracted" | "up to date"
    evaluation: dict[str, Any]
    files: list[Path] = field(default_factory=list)
    control_vectors: list[Any] = field(default_factory=list)  # control_vector.ControlVectorFile
    messages: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def suggested_layer(self) -> int:
        return int(self.evaluation["suggested"]["layer"])

    @property
    def suggested_method(self) -> str:
        return str(self.evaluation["suggested"]["method"])


def trait_id(folder: Path) -> str:
    """``<category>/<trait>``: the folder's last two path components."""
    parts = Path(os.path.abspath(folder)).parts
    return "/".join(parts[-2:]) if len(parts) >= 2 else parts[-1]


def output_dir(out_root: Path, loaded: Any, folder: Path) -> Path:
    return Path(out_root) / slug(loaded.spec.name) / trait_id(folder)


def model_record(loaded: Any) -> dict[str, Any]:
    config = getattr(loaded.model, "config", None)
    return {"id": loaded.spec.name, "name": loaded.name, "revision": loaded.revision,
            "model_type": getattr(config, "model_type", None), "n_layers": loaded.n_layers,
            "hidden_size": loaded.hidden_size, "dtype": loaded.dtype}


def run_key(ds: TraitDataset, loaded: Any, options: ExtractOptions, layers: list[int], vetting: Vetting,
            gate: Gate) -> str:
    """Hash of everything the outputs depend on: same key, same outputs (the run is skipped).

    The gate is part of it because it is recorded in the files: re-running without ``--force``
    once a folder passes rewrites files that say they were forced.
    """
    fields = {"format": EVALUATION_FORMAT, "rules": EVALUATION_VERSION, "dataset": ds.content_hash(),
              "model": loaded.spec.name,
              "model_name": loaded.name, "revision": loaded.revision, "dtype": loaded.dtype,
              "position": options.position.label, "layers": layers, "seed": options.seed,
              "val_fraction": options.val_fraction, "methods": list(options.methods),
              "pairs": list(vetting.kept_lines) if vetting.kept_lines is not None else "all",
              "forced": gate.forced, "failed_audits": list(gate.failed_audits)}
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:24]


def _up_to_date(out_dir: Path, key: str, methods: Sequence[str]) -> dict[str, Any] | None:
    """The stored evaluation when evaluation.json and every method's vector file carry ``key``."""
    try:
        stored = json.loads((out_dir / EVALUATION_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(stored, dict) or stored.get("key") != key:
        return None
    for method in methods:
        try:
            if vector_files.read_metadata(out_dir / f"{method}{vector_files.SUFFIX}").get("key") != key:
                return None
        except (OSError, vector_files.VectorFileError):
            return None
    return stored


# the work ---------------------------------------------------------------------------------------
def _capture(loaded: Any, texts: list[str], layers: list[int], options: ExtractOptions) -> tuple[np.ndarray, list[str]]:
    from traitlint.model.capture import capture, capture_generated_with_texts

    position = options.position
    if position.kind == "response":
        return capture_generated_with_texts(loaded, texts, k=position.k, layers=layers,
                                            batch_size=options.batch_size, progress=options.progress)
    acts = capture(loaded, texts, layers=layers, pooling=position.kind, batch_size=options.batch_size,
                   progress=options.progress)
    return acts, []


def _subset(feature: ConfoundFeature, rows: list[int]) -> ConfoundFeature:
    return replace(feature, positive=np.asarray(feature.positive)[rows], negative=np.asarray(feature.negative)[rows])


def _selected_pairs(ds: TraitDataset, vetting: Vetting) -> list[Pair]:
    pairs = ds.pairs
    if not pairs:
        raise ExtractError(f"cannot pair prefills: {ds.unpairable_reason}")
    if vetting.kept_lines is None:
        return pairs
    kept = set(vetting.kept_lines)
    return [p for p in pairs if p.index + 1 in kept]


def _method_metadata(base: dict[str, Any], result: MethodResult, norms: list[float | None]) -> dict[str, Any]:
    return {**base, "method": result.method, "mean_activation_norm": norms, "evaluation": result.summary()}


def extract_trait(
    loaded: Any,
    ds: TraitDataset,
    out_root: Path,
    options: ExtractOptions,
    *,
    gate: Gate = Gate(),
    vetting: Vetting | None = None,
    extra_confounds: Sequence[ConfoundFeature] = (),
    log: Callable[[str], None] | None = None,
) -> TraitExtraction:
    """Extract, evaluate and write one trait folder's vectors (or skip it when up to date).

    ``loaded``: a :class:`traitlint.model.loading.LoadedModel` (one per run, shared by all folders).
    ``extra_confounds``: more text features (e.g. the front end's top TL101 feature), aligned with
    ``ds.pairs`` (row i = pair i), evaluated like the built-in ones.
    """
    from traitlint.model.capture import resolve_layers

    started = time.perf_counter()
    say = log or (lambda message: None)
    vetting = vetting if vetting is not None else Vetting(None, None, NO_VETTING)
    layers = resolve_layers(loaded, options.layers)
    trait = trait_id(ds.path)
    out_dir = output_dir(out_root, loaded, ds.path)
    key = run_key(ds, loaded, options, layers, vetting, gate)
    record = TraitExtraction(trait, Path(ds.path), out_dir, "up to date", {})

    stored = _up_to_date(out_dir, key, options.methods)
    if stored is not None:
        record.evaluation = stored
        record.files = [out_dir / f"{m}{vector_files.SUFFIX}" for m in options.methods] + [out_dir / EVALUATION_FILE]
        record.messages.append("up to date (same dataset, model, revision, position, layers, seed, val fraction, "
                               "methods and pairs)")
        say(f"{trait}: up to date")
        if options.export_gguf:
            _export(record, loaded, options, say)
        record.seconds = time.perf_counter() - started
        return record

    pairs = _selected_pairs(ds, vetting)
    record.messages.append(vetting.message)
    say(f"{trait}: {vetting.message}")
    try:
        split = split_pairs(len(pairs), options.val_fraction, options.seed)
    except ValueError as exc:
        if vetting.kept_lines is not None:
            raise ExtractError(f"{trait}: TL402 response_vetting kept {len(pairs)} of {len(ds.pairs)} pairs, too few "
                               f"to extract from ({exc}); fix the prefills it rejects (see {vetting.source}) and "
                               "re-run it, or extract from all pairs (--all-pairs)") from None
        raise ExtractError(f"{trait}: {exc}") from None
    texts_pos = [p.positive.full_text for p in pairs]
    texts_neg = [p.negative.full_text for p in pairs]
    t0 = time.perf_counter()
    acts, continuations = _capture(loaded, texts_pos + texts_neg, layers, options)
    capture_s = time.perf_counter() - t0
    n = len(pairs)
    pos, neg = acts[:n], acts[n:]

    t0 = time.perf_counter()
    rows = [p.index for p in pairs]
    confounds = text_confounds([p.positive.text for p in pairs], [p.negative.text for p in pairs])
    confounds += [_subset(f, rows) for f in extra_confounds]
    results = evaluate(pos, neg, layers, split, options.methods, options.seed, confounds)
    evaluate_s = time.perf_counter() - t0

    norms_selected = np.linalg.norm(acts.astype(np.float64), axis=2).mean(axis=0)
    norms: list[float | None] = [None] * loaded.n_layers
    for i, layer in enumerate(layers):
        norms[layer] = round(float(norms_selected[i]), 4)
    suggested_method = "mean_diff" if "mean_diff" in results else options.methods[0]
    suggested = {"method": suggested_method, "layer": results[suggested_method].best_layer}
    line = lambda indices: [pairs[i].index + 1 for i in indices]  # noqa: E731
    base = {
        "key": key,
        "traitlint": __version__,
        "trait": trait,
        "dataset": {"content_hash": ds.content_hash(), "folder": str(ds.path), "pairs": len(ds.pairs),
                    "used_pairs": n, "vetting": {"source": vetting.source, "message": vetting.message}},
        "model": model_record(loaded),
        "layer_convention": LAYER_CONVENTION,
        "layers": layers,
        "position": options.position.label,
        "position_note": options.position_note,
        "chat_template": False,
        "seed": options.seed,
        "val_fraction": options.val_fraction,
        "split": {"train_lines": line(split.train), "val_lines": line(split.val)},
        "forced": gate.forced,
        "gate": {"forced": gate.forced, "failed_audits": list(gate.failed_audits)},
        "suggested": suggested,
        "unit": True,
        "sign": "positives project higher than negatives (training split)",
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    files = []
    for method, result in results.items():
        full = np.zeros((loaded.n_layers, loaded.hidden_size), dtype=np.float32)
        full[layers] = result.vectors
        path = out_dir / f"{method}{vector_files.SUFFIX}"
        vector_files.save(path, full, _method_metadata(base, result, norms))
        files.append(path)
    evaluation = {
        "format": EVALUATION_FORMAT,
        **base,
        "methods": list(options.methods),
        "mean_activation_norm": norms,
        "mean_activation_norm_note": "mean over extracted texts of the L2 norm of the pooled activation "
                                     "(the vector the directions were fit on) per layer; null = not extracted",
        "confound_features": {f.name: f.description for f in confounds},
        "confound_rule": "r_within = mean of the Pearson r of held-out projections with the feature within the "
                         "positive and within the negative texts; dominated when |r_within| > |r_trait| "
                         "(point-biserial r of projection with label) and |r_within| >= 0.3, else tracks when "
                         "|r_within| >= 0.5, else ok; n/a with fewer than 10 held-out pairs",
        "results": {m: {**r.summary(), "confounds": r.confounds} for m, r in results.items()},
        "samples": [{"line": pairs[i].index + 1, "positive": continuations[i], "negative": continuations[n + i]}
                    for i in range(min(3, n))] if continuations else [],
        "seconds": {"capture": round(capture_s, 2), "evaluate": round(evaluate_s, 2)},
    }
    evaluation_path = out_dir / EVALUATION_FILE
    atomic_write_text(evaluation_path, json.dumps(evaluation, indent=1, ensure_ascii=False, allow_nan=False) + "\n")
    files.append(evaluation_path)
    record.status, record.evaluation, record.files = "extracted", evaluation, files
    if options.export_gguf:
        _export(record, loaded, options, say)
    record.seconds = time.perf_counter() - started
    return record


def _export(record: TraitExtraction, loaded: Any, options: ExtractOptions, say: Callable[[str], None]) -> None:
    """One llama.cpp control vector per method, from the written vector files; each read back."""
    from traitlint.model.control_vector import (
        ControlVectorError,
        read_control_vector,
        tensor_name,
        write_control_vector,
    )

    hint = record.evaluation.get("model", {}).get("model_type") or "llama"
    for method in options.methods:
        source = vector_files.load(record.out_dir / f"{method}{vector_files.SUFFIX}")
        target = record.out_dir / f"{method}.gguf"
        assert source.vectors is not None
        expected = {int(tensor_name(layer).split(".")[1]): source.vectors[layer] for layer in source.layers}
        try:
            checked = read_control_vector(target, expected=expected, model_hint=hint)
        except ControlVectorError:  # missing, stale or damaged: write it (again)
            checked = write_control_vector(target, source.vectors, source.layers, hint)
            say(f"{record.trait}: wrote {target}")
        record.control_vectors.append(checked)
        record.files.append(target)


__all__ = [
    "EVALUATION_FILE",
    "NO_VETTING",
    "ExtractError",
    "ExtractOptions",
    "Gate",
    "Position",
    "TraitExtraction",
    "Vetting",
    "extract_trait",
    "find_vetting",
    "output_dir",
    "run_key",
    "trait_id",
]
