"""On-disk cache of audit results, so an unchanged re-run neither parses nor recomputes.

Why beside the feature cache: the statistics (permutation tests, NMF topics) cost as much as a
warm feature load, so a warm run must skip them too. A result is keyed by everything it depends
on: the folder's content, the audit's code, traitlint's sources and the audit's module, its parameters, the
traitlint version, the spaCy pipeline, and for corpus-level audits the content of every folder
in the run. Entries are JSON (never pickle) written atomically; a corrupt entry is recomputed.
"""
from __future__ import annotations

import hashlib
import inspect
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from traitlint import __version__
from traitlint.atomic import atomic_write_text
from traitlint.cachedir import mark_cache_dir
from traitlint.dataset import TraitDataset
from traitlint.finding import Finding


def folder_fingerprint(ds: TraitDataset) -> str:
    """Hash of every file traitlint read in the folder, plus the folder's load findings."""
    digest = hashlib.sha256()
    for name in sorted(ds.raw):
        digest.update(name.encode())
        digest.update(b"\x00")
        digest.update("\n".join(ds.raw[name].lines).encode("utf-8", "surrogatepass"))
        digest.update(b"\x01")
    digest.update(json.dumps([ds.present_files, ds.unknown_files, ds.name,
                              [f.message for f in ds.load_findings]]).encode())
    return digest.hexdigest()


@lru_cache(maxsize=None)
def _package_digest() -> str:
    """Hash of every module of traitlint itself: audits share helpers (frames, lexicon, stats), so
    editing any of them must invalidate cached results, not only editing the audit's own module."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        try:
            digest.update(path.relative_to(root).as_posix().encode() + b"\x00" + path.read_bytes())
        except OSError:
            continue
    return digest.hexdigest()


@lru_cache(maxsize=None)
def _source_digest(audit_cls: type) -> str:
    """Hash of the code an audit runs: traitlint's own sources plus the module defining the audit
    (a third-party audit lives outside the package)."""
    try:
        path = inspect.getsourcefile(audit_cls)
        data = Path(path).read_bytes() if path else b""
    except (OSError, TypeError):
        data = b""
    return hashlib.sha256(_package_digest().encode() + data + audit_cls.__qualname__.encode()).hexdigest()[:16]


def result_key(audit_cls: type, params: dict[str, Any], folder_fp: str, pipeline: str, corpus_fp: str = "") -> str:
    payload = json.dumps([__version__, audit_cls.code, _source_digest(audit_cls), params, folder_fp, pipeline,
                          corpus_fp], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:40]


class ResultCache:
    def __init__(self, cache_dir: Path | None) -> None:
        self.dir = cache_dir / "results" if cache_dir is not None else None

    def get(self, key: str) -> dict[str, Any] | None:
        if self.dir is None:
            return None
        try:
            data = json.loads((self.dir / key[:2] / f"{key}.json").read_text(encoding="utf-8"))
            if not (isinstance(data, dict) and isinstance(data.get("metrics"), dict)
                    and isinstance(data.get("findings"), list)):
                return None
            data["findings"] = [Finding.from_dict(f) for f in data["findings"]]
            return data
        except (OSError, ValueError, KeyError, TypeError, RecursionError):
            return None  # missing or damaged entry: the result is recomputed

    def has(self, key: str) -> bool:
        """Whether an entry exists (not whether it is readable: `get` says that)."""
        return self.dir is not None and (self.dir / key[:2] / f"{key}.json").is_file()

    def put(self, key: str, payload: dict[str, Any]) -> None:
        if self.dir is None:
            return
        try:
            mark_cache_dir(self.dir.parent)  # CACHEDIR.TAG and .gitignore: never committed
            atomic_write_text(self.dir / key[:2] / f"{key}.json", json.dumps(payload, default=str))
        except (OSError, ValueError):
            pass  # a read-only or full cache must not break a lint
