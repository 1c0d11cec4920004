"""The cache folder's own marker files: a ``CACHEDIR.TAG`` and a ``.gitignore`` holding ``*``.

Why: like ``.pytest_cache`` and ``.ruff_cache``, ``.traitlint_cache`` must never be committed (a
``git add .`` would otherwise take thousands of feature files) and backup tools that honour the
cache-directory tag (https://bford.info/cachedir/) skip it. The tag is also what `traitlint clean`
trusts: it deletes a folder only when that folder carries traitlint's tag, so a mistyped
``--cache-dir`` never costs a user their files.
"""
from __future__ import annotations

import os
from pathlib import Path

from traitlint.atomic import atomic_write_text

#: The signature every CACHEDIR.TAG starts with (https://bford.info/cachedir/).
SIGNATURE = "Signature: 8a477f597d28d172789f06886806bc55"
#: The line that says the tag is traitlint's (what `clean` looks for).
TAG_TEXT = f"{SIGNATURE}\n# This file is a cache directory tag created by traitlint.\n# See https://bford.info/cachedir/\n"
GITIGNORE_TEXT = "# Created by traitlint automatically.\n*\n"
#: What traitlint itself writes into its cache folder: an untagged folder holding only these
#: (a cache from a version before the tag) may be tagged; any other folder is left alone.
CACHE_ENTRIES = frozenset({"features", "results", "calls", "CACHEDIR.TAG", ".gitignore"})

_tagged: set[str] = set()


def is_traitlint_cache(folder: Path) -> bool:
    """True when `folder` carries a CACHEDIR.TAG written by traitlint."""
    try:
        text = (Path(folder) / "CACHEDIR.TAG").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return text.startswith(SIGNATURE) and "created by traitlint" in text


def mark_cache_dir(folder: Path) -> bool:
    """Give the cache folder its CACHEDIR.TAG and .gitignore; returns whether it is tagged.

    A folder that does not exist yet is created with both files. An existing folder is tagged
    only when it holds nothing but what traitlint writes there: a ``--cache-dir`` pointed at a
    folder of the user's own (``--cache-dir ~``) is never tagged, so never cleaned. Writes are
    atomic and happen once per process per folder; a read-only location is not an error.
    """
    folder = Path(folder)
    key = os.fspath(folder.absolute())
    if key in _tagged and (folder / "CACHEDIR.TAG").is_file():
        return True  # one stat, not a read: results are written once per audit and folder
    try:
        if folder.is_dir() and not is_traitlint_cache(folder) and any(
                entry.name not in CACHE_ENTRIES for entry in folder.iterdir()):
            return False
        folder.mkdir(parents=True, exist_ok=True)
        if not is_traitlint_cache(folder):
            atomic_write_text(folder / "CACHEDIR.TAG", TAG_TEXT)
        if not (folder / ".gitignore").exists():
            atomic_write_text(folder / ".gitignore", GITIGNORE_TEXT)
    except OSError:
        return False
    _tagged.add(key)
    return True
