"""`traitlint steer`: the front end over `traitlint.model.steer`.

What this layer decides: which vector file a path means (a file, or the trait's file under an
`extract` output folder), whether the trait folder may be used (the static audits, as `traitlint
check` runs them: a failed audit refuses the folder unless `--force`, which is recorded), the
trait's judge prompt (steering.json `eval_prompt`, else definition.txt, exactly as TL403 builds
it), the layers (default: the vector's best layer), the direction (steering.json `direction`),
and what is printed. Importing this module is cheap (argparse only); torch is imported only when
a model is loaded, and `--rescore` with a remote judge never imports it.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from traitlint.extract_command import CommandError, parse_layers

DEFAULT_OUT = "steering"


def add_parser(sub: Any) -> None:
    steer = sub.add_parser(
        "steer", help="steer an instruction-tuned model with a trait vector",
        description="Add a trait vector to an instruction-tuned model's residual stream, ask the trait's steering "
                    "questions, judge trait expression and coherence, and search for the strongest coherent effect. "
                    "With --rescore, re-judge a finished run's saved answers (no generation).")
    steer.add_argument("vector", nargs="?", metavar="VECTOR_FILE_OR_DIR",
                       help="a .safetensors vector file, or a `traitlint extract` output folder holding the trait's")
    steer.add_argument("--trait", metavar="PATH",
                       help="the trait folder (steering.json, definition.txt); default: the folder the vector "
                            "was extracted from")
    steer.add_argument("--rescore", metavar="RUN_DIR", help="re-judge the saved responses of a steer run")
    steer.add_argument("--model", metavar="ID|PATH",
                       help="instruct model: Hugging Face id, local folder, .gguf file or 'embedded' "
                            "(default: [tool.traitlint.model] instruct-model, else embedded)")
    steer.add_argument("--method", metavar="NAME",
                       help="with a folder: which method's vector (default: the one extract suggested)")
    steer.add_argument("--layers", metavar="L|A-B", help="blocks to steer (default: the vector's best layer)")
    steer.add_argument("--coefficients", default="auto", metavar="auto|R1,R2,...",
                       help="auto (search) or perturbation ratios: fractions of the mean residual norm at the "
                            "layer, negative steers away (default: auto)")
    steer.add_argument("--steps", type=int, default=5, metavar="N", help="auto: runs per layer (default: 5)")
    steer.add_argument("--threshold", type=float, default=77.0, metavar="C",
                       help="minimum mean coherence of a usable run (default: 77)")
    steer.add_argument("--coherence", choices=("judge", "proxy"), default="judge",
                       help="coherence from the judge (default), or proxy: 100 x (1 - repeated 3-gram rate), for a "
                            "judge too small to score coherence (the embedded one)")
    steer.add_argument("--opposite", action="store_true", help="also steer the opposite way (symmetry check)")
    steer.add_argument("--questions", type=int, default=None, metavar="N",
                       help="ask only the first N steering questions")
    steer.add_argument("--judge", metavar="SPEC", help="local[:MODEL] or openai[:MODEL] (default: "
                                                       "[tool.traitlint.model] judge, else local)")
    steer.add_argument("--max-new-tokens", type=int, default=64, metavar="N", help="answer length (default: 64)")
    steer.add_argument("--batch-size", type=int, default=8, metavar="N", help="questions per batch (default: 8)")
    steer.add_argument("--out", metavar="DIR", default=DEFAULT_OUT, help=f"output root (default: {DEFAULT_OUT})")
    steer.add_argument("--force", action="store_true", help="steer with a trait folder that fails its static audits")
    steer.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")


# inputs -------------------------------------------------------------------------------------------
def parse_ratios(text: str) -> tuple[float, ...] | None:
    """``auto`` -> None; ``0.2,0.5,-0.5`` -> the ratios (floats, finite, not all zero)."""
    import math

    text = (text or "auto").strip().lower()
    if text == "auto":
        return None
    out = []
    for item in (p.strip() for p in text.split(",")):
        if not item:
            continue
        try:
            value = float(item)
        except ValueError:
            raise CommandError(f"--coefficients: {item!r} is not a number; use auto or ratios like 0.3,0.6") from None
        if not math.isfinite(value):
            raise CommandError(f"--coefficients: {item!r} is not finite")
        out.append(value)
    if not out or all(v == 0 for v in out):
        raise CommandError("--coefficients names no non-zero ratio (the baseline always runs)")
    return tuple(out)


def find_vector(path: Path, trait_id: str | None, method: str | None) -> Path:
    """The vector file ``path`` means: itself, or the one file under it for the trait and method."""
    from traitlint.model import vectors as vector_files

    if path.is_file():
        return path
    candidates = []
    for file in vector_files.find(path):
        try:
            meta = vector_files.read_metadata(file)
        except vector_files.VectorFileError:
            continue
        if trait_id is not None and meta.get("trait") != trait_id:
            continue
        suggested = ((meta.get("suggested") or {}).get("method")) or "mean_diff"
        if (method or suggested) != meta.get("method"):
            continue
        candidates.append(file)
    if not candidates:
        what = f"trait {trait_id!r}" if trait_id else "any trait"
        raise CommandError(f"{path}: no vector file for {what}{f' and method {method!r}' if method else ''}; "
                           "run `traitlint extract` first or name the .safetensors file")
    if len(candidates) > 1:
        listed = ", ".join(str(c) for c in candidates[:6])
        raise CommandError(f"{path}: {len(candidates)} vector files match ({listed}); name one file, or pass "
                           "--trait (and --method)")
    return candidates[0]


def trait_prompting(ds: Any) -> tuple[Any, dict[str, Any], list[str], int]:
    """(prompt(question, answer), its identity, the questions, direction +1/-1) of a trait folder."""
    from traitlint.audits.model.common import definition_text
    from traitlint.audits.model.steering_baseline import judge_prompt
    from traitlint.audits.structural.steering_format import question_text
    from traitlint.model.steer import text_sha256

    steering = ds.steering if isinstance(ds.steering, dict) else {}
    questions = [q for q in (question_text(item) for item in steering.get("questions") or []) if q]
    eval_prompt = steering.get("eval_prompt")
    definition = definition_text(ds)
    trait = ds.path.name.replace("_", " ")
    direction = -1 if str(steering.get("direction", "positive")).strip().lower() == "negative" else 1

    def prompt(question: str, answer: str) -> str:
        return judge_prompt(eval_prompt, definition, trait, question, answer)

    identity = {"eval_prompt": text_sha256(eval_prompt) if isinstance(eval_prompt, str) else None,
                "definition": text_sha256(definition), "trait": trait}
    return prompt, identity, questions, direction


def _gate(folder: Path, config: Any, cache_dir: Path | None, force: bool, out: TextIO) -> tuple[Any, list[str]]:
    from traitlint.extract_command import run_gate

    gated = run_gate([folder], config, cache_dir)
    if len(gated) != 1:
        raise CommandError(f"{folder}: not a trait folder (expected positive.txt, negative.txt, steering.json)")
    item = gated[0]
    if item.failed and not force:
        raise CommandError(f"{folder}: refused: failed static audits: {', '.join(item.failed)}. Run `traitlint check "
                           f"{folder}` for the findings; fix them, or pass --force (recorded in results.jsonl)")
    if item.failed:
        out.write(f"--force: steering with a folder that fails: {', '.join(item.failed)} (recorded)\n")
    return item.dataset, item.failed


def _judge(config: Any, cache_dir: Path | None, spec: str | None) -> tuple[Any, str]:
    from traitlint.frontend import apply_model_overrides
    from traitlint.model.services import ModelServices

    try:
        apply_model_overrides(config, judge=spec)
    except ValueError as exc:
        raise CommandError(f"--judge: {exc}") from None
    calls = (cache_dir / "calls") if cache_dir is not None else None
    services = ModelServices(config.model, calls)
    return services, services.judge_id()


# commands ------------------------------------------------------------------------------------------
def run_steer(args: argparse.Namespace, out: TextIO | None = None, *, loaded: Any = None,
              cwd: Path | None = None) -> int:
    """`traitlint steer`. ``loaded``: a `LoadedModel` to use instead of loading one (tests)."""
    from traitlint.config import load_config
    from traitlint.frontend import resolve_cache_dir

    out = out or sys.stdout
    for name in ("steps", "max_new_tokens", "batch_size"):
        if getattr(args, name) < 1:
            raise CommandError(f"--{name.replace('_', '-')} must be >= 1")
    if args.questions is not None and args.questions < 1:
        raise CommandError("--questions must be >= 1")
    config = load_config()
    cache_dir = resolve_cache_dir(config, cwd or Path.cwd())
    if args.rescore:
        return _run_rescore(args, config, cache_dir, out)
    if not args.vector:
        raise CommandError("steer needs VECTOR_FILE_OR_DIR (or --rescore RUN_DIR)")
    return _run_steer(args, config, cache_dir, out, loaded)


def _trait_folder(args: argparse.Namespace, meta: dict[str, Any] | None) -> Path:
    if args.trait:
        folder = Path(args.trait)
    else:
        recorded = ((meta or {}).get("dataset") or {}).get("folder")
        if not recorded:
            raise CommandError("--trait PATH is required: the vector does not record its trait folder")
        folder = Path(recorded)
    if not folder.is_dir():
        raise CommandError(f"{folder}: no such trait folder (pass --trait PATH)")
    return folder


def _run_steer(args: argparse.Namespace, config: Any, cache_dir: Path | None, out: TextIO, loaded: Any) -> int:
    from traitlint.model import vectors as vector_files
    from traitlint.model.extract import trait_id
    from traitlint.model.services import slug

    source = Path(args.vector)
    if not source.exists():
        raise CommandError(f"{source}: no such file or directory")
    folder_hint = Path(args.trait) if args.trait else None
    path = find_vector(source, trait_id(folder_hint) if folder_hint else None, args.method)
    try:
        vector_file = vector_files.load(path)
    except vector_files.VectorFileError as exc:
        raise CommandError(str(exc)) from None
    folder = _trait_folder(args, vector_file.metadata)
    ds, failed = _gate(folder, config, cache_dir, args.force, out)
    prompt, prompt_identity, questions, direction = trait_prompting(ds)
    if not questions:
        raise CommandError(f"{folder / 'steering.json'}: no questions to steer with")
    if args.questions is not None:
        questions = questions[: args.questions]
    vector_trait = vector_file.metadata.get("trait")
    notes = []
    if vector_trait and vector_trait != trait_id(folder):
        notes.append(f"the vector was extracted for {vector_trait}, steered and judged as {trait_id(folder)}")
    recorded_hash = (vector_file.metadata.get("dataset") or {}).get("content_hash")
    if recorded_hash and recorded_hash != ds.content_hash():
        notes.append("the trait folder changed since the vector was extracted (dataset hash differs)")
    layers = _layers(args.layers, vector_file)
    settings = _settings(args, layers, direction)
    if args.model:  # the local judge is the instruct model, as for TL403: the one named here
        config.model.instruct_model = args.model
    services, judge_id = _judge(config, cache_dir, args.judge)

    from traitlint.extract_command import load_for_command
    from traitlint.model.steer import SteerError, SteerJob, steer_vector

    if loaded is None:
        loaded = load_for_command(config.model.instruct_model, config)
    run_dir = Path(args.out) / slug(loaded.spec.name) / trait_id(folder) / str(vector_file.metadata.get("method")
                                                                              or path.stem)
    for note in notes:
        out.write(f"note: {note}\n")
    job = SteerJob(trait=trait_id(folder), questions=questions, trait_prompt=prompt, prompt_identity=prompt_identity,
                   settings=settings, run_dir=run_dir, max_new_tokens=args.max_new_tokens, batch_size=args.batch_size,
                   progress=not args.no_progress,
                   extra_header={"trait_folder": str(folder), "gate": {"forced": bool(failed), "failed_audits": failed},
                                 "notes": notes})
    try:
        outcome = steer_vector(loaded, vector_file, job, services.judge(), judge_id,
                               (cache_dir / "calls") if cache_dir is not None else None,
                               log=lambda message: print(message, file=sys.stderr))
    except (SteerError, ValueError) as exc:
        raise CommandError(str(exc)) from None
    return _report(outcome, out, settings.threshold, services)


def _layers(text: str | None, vector_file: Any) -> tuple[int, ...]:
    if text:
        layers = parse_layers(text)
        if layers is None:
            return tuple(vector_file.layers)
        return layers
    best = (vector_file.metadata.get("evaluation") or {}).get("best_layer")
    if best is None:
        suggested = (vector_file.metadata.get("suggested") or {}).get("layer")
        best = suggested
    if best is None:
        raise CommandError(f"{vector_file.path}: records no best layer; pass --layers")
    return (int(best),)


def _settings(args: argparse.Namespace, layers: tuple[int, ...], direction: int) -> Any:
    from traitlint.model.steer_search import SearchSettings

    try:
        return SearchSettings(layers=layers, ratios=parse_ratios(args.coefficients), direction=direction,
                              opposite=args.opposite, steps=args.steps, threshold=args.threshold,
                              coherence=args.coherence)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def _run_rescore(args: argparse.Namespace, config: Any, cache_dir: Path | None, out: TextIO) -> int:
    from traitlint.model import steer_results
    from traitlint.model.steer import rescore

    run_dir = Path(args.rescore)
    if not (run_dir / steer_results.RESULTS).is_file():
        raise CommandError(f"{run_dir}: no {steer_results.RESULTS}: not a steer run folder")
    try:
        header = steer_results.read_header(run_dir)
    except steer_results.RunDirError as exc:
        raise CommandError(str(exc)) from None
    folder = Path(args.trait) if args.trait else Path(str(header.get("trait_folder") or ""))
    if not args.trait and not folder.is_dir():
        raise CommandError("--trait PATH is required: the run does not record an existing trait folder")
    if not folder.is_dir():
        raise CommandError(f"{folder}: no such trait folder")
    # rescoring never steers: a failing folder is reported, not refused
    ds, _ = _gate(folder, config, cache_dir, True, out)
    prompt, prompt_identity, _, _ = trait_prompting(ds)
    services, judge_id = _judge(config, cache_dir, args.judge)
    try:
        outcome = rescore(run_dir, prompt, prompt_identity, services.judge(), judge_id,
                          progress=not args.no_progress)
    except steer_results.RunDirError as exc:
        raise CommandError(str(exc)) from None
    threshold = float((header.get("settings") or {}).get("threshold") or 77.0)
    out.write(f"rescored {run_dir} with {judge_id} (was {outcome.header['rescored']['previous']['judge']})\n")
    return _report(outcome, out, threshold, services)


def _report(outcome: Any, out: TextIO, threshold: float, services: Any) -> int:
    from traitlint.model import steer_results

    direction = int((outcome.header.get("settings") or {}).get("direction") or 1)
    steer_results.print_summary(str(outcome.header.get("trait")), outcome.summary, threshold, out, direction)
    if outcome.resumed:
        out.write(f"  resumed {outcome.resumed} finished run(s) from an earlier start\n")
    out.write(f"  results: {outcome.run_dir / steer_results.RESULTS}\n")
    out.write(f"  responses: {outcome.run_dir / steer_results.RESPONSES}\n")
    if outcome.plot is not None:
        out.write(f"  plot: {outcome.plot}\n")
    for line in services.usage_lines():
        out.write(f"  {line}\n")
    unscored = sum(s["unscored"] for s in [outcome.summary["baseline"], *outcome.summary["runs"]])
    if unscored:
        out.write(f"  warning: {unscored} answer(s) could not be fully scored (see errors in responses.jsonl)\n")
    return 0

