"""The `traitlint` command: check, audits, explain, init, extract, vectors, steer, report, clean.

Exit codes (as ruff): 0 nothing failed, 1 an audit failed (or warned, under ``--strict``),
2 a usage error (unknown selector, bad configuration, missing path) or an internal error (an
audit crashed). Usage errors print one line on stderr, never a traceback.

`check` accepts trait folders, folders holding them, or files inside trait folders (what
pre-commit passes); every trait folder found goes into one `Session`, so corpus-level audits
(cross-folder duplicates) see the whole run (``-j N`` spreads the folders over N processes with
the same report, `traitlint.parallel`). Importing this module is cheap: the runner, the
audits and spaCy are imported only when a command needs them.
"""
from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import textwrap
from pathlib import Path
from typing import Any, Sequence

from traitlint import __version__


class UsageError(Exception):
    """Bad command-line input: exit code 2 with a one-line message."""


def _add_selection(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--select", action="append", metavar="CODES",
                        help="audits to run (codes, code prefixes or names; comma-separated; replaces the configured selection)")
    parser.add_argument("--ignore", action="append", metavar="CODES",
                        help="audits to skip (added to the configured ignores)")


def _add_triage_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--statistics", action="store_true",
                        help="a count per audit code instead of the findings (text, concise, json)")
    parser.add_argument("-q", "--quiet", action="count", default=0,
                        help="text, concise: only the summary line; -qq: nothing, the exit code says it")
    parser.add_argument("--baseline", metavar="FILE", help="report only findings not recorded in FILE")
    parser.add_argument("--write-baseline", metavar="FILE",
                        help="record today's findings in FILE (then --baseline FILE reports only new ones)")


def _check_triage_options(args: argparse.Namespace) -> Any:
    """Validate --statistics and read --baseline before linting (a bad file fails fast, exit 2)."""
    if args.statistics and args.format in ("github", "sarif"):
        raise UsageError(f"--statistics works with the text, concise and json formats, not {args.format}")
    if not args.baseline:
        return None
    from traitlint.baseline import BaselineError, load

    try:
        return load(Path(args.baseline))
    except BaselineError as exc:
        raise UsageError(str(exc)) from None


def _baseline(args: argparse.Namespace, baseline: Any, results: list[Any]) -> None:
    """--write-baseline, then hold back what the baseline records (they leave the statuses).

    Writing a baseline also applies it (in place of any --baseline), so the report shows what a
    gate with the new file will show.
    """
    from traitlint.baseline import apply, load, write

    if args.write_baseline:
        try:
            count = write(Path(args.write_baseline), results)
            baseline = load(Path(args.write_baseline))
        except OSError as exc:
            raise UsageError(f"cannot write {args.write_baseline}: {exc.strerror or exc}") from None
        print(f"traitlint: wrote {count} finding(s) of {len(results)} trait folder(s) to the baseline "
              f"{args.write_baseline}", file=sys.stderr)
    if baseline is not None:
        apply(results, baseline)


def _add_gate_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--allow-missing-pipeline", action="store_true",
                        help="run without a trained spaCy pipeline: the NLP audits are skipped instead of the run "
                             "failing (exit 2); never passes under --strict (config: allow-missing-pipeline)")
    parser.add_argument("--force-exclude", action="store_true",
                        help="apply exclude/extend-exclude and .gitignore to paths named on the command line too "
                             "(what pre-commit wants; config: force-exclude)")


def _config_start(raw: Sequence[str]) -> Path:
    """Where configuration is looked for: the first linted path (as ruff does), not the working
    directory, so `traitlint check ../other` uses ../other's pyproject.toml."""
    first = Path(raw[0]) if raw else Path(".")
    return first if first.is_dir() else first.parent


def _pipeline_gate(results: list[Any], allowed: bool, strict: bool) -> int:
    """Audits skipped because no spaCy pipeline is installed: a usage error (exit 2) unless
    allowed; allowed, the run still fails (exit 1) under --strict. Returns the least exit code."""
    from traitlint.frontend import missing_pipeline_message, missing_pipeline_skips

    skips = missing_pipeline_skips(results)
    if not skips:
        return 0
    if not allowed:
        raise UsageError(missing_pipeline_message(skips))
    if strict:
        print(f"traitlint: --strict: {len(skips)} audit result(s) skipped for want of a spaCy pipeline; "
              "the run does not pass", file=sys.stderr)
        return 1
    return 0


def _add_speed_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-j", "--jobs", type=int, metavar="N",
                        help="lint folders in N processes (default: the number of cores; 1: serial; "
                             "model-backed runs are serial)")
    parser.add_argument("--corpus", action="append", metavar="PATH",
                        help="also load the trait folders under PATH as context for cross-folder audits "
                             "(TL003), without reporting them: under pre-commit a changed folder is still "
                             "compared with the unchanged ones (replaces `corpus` in [tool.traitlint])")


def _jobs(value: int | None) -> int:
    from traitlint.parallel import default_jobs

    if value is None:
        return default_jobs()
    if value < 1:
        raise UsageError(f"--jobs {value}: must be at least 1")
    return value


def _corpus_paths(raw: Sequence[str] | None, configured: Sequence[Path]) -> list[Path]:
    """--corpus paths (each must exist) or else the configured `corpus`."""
    if not raw:
        return list(configured)
    missing = [item for item in raw if not Path(item).is_dir()]
    if missing:
        raise UsageError(f"--corpus {missing[0]}: no such directory")
    return [Path(item) for item in raw]


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("model-backed audits (TL4xx; need `pip install 'traitlint[model]'`)")
    group.add_argument("--model", action="store_true",
                       help="also run the model-backed audits with a model and a judge ([tool.traitlint.model])")
    group.add_argument("--base-model", metavar="ID",
                       help="base model: Hugging Face id, local folder, .gguf file or 'embedded' (default)")
    group.add_argument("--instruct-model", metavar="ID", help="instruction-tuned model for TL403 (default: embedded)")
    group.add_argument("--judge", metavar="SPEC", help="local (default), local:MODEL, openai or openai:MODEL")
    group.add_argument("--generator", metavar="SPEC",
                       help="completions and answers from local models (default) or an OpenAI-compatible server: openai[:MODEL]")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="traitlint", description="Lint trait-vector datasets for confounds.")
    parser.add_argument("--version", action="version", version=f"traitlint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="lint trait folders", description="Lint trait folders.")
    check.add_argument("paths", nargs="*", default=["."], metavar="PATH",
                       help="trait folders, folders containing them, or files inside trait folders (default: .)")
    check.add_argument("--format", "--output-format", dest="format", default="text",
                       choices=("text", "concise", "json", "github", "sarif"),
                       help="text (grouped by folder, default), concise (one line per finding), json, github, sarif")
    _add_selection(check)
    check.add_argument("--strict", action="store_true", help="warnings fail too (exit code 1)")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when audits fail (usage and internal errors still exit 2)")
    check.add_argument("--show-passing", action="store_true", help="text format: list passing audits and their metrics (implies --show-info)")
    check.add_argument("--show-info", action="store_true",
                       help="text, concise, github: list info findings too (always in json/sarif)")
    check.add_argument("--no-cache", action="store_true", help="do not read or write the feature cache")
    check.add_argument("--cache-dir", metavar="DIR", help="feature cache directory (default: .traitlint_cache; env TRAITLINT_CACHE_DIR)")
    check.add_argument("--config", metavar="PYPROJECT", help="read [tool.traitlint] from this file instead of the nearest pyproject.toml")
    check.add_argument("-o", "--output-file", metavar="FILE", help="write the report to FILE instead of stdout")
    _add_triage_options(check)
    _add_gate_options(check)
    _add_speed_options(check)
    _add_model_options(check)

    audits = sub.add_parser("audits", help="list the audits", description="List every registered audit.")
    audits.add_argument("--format", choices=("text", "json"), default="text")

    explain = sub.add_parser("explain", help="document one audit", description="Print an audit's documentation.")
    explain.add_argument("code", metavar="CODE", help="audit code or name, e.g. TL004 or pair_count")

    init = sub.add_parser("init", help="scaffold a trait folder",
                          description="Create a trait folder with a trait.toml card and file templates; never overwrites.")
    init.add_argument("path", metavar="PATH")
    init.add_argument("--type", dest="trait_type", default="state",
                      choices=("state", "belief", "want", "mode", "action", "style"))
    from traitlint.extract_command import add_parsers  # cheap: argparse only

    add_parsers(sub)  # extract, vectors
    from traitlint.steer_command import add_parser as add_steer  # cheap: argparse only

    add_steer(sub)
    from traitlint.report.command import add_parser as add_report  # cheap: argparse only

    add_report(sub)
    from traitlint.clean_command import add_parser as add_clean  # cheap: argparse only

    add_clean(sub)
    return parser


# commands ----------------------------------------------------------------------------------------
def lint_paths(raw: Sequence[str]) -> list[Path]:
    """Command-line paths -> lint roots. A file stands for its trait folder; files outside any
    trait folder (a README next to the datasets, passed by pre-commit) are dropped."""
    from traitlint.dataset import is_trait_folder

    out: list[Path] = []
    for item in raw:
        path = Path(item)
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"{item}: no such file or directory")
        if path.is_dir():
            out.append(path)
        elif is_trait_folder(path.parent):
            out.append(path.parent)
    seen: set[Path] = set()
    return [p for p in out if not (p.resolve() in seen or seen.add(p.resolve()))]


def cmd_check(args: argparse.Namespace) -> int:
    from traitlint.config import load_config
    from traitlint.frontend import apply_model_overrides, apply_overrides, model_services, resolve_cache_dir
    from traitlint.nlp.features import FeatureStore
    from traitlint.parallel import lint
    from traitlint.progress import ProgressBar
    from traitlint.reporters import RunReport, render
    from traitlint.runner import Session

    if args.config and not Path(args.config).is_file():
        raise UsageError(f"{args.config}: no such file")
    jobs = _jobs(args.jobs)
    baseline = _check_triage_options(args)
    config = load_config(start=_config_start(args.paths), pyproject=Path(args.config) if args.config else None)
    apply_overrides(config, args.select, args.ignore, args.strict)
    apply_model_overrides(config, args.model, args.base_model, args.instruct_model, args.judge, args.generator)
    if not config.enabled_audits() and config.enabled_audits(include_model=True):
        raise UsageError("the selection holds only model-backed audits (TL4xx): add --model to run them")
    if not config.enabled_audits():
        raise UsageError(f"the selection leaves no audit to run (select {config.select}, ignore {config.ignore}); "
                         "see `traitlint audits`")
    from traitlint.discovery import select as select_paths

    paths, skip = select_paths(config, lint_paths(args.paths), args.force_exclude or config.force_exclude)
    cache_dir = resolve_cache_dir(config, Path.cwd(), args.cache_dir, args.no_cache)
    model = model_services(config, Path.cwd(), cache_dir)
    session = Session(config, FeatureStore(cache_dir), model=model)
    context = _corpus_paths(args.corpus, config.corpus)
    progress = _folder_progress() if model is not None else ProgressBar.for_terminal()
    try:
        results = lint(session, paths, jobs, progress, context, skip) if paths else []
    finally:
        if isinstance(progress, ProgressBar):
            progress.close()
    gate = _pipeline_gate(results, args.allow_missing_pipeline or config.allow_missing_pipeline, config.strict)
    for line in model.usage_lines() if model is not None else []:
        print(line, file=sys.stderr)
    if not results:
        print(f"warning: no trait folders found under {' '.join(args.paths)}", file=sys.stderr)
    _baseline(args, baseline, results)
    report = RunReport(results, config.enabled_audits(), config.strict, args.show_passing, args.show_info,
                       statistics=args.statistics, quiet=args.quiet)
    text = render(args.format, report)
    if args.output_file:
        from traitlint.atomic import atomic_write_text

        try:  # atomically: a CI step reading the report never sees half of it
            atomic_write_text(Path(args.output_file), text)
        except OSError as exc:
            raise UsageError(f"cannot write {args.output_file}: {exc.strerror or exc}") from None
    else:
        _write_stdout(text)
    code = max(report.exit_code(), gate)
    return 0 if args.exit_zero and code == 1 else code


def _folder_progress() -> Any:
    """A stderr line per folder for model runs (minutes per folder on a CPU), when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None

    def show(name: str, index: int, total: int) -> None:
        print(f"[{index + 1}/{total}] {name}: model-backed audits", file=sys.stderr, flush=True)

    return show


def _write_stdout(text: str) -> None:
    """Write a report to stdout; as UTF-8 bytes when the stream's encoding cannot hold it.

    Why: a console in a legacy encoding (cp1252, ascii) cannot encode a quoted prefill in another
    script, and a traceback is worse than bytes the terminal shows imperfectly. UTF-8 is what
    ``--output-file`` writes, so JSON and SARIF stay valid when redirected.
    """
    try:
        sys.stdout.write(text)
    except UnicodeEncodeError:
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:
            raise
        sys.stdout.flush()
        buffer.write(text.encode("utf-8"))
        buffer.flush()


def _defaults(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={json.dumps(v)}" for k, v in params.items())


def cmd_audits(args: argparse.Namespace) -> int:
    from traitlint.registry import all_audits

    audits = all_audits()
    if args.format == "json":
        rows = [{"code": a.code, "name": a.name, "severity": a.severity.value, "summary": a.summary,
                 "params": a.params, "requires": sorted(a.requires)} for a in audits]
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return 0
    header = ("CODE", "NAME", "SEVERITY", "SUMMARY", "DEFAULTS")
    rows = [(a.code, a.name, a.severity.value, a.summary, _defaults(a.params) or "-") for a in audits]
    fixed = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    for row in [header, *rows]:
        summary = textwrap.wrap(row[3], 56) or [""]
        defaults = textwrap.wrap(row[4], 44, break_on_hyphens=False) or [""]
        for n in range(max(len(summary), len(defaults))):
            cells = [c.ljust(w) if n == 0 else " " * w for c, w in zip(row[:3], fixed)]
            cells += [(summary[n] if n < len(summary) else "").ljust(56), defaults[n] if n < len(defaults) else ""]
            sys.stdout.write("  ".join(cells).rstrip() + "\n")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from traitlint.registry import get

    audit = get(args.code)
    if audit is None:
        raise UsageError(f"unknown audit {args.code!r} (see `traitlint audits`)")
    lines = [f"{audit.code} {audit.name} (default severity: {audit.severity.value})", ""]
    if audit.summary:
        lines += [audit.summary, ""]
    lines += [inspect.cleandoc(audit.doc()), ""]
    if audit.requires:
        lines += [f"Requires: {', '.join(sorted(audit.requires))}", ""]
    if audit.params:
        lines.append("Parameters (defaults):")
        lines += [f"  {k} = {json.dumps(v)}" for k, v in audit.params.items()]
        lines += ["", "Configure in pyproject.toml:", f"  [tool.traitlint.params.{audit.code}]"]
        lines += [f"  {k} = {json.dumps(v)}" for k, v in audit.params.items()]
    else:
        lines.append("Parameters: none")
    sys.stdout.write("\n".join(lines).rstrip() + "\n")
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from traitlint.scaffold import ScaffoldError, create

    try:
        written = create(Path(args.path), args.trait_type)
    except ScaffoldError as exc:
        raise UsageError(str(exc)) from None
    for path in written:
        sys.stdout.write(f"created {path.as_posix()}\n")
    sys.stdout.write("Next: write the prefills (line i of positive.txt matches line i of negative.txt), "
                     "fill in trait.toml, then run `traitlint check`.\n")
    return 0


def cmd_extract(args: argparse.Namespace) -> int:
    from traitlint.extract_command import CommandError, run_extract

    try:
        return run_extract(args)
    except CommandError as exc:
        raise UsageError(str(exc)) from None


def cmd_vectors(args: argparse.Namespace) -> int:
    from traitlint.extract_command import CommandError, run_vectors

    try:
        return run_vectors(args)
    except CommandError as exc:
        raise UsageError(str(exc)) from None


def cmd_steer(args: argparse.Namespace) -> int:
    from traitlint.extract_command import CommandError
    from traitlint.steer_command import run_steer

    try:
        return run_steer(args)
    except CommandError as exc:
        raise UsageError(str(exc)) from None


def cmd_report(args: argparse.Namespace) -> int:
    from traitlint.extract_command import CommandError
    from traitlint.report.command import run_report

    try:
        return run_report(args)
    except CommandError as exc:
        raise UsageError(str(exc)) from None


def cmd_clean(args: argparse.Namespace) -> int:
    from traitlint.clean_command import CleanError, run_clean

    try:
        return run_clean(args)
    except CleanError as exc:
        raise UsageError(str(exc)) from None


COMMANDS = {"check": cmd_check, "audits": cmd_audits, "explain": cmd_explain, "init": cmd_init,
            "extract": cmd_extract, "vectors": cmd_vectors, "steer": cmd_steer, "report": cmd_report,
            "clean": cmd_clean}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (the console script passes it to sys.exit)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help/--version exit 0, bad usage exits 2
        return int(exc.code or 0)
    if not args.command:
        parser.print_usage(sys.stderr)
        print("traitlint: error: a command is required (check, audits, explain, init, extract, vectors, steer, report, clean)", file=sys.stderr)
        return 2
    from traitlint.config import ConfigError

    try:
        return COMMANDS[args.command](args)
    except (UsageError, ConfigError) as exc:
        print(f"traitlint: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("traitlint: interrupted", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `traitlint audits | head`: the reader left; not an error of ours
        try:
            sys.stdout = open(os.devnull, "w")  # keep the interpreter's final flush quiet
        except OSError:
            pass
        return 0
    except Exception as exc:  # an internal error: one line, the traceback only on request
        if os.environ.get("TRAITLINT_DEBUG"):
            raise
        print(f"traitlint: internal error: {type(exc).__name__}: {exc} (set TRAITLINT_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
