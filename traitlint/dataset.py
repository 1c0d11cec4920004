"""Read one trait folder into a `TraitDataset`: matched pairs with file/line provenance.

Why a loader of its own: trait folders are written by hand or by LLM agents, and their defects
(a BOM on one side only, CRLF endings, a zero-width space, a deleted line that shifts every later
pair) change what a vector learns while staying invisible in an editor. The loader never raises on
bad input and never writes: every defect becomes a `Finding` naming the file and line, and whatever
can still be read is returned so the other audits can run.

No NLP and no models here; this module must stay cheap to import.
"""
from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from traitlint.finding import Evidence, Finding, Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised only on 3.10
    import tomli as tomllib

#: Files that make a directory a trait folder.
DATA_FILES = ("positive.txt", "negative.txt", "positive.jsonl", "negative.jsonl")
TRAIT_FILES = DATA_FILES + ("definition.txt", "steering.json")
OPTIONAL_FILES = ("trait.toml", "annotations.jsonl")
KNOWN_FILES = TRAIT_FILES + OPTIONAL_FILES
#: Files that are never reported as unknown (editor/VCS noise, docs).
IGNORED_NAMES = frozenset({".DS_Store", "README.md", "README", "NOTES.md", ".gitkeep"})

FILES_CODE, FILES_NAME = "TL001", "files"

#: `[trait] type` values (the seed taxonomy); `extraction` values the model layer understands.
TRAIT_TYPES = ("state", "belief", "want", "mode", "action", "style")
EXTRACTIONS = ("prefill-mean", "mean", "last-token", "last", "generated", "response")
#: Keys a trait card may hold, per table. `[plan]` maps free axis names (TL205 checks it);
#: `[[traitlint.suppress]]` entries are per-feature suppressions (code, feature, reason).
CARD_KEYS: dict[str, tuple[str, ...]] = {
    "": ("trait", "plan", "traitlint"),
    "trait": ("name", "type", "extraction", "is", "isnt", "orthogonal", "hook", "tension", "confounds", "words"),
    "trait.words": ("positive", "negative"),
    "traitlint": ("ignore", "suppress"),
    "traitlint.suppress": ("code", "feature", "reason"),
}
PAIRING_CODE, PAIRING_NAME = "TL002", "pairing"

#: Characters that render as nothing (or reorder text) yet change tokenisation.
_INVISIBLE = {
    "\u200b": "ZERO WIDTH SPACE",
    "\u200c": "ZERO WIDTH NON-JOINER",
    "\u200d": "ZERO WIDTH JOINER",
    "\u200e": "LEFT-TO-RIGHT MARK",
    "\u200f": "RIGHT-TO-LEFT MARK",
    "\u2060": "WORD JOINER",
    "\ufeff": "ZERO WIDTH NO-BREAK SPACE (BOM)",
    "\u00ad": "SOFT HYPHEN",
    "\u00a0": "NO-BREAK SPACE",
}


@dataclass(frozen=True)
class LoadLimits:
    """Input sizes beyond which a file or line is reported instead of read.

    `max_line_chars` approximates a model context: ~4 characters per token, so 8000 characters is
    about 2000 tokens, far more than any prefill should need.
    """

    max_file_bytes: int = 20 * 1024 * 1024
    max_line_chars: int = 8000


@dataclass(frozen=True)
class Prompt:
    """One prefill: its text, optional system prompt (JSONL only) and where it came from."""

    text: str
    file: str
    line: int
    system_prompt: str | None = None

    @property
    def full_text(self) -> str:
        """System prompt and prompt together: what the model actually sees."""
        return f"{self.system_prompt}\n{self.text}" if self.system_prompt else self.text

    def evidence(self) -> Evidence:
        return Evidence(self.file, self.line, self.text)


@dataclass(frozen=True)
class Pair:
    """Line i of the positive file matched with line i of the negative file (0-based index)."""

    index: int
    positive: Prompt
    negative: Prompt


@dataclass
class TextFile:
    """A decoded text file split into lines (1-based via `line(n)`), kept for evidence lookups."""

    name: str
    lines: list[str]

    def line(self, number: int) -> str:
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""

    def find(self, needle: str) -> int | None:
        """1-based number of the first line containing `needle`, or None."""
        for number, text in enumerate(self.lines, 1):
            if needle in text:
                return number
        return None


@dataclass
class TraitDataset:
    """Everything in one trait folder, plus the findings produced while reading it."""

    path: Path
    name: str
    positive: list[Prompt] = field(default_factory=list)
    negative: list[Prompt] = field(default_factory=list)
    positive_file: str | None = None
    negative_file: str | None = None
    definition: TextFile | None = None
    steering: Any = None
    card: dict[str, Any] | None = None
    annotations: list[dict[str, Any]] | None = None
    raw: dict[str, TextFile] = field(default_factory=dict)
    present_files: list[str] = field(default_factory=list)
    unknown_files: list[str] = field(default_factory=list)
    load_findings: list[Finding] = field(default_factory=list)

    @property
    def pairable(self) -> bool:
        return self.unpairable_reason is None

    @property
    def unpairable_reason(self) -> str | None:
        """Why the two sides cannot be matched line by line, or None when they can."""
        if self.positive_file is None or self.negative_file is None:
            missing = [s for s, f in (("positive", self.positive_file), ("negative", self.negative_file)) if f is None]
            return f"no readable {' or '.join(missing)} file"
        if len(self.positive) != len(self.negative):
            return (
                f"{self.positive_file} has {len(self.positive)} lines but {self.negative_file} has "
                f"{len(self.negative)}: line i of one no longer matches line i of the other"
            )
        if not self.positive:
            return "no prefills"
        return None

    @property
    def pairs(self) -> list[Pair]:
        """Matched pairs; empty when the folder is not pairable (see `unpairable_reason`)."""
        if not self.pairable:
            return []
        return [Pair(i, p, n) for i, (p, n) in enumerate(zip(self.positive, self.negative))]

    def side(self, label: str) -> list[Prompt]:
        return self.positive if label == "positive" else self.negative

    def card_value(self, key: str) -> Any:
        """`key` of the card's `[trait]` table as written; None without a card, without the table,
        or when `trait` is not a table (the loader reports that card as TL001). The one place
        audits read the card's `[trait]` fields."""
        trait = (self.card or {}).get("trait")
        return trait.get(key) if isinstance(trait, dict) else None

    def card_word(self, key: str) -> str | None:
        """A string field of `[trait]` (`type`, `extraction`) stripped and lower-cased; None if absent
        or not a string."""
        value = self.card_value(key)
        return value.strip().lower() if isinstance(value, str) else None

    @property
    def trait_words(self) -> dict[str, list[str]]:
        """Declared signal words per side from `trait.toml` ([trait.words]); lower-cased."""
        words = self.card_value("words") or {}
        out: dict[str, list[str]] = {"positive": [], "negative": []}
        for side in out:
            value = words.get(side) if isinstance(words, dict) else None
            if isinstance(value, list):
                out[side] = [str(w).lower() for w in value if isinstance(w, str)]
        return out

    @property
    def trait_ignores(self) -> dict[str, str]:
        """`[traitlint] ignore = {CODE = "reason"}` from trait.toml (reasons validated by the runner)."""
        section = (self.card or {}).get("traitlint") or {}
        ignore = section.get("ignore") if isinstance(section, dict) else None
        return {str(k): v for k, v in ignore.items()} if isinstance(ignore, dict) else {}

    def content_hash(self) -> str:
        """Stable hash of every prefill (both sides, in order): the feature-cache key."""
        digest = hashlib.sha256()
        for side in (self.positive, self.negative):
            for prompt in side:
                digest.update(prompt.full_text.encode("utf-8", "surrogatepass"))
                digest.update(b"\x00")
            digest.update(b"\x01")
        return digest.hexdigest()


def is_trait_folder(path: Path) -> bool:
    """A directory holding at least one of the trait files."""
    try:
        return path.is_dir() and any((path / name).exists() or (path / name).is_symlink() for name in TRAIT_FILES)
    except OSError:
        return False


#: Directory names never searched for trait folders.
SKIPPED_DIRS = frozenset({"__pycache__", "node_modules", "venv"})


#: `skip(directory, top)`: whether a directory found below the lint path `top` is left out.
SkipDir = Callable[[Path, Path], bool]


def discover(paths: Iterable[Path | str], skip: SkipDir | None = None) -> list[Path]:
    """Trait folders at or below `paths`, sorted; hidden directories skipped.

    Each folder is returned once however it is reached (``a`` and ``a/b`` given together, a
    relative and an absolute spelling, a symlink), because linting it twice would report every
    finding twice. Symlinked directories below a given path are not entered (a link loop would
    never end, and a link out of the tree would lint files the tree does not hold); a path given
    explicitly is used even if it is a link.

    `skip` decides which directories below a given path are left out (with their subtrees);
    without it, `SKIPPED_DIRS` are. A given path itself is never skipped: what the user names is
    linted (the CLI's exclude globs and .gitignore, `traitlint.discovery`, come in through `skip`).
    """
    found: dict[Path, Path] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            path = path.parent
        if not path.is_dir():
            continue
        for folder in _walk_dirs(path, skip):
            if is_trait_folder(folder):
                found.setdefault(_identity(folder), folder)
    return sorted(found.values(), key=lambda p: p.as_posix())


def _walk_dirs(top: Path, skip: SkipDir | None = None) -> Iterable[Path]:
    """`top` and every directory below it, depth first in name order, without recursion.

    Why not `os.walk`: before Python 3.12 it recurses, so a tree ~1000 levels deep raises
    RecursionError. Unreadable directories and symlinked directories are skipped.
    """
    stack = [top]
    while stack:
        current = stack.pop()
        yield current
        try:
            with os.scandir(current) as entries:
                subdirs = [e.name for e in entries if _is_plain_dir(e)]
        except OSError:
            continue
        keep = sorted(d for d in subdirs if not d.startswith(".")
                      and not (skip(current / d, top) if skip is not None else d in SKIPPED_DIRS))
        stack.extend(current / d for d in reversed(keep))


def _is_plain_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=False)
    except OSError:
        return False


def _identity(folder: Path) -> Path:
    """The folder's real path (what makes two spellings the same folder), or its absolute path."""
    try:
        return folder.resolve()
    except (OSError, RuntimeError):
        return folder.absolute()


class _Reader:
    """Collects findings while reading the files of one folder."""

    def __init__(self, folder: Path, root: Path, limits: LoadLimits) -> None:
        self.folder = folder
        self.root = root
        self.limits = limits
        self.findings: list[Finding] = []

    def add(self, severity: Severity, message: str, file: str, line: int | None = None, text: str = "",
            hint: str = "", code: str = FILES_CODE, name: str = FILES_NAME, metric: dict | None = None) -> None:
        self.findings.append(Finding(code, name, severity, message, metric or {}, None,
                                     [Evidence(file, line, text)], hint))

    def read_text(self, name: str) -> TextFile | None:
        """Decode a file leniently; report every encoding/byte-level defect with its line."""
        path = self.folder / name
        if path.is_symlink():
            try:
                target = path.resolve(strict=True)
            except (OSError, RuntimeError):
                self.add(Severity.ERROR, f"{name} is a broken symlink", name,
                         hint="Replace the link with the file itself.")
                return None
            if not _is_within(target, self.root):
                self.add(Severity.ERROR, f"{name} is a symlink to {target}, outside the dataset tree", name,
                         hint="Copy the file into the trait folder; links out of the tree are not followed.")
                return None
        if path.is_dir():
            self.add(Severity.ERROR, f"{name} is a directory, not a file", name,
                     hint=f"Move the directory away and put the {name} file here.")
            return None
        if path.exists() and not path.is_file():
            # A FIFO or device would block or never end when read.
            self.add(Severity.ERROR, f"{name} is not a regular file (FIFO, socket or device)", name,
                     hint=f"Replace it with a plain {name} text file.")
            return None
        try:
            size = path.stat().st_size
        except OSError as exc:
            self.add(Severity.ERROR, f"{name} cannot be read: {exc.strerror or exc}", name)
            return None
        if size > self.limits.max_file_bytes:
            self.add(Severity.ERROR, f"{name} is {size / 1e6:.1f} MB, above the {self.limits.max_file_bytes / 1e6:.0f} MB limit",
                     name, hint="Trait datasets are hundreds of lines; split or trim the file.",
                     metric={"bytes": size})
            return None
        try:
            data = path.read_bytes()
        except OSError as exc:
            self.add(Severity.ERROR, f"{name} cannot be read: {exc.strerror or exc}", name)
            return None
        if b"\x00" in data:
            line = data[: data.index(b"\x00")].count(b"\n") + 1
            self.add(Severity.ERROR, f"{name} contains NUL bytes (binary file or UTF-16?)", name, line,
                     hint="Save the file as UTF-8 text.")
            data = data.replace(b"\x00", b"")
        if data.startswith(b"\xef\xbb\xbf"):
            self.add(Severity.WARNING, f"{name} starts with a UTF-8 byte-order mark", name, 1,
                     hint="Save without BOM: the mark becomes an invisible token on line 1 only.")
            data = data[3:]
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            self.add(Severity.ERROR, f"{name} is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                     name, line, hint="Re-encode the file as UTF-8 (e.g. iconv -f latin1 -t utf-8).")
            text = data.decode("utf-8", errors="replace")
        if "\r" in text:
            first = text[: text.index("\r")].count("\n") + 1
            kind = "CRLF" if "\r\n" in text else "CR"
            self.add(Severity.WARNING, f"{name} uses {kind} line endings", name, first,
                     hint="Convert to LF (dos2unix); a stray \\r becomes part of the last token.")
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for number, line in enumerate(lines, 1):
            self._check_line(name, number, line)
        return TextFile(name, lines)

    def _check_line(self, name: str, number: int, line: str) -> None:
        if len(line) > self.limits.max_line_chars:
            self.add(Severity.ERROR, f"line is {len(line)} characters, too long for a model's context "
                     f"(limit {self.limits.max_line_chars})", name, number, line[:120],
                     hint="Shorten the prefill; prefills are a sentence or two.")
        bad = _invisible_chars(line)
        if bad:
            shown = ", ".join(sorted(set(bad)))
            self.add(Severity.ERROR, f"invisible or control character(s): {shown}", name, number,
                     _visible(line), hint="Delete the character(s): they differ between the sides unseen.")


def _invisible_chars(line: str) -> list[str]:
    out = []
    for ch in line:
        if ch in _INVISIBLE:
            out.append(f"U+{ord(ch):04X} {_INVISIBLE[ch]}")
        elif ch == "\t":
            continue
        else:
            category = unicodedata.category(ch)
            if category in ("Cc", "Cf", "Co", "Cs", "Zl", "Zp"):
                out.append(f"U+{ord(ch):04X} {unicodedata.name(ch, category)}")
    return out


def _visible(line: str) -> str:
    """The line with invisible characters shown as <U+XXXX> so a reader can see them."""
    return "".join(f"<U+{ord(c):04X}>" if _invisible_chars(c) else c for c in line)


def _is_within(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root.resolve())
        return True
    except ValueError:
        return False


def load(folder: Path | str, root: Path | str | None = None, limits: LoadLimits | None = None,
         name: str | None = None) -> TraitDataset:
    """Read a trait folder. Never raises on bad input; never writes.

    Parameters
    ----------
    folder: the trait folder.
    root: the dataset tree; symlinks resolving outside it are refused. Defaults to `folder`.
    limits: size limits (see `LoadLimits`).
    name: display name; defaults to the folder path as given.
    """
    folder = Path(folder)
    root_path = Path(root) if root is not None else folder
    reader = _Reader(folder, root_path, limits or LoadLimits())
    ds = TraitDataset(path=folder, name=name or folder.as_posix())
    if not folder.is_dir():
        reader.add(Severity.ERROR, f"{folder} is not a directory", folder.name)
        ds.load_findings = reader.findings
        return ds
    try:
        entries = sorted(os.listdir(folder))
    except OSError as exc:
        reader.add(Severity.ERROR, f"cannot list {folder}: {exc.strerror or exc}", folder.name)
        ds.load_findings = reader.findings
        return ds
    ds.present_files = [e for e in entries if e in KNOWN_FILES]
    ds.unknown_files = [e for e in entries if e not in KNOWN_FILES and e not in IGNORED_NAMES and not e.startswith(".")]

    for side in ("positive", "negative"):
        txt, jsonl = f"{side}.txt", f"{side}.jsonl"
        has_txt, has_jsonl = txt in entries, jsonl in entries
        if has_txt and has_jsonl:
            reader.add(Severity.ERROR, f"both {txt} and {jsonl} exist; using {txt}", jsonl,
                       hint=f"Keep one format per side: delete or rename {jsonl}.")
        if has_txt:
            prompts = _read_txt_side(reader, txt, ds)
        elif has_jsonl:
            prompts = _read_jsonl_side(reader, jsonl, ds)
        else:
            reader.add(Severity.ERROR, f"missing {txt} (or {jsonl})", txt,
                       hint=f"Add {txt}: one prefill per line, line i matching line i of the other side.")
            continue
        if prompts is None:
            continue
        chosen = txt if has_txt else jsonl
        if not prompts:
            reader.add(Severity.ERROR, f"{chosen} is empty", chosen, hint="Write the prefills, one per line.")
        setattr(ds, side, prompts)
        setattr(ds, f"{side}_file", chosen)

    if ds.positive_file and ds.negative_file and len(ds.positive) != len(ds.negative):
        reader.add(Severity.ERROR, f"{ds.positive_file} has {len(ds.positive)} lines but {ds.negative_file} has "
                   f"{len(ds.negative)}", ds.negative_file if len(ds.negative) > len(ds.positive) else ds.positive_file,
                   min(len(ds.positive), len(ds.negative)) + 1,
                   hint="Pairs are matched by line number: restore or delete lines so both files have the same count.",
                   code=PAIRING_CODE, name=PAIRING_NAME,
                   metric={"positive": len(ds.positive), "negative": len(ds.negative)})

    if "definition.txt" in entries:
        ds.definition = reader.read_text("definition.txt")
        if ds.definition is not None:
            ds.raw["definition.txt"] = ds.definition
            if not any(line.strip() for line in ds.definition.lines):
                reader.add(Severity.ERROR, "definition.txt is empty", "definition.txt",
                           hint="Write the judge's scoring guide (see `traitlint explain TL005`).")
    else:
        reader.add(Severity.ERROR, "missing definition.txt", "definition.txt",
                   hint="Add the LLM-judge scoring guide; `traitlint init` writes a template.")

    if "steering.json" in entries:
        ds.steering = _read_json(reader, "steering.json", ds)
    else:
        reader.add(Severity.ERROR, "missing steering.json", "steering.json",
                   hint="Add steering questions; `traitlint init` writes a template.")

    if "trait.toml" in entries:
        ds.card = _read_toml(reader, "trait.toml", ds)
        if ds.card is not None:
            _check_card(reader, ds.card, ds.raw["trait.toml"])
    if "annotations.jsonl" in entries:
        ds.annotations = _read_annotations(reader, ds)

    for unknown in ds.unknown_files:
        reader.add(Severity.INFO, f"unknown file {unknown} (not read)", unknown,
                   hint="Expected files: " + ", ".join(KNOWN_FILES))
    ds.load_findings = reader.findings
    return ds


def _read_txt_side(reader: _Reader, name: str, ds: TraitDataset) -> list[Prompt] | None:
    tf = reader.read_text(name)
    if tf is None:
        return None
    ds.raw[name] = tf
    _report_blank_lines(reader, name, [(n, t) for n, t in enumerate(tf.lines, 1) if not t.strip()])
    return [Prompt(text, name, number) for number, text in enumerate(tf.lines, 1)]


def _report_blank_lines(reader: _Reader, name: str, blank: list[tuple[int, str]]) -> None:
    """One TL002 error listing blank (or empty-prompt) lines: each shifts or voids a pair."""
    if blank:
        shown = ", ".join(str(n) for n, _ in blank[:10]) + (" ..." if len(blank) > 10 else "")
        reader.findings.append(Finding(
            PAIRING_CODE, PAIRING_NAME, Severity.ERROR,
            f"{name} has {len(blank)} blank or whitespace-only line(s): {shown}",
            {"blank_lines": len(blank)}, 0, [Evidence(name, n, t) for n, t in blank[:5]],
            "Delete the blank line from this file and the matching line from the other side, or fill it in.",
        ))


def _read_jsonl_side(reader: _Reader, name: str, ds: TraitDataset) -> list[Prompt] | None:
    tf = reader.read_text(name)
    if tf is None:
        return None
    ds.raw[name] = tf
    prompts = [_parse_jsonl_prompt(reader, name, n, line) for n, line in enumerate(tf.lines, 1)]
    blank = [(p.line, tf.line(p.line)) for p in prompts
             if not tf.line(p.line).strip() or (_parsed_ok(tf.line(p.line)) and not p.text.strip())]
    _report_blank_lines(reader, name, blank)
    return prompts


def _short(exc: BaseException) -> str:
    """One-line description of an exception raised by a parser on hostile input."""
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


_SURROGATE = re.compile("[\ud800-\udfff]")
#: Any JSON escape of a surrogate (paired or not): without one, JSON text decodes to no surrogate.
_ANY_SURROGATE_ESCAPE = re.compile(r"(?i)\\ud[89a-f]")
#: A JSON \\uXXXX escape of a surrogate that is not half of a valid pair.
_LONE_SURROGATE_ESCAPE = re.compile(r"(?i)\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f][0-9a-f]{2})"
                                    r"|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}")


def _scrub(value: Any) -> tuple[Any, bool]:
    """`value` with lone surrogates (from JSON escapes such as "\\ud800") replaced by U+FFFD.

    Why: JSON accepts a lone surrogate escape, but the result is not Unicode text: a tokenizer
    rejects it and printing or saving it as UTF-8 raises. Returns (clean value, whether any was found).
    """
    if isinstance(value, str):
        return (_SURROGATE.sub("\ufffd", value), True) if _SURROGATE.search(value) else (value, False)
    if isinstance(value, list):
        items = [_scrub(v) for v in value]
        return [v for v, _ in items], any(f for _, f in items)
    if isinstance(value, dict):
        found = False
        out = {}
        for k, v in value.items():
            (k2, fk), (v2, fv) = _scrub(k), _scrub(v)
            out[k2] = v2
            found = found or fk or fv
        return out, found
    return value, False


def _loads_scrubbed(text: str) -> tuple[Any, bool]:
    """`json.loads` plus `_scrub`; the scrub runs only when the text has a surrogate escape at all.

    Raises what `json.loads` raises, and RecursionError for data nested too deeply to walk.
    """
    data = json.loads(text)
    if not _ANY_SURROGATE_ESCAPE.search(text):
        return data, False
    return _scrub(data)


def _report_surrogates(reader: "_Reader", name: str, line: int | None, text: str) -> None:
    """One TL001 error for a lone surrogate escape in a JSON string."""
    reader.add(Severity.ERROR, "lone surrogate escape (e.g. \\ud800) in a JSON string: not a Unicode "
               "character; read as U+FFFD", name, line, text[:160],
               hint="Write the character itself, or a valid surrogate pair for characters beyond U+FFFF.")


def _surrogate_line(tf: TextFile) -> int | None:
    """1-based number of the first line holding a lone surrogate escape."""
    return next((n for n, text in enumerate(tf.lines, 1) if _LONE_SURROGATE_ESCAPE.search(text)), None)


def _parsed_ok(line: str) -> bool:
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):
        return False
    return isinstance(obj, dict) and isinstance(obj.get("prompt"), str)


def _parse_jsonl_prompt(reader: _Reader, name: str, number: int, line: str) -> Prompt:
    """One JSONL line -> Prompt; malformed lines become an empty prompt plus a finding."""
    if not line.strip():
        return Prompt("", name, number)
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        reader.add(Severity.ERROR, f"invalid JSON: {exc.msg} (column {exc.colno})", name, number, line[:160],
                   hint='Each line must be one JSON object: {"prompt": "...", "system_prompt": "..."}')
        return Prompt("", name, number)
    except (ValueError, RecursionError) as exc:
        reader.add(Severity.ERROR, f"unreadable JSON: {_short(exc)}", name, number, line[:160])
        return Prompt("", name, number)
    if not isinstance(obj, dict) or not isinstance(obj.get("prompt"), str):
        reader.add(Severity.ERROR, 'expected a JSON object with a string "prompt"', name, number, line[:160],
                   hint='Write {"prompt": "..."} (optional "system_prompt": "...").')
        return Prompt("", name, number)
    system = obj.get("system_prompt")
    if system is not None and not isinstance(system, str):
        reader.add(Severity.ERROR, '"system_prompt" must be a string', name, number, line[:160])
        system = None
    (text, system), bad = _scrub([obj["prompt"], system])
    if bad:
        _report_surrogates(reader, name, number, line)
    return Prompt(text, name, number, system)


def _read_json(reader: _Reader, name: str, ds: TraitDataset) -> Any:
    tf = reader.read_text(name)
    if tf is None:
        return None
    ds.raw[name] = tf
    try:
        data, bad = _loads_scrubbed("\n".join(tf.lines))
        if bad:
            where = _surrogate_line(tf)
            _report_surrogates(reader, name, where, tf.line(where) if where else "")
        return data
    except json.JSONDecodeError as exc:
        reader.add(Severity.ERROR, f"invalid JSON: {exc.msg}", name, exc.lineno, tf.line(exc.lineno),
                   hint="Fix the syntax (a trailing comma or an unescaped quote is the usual cause).")
        return None
    except (ValueError, RecursionError) as exc:
        reader.add(Severity.ERROR, f"unreadable JSON: {_short(exc)}", name, 1, tf.line(1))
        return None


def _read_toml(reader: _Reader, name: str, ds: TraitDataset) -> dict[str, Any] | None:
    tf = reader.read_text(name)
    if tf is None:
        return None
    ds.raw[name] = tf
    try:
        return tomllib.loads("\n".join(tf.lines) + "\n")
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _toml_error_line(str(exc))
        if line is None and "end of document" in str(exc):
            line = len(tf.lines) or None
        reader.add(Severity.ERROR, f"invalid TOML: {exc}", name, line, tf.line(line) if line else "",
                   hint="Fix the syntax; see the trait card format in the traitlint docs.")
        return None
    except (ValueError, RecursionError) as exc:
        reader.add(Severity.ERROR, f"unreadable TOML: {_short(exc)}", name, 1, tf.line(1))
        return None


def _check_card(reader: _Reader, card: dict[str, Any], tf: TextFile) -> None:
    """Report what a trait card holds that nothing reads: unknown tables and keys, an unknown
    `type` or `extraction`, tables written as values.

    Why errors: the card configures the audits (trait words, type, plan, ignores), and a misspelt
    key (`hok`, `[trait.word]`, `typ`) or type (`"emotion"`) was silently ignored, so the audit it
    was meant to inform ran with defaults while the author believed it configured.
    """
    def report(message: str, table: Sequence[str], key: str | None, hint: str) -> None:
        # the key's line, or for a whole table (key None) the line of its header or assignment
        line = (toml_key_line(tf.lines, table, key) if key is not None
                else toml_key_line(tf.lines, table[:-1], table[-1]))
        reader.add(Severity.ERROR, f"trait.toml: {message}", "trait.toml", line,
                   tf.line(line).strip()[:160] if line else "", hint=hint)

    def check_keys(table: dict[str, Any], path: tuple[str, ...], schema: str) -> None:
        known = CARD_KEYS[schema]
        where = f"in [{'.'.join(path)}]" if path else "at the top level"
        for key in table:
            if key in known:
                continue
            close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
            guess = f" (did you mean {close[0]!r}?)" if close else ""
            report(f"unknown key {key!r} {where}{guess}", path, str(key),
                   f"Known keys {where}: {', '.join(known)}; unknown keys are not read.")

    check_keys(card, (), "")
    for name in ("trait", "traitlint"):  # ([plan] is TL205's: it reports a plan that is not a table)
        if name in card and not isinstance(card[name], dict):
            report(f"[{name}] must be a table, found {type(card[name]).__name__}", (name,), None,
                   f"Write it as a [{name}] table.")
    trait = card.get("trait")
    if isinstance(trait, dict):
        check_keys(trait, ("trait",), "trait")
        kind = trait.get("type")
        if "type" in trait and not (isinstance(kind, str) and kind.strip().lower() in TRAIT_TYPES):
            report(f"unknown trait type {kind!r}", ("trait",), "type",
                   f"type is one of: {', '.join(TRAIT_TYPES)} (it sets how audits and extraction treat the trait).")
        how = trait.get("extraction")
        if "extraction" in trait and not (isinstance(how, str) and how.strip().lower() in EXTRACTIONS):
            report(f"unknown extraction {how!r}", ("trait",), "extraction",
                   f"extraction is one of: {', '.join(EXTRACTIONS)}.")
        words = trait.get("words")
        if isinstance(words, dict):
            check_keys(words, ("trait", "words"), "trait.words")
        elif "words" in trait:
            report("[trait.words] must be a table of positive = [...] and negative = [...]", ("trait",), "words",
                   'Write [trait.words] with positive = ["..."] and negative = ["..."].')
    section = card.get("traitlint")
    if isinstance(section, dict):
        check_keys(section, ("traitlint",), "traitlint")
        if "ignore" in section and not isinstance(section["ignore"], dict):
            report("[traitlint] ignore must be a table of CODE = \"reason\"", ("traitlint",), "ignore",
                   'Write ignore = { TL004 = "why this is fine" }.')
        suppress = section.get("suppress")
        if isinstance(suppress, list):
            for entry in suppress:
                if isinstance(entry, dict):
                    check_keys(entry, ("traitlint", "suppress"), "traitlint.suppress")


_TOML_HEADER = re.compile(r"^\s*\[\[?\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")
_TOML_KEY = re.compile(r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+))*)\s*=""")


def _toml_parts(dotted: str) -> list[str]:
    return [part.strip().strip("\"'") for part in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', dotted)]


def toml_key_line(lines: Sequence[str], table: Sequence[str], key: str) -> int | None:
    """1-based line where `key` of the table `table` is written, or None.

    Finds `key = ...` under the `[table]` header, dotted keys (`words.positive = ...` under
    `[trait]`, `trait.type = ...` at the top), and a sub-table header `[table.key]` or `[[table.key]]`.
    A line-based scan, not a parser: good enough to point a finding at the line to edit.
    """
    want = [*table, key]
    section: list[str] = []
    for number, text in enumerate(lines, 1):
        header = _TOML_HEADER.match(text)
        if header:
            section = _toml_parts(header.group(1))
            if section[:len(want)] == want:
                return number
            continue
        match = _TOML_KEY.match(text)
        if match and (section + _toml_parts(match.group(1)))[:len(want)] == want:
            return number
    return None


def _toml_error_line(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


def _read_annotations(reader: _Reader, ds: TraitDataset) -> list[dict[str, Any]] | None:
    name = "annotations.jsonl"
    tf = reader.read_text(name)
    if tf is None:
        return None
    ds.raw[name] = tf
    out: list[dict[str, Any]] = []
    ok = True
    for number, line in enumerate(tf.lines, 1):
        try:
            obj, bad = _loads_scrubbed(line)
        except (ValueError, RecursionError) as exc:
            msg = exc.msg if isinstance(exc, json.JSONDecodeError) else _short(exc)
            reader.add(Severity.ERROR, f"invalid JSON: {msg}", name, number, line[:160],
                       hint="One JSON object per pair, in line order.")
            ok = False
            out.append({})
            continue
        if not isinstance(obj, dict):
            reader.add(Severity.ERROR, "expected a JSON object of axis labels", name, number, line[:160])
            ok = False
            out.append({})
            continue
        if bad:
            _report_surrogates(reader, name, number, line)
        out.append({str(k): v for k, v in obj.items()})
    n_pairs = len(ds.positive)
    if ds.positive_file and len(out) != n_pairs:
        reader.add(Severity.ERROR, f"annotations.jsonl has {len(out)} lines but there are {n_pairs} pairs", name,
                   min(len(out), n_pairs) + 1, hint="Write exactly one annotation object per pair, in line order.")
        ok = False
    return out if ok else None
