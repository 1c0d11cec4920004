"""A one-line progress bar on stderr for `traitlint check`: folders done / total and the current folder.

Why only on a terminal: a cold lint of a real corpus takes a minute, and a silent minute looks
like a hang; but a CI log or a redirected stderr must not fill with carriage-return frames, so
anything that is not a terminal gets nothing.
"""
from __future__ import annotations

import shutil
import sys
from typing import TextIO


class ProgressBar:
    """Callable as `Session.run`'s ``on_folder(name, done, total)``; `close()` clears the line."""

    WIDTH = 24

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.shown = False

    @classmethod
    def for_terminal(cls, stream: TextIO | None = None) -> "ProgressBar | None":
        """A bar when `stream` (default stderr) is a terminal, else None (silent)."""
        stream = stream if stream is not None else sys.stderr
        try:
            tty = stream.isatty()
        except (AttributeError, ValueError):
            tty = False
        return cls(stream) if tty else None

    def __call__(self, name: str, done: int, total: int) -> None:
        self.stream.write("\r" + self.line(name, done, total) + "\x1b[K")
        self.stream.flush()
        self.shown = True

    def line(self, name: str, done: int, total: int) -> str:
        """``[#######.........] 12/80 emotions/joy`` cut to the terminal's width."""
        filled = self.WIDTH * done // max(total, 1)
        head = f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total} "
        room = max(shutil.get_terminal_size((80, 24)).columns - len(head) - 1, 8)
        if len(name) > room:
            name = "..." + name[-(room - 3):]
        return head + name

    def close(self) -> None:
        """Erase the bar so the report starts on a clean line."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False
