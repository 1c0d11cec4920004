"""Which trait folders a `traitlint check` run lints: exclude globs and .gitignore.

Why a module of its own: `traitlint check .` at a repository's root linted folders nobody meant to
lint (deliberately broken test fixtures, scratch copies that git ignores) and reported their
failures as the corpus's. The rules follow ruff:

- `exclude` (default `DEFAULT_EXCLUDE`) and `extend-exclude` globs in `[tool.traitlint]`, relative
  to the pyproject.toml's folder. A glob without a slash (`scratch*`) matches a directory's name at
  any depth; one with a slash (`tests/fixtures`, `datasets/*/drafts`) matches its path from the
  pyproject's folder. An excluded directory is left out with everything below it.
- Folders git ignores are left out when the linted path is in a git work tree (one
  `git check-ignore --stdin` call per run; no git, no filtering). `respect-gitignore = false`
  turns this off.
- A path named on the command line is linted even when excluded or ignored (only what is found
  below it is filtered), unless `--force-exclude` / `force-exclude = true`: then the excludes and
  .gitignore apply to named paths too, which is what the pre-commit hook wants, because pre-commit
  names every changed file.

Hidden directories (`.git`, `.venv`, `.traitlint`) are never searched, whatever `exclude` says.
"""
from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from traitlint.config import Config
from traitlint.dataset import discover

GIT_TIMEOUT_S = 30


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def _normalise(pattern: str) -> str:
    pattern = pattern.strip().replace("\\", "/")
    while pattern.startswith("./"):
        pattern = pattern[2:]
    return pattern.rstrip("/")


@dataclass
class PathFilter:
    """Exclude globs relative to `base`, plus the folders git ignores; callable as `discover`'s `skip`."""

    patterns: tuple[str, ...]
    base: Path
    ignored: frozenset[Path] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        self.patterns = tuple(p for p in (_normalise(p) for p in self.patterns) if p)
        self.base = _resolved(self.base)

    def excluded_by(self, path: Path, below: Path | None = None) -> str | None:
        """The glob excluding `path`, or None. Only the parts of the path below `below` are tested
        (a directory the user named is not excluded by its own name or its parents')."""
        resolved = _resolved(path)
        try:
            parts = resolved.relative_to(self.base).parts
            anchored = True
        except ValueError:  # outside the project: only name globs can apply
            parts, anchored = resolved.parts, False
        start = 0
        if below is not None:
            top = _resolved(below)
            try:
                start = len(top.relative_to(self.base).parts) if anchored else len(top.parts)
            except ValueError:
                start = 0
        for i in range(start, len(parts)):
            name, prefix = parts[i], "/".join(parts[: i + 1])
            for pattern in self.patterns:
                if "/" not in pattern:
                    if fnmatch.fnmatchcase(name, pattern):
                        return pattern
                elif anchored and _path_match(prefix, pattern):
                    return pattern
        return None

    def __call__(self, directory: Path, top: Path) -> bool:
        return self.excluded_by(directory, top) is not None or _resolved(directory) in self.ignored


def _path_match(path: str, pattern: str) -> bool:
    """`fnmatch` on a path from the project folder; a leading `**/` also matches at the top."""
    if fnmatch.fnmatchcase(path, pattern):
        return True
    return pattern.startswith("**/") and fnmatch.fnmatchcase(path, pattern[3:])


def git_ignored(paths: Sequence[Path], cwd: Path) -> set[Path]:
    """Those of `paths` (resolved) that git ignores, from one `git check-ignore` call in `cwd`.

    Empty when git is missing, `cwd` is not in a work tree, or git fails: then nothing is
    filtered, which lints too much rather than silently too little.
    """
    return _check_ignore(paths, cwd) or set()


def _check_ignore(paths: Sequence[Path], cwd: Path) -> set[Path] | None:
    """`git_ignored`, but None when git could not answer (so a caller can tell "none" from "unknown")."""
    if not paths or shutil.which("git") is None:
        return None
    resolved = [_resolved(p) for p in paths]
    data = b"".join(os.fsencode(str(p)) + b"\0" for p in resolved)
    try:
        proc = subprocess.run(["git", "-C", str(cwd), "check-ignore", "-z", "--stdin"], input=data,
                              capture_output=True, timeout=GIT_TIMEOUT_S, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode not in (0, 1):  # 128: not a work tree, or a path outside it
        return None
    return {Path(os.fsdecode(p)) for p in proc.stdout.split(b"\0") if p}


def _ignored_by_git(roots: list[Path], folders: list[Path]) -> set[Path]:
    """The roots and folders git ignores: one call for all, else one per root (several repositories)."""
    first = roots[0] if roots[0].is_dir() else roots[0].parent
    found = _check_ignore([*roots, *folders], first)
    if found is not None or len(roots) == 1:
        return found or set()
    out: set[Path] = set()
    for root in roots:
        top = _resolved(root)
        mine = [f for f in folders if _resolved(f) == top or top in _resolved(f).parents]
        out |= git_ignored([root, *mine], root)
    return out


def select(config: Config, roots: Sequence[Path], force_exclude: bool = False) -> tuple[list[Path], PathFilter]:
    """The lint paths left to lint and the filter for what is found below them.

    With `force_exclude` a named path that is excluded or git-ignored is dropped; without it, it is
    linted, and when git ignores the named path itself nothing below it is dropped as git-ignored
    (its contents are ignored only because it is).
    """
    filt = PathFilter(tuple(config.excludes), config.root or Path.cwd())
    roots = list(roots)
    if force_exclude:
        roots = [r for r in roots if filt.excluded_by(r) is None]
    if not (config.respect_gitignore and roots):
        return roots, filt
    folders = discover(roots, skip=filt)
    ignored = _ignored_by_git(roots, folders)
    if not ignored:
        return roots, filt
    named_ignored = [r for r in roots if _resolved(r) in ignored]
    if force_exclude:
        roots = [r for r in roots if _resolved(r) not in ignored]
        exempt: list[Path] = []
    else:
        exempt = [_resolved(r) for r in named_ignored]
    keep = {p for p in ignored if not any(p == e or e in p.parents for e in exempt)}
    filt.ignored = frozenset(keep)
    return roots, filt
