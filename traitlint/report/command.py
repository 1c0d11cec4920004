"""`traitlint report PATHS... --out DIR`: write the static HTML report.

What this layer decides: where the report may be written (never into or around a trait folder:
the dataset tree stays read-only), which pages a re-run replaces (the pages of trait folders no
longer in the run are removed, and only pages this command wrote before, per its manifest), and
what is printed (one summary line, then the index path). Exit code 0 when the report was written,
whatever the audits found (a report is for reading; `traitlint check` is the gate); 2 on a usage
error. Importing this module is cheap (argparse only).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

DEFAULT_OUT = "traitlint-report"
DEFAULT_VECTORS = "vectors"
DEFAULT_STEERING = "steering"
MANIFEST = ".traitlint-report.json"
INDEX = "index.html"


def add_parser(sub: Any) -> None:
    report = sub.add_parser(
        "report", help="write an HTML report with plots",
        description="Run the static audits and write a static HTML report (an index of every trait folder and a "
                    "page per folder with its audits, findings, plots and any model results for this dataset "
                    "version) that opens offline.")
    report.add_argument("paths", nargs="+", metavar="PATH", help="trait folders or folders containing them")
    report.add_argument("--out", metavar="DIR", default=DEFAULT_OUT, help=f"output folder (default: {DEFAULT_OUT})")
    report.add_argument("--vectors", metavar="DIR", default=DEFAULT_VECTORS,
                        help=f"`traitlint extract` output to look in for evaluations (default: {DEFAULT_VECTORS})")
    report.add_argument("--steering", metavar="DIR", default=DEFAULT_STEERING,
                        help=f"`traitlint steer` output to look in for runs (default: {DEFAULT_STEERING})")
    report.add_argument("--no-cache", action="store_true", help="do not read or write the feature cache")
    report.add_argument("--cache-dir", metavar="DIR", help="feature cache directory (default: .traitlint_cache)")


@dataclass
class ReportOutcome:
    index: Path
    pages: list[Path] = field(default_factory=list)
    bytes: int = 0
    seconds: float = 0.0
    folders: int = 0


def _command_error(message: str) -> Exception:
    from traitlint.extract_command import CommandError

    return CommandError(message)


def check_out_dir(out: Path, folders: Sequence[Path]) -> None:
    """Refuse an output folder that is, is inside, or holds a trait folder (nothing writes into datasets)."""
    if out.exists() and not out.is_dir():
        raise _command_error(f"--out {out}: exists and is not a folder")
    target = out.resolve()
    for folder in folders:
        trait = folder.resolve()
        if target == trait or trait in target.parents:
            raise _command_error(f"--out {out}: inside the trait folder {folder}; the report never writes into datasets")
        if target in trait.parents:
            raise _command_error(f"--out {out}: holds the trait folder {folder}; choose a folder outside the dataset tree")


def build_report(paths: Sequence[str | Path], out: str | Path = DEFAULT_OUT, *, vectors: str | Path | None = DEFAULT_VECTORS,
                 steering: str | Path | None = DEFAULT_STEERING, config: Any = None, cache_dir: Path | None = None,
                 no_cache: bool = False, cache_flag: str | None = None, progress: Any = None) -> ReportOutcome:
    """Lint `paths`, write the report under `out`, return what was written.

    The feature cache: `cache_dir` when given (tests), else as `traitlint check` resolves it from
    `cache_flag` (``--cache-dir``), `no_cache`, the environment and pyproject.toml.
    """
    from traitlint.atomic import atomic_write_bytes
    from traitlint.config import load_config
    from traitlint.dataset import discover
    from traitlint.frontend import resolve_cache_dir
    from traitlint.report import html, plots
    from traitlint.report.data import collect, lint_selection

    started = time.perf_counter()
    roots = [Path(p) for p in paths]
    for root in roots:
        if not root.exists():
            raise _command_error(f"{root}: no such file or directory")
    roots = [r if r.is_dir() else r.parent for r in roots]
    if not plots.available():
        raise _command_error("traitlint report draws its plots with matplotlib: pip install 'traitlint[report]'")
    config = config if config is not None else load_config()
    selected, skip = lint_selection(config, roots)
    folders = discover(selected, skip)
    if not folders:
        raise _command_error(f"no trait folders found under {' '.join(str(r) for r in roots)}")
    out = Path(out)
    check_out_dir(out, folders)
    if cache_dir is None:
        cache_dir = resolve_cache_dir(config, Path.cwd(), cache_flag, no_cache)
    data = collect(roots, config, cache_dir, vectors=Path(vectors) if vectors else None,
                   steering=Path(steering) if steering else None, progress=progress)
    outcome = ReportOutcome(out / INDEX, folders=len(data.traits))
    previous = _manifest_pages(out)
    for trait in data.traits:
        page = html.trait_page(trait, data, plots.dataset_plots(trait.distributions), html.model_plots(trait.model))
        outcome.pages.append(_write(out / trait.page, page, atomic_write_bytes))
    index = html.index_page(data)
    written = {p.relative_to(out).as_posix() for p in outcome.pages}
    for stale in previous - written:  # a folder gone from the run: its old page would mislead
        try:
            (out / stale).unlink()
        except OSError:
            pass
    atomic_write_bytes(out / MANIFEST, (json.dumps({"format": 1, "pages": sorted(written)}, indent=1) + "\n").encode())
    outcome.index = _write(out / INDEX, index, atomic_write_bytes)
    outcome.pages.append(outcome.index)
    outcome.bytes = sum(p.stat().st_size for p in outcome.pages)
    outcome.seconds = time.perf_counter() - started
    return outcome


def _write(path: Path, text: str, write: Any) -> Path:
    write(path, text.encode("utf-8", "replace"))  # `esc` already replaced lone surrogates; belt and braces
    return path


def _manifest_pages(out: Path) -> set[str]:
    """Pages an earlier run of this command wrote (only those may be removed)."""
    try:
        data = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    pages = data.get("pages") if isinstance(data, dict) else None
    return {p for p in pages if isinstance(p, str) and p.startswith("traits/") and p.endswith(".html")
            and "/" not in p[len("traits/"):] and ".." not in p} if isinstance(pages, list) else set()


def _progress(stream: TextIO) -> Any:
    if not stream.isatty():
        return None

    def show(name: str, index: int, total: int) -> None:
        print(f"[{index + 1}/{total}] {name}", file=stream, flush=True)

    return show


def run_report(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """`traitlint report`."""
    out = out or sys.stdout
    outcome = build_report(args.paths, args.out, vectors=args.vectors, steering=args.steering,
                           no_cache=args.no_cache, cache_flag=args.cache_dir, progress=_progress(sys.stderr))
    out.write(f"report: {outcome.folders} trait folder{'s' if outcome.folders != 1 else ''}, {len(outcome.pages)} pages, "
              f"{outcome.bytes / 1e6:.1f} MB, {outcome.seconds:.1f} s\n{outcome.index.as_posix()}\n")
    return 0


__all__ = ["DEFAULT_OUT", "ReportOutcome", "add_parser", "build_report", "check_out_dir", "run_report"]
