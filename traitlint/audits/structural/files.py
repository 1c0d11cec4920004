"""TL001 files: the folder's files are present, readable UTF-8 and free of invisible damage."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from traitlint.context import AuditContext
from traitlint.dataset import FILES_CODE, KNOWN_FILES
from traitlint.finding import Finding, Severity
from traitlint.registry import Audit, register


@register
class Files(Audit):
    """What it does
    Reports what the loader found wrong with the files of a trait folder: a missing
    `positive.txt`/`negative.txt`/`definition.txt`/`steering.json`, an empty, unreadable or
    undecodable file, a byte-order mark, CR/CRLF line ends, NUL bytes, invisible or control
    characters, over-long lines, invalid JSON/JSONL/TOML, a directory or a symlink out of the tree
    where a file should be. Unknown files are listed as info. In trait.toml: an unknown table or
    key (`hok` for `hook`), an unknown `type` or `extraction`, and a `[traitlint] ignore` naming no
    audit are errors at their line, because the card configures the other audits and a misspelt
    entry silently configured nothing.

    Why it matters
    These defects are invisible in an editor yet change what the model reads: a BOM or a
    zero-width space on one side only becomes a token that separates the sides perfectly.

    Example
    `positive.txt:12  invisible or control character(s): U+200B ZERO WIDTH SPACE`.

    How to fix
    Follow the hint of each finding: save as UTF-8 without BOM and with LF line ends, delete
    invisible characters, add the missing file.
    """

    code = "TL001"
    name = "files"
    summary = "Required files present, readable, decodable UTF-8, free of invisible characters."
    rationale = "Byte-level defects are invisible in an editor but become tokens that separate the sides."
    fix = "Follow each finding's hint: add the file, save as UTF-8 without BOM with LF line ends."
    severity = Severity.ERROR
    params: dict[str, Any] = {}
    requires = frozenset()

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        ds = ctx.dataset
        mine = [f for f in ds.load_findings if f.code == FILES_CODE]
        counts = {s.value: sum(1 for f in mine if f.severity is s) for s in Severity}
        return {"present": list(ds.present_files), "unknown": list(ds.unknown_files),
                "expected": list(KNOWN_FILES), **counts}

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        # Severity and hint stay as the loader set them; copies, so a reporter cannot alter the dataset.
        return [replace(f, evidence=list(f.evidence)) for f in ctx.dataset.load_findings if f.code == FILES_CODE]
