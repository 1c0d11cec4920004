"""`traitlint extract` and `traitlint vectors`: the front end over `traitlint.model.extract`.

What this layer decides (and the model layer does not): which folders may be extracted (the
gate: the static audits, exactly as `traitlint check` runs them, refuse a folder with a failed
audit unless `--force`, which is recorded), which position a trait's card asks for
(`--position auto`), the top TL101 feature as a confound, and what is printed. One model load
serves every folder of a run.

Importing this module is cheap (argparse only): the CLI builds its parser from it. The runner,
the audits and the model layer are imported inside the functions that need them.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

DEFAULT_OUT = "vectors"
DEFAULT_METHODS = "mean_diff,probe,pca"
SCALE_FRACTION = 0.1  # suggested llama.cpp scale: this fraction of the residual norm at the layer


class CommandError(Exception):
    """Bad input to extract/vectors: the CLI prints it as a usage error (exit 2)."""


# parser --------------------------------------------------------------------------------------------
def add_parsers(sub: Any) -> None:
    """Add the `extract` and `vectors` subcommands to the CLI's subparsers."""
    extract = sub.add_parser(
        "extract", help="extract trait vectors from a base model",
        description="Extract trait vectors from folders that pass their static audits, evaluate them on "
                    "held-out pairs and against the known confounds, and write safetensors (and GGUF) files.")
    extract.add_argument("paths", nargs="+", metavar="PATH", help="trait folders or folders containing them")
    extract.add_argument("--model", metavar="ID|PATH",
                         help="base model: Hugging Face id, local folder, .gguf file or 'embedded' "
                              "(default: [tool.traitlint.model] base-model, else embedded)")
    extract.add_argument("--out", metavar="DIR", default=DEFAULT_OUT, help=f"output directory (default: {DEFAULT_OUT})")
    extract.add_argument("--methods", default=DEFAULT_METHODS, metavar="LIST",
                         help=f"comma-separated: mean_diff, probe, pca (default: {DEFAULT_METHODS})")
    extract.add_argument("--layers", default="all", metavar="SPEC",
                         help="all, A-B or L1,L2 (0-based decoder blocks; default: all)")
    extract.add_argument("--position", default="auto", metavar="POS",
                         help="auto (from the trait card), last, mean, response or response:K (default: auto)")
    extract.add_argument("--val-fraction", type=float, default=0.2, metavar="F",
                         help="share of pairs held out for evaluation (default: 0.2)")
    extract.add_argument("--seed", type=int, default=0, metavar="N", help="seed of the split and baselines (default: 0)")
    extract.add_argument("--batch-size", type=int, default=None, metavar="N",
                         help="texts per forward pass (default: [tool.traitlint.model] batch-size, 16)")
    extract.add_argument("--force", action="store_true",
                         help="extract folders with failed static audits too (recorded in every output file)")
    extract.add_argument("--all-pairs", action="store_true",
                         help="extract from every pair even when TL402 response_vetting kept only some (recorded)")
    extract.add_argument("--export", choices=("gguf",), action="append", default=[],
                         help="also write llama.cpp control vectors (gguf)")
    extract.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")

    vectors = sub.add_parser("vectors", help="list extracted trait vectors",
                             description="List the trait vectors under DIR with their metadata and metrics.")
    vectors.add_argument("dir", metavar="DIR", nargs="?", default=DEFAULT_OUT)
    vectors.add_argument("--format", choices=("text", "json"), default="text")


# option parsing ----------------------------------------------------------------------------------------
def parse_layers(text: str) -> tuple[int, ...] | None:
    """``all`` -> None; ``A-B`` -> A..B inclusive; ``L1,L2`` (items may be ranges) -> those, in order."""
    text = (text or "all").strip().lower()
    if text == "all":
        return None
    out: list[int] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        low, dash, high = item.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise CommandError(f"--layers {text!r}: use all, A-B or L1,L2 (0-based block indices)")
        start, stop = int(low), int(high) if dash else int(low)
        if stop < start:
            raise CommandError(f"--layers {item!r}: the range is empty")
        out.extend(x for x in range(start, stop + 1) if x not in out)
    if not out:
        raise CommandError("--layers names no layer")
    return tuple(out)


def parse_methods(text: str) -> tuple[str, ...]:
    from traitlint.model.evaluation import METHODS

    chosen = [m.strip().lower() for m in text.split(",") if m.strip()]
    unknown = [m for m in chosen if m not in METHODS]
    if unknown or not chosen:
        raise CommandError(f"--methods: unknown {', '.join(unknown) or '(none)'}; choose from {', '.join(METHODS)}")
    return tuple(dict.fromkeys(chosen))


def auto_position(ds: Any, explicit: str) -> tuple[Any, str]:
    """The `Position` for a folder and a note saying where it came from."""
    from traitlint.model.extract import ExtractError, Position

    try:
        if explicit.strip().lower() != "auto":
            return Position.parse(explicit), "given (--position)"
    except ExtractError as exc:
        raise CommandError(f"--position: {exc}") from None
    from traitlint.audits.diversity.common import card_type
    from traitlint.audits.model.common import card_extraction, position_for

    kind = position_for(ds)
    extraction, trait_type = card_extraction(ds), card_type(ds)
    if extraction:
        note = f"auto: trait.toml extraction = {extraction}"
    elif trait_type:
        note = f"auto: trait.toml type = {trait_type}"
    else:
        note = "auto: no trait type (last token)"
    return Position(kind), note


# the gate -----------------------------------------------------------------------------------------------
@dataclass
class GatedFolder:
    """One trait folder after the static audits."""

    folder: Path
    dataset: Any  # TraitDataset
    failed: list[str] = field(default_factory=list)  # "TL101 lexical_label_leak (failed)"
    tl101: Any = None  # ConfoundFeature of TL101's strongest one-sided feature, if any
    tl101_note: str = ""


def run_gate(paths: Sequence[Path], config: Any, cache_dir: Path | None) -> list[GatedFolder]:
    """Run the static audits (as `traitlint check` would, model checks off) on every folder."""
    from traitlint.dataset import discover
    from traitlint.nlp.features import FeatureStore
    from traitlint.runner import Session

    config.model.enabled = False
    session = Session(config, FeatureStore(cache_dir))
    results = session.run(paths)
    folders = discover(paths)
    if len(folders) != len(results):  # discover is deterministic; a mismatch would be a bug
        raise RuntimeError("the gate's folders and results are out of step")
    out = []
    for folder, trait_result in zip(folders, results):
        gated = GatedFolder(folder, session.context(folder).dataset)
        gated.failed = [f"{r.code} {r.name} ({r.status})" for r in trait_result.results if r.failed()]
        tl101 = next((r for r in trait_result.results if r.code == "TL101"), None)
        gated.tl101, gated.tl101_note = _tl101_feature(session, folder, tl101)
        out.append(gated)
    return out


def _tl101_feature(session: Any, folder: Path, result: Any) -> tuple[Any, str]:
    """Presence (0/1 per text) of TL101's strongest one-sided feature, aligned with the pairs."""
    if result is None:
        return None, "TL101 did not run (not selected); its top feature is not checked"
    leaks = (result.metrics or {}).get("leaks") or []
    if result.status in ("skipped", "error") or not leaks:
        why = result.reason or "it found no one-sided feature"
        return None, f"TL101 top feature: none ({why})"
    import numpy as np

    from traitlint.audits.confounds.lexical_leak import leak_table
    from traitlint.audits.confounds.view import folder_view
    from traitlint.errors import SkipAudit, Unavailable
    from traitlint.model.evaluation import ConfoundFeature

    top = leaks[0]
    key = f"{top['kind']}\t{top['feature']}"
    try:
        sets = leak_table(folder_view(session.context(folder)))["sets"]
    except (SkipAudit, Unavailable) as exc:  # no spaCy pipeline now, though there was one for the cached result
        return None, f"TL101 top feature: not checked ({type(exc).__name__}: {exc})"
    feature = ConfoundFeature(
        "tl101_feature", f'presence of TL101\'s strongest one-sided feature: {top["kind"]} "{top["feature"]}" '
                         f'({top["side"]} side, {top["n_pos"]}:{top["n_neg"]} texts)',
        np.array([key in s for s in sets["positive"]], dtype=np.float64),
        np.array([key in s for s in sets["negative"]], dtype=np.float64))
    return feature, f'TL101 top feature: {top["kind"]} "{top["feature"]}" ({top["side"]})'


# extract ---------------------------------------------------------------------------------------------------
@dataclass
class ExtractReport:
    """The outcome of one `traitlint extract` run."""

    done: list[Any] = field(default_factory=list)  # TraitExtraction
    refused: list[GatedFolder] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (trait, message)

    @property
    def exit_code(self) -> int:
        return 1 if self.refused or self.errors else 0


def extract_paths(
    paths: Sequence[str | Path],
    *,
    out: str | Path = DEFAULT_OUT,
    model: Any = None,
    model_id: str | None = None,
    methods: str = DEFAULT_METHODS,
    layers: str = "all",
    position: str = "auto",
    val_fraction: float = 0.2,
    seed: int = 0,
    batch_size: int | None = None,
    force: bool = False,
    all_pairs: bool = False,
    export_gguf: bool = False,
    progress: bool = True,
    config: Any = None,
    cache_dir: Path | None = None,
    stdout: TextIO | None = None,
) -> ExtractReport:
    """Gate, then extract every admitted folder with one model. ``model``: a `LoadedModel` to use
    instead of loading ``model_id`` (tests, notebooks)."""
    from traitlint.config import load_config
    from traitlint.dataset import discover
    from traitlint.frontend import resolve_cache_dir

    stdout = stdout or sys.stdout
    roots = [Path(p) for p in paths]
    for root in roots:
        if not root.exists():
            raise CommandError(f"{root}: no such file or directory")
    roots = [r if r.is_dir() else r.parent for r in roots]
    config = config if config is not None else load_config()
    if cache_dir is None:
        cache_dir = resolve_cache_dir(config, Path.cwd())
    method_list = parse_methods(methods)
    layer_list = parse_layers(layers)
    if not discover(roots):
        raise CommandError(f"no trait folders found under {' '.join(str(r) for r in roots)}")

    report = ExtractReport()
    gated = run_gate(roots, config, cache_dir)
    admitted = []
    for item in gated:
        name = _trait_name(item.folder)
        if item.failed and not force:
            report.refused.append(item)
            print(f"{name}: refused: failed static audits: {', '.join(item.failed)}. Run `traitlint check "
                  f"{item.folder}` for the findings; fix them, or pass --force to extract anyway "
                  "(recorded in the output files).", file=stdout)
        else:
            if item.failed:
                print(f"{name}: --force: extracting despite failed audits: {', '.join(item.failed)} "
                      "(recorded in the output files)", file=stdout)
            admitted.append(item)
    if not admitted:
        _summary(report, stdout)
        return report

    from traitlint.model.extract import (
        ExtractError,
        ExtractOptions,
        Gate,
        Vetting,
        extract_trait,
        find_vetting,
    )

    if model is None:
        model = load_for_command(model_id or config.model.base_model, config)
    try:
        from traitlint.model.capture import resolve_layers

        resolve_layers(model, layer_list)
    except ValueError as exc:
        raise CommandError(f"--layers: {exc}") from None
    folders_bar = _progress(admitted, progress and len(admitted) > 1)
    for item in folders_bar:
        name = _trait_name(item.folder)
        pos, note = auto_position(item.dataset, position)
        try:
            options = ExtractOptions(position=pos, methods=method_list, layers=layer_list, val_fraction=val_fraction,
                                     seed=seed, batch_size=batch_size or config.model.batch_size,
                                     export_gguf=export_gguf, progress=progress, position_note=note)
        except ExtractError as exc:
            raise CommandError(str(exc)) from None
        vetting = find_vetting(item.dataset, [model.spec.name, model.name], config.model.results_dir)
        if all_pairs and vetting.kept_lines is not None:
            vetting = Vetting(None, None, f"--all-pairs: extracting from all pairs, not the {len(vetting.kept_lines)} "
                                          f"TL402 kept ({vetting.source})")
        gate = Gate(forced=force, failed_audits=tuple(item.failed))
        extras = [item.tl101] if item.tl101 is not None else []
        try:
            done = extract_trait(model, item.dataset, Path(out), options, gate=gate, vetting=vetting,
                                 extra_confounds=extras)
        except (ExtractError, ValueError) as exc:
            report.errors.append((name, str(exc)))
            print(f"{name}: error: {exc}", file=stdout)
            continue
        report.done.append(done)
        print_trait(done, item, stdout)
    _summary(report, stdout)
    return report


def load_for_command(name: str, config: Any) -> Any:
    """Load a model for a command (device and dtype from the configuration); unavailable -> usage error."""
    from traitlint.errors import Unavailable
    from traitlint.model.loading import ModelSpec, load_model

    spec = ModelSpec(name=name, device=config.model.device, dtype=config.model.dtype)
    print(f"loading {spec.name} ...", file=sys.stderr)
    try:
        return load_model(spec)
    except Unavailable as exc:
        raise CommandError(str(exc)) from None


def _trait_name(folder: Path) -> str:
    from traitlint.model.extract import trait_id

    return trait_id(folder)


def _progress(items: list[Any], enabled: bool) -> Any:
    if not enabled:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc="traits", unit="trait", file=sys.stderr)


# printing ---------------------------------------------------------------------------------------------------
def _f(value: Any, digits: int = 2, signed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"


def _table(rows: list[list[str]], out: TextIO, indent: str = "  ") -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        out.write(indent + "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() + "\n")


def print_trait(done: Any, gated: GatedFolder | None, out: TextIO) -> None:
    """The per-layer table, baselines, confound projections and written files of one trait."""
    ev = done.evaluation
    results = ev["results"]
    methods = list(results)
    ds = ev["dataset"]
    split = ev["split"]
    out.write(f"\n== {done.trait} [{done.status}]: position {ev['position']} ({ev.get('position_note') or '-'}); "
              f"{ds['used_pairs']} of {ds['pairs']} pairs ({len(split['train_lines'])} train, "
              f"{len(split['val_lines'])} held out); model {ev['model']['id']}\n")
    for message in done.messages:
        out.write(f"  {message}\n")
    if gated is not None and gated.tl101_note:
        out.write(f"  {gated.tl101_note}\n")
    if ev["gate"]["forced"]:
        out.write(f"  forced: failed audits {', '.join(ev['gate']['failed_audits']) or 'none'}\n")
    header = ["layer"] + [f"{m} acc/AUROC/d" for m in methods]
    rows = [header]
    for i, layer in enumerate(ev["layers"]):
        cells = [str(layer)]
        for m in methods:
            r = results[m]["per_layer"][i]
            mark = "*" if layer == results[m]["best_layer"] else " "
            cells.append(f"{_f(r['accuracy'])} {_f(r['auroc'])} {_f(r['cohens_d'], 1)}{mark}")
        rows.append(cells)
    out.write("  held-out scores per layer (* = best layer of the method):\n")
    _table(rows, out, "    ")
    out.write("  best layer vs baselines (held-out acc / AUROC / d):\n")
    rows = [["method", "layer", "vector", "random directions", "shuffled labels"]]
    for m in methods:
        r = results[m]
        best, rnd, shf = r["best"], r["baselines"]["random"], r["baselines"]["shuffled"]
        rows.append([m, str(r["best_layer"]),
                     f"{_f(best['accuracy'])} / {_f(best['auroc'])} / {_f(best['cohens_d'], 2)}",
                     f"{_f(rnd['accuracy'])} / {_f(rnd['auroc'])} / {_f(rnd['cohens_d'], 2)}",
                     f"{_f(shf['accuracy'])} / {_f(shf['auroc'])} / {_f(shf['cohens_d'], 2)}"
                     + (" (sign only)" if "note" in shf else "")])
    _table(rows, out, "    ")
    features = list(ev["confound_features"])
    out.write("  confound projections at the best layer (r within class; r_trait = projection vs label):\n")
    rows = [["method", "r_trait"] + features]
    for m in methods:
        at = results[m]["confounds_at_best_layer"]
        rows.append([m, _f(results[m]["best"]["r_trait"])] +
                    [f"{_f(at[f]['r_within'], signed=True)} {at[f]['verdict']}" for f in features])
    _table(rows, out, "    ")
    for f in features:
        out.write(f"    {f}: {ev['confound_features'][f]}\n")
    out.write(f"  suggested: {ev['suggested']['method']} at layer {ev['suggested']['layer']}\n")
    for path in done.files:
        out.write(f"  wrote {path}\n" if done.status == "extracted" else f"  have {path}\n")
    for cv in done.control_vectors:
        n_dirs = len(cv.directions)
        width = next(iter(cv.directions.values()), 0)
        out.write(f"  gguf {cv.path}: read back {n_dirs} direction tensors of {width} floats "
                  f"(direction.{min(cv.directions)}..direction.{max(cv.directions)}), model_hint {cv.model_hint}\n")
    if done.control_vectors:
        out.write(f"  llama.cpp: {llama_command(done)}\n")


def llama_command(done: Any) -> str:
    """The llama.cpp command line for the suggested method's control vector."""
    from traitlint.model.control_vector import layer_range, llama_cpp_command

    ev = done.evaluation
    layer = int(ev["suggested"]["layer"])
    norm = ev["mean_activation_norm"][layer] or 1.0
    scale = round(SCALE_FRACTION * norm, 2)
    first, last = layer_range(layer, int(ev["model"]["n_layers"]))
    path = next((cv.path for cv in done.control_vectors if cv.path.stem == ev["suggested"]["method"]),
                done.control_vectors[0].path)
    return (llama_cpp_command(path, scale, first, last)
            + f"   # SCALE = {SCALE_FRACTION:g} x the activation norm at layer {layer}: a starting point, tune it; "
              "negative steers away")


def _summary(report: ExtractReport, out: TextIO) -> None:
    rows = [["TRAIT", "STATUS", "POSITION", "PAIRS", "BEST", "ACC", "AUROC", "D", "RANDOM AUROC",
             "SHUFFLED AUROC", "CONFOUNDS"]]
    for done in report.done:
        ev = done.evaluation
        r = ev["results"][ev["suggested"]["method"]]
        flagged = [f"{name} {c['verdict']}" for name, c in r["confounds_at_best_layer"].items()
                   if c["verdict"] in ("dominated", "tracks")]
        rows.append([done.trait, done.status, ev["position"], str(ev["dataset"]["used_pairs"]),
                     f"{ev['suggested']['method']}@{r['best_layer']}", _f(r["best"]["accuracy"]),
                     _f(r["best"]["auroc"]), _f(r["best"]["cohens_d"]), _f(r["baselines"]["random"]["auroc"]),
                     _f(r["baselines"]["shuffled"]["auroc"]), ", ".join(flagged) or "ok"])
    for item in report.refused:
        rows.append([_trait_name(item.folder), "refused", "-", "-", "-", "-", "-", "-", "-", "-",
                     f"failed: {', '.join(f.split()[0] for f in item.failed)}"])
    for name, message in report.errors:
        rows.append([name, "error", "-", "-", "-", "-", "-", "-", "-", "-", message[:60]])
    out.write("\nsummary:\n")
    _table(rows, out)


def run_extract(args: argparse.Namespace) -> int:
    """`traitlint extract`."""
    if not 0.0 < args.val_fraction < 1.0:
        raise CommandError(f"--val-fraction must be between 0 and 1, not {args.val_fraction}")
    if args.batch_size is not None and args.batch_size < 1:
        raise CommandError(f"--batch-size must be >= 1, not {args.batch_size}")
    report = extract_paths(args.paths, out=args.out, model_id=args.model, methods=args.methods, layers=args.layers,
                           position=args.position, val_fraction=args.val_fraction, seed=args.seed,
                           batch_size=args.batch_size, force=args.force, all_pairs=args.all_pairs,
                           export_gguf="gguf" in args.export,
                           progress=not args.no_progress)
    return report.exit_code


# vectors -------------------------------------------------------------------------------------------------------
def list_vectors(root: Path) -> tuple[list[dict[str, Any]], list[tuple[str, str]]]:
    """(one row per vector file, [(path, problem)] for unreadable files) under ``root``."""
    from traitlint.model import vectors as vector_files

    rows, problems = [], []
    for path in vector_files.find(root):
        try:
            meta = vector_files.read_metadata(path)
        except vector_files.VectorFileError as exc:
            problems.append((str(path), str(exc)))
            continue
        evaluation = meta.get("evaluation") or {}
        best = evaluation.get("best") or {}
        gguf_path = path.with_suffix(".gguf")
        rows.append({
            "file": str(path), "trait": meta.get("trait"), "method": meta.get("method"),
            "model": (meta.get("model") or {}).get("id"), "revision": (meta.get("model") or {}).get("revision"),
            "position": meta.get("position"), "layers": meta.get("layers"),
            "best_layer": evaluation.get("best_layer"), "accuracy": best.get("accuracy"), "auroc": best.get("auroc"),
            "cohens_d": best.get("cohens_d"),
            "random_auroc": ((evaluation.get("baselines") or {}).get("random") or {}).get("auroc"),
            "shuffled_auroc": ((evaluation.get("baselines") or {}).get("shuffled") or {}).get("auroc"),
            "confounds": {k: v.get("verdict") for k, v in (evaluation.get("confounds_at_best_layer") or {}).items()},
            "forced": meta.get("forced"), "traitlint": meta.get("traitlint"), "seed": meta.get("seed"),
            "dataset": (meta.get("dataset") or {}).get("content_hash"),
            "gguf": str(gguf_path) if gguf_path.is_file() else None,
        })
    return rows, problems


def _layers_label(layers: Any) -> str:
    if not isinstance(layers, list) or not layers:
        return "-"
    if layers == list(range(layers[0], layers[-1] + 1)):
        return f"{layers[0]}-{layers[-1]}" if len(layers) > 1 else str(layers[0])
    return ",".join(map(str, layers))


def run_vectors(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """`traitlint vectors DIR`."""
    out = out or sys.stdout
    root = Path(args.dir)
    if not root.exists():
        raise CommandError(f"{root}: no such file or directory")
    rows, problems = list_vectors(root)
    if args.format == "json":
        out.write(json.dumps({"vectors": rows, "unreadable": [{"file": f, "problem": p} for f, p in problems]},
                             indent=2) + "\n")
        return 1 if problems else 0
    if not rows and not problems:
        out.write(f"no vector files under {root}\n")
        return 0
    table = [["TRAIT", "METHOD", "MODEL", "REVISION", "POSITION", "LAYERS", "BEST", "ACC", "AUROC", "D",
              "RAND", "SHUF", "CONFOUNDS", "FORCED", "GGUF", "FILE"]]
    for r in rows:
        flagged = [f"{k} {v}" for k, v in r["confounds"].items() if v in ("dominated", "tracks")]
        table.append([str(r["trait"]), str(r["method"]), str(r["model"]), str(r["revision"] or "-")[:12],
                      str(r["position"]), _layers_label(r["layers"]), str(r["best_layer"]), _f(r["accuracy"]),
                      _f(r["auroc"]), _f(r["cohens_d"]), _f(r["random_auroc"]), _f(r["shuffled_auroc"]),
                      ", ".join(flagged) or "ok", "yes" if r["forced"] else "no", "yes" if r["gguf"] else "no",
                      r["file"]])
    _table(table, out, "")
    for path, problem in problems:
        out.write(f"unreadable: {path}: {problem}\n")
    return 1 if problems else 0
