"""What the HTML report shows, as plain records: one `TraitReport` per folder, one `ReportData` per run.

Why a data layer apart from the HTML: the numbers (statuses, counts, which model results belong to
which dataset version) are what must be right, and they are testable without parsing HTML or
drawing a plot. `collect` runs the static audits through one `Session`, exactly as `traitlint check`
does (same configuration, same caches, model checks off), then gathers the plot data and the model
results that match each folder's content hash.
"""
from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from traitlint import __version__
from traitlint.report.distributions import Distributions
from traitlint.report.distributions import compute as compute_distributions
from traitlint.report.model_results import ModelIndex, ModelResults, StoredAudit

#: Worst first: a folder's status is the worst of its audits'.
STATUS_ORDER = ("error", "failed", "warned", "skipped", "passed")
MAX_EVIDENCE = 5
SAMPLE_PAIRS = 5


@dataclass
class EvidenceRow:
    file: str
    line: int | None
    text: str


@dataclass
class FindingRow:
    """A finding as shown: its evidence capped at `MAX_EVIDENCE` lines, the rest counted."""

    code: str
    name: str
    severity: str
    message: str
    metric: dict[str, Any]
    threshold: Any
    evidence: list[EvidenceRow]
    more_evidence: int
    hint: str


@dataclass
class AuditRow:
    """One audit on one folder: status, counts of its findings, metrics and the thresholds it used."""

    code: str
    name: str
    summary: str
    status: str
    errors: int
    warnings: int
    infos: int
    metrics: dict[str, Any]
    thresholds: dict[str, Any]
    reason: str


@dataclass
class SamplePair:
    line: int
    positive: str
    negative: str


@dataclass
class TraitReport:
    """Everything one trait page shows, and the index row of the folder."""

    name: str  # display path, as `traitlint check` prints it
    short: str  # relative to the lint root holding it: "emotions/anger"
    trait: str  # the folder's own name
    folder: str
    page: str  # relative to the report root: "traits/<slug>.html"
    pairs: int
    positive_lines: int
    negative_lines: int
    content_hash: str
    status: str
    audits: list[AuditRow]
    findings: list[FindingRow]
    samples: list[SamplePair]
    distributions: Distributions
    model: ModelResults

    @property
    def errors(self) -> int:
        return sum(a.errors for a in self.audits)

    @property
    def warnings(self) -> int:
        return sum(a.warnings for a in self.audits)

    @property
    def infos(self) -> int:
        return sum(a.infos for a in self.audits)

    def count(self, status: str) -> int:
        return sum(1 for a in self.audits if a.status == status)

    def audit(self, code: str) -> AuditRow | None:
        return next((a for a in self.audits if a.code == code), None)


@dataclass
class ReportData:
    traits: list[TraitReport]
    audit_codes: list[tuple[str, str]]  # (code, name) of every audit run, in code order
    roots: list[str]
    generated: str
    version: str = __version__
    notes: list[str] = field(default_factory=list)  # unreadable model files and the like
    vectors: str | None = None  # where extraction and steering outputs were looked for
    steering: str | None = None

    def count(self, status: str) -> int:
        """Folders whose worst audit status is `status`."""
        return sum(1 for t in self.traits if t.status == status)

    @property
    def errors(self) -> int:
        return sum(t.errors for t in self.traits)

    @property
    def warnings(self) -> int:
        return sum(t.warnings for t in self.traits)

    @property
    def pairs(self) -> int:
        return sum(t.pairs for t in self.traits)


def worst_status(statuses: Sequence[str]) -> str:
    """The worst of `statuses` in `STATUS_ORDER`, as `traitlint check` judges a folder: a skipped
    audit (no annotations to check, no definition) does not make a clean folder look bad, so the
    status is "skipped" only when every audit was skipped (and "passed" for none)."""
    found = set(statuses)
    if found == {"skipped"}:
        return "skipped"
    return next((s for s in STATUS_ORDER if s in found and s != "skipped"), "passed")


def finding_row(finding: Any, limit: int = MAX_EVIDENCE) -> FindingRow:
    evidence = [EvidenceRow(e.file, e.line, e.text) for e in finding.evidence]
    return FindingRow(finding.code, finding.name, finding.severity.value, finding.message,
                      finding.metric if isinstance(finding.metric, dict) else {}, finding.threshold,
                      evidence[:limit], max(0, len(evidence) - limit), finding.hint)


def audit_row(result: Any, audit_cls: Any, config: Any) -> AuditRow:
    severities = [f.severity.value for f in result.findings]
    thresholds = config.params_for(audit_cls) if audit_cls is not None else {}
    return AuditRow(result.code, result.name, getattr(audit_cls, "summary", ""), result.status,
                    severities.count("error"), severities.count("warning"), severities.count("info"),
                    result.metrics or {}, thresholds, result.reason)


_SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


def page_names(names: Sequence[str]) -> list[str]:
    """A distinct, file-name-safe page for each display name: ``a/b c`` -> ``traits/a--b-c.html``."""
    out: list[str] = []
    used: set[str] = set()
    for name in names:
        base = re.sub(r"[^A-Za-z0-9._-]+", "-", name.replace("/", "--")).strip("-.")[:120] or "trait"
        slug, n = base, 2
        while slug.lower() in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug.lower())
        out.append(f"traits/{slug}.html")
    return out


def _short_name(folder: Path, roots: Sequence[Path]) -> str:
    """The folder relative to the lint root holding it (``emotions/anger``), for its page's file name:
    short, and the same wherever the dataset tree lives. The root itself is named by its last two parts."""
    resolved = folder.resolve()
    for root in roots:
        base = Path(root).resolve()
        if resolved == base:
            break
        if base in resolved.parents:
            return resolved.relative_to(base).as_posix()
    return "/".join(resolved.parts[-2:])


def judge_stored(stored: StoredAudit, ctx: Any, config: Any) -> None:
    """The audit's verdict on its stored metrics, with the parameters it ran with (in place).

    Why judge again: results files hold metrics, not findings, and `judge` is pure; the report can
    say "TL401 failed: separation 12" without loading a model.
    """
    from traitlint.registry import get
    from traitlint.runner import status_of

    audit_cls = get(stored.code)
    if audit_cls is None:
        return
    params = {**config.params_for(audit_cls), **stored.params}
    try:
        findings = audit_cls().judge(stored.metrics, params, ctx)
    except Exception as exc:  # noqa: BLE001 - a results file from another traitlint version: shown, unjudged
        stored.status = "unknown"
        stored.findings = []
        stored.details.setdefault("report_note", f"not judged: {type(exc).__name__}: {exc}")
        return
    stored.status = status_of(findings)
    stored.findings = [finding_row(f) for f in findings]


def lint_selection(config: Any, paths: Sequence[Path]) -> tuple[list[Path], Any]:
    """The paths to lint and the filter below them, exactly as `traitlint check` selects them
    (exclude globs, .gitignore): a report shows the folders a check of the same paths lints."""
    from traitlint.discovery import select

    roots, skip = select(config, list(paths), bool(getattr(config, "force_exclude", False)))
    return roots, skip


def collect(paths: Sequence[Path], config: Any, cache_dir: Path | None, *, vectors: Path | None = None,
            steering: Path | None = None, progress: Any = None) -> ReportData:
    """Run the static audits on every trait folder under `paths` and gather the report's data.

    `progress(name, index, total)` is called before each folder's page data is gathered.
    """
    from traitlint.nlp.features import FeatureStore
    from traitlint.runner import Session

    config.model.enabled = False
    session = Session(config, FeatureStore(cache_dir))
    roots, skip = lint_selection(config, paths)
    folders = session.prepare(roots, skip=skip)
    results = session.run_folders(folders)
    index = ModelIndex.scan(vectors, steering)
    audits = config.enabled_audits()
    shorts = [_short_name(f, paths) for f in folders]  # folders: what `prepare` found, in its order
    traits = []
    for i, (folder, trait_result, page, short) in enumerate(zip(folders, results, page_names(shorts), shorts)):
        if progress is not None:
            progress(trait_result.path, i, len(folders))
        ctx = session.context(folder)
        traits.append(trait_report(ctx, folder, trait_result, page, config, index, short))
    return ReportData(traits, [(a.code, a.name) for a in audits], [str(p) for p in paths],
                      _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), notes=list(index.unreadable),
                      vectors=str(vectors) if vectors is not None else None,
                      steering=str(steering) if steering is not None else None)


def trait_report(ctx: Any, folder: Path, trait_result: Any, page: str, config: Any, index: ModelIndex,
                 short: str | None = None) -> TraitReport:
    from traitlint.registry import get

    ds = ctx.dataset
    rows = [audit_row(r, get(r.code), config) for r in trait_result.results]
    findings = [finding_row(f) for r in trait_result.results for f in r.findings]
    findings.sort(key=lambda f: _SEVERITY_RANK.get(f.severity, 3))  # stable: audit order within a severity
    digest = ds.content_hash()
    model = index.for_dataset(folder, digest, config.model.results_dir)
    for stored in model.audits:
        judge_stored(stored, ctx, config)
    samples = [SamplePair(p.positive.line, p.positive.text, p.negative.text) for p in ds.pairs[:SAMPLE_PAIRS]]
    return TraitReport(
        name=trait_result.path, short=short or trait_result.path, trait=folder.resolve().name, folder=str(folder), page=page, pairs=len(ds.pairs),
        positive_lines=len(ds.positive), negative_lines=len(ds.negative), content_hash=digest,
        status=worst_status([r.status for r in trait_result.results]), audits=rows, findings=findings,
        samples=samples, distributions=compute_distributions(ctx, trait_result.results, config), model=model)


__all__ = ["AuditRow", "EvidenceRow", "FindingRow", "ReportData", "SamplePair", "TraitReport", "collect",
           "page_names", "worst_status"]
