"""The audit table: every audit has a stable code, a name, docs, defaults and a severity.

Modelled on ruff's rule table: codes never change meaning, every audit is documented as
What it does / Why it matters / Example / How to fix (its class docstring), and `traitlint explain`
prints that text. Like deepchecks, an audit *computes* metrics and then *judges* them against
parameters, so JSON output can show the raw numbers of passing audits too.

Third parties add audits through the ``traitlint.audits`` entry-point group: each entry point
names an `Audit` subclass (or a module whose import registers some with `@register`).
"""
from __future__ import annotations

import importlib
import inspect
from typing import TYPE_CHECKING, Any, ClassVar, Iterable, Sequence, Union

from traitlint.errors import SkipAudit
from traitlint.finding import Evidence, Finding, Severity

if TYPE_CHECKING:
    from traitlint.context import AuditContext

ENTRY_POINT_GROUP = "traitlint.audits"
__all__ = ["Audit", "SkipAudit", "register", "all_audits", "get", "matches", "ENTRY_POINT_GROUP"]

BUILTIN_MODULES = (
    "traitlint.audits.structural",
    "traitlint.audits.confounds",
    "traitlint.audits.diversity",
    "traitlint.audits.model",
)


MAX_EVIDENCE = 5
"""Evidence lines a finding keeps; the rest are counted in `Finding.evidence_omitted`."""


class Audit:
    """Base class. Subclasses set the class attributes and implement `compute` and `judge`."""

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    summary: ClassVar[str] = ""
    rationale: ClassVar[str] = ""
    fix: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.ERROR
    params: ClassVar[dict[str, Any]] = {}
    #: What the audit needs: "pairs" (a pairable folder), "nlp" (a spaCy pipeline), "definition",
    #: "steering". Missing requirements make the audit `skipped` with the reason.
    requires: ClassVar[frozenset[str]] = frozenset()
    #: True when results depend on other folders of the run (cross-folder duplicates): the result
    #: cache then keys on the whole corpus.
    corpus_level: ClassVar[bool] = False
    #: Codes of other audits whose *configured* parameters this audit also reads (TL205 classifies
    #: divergence exactly as TL203 is configured to). `Config.params_for` passes each one as
    #: ``params[code]``, so the result cache keys on them too.
    reads_params_of: ClassVar[tuple[str, ...]] = ()
    #: True for model-backed audits (TL4xx): they run only when model checks are enabled, are
    #: marked ``traitlint_model`` under pytest, and keep their own results (the judge and
    #: generation caches, results files next to the dataset) instead of the static result cache.
    needs_model: ClassVar[bool] = False

    def compute(self, ctx: "AuditContext", params: dict[str, Any]) -> dict[str, Any]:
        """Measure the folder. Returns JSON-serialisable metrics; no thresholds applied here."""
        raise NotImplementedError

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: "AuditContext") -> list[Finding]:
        """Turn metrics into findings using the thresholds in `params`."""
        raise NotImplementedError

    # helpers for subclasses -------------------------------------------------------------------
    def finding(self, severity: Severity | str, message: str, metric: dict[str, Any] | None = None,
                threshold: Any = None, evidence: Iterable[EvidenceItem] = (), hint: str | None = None,
                features: Iterable[str] = ()) -> Finding:
        """A finding of this audit; `evidence` is arranged by `arrange_evidence`."""
        lines, omitted = arrange_evidence(evidence)
        return Finding(self.code, self.name, Severity.parse(severity), message, dict(metric or {}), threshold,
                       lines, self.fix if hint is None else hint, [str(f) for f in features], omitted)

    @classmethod
    def doc(cls) -> str:
        """The ruff-style documentation text (class docstring, dedented)."""
        return inspect.cleandoc(cls.__doc__ or cls.summary)


_REGISTRY: dict[str, type[Audit]] = {}
_loaded = False


def register(cls: type[Audit]) -> type[Audit]:
    """Class decorator adding an audit to the table. Codes and names must be unique."""
    if not cls.code or not cls.name:
        raise ValueError(f"{cls.__name__} needs a code and a name")
    for other in _REGISTRY.values():
        if other is not cls and (other.code == cls.code or other.name == cls.name):
            if other.__qualname__ == cls.__qualname__ and other.__module__ == cls.__module__:
                break  # module re-import
            raise ValueError(f"audit {cls.code} {cls.name} clashes with {other.code} {other.name}")
    _REGISTRY[cls.code] = cls
    return cls


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in BUILTIN_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        obj = ep.load()
        if isinstance(obj, type) and issubclass(obj, Audit) and obj.code not in _REGISTRY:
            register(obj)


def all_audits() -> list[type[Audit]]:
    """Every registered audit, ordered by code."""
    _load_all()
    return [_REGISTRY[c] for c in sorted(_REGISTRY)]


def get(code_or_name: str) -> type[Audit] | None:
    _load_all()
    key = code_or_name.strip()
    for cls in _REGISTRY.values():
        if cls.code.lower() == key.lower() or cls.name == key:
            return cls
    return None


def matches(selector: str, audit: type[Audit]) -> bool:
    """ruff-style selection: `ALL`, an exact name, or a code prefix (`TL1` selects TL101, TL102...)."""
    s = selector.strip()
    return s.upper() == "ALL" or s == audit.name or audit.code.upper().startswith(s.upper())


EvidenceItem = Union[Evidence, Sequence[Evidence]]
"""What an audit passes as evidence: single lines, or groups of lines that belong together
(a question and the prefill it copies, the two ends of a shift, a group of duplicates)."""

PAIR_FILES = ("positive.", "negative.")
"""Files whose line numbers are parallel (line i of one is matched with line i of the other)."""


def arrange_evidence(evidence: Iterable[EvidenceItem]) -> tuple[list[Evidence], int]:
    """The lines a finding shows, and how many it leaves out (issue 13).

    1. Each file:line once, first occurrence wins (107 of 1,440 corpus findings listed a line
       twice); a line-less entry names a file and is kept as it is.
    2. The first `MAX_EVIDENCE` lines in the audit's order: audits pick by strength, so *which*
       lines are shown never depends on where they sit.
    3. Listed by line, so the list reads top to bottom like a compiler's and the first line (the
       headline, SARIF ``location`` and pytest location) is the earliest line that shows the
       problem. positive.* and negative.* count as one file (their lines are parallel), so
       positive.txt:7 and negative.txt:7 stay together; other files follow in the order the
       audit named them; a line-less entry comes first in its file. A group is placed by its first
       line and keeps its inner order.
    """
    seen: set[tuple[str, int]] = set()
    groups: list[list[Evidence]] = []
    for item in evidence:
        members = [item] if isinstance(item, Evidence) else list(item)
        kept = []
        for ev in members:
            if ev.line is not None:
                if (ev.file, ev.line) in seen:
                    continue
                seen.add((ev.file, ev.line))
            kept.append(ev)
        if kept:
            groups.append(kept)
    total = sum(len(g) for g in groups)
    shown: list[list[Evidence]] = []
    room = MAX_EVIDENCE
    for g in groups:
        if room <= 0:
            break
        shown.append(g[:room])
        room -= len(shown[-1])
    ranks: dict[str, int] = {}  # files in the order the audit first named them (sort keys are taken in list order)

    def file_rank(file: str) -> int:
        key = "pair" if file.startswith(PAIR_FILES) else file
        return ranks.setdefault(key, len(ranks))

    shown.sort(key=lambda g: (file_rank(g[0].file), -1 if g[0].line is None else g[0].line))
    return [ev for g in shown for ev in g], total - MAX_EVIDENCE if total > MAX_EVIDENCE else 0
