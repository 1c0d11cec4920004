"""`traitlint clean [PATH]`: remove the cache folder (features, results, model calls), as `ruff clean`.

Why so careful: `rm -rf` on a configured path is one typo from deleting a user's work. A folder is
removed only when it carries the CACHEDIR.TAG traitlint writes into its own cache folder
(`traitlint.cachedir`); anything else is refused with the reason, and a symlink is never followed.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from traitlint.cachedir import is_traitlint_cache

if TYPE_CHECKING:
    from traitlint.config import Config


class CleanError(Exception):
    """The cache folder exists but is not one traitlint may remove (exit 2)."""


def add_parser(sub: argparse._SubParsersAction) -> None:
    clean = sub.add_parser("clean", help="remove the cache folder",
                           description="Remove traitlint's cache folder (parsed features, audit results, "
                                       "judge and generation calls). Only a folder with traitlint's "
                                       "CACHEDIR.TAG is removed.")
    clean.add_argument("path", nargs="?", default=".", metavar="PATH",
                       help="project folder whose cache to remove (default: .)")
    clean.add_argument("--cache-dir", metavar="DIR", help="the cache folder (default: as `traitlint check` finds it)")
    clean.add_argument("--config", metavar="PYPROJECT", help="read cache-dir from this pyproject.toml")


def run_clean(args: argparse.Namespace) -> int:
    from traitlint.config import load_config

    base = Path(args.path)
    if not base.is_dir():
        raise CleanError(f"{args.path}: not a directory")
    if args.config and not Path(args.config).is_file():
        raise CleanError(f"{args.config}: no such file")
    config = load_config(start=base, pyproject=Path(args.config) if args.config else None)
    sys.stdout.write(remove_cache(_cache_dir(config, base, args.cache_dir)) + "\n")
    return 0


def _cache_dir(config: Config, base: Path, flag: str | None) -> Path:
    """`resolve_cache_dir`'s choice (flag, environment, pyproject, default), but with a symbolic link
    left unresolved, so `remove_cache` sees it and refuses it instead of deleting its target."""
    from traitlint.frontend import DEFAULT_CACHE_DIR, ENV_CACHE_DIR

    env = os.environ.get(ENV_CACHE_DIR, "").strip()
    if flag or env:
        return Path(flag or env).expanduser().absolute()
    if config.cache_dir is not None:
        return Path(config.cache_dir)
    return base.absolute() / DEFAULT_CACHE_DIR


def remove_cache(cache: Path) -> str:
    """Remove `cache` if it is traitlint's; returns what was done. Raises `CleanError` otherwise."""
    if cache.is_symlink():
        raise CleanError(f"{cache} is a symbolic link; not removed (remove the link or its target yourself)")
    if not cache.exists():
        return f"nothing to remove: {cache} does not exist"
    if not cache.is_dir():
        raise CleanError(f"{cache} is not a directory; not removed")
    if not is_traitlint_cache(cache):
        raise CleanError(f"{cache} has no CACHEDIR.TAG written by traitlint, so it is not removed "
                         "(a cache from an older traitlint gets one on its next `traitlint check`)")
    files = sum(1 for p in cache.rglob("*") if p.is_file())
    try:
        shutil.rmtree(cache)
    except OSError as exc:
        raise CleanError(f"cannot remove {cache}: {exc.strerror or exc}") from None
    return f"removed {cache} ({files} file(s))"
