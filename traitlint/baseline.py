"""Baselines: record today's findings, then report only the new ones.

Why: a team adopting traitlint on a corpus with 700 errors cannot fix them in one go, and
switching audits off to get a green gate would also hide every new leak. `traitlint check
--write-baseline FILE` records the current findings; `--baseline FILE` reports only findings not
in it (and says how many were baselined), so the gate fails on new problems from day one.

A finding is recognised by what it says, not where: line numbers move when pairs are added.
- A finding that names features (TL101's leaking words, TL102's lemmas) is baselined when every
  feature it names is recorded for its code and folder (a grouped finding that gains a new word is
  new, and the report lists it whole).
- Any other finding is keyed by its code, its message with every number replaced by ``#``, the
  file of its first evidence line and, when it has exactly one evidence line (a finding about
  that line, not a sample of examples), that line's text. Each key is recorded with a count: a
  third finding with a key recorded twice is new.

The file is JSON, sorted, one entry per key, folder paths relative to the baseline file (so it
works from any working directory), with the message kept for the reader::

    {"traitlint_baseline": 1, "version": "0.1.0",
     "folders": {"datasets/traits/x/optimism": [
        {"code": "TL101", "feature": "but", "message": "function word \\"but\\" marks ..."},
        {"code": "TL304", "fingerprint": "3f2a...", "count": 1, "message": "positive texts are longer: ..."}]}}
"""
from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from traitlint import __version__
from traitlint.atomic import atomic_write_text
from traitlint.finding import Finding
from traitlint.runner import TraitResult, status_of

FORMAT = 1
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)*(?:[eE][-+]?\d+)?")
#: statuses whose findings a baseline may hold back: an audit that errored or was skipped did not
#: check the folder, and a baseline must never make that look clean
BASELINABLE = ("passed", "warned", "failed")


class BaselineError(ValueError):
    """An unreadable or malformed baseline file (a usage error: exit code 2)."""


def normalized(message: str) -> str:
    """The message with every number replaced by ``#`` (counts, shares and line numbers change)."""
    return _NUMBER.sub("#", message)


def fingerprint(finding: Finding) -> str:
    """Stable key of a finding that names no features (see the module docstring)."""
    parts: list[Any] = [finding.code, normalized(finding.message)]
    if finding.evidence:
        parts.append(finding.evidence[0].file)
        if len(finding.evidence) == 1:
            parts.append(finding.evidence[0].text)
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8", "surrogatepass")).hexdigest()[:20]


@dataclass
class FolderBaseline:
    """What a baseline records for one trait folder."""

    features: set[tuple[str, str]] = field(default_factory=set)  # (code, casefolded feature)
    counts: Counter = field(default_factory=Counter)  # fingerprint -> count


@dataclass
class Baseline:
    folders: dict[str, FolderBaseline]
    base: Path  # the folder of the baseline file: folder keys are relative to it

    def folder(self, trait_path: str) -> FolderBaseline | None:
        return self.folders.get(folder_key(trait_path, self.base))


def folder_key(trait_path: str, base: Path) -> str:
    """A trait folder's key in a baseline: POSIX path relative to the baseline's folder when possible."""
    folder = Path(trait_path).resolve()
    try:
        return folder.relative_to(base.resolve()).as_posix() or "."
    except ValueError:
        return folder.as_posix()


def _current(trait: TraitResult, include_baselined: bool = True) -> list[Finding]:
    out = []
    for result in trait.results:
        if result.status in BASELINABLE:
            out.extend(result.findings)
            if include_baselined:
                out.extend(result.baselined)
    return out


def to_dict(results: list[TraitResult], base: Path) -> dict[str, Any]:
    """The baseline of `results`: every finding of an audit that ran (baselined ones included)."""
    folders: dict[str, list[dict[str, Any]]] = {}
    for trait in results:
        features: dict[tuple[str, str], str] = {}
        counts: Counter = Counter()
        messages: dict[str, tuple[str, str]] = {}
        for finding in _current(trait):
            if finding.features:
                for feature in finding.features:
                    features.setdefault((finding.code, feature), finding.message)
            else:
                key = fingerprint(finding)
                counts[key] += 1
                messages.setdefault(key, (finding.code, finding.message))
        entries = [{"code": code, "feature": feature, "message": message}
                   for (code, feature), message in sorted(features.items())]
        entries += [{"code": messages[key][0], "fingerprint": key, "count": counts[key], "message": messages[key][1]}
                    for key in sorted(counts, key=lambda k: (messages[k][0], k))]
        if entries:
            folders[folder_key(trait.path, base)] = entries
    return {"traitlint_baseline": FORMAT, "version": __version__, "folders": dict(sorted(folders.items()))}


def write(path: Path, results: list[TraitResult]) -> int:
    """Write the baseline of `results` to `path` atomically; returns the number of findings recorded."""
    data = to_dict(results, path.resolve().parent)
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    return sum(len(_current(t)) for t in results)


def load(path: Path) -> Baseline:
    """Read a baseline file; BaselineError naming the file (and line) when it is not one."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline file (write one with --write-baseline {path})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read the baseline: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    if not isinstance(data, dict) or data.get("traitlint_baseline") != FORMAT or not isinstance(data.get("folders"), dict):
        raise BaselineError(f"{path}: not a traitlint baseline (expected {{\"traitlint_baseline\": {FORMAT}, "
                            "\"folders\": {...}}, as --write-baseline writes)")
    folders: dict[str, FolderBaseline] = {}
    for key, entries in data["folders"].items():
        if not isinstance(entries, list):
            raise BaselineError(f"{path}: folder {key!r}: expected a list of entries")
        fb = folders.setdefault(str(key), FolderBaseline())
        for number, entry in enumerate(entries):
            where = f"{path}: folder {key!r} entry {number}"
            if not isinstance(entry, dict) or not isinstance(entry.get("code"), str):
                raise BaselineError(f"{where}: expected an object with a code")
            if isinstance(entry.get("feature"), str):
                fb.features.add((entry["code"], entry["feature"].casefold()))
            elif isinstance(entry.get("fingerprint"), str):
                count = entry.get("count", 1)
                if type(count) is not int or count < 1:
                    raise BaselineError(f"{where}: count must be a positive integer")
                fb.counts[entry["fingerprint"]] += count
            else:
                raise BaselineError(f"{where}: expected a feature or a fingerprint")
    return Baseline(folders, path.resolve().parent)


def apply(results: list[TraitResult], baseline: Baseline) -> int:
    """Move every finding the baseline holds into `AuditResult.baselined` and recompute the statuses.

    Returns the number of findings baselined. Audits that errored or were skipped are left alone.
    """
    total = 0
    for trait in results:
        fb = baseline.folder(trait.path)
        if fb is None:
            continue
        remaining = Counter(fb.counts)
        for result in trait.results:
            if result.status not in BASELINABLE:
                continue
            kept: list[Finding] = []
            for finding in result.findings:
                if finding.features:
                    known = all((finding.code, f.casefold()) in fb.features for f in finding.features)
                else:
                    key = fingerprint(finding)
                    known = remaining[key] > 0
                    if known:
                        remaining[key] -= 1
                (result.baselined if known else kept).append(finding)
            if len(kept) != len(result.findings):
                total += len(result.findings) - len(kept)
                result.findings = kept
                result.status = status_of(kept)
    return total
