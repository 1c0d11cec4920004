"""Atomic file writes: a reader (or an interrupted run) never sees half a file.

Every cache, report, vector and results file traitlint writes goes through here.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` via a temporary file in the same directory and `os.replace`.

    The file gets the permissions a plain `open(path, "w")` would give (the old file's mode, else
    0666 minus the umask), not the 0600 of `tempfile.mkstemp`: a report or a shared cache must
    stay readable by whoever could read it before.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        try:
            os.chmod(tmp, path.stat().st_mode & 0o7777)  # replacing a file keeps its mode
        except FileNotFoundError:
            pass
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """`atomic_write_bytes` of UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _create_temp(path: Path) -> tuple[int, str]:
    """A new, exclusively created file beside `path`, mode 0666 less the umask (the kernel applies it)."""
    for _ in range(100):
        tmp = os.path.join(path.parent, f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")
