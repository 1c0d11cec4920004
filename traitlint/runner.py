"""Select audits, apply configuration and ignores, run them, collect results.

The pytest plugin and the CLI are thin layers over this module: both call `Session.run_audit`.
"""
from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from traitlint import dataset as dataset_mod
from traitlint.config import Config, card_ignore_findings
from traitlint.context import AuditContext, Corpus
from traitlint.dataset import TraitDataset
from traitlint.errors import Unavailable
from traitlint.finding import Finding, Severity
from traitlint.nlp.features import FeatureStore
from traitlint.registry import Audit, SkipAudit
from traitlint.result_cache import ResultCache, folder_fingerprint, result_key
from traitlint.suppress import Suppressed
from traitlint.suppress import apply as apply_suppressions
from traitlint.suppress import rules_of as suppress_rules

STATUSES = ("passed", "warned", "failed", "skipped", "error")


@dataclass
class AuditResult:
    """The outcome of one audit on one trait folder."""

    code: str
    name: str
    status: str
    findings: list[Finding] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    reason: str = ""  # why skipped / ignored / errored
    seconds: float = 0.0
    # switched off by a trait.toml [[traitlint.suppress]] entry / matched by a --baseline file:
    # kept for the report, never counted toward the status
    suppressed: list[Suppressed] = field(default_factory=list)
    baselined: list[Finding] = field(default_factory=list)

    def failed(self, strict: bool = False) -> bool:
        return self.status in ("failed", "error") or (strict and self.status == "warned")

    def to_dict(self) -> dict[str, Any]:
        out = {"code": self.code, "name": self.name, "status": self.status,
               "findings": [f.to_dict() for f in self.findings], "metrics": self.metrics}
        if self.reason:
            out["reason"] = self.reason
        if self.suppressed:
            out["suppressed"] = [s.to_dict() for s in self.suppressed]
        if self.baselined:
            out["baselined"] = [f.to_dict() for f in self.baselined]
        return out


@dataclass
class TraitResult:
    path: str
    results: list[AuditResult]

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "audits": [r.to_dict() for r in self.results]}


def status_of(findings: list[Finding]) -> str:
    worst = max((f.severity.rank for f in findings), default=-1)
    return "failed" if worst >= Severity.ERROR.rank else "warned" if worst == Severity.WARNING.rank else "passed"


def display_name(folder: Path, base: Path | None = None) -> str:
    """Path shown in reports: relative to `base` (default cwd) when possible, POSIX style."""
    base = (base or Path.cwd()).resolve()
    try:
        return folder.resolve().relative_to(base).as_posix()
    except ValueError:
        return folder.as_posix()


class Session:
    """One lint run: configuration, the corpus of trait folders, the feature store."""

    def __init__(self, config: Config | None = None, store: FeatureStore | None = None,
                 limits: dataset_mod.LoadLimits | None = None, model: Any = None) -> None:
        """`model`: the model services (`traitlint.model.services.ModelServices`) the model-backed
        audits use; None when model checks are off, and those audits are then skipped."""
        self.config = config or Config()
        self.model = model
        self.store = store or FeatureStore(self.config.cache_dir)
        self.limits = limits
        self.corpus = Corpus()
        self._contexts: dict[Path, AuditContext] = {}
        self.results = ResultCache(self.store.cache_dir if self.store.use_cache else None)
        self._fingerprints: dict[int, str] = {}

    def add_folders(self, folders: Iterable[Path], root: Path | None = None) -> list[TraitDataset]:
        """Load folders into the corpus (once each) and return their datasets in order."""
        out = []
        for folder in folders:
            key = folder.resolve()
            if key not in self._contexts:
                ds = dataset_mod.load(folder, root=root or folder, limits=self.limits, name=display_name(folder))
                ds.load_findings.extend(card_ignore_findings(ds))  # trait.toml ignores naming no audit
                self.corpus.datasets.append(ds)
                self._contexts[key] = AuditContext(ds, self.corpus, self.store, model=self.model)
            out.append(self._contexts[key].dataset)
        return out

    def add_context(self, paths: Iterable[Path | str], linted: Iterable[Path] = (),
                    skip: dataset_mod.SkipDir | None = None) -> list[TraitDataset]:
        """Load the trait folders under `paths` that are not linted into the corpus, for
        corpus-level audits only: under pre-commit a changed folder is still compared with the
        unchanged ones. `skip` as in `run` (excluded folders are no context either)."""
        roots = [Path(p) for p in paths]
        seen = {f.resolve() for f in linted}
        extra = [f for f in dataset_mod.discover(roots, skip) if f.resolve() not in seen]
        return [self.add_folders([f], _root_for(f, roots))[0] for f in extra]

    def context(self, folder: Path) -> AuditContext:
        key = folder.resolve()
        if key not in self._contexts:
            self.add_folders([folder])
        return self._contexts[key]

    def run_audit(self, audit_cls: type[Audit], folder: Path) -> AuditResult:
        """Run one audit on one folder. Never raises: crashes become status `error`."""
        ctx = self.context(folder)
        ds = ctx.dataset
        started = time.perf_counter()
        result = AuditResult(audit_cls.code, audit_cls.name, "passed")
        ignored = self.config.trait_ignore(audit_cls, ds.name)
        extra: list[Finding] = []
        if ignored:
            result.status, result.reason = "skipped", f"ignored by per-trait-ignores {ignored!r} in pyproject.toml"
            return result
        reason = ds.trait_ignores.get(audit_cls.code, ds.trait_ignores.get(audit_cls.name))
        if reason is not None:
            if isinstance(reason, str) and reason.strip():
                result.status, result.reason = "skipped", f"ignored in trait.toml: {reason.strip()}"
                return result
            extra.append(Finding(audit_cls.code, audit_cls.name, Severity.WARNING,
                                 f"trait.toml ignores {audit_cls.code} without a reason; the ignore is not applied",
                                 evidence=[dataset_mod.Evidence("trait.toml", _line_of(ds, audit_cls.code), "")],
                                 hint=f'Write the reason: ignore = {{ {audit_cls.code} = "why this is fine" }}'))
        try:
            params = self.config.params_for(audit_cls)
            missing = _missing_requirement(audit_cls, ds) or _model_off(audit_cls, ctx)
            if missing:
                raise SkipAudit(missing)
            key = self._result_key(audit_cls, params, ds)
            cached = self.results.get(key) if key else None
            if cached is not None:
                metrics, findings = cached["metrics"], cached["findings"]
            else:
                audit = audit_cls()
                metrics = audit.compute(ctx, params)
                findings = audit.judge(metrics, params, ctx)
                if key:
                    self.results.put(key, {"metrics": metrics, "findings": [f.to_dict() for f in findings]})
            result.metrics = metrics
            kept, result.suppressed, problems = apply_suppressions(audit_cls.code, audit_cls.name, findings,
                                                                   suppress_rules(ds))
            result.findings = extra + problems + kept
            result.status = status_of(result.findings)
        except SkipAudit as skip:
            result.status, result.reason, result.findings = "skipped", str(skip), extra
            if extra:
                result.status = status_of(extra)
        except Unavailable as exc:  # the check could not run: never reported as clean, never a "bug"
            result.status, result.reason = "error", str(exc)
            result.findings = extra + [Finding(audit_cls.code, audit_cls.name, Severity.ERROR,
                                               f"{audit_cls.code} could not run: {exc}", {},
                                               hint="Install or configure what the message names, then re-run.")]
        except Exception as exc:  # an audit bug must not take the run down
            result.status = "error"
            result.reason = f"{type(exc).__name__}: {exc}"
            result.findings = [Finding(audit_cls.code, audit_cls.name, Severity.ERROR,
                                       f"internal error in audit {audit_cls.code}: {type(exc).__name__}: {exc}",
                                       {"traceback": traceback.format_exc(limit=6)},
                                       hint="This is a traitlint bug; please report it with the folder that triggers it.")]
        result.seconds = time.perf_counter() - started
        return result

    def _fingerprint(self, ds: TraitDataset) -> str:
        if id(ds) not in self._fingerprints:
            self._fingerprints[id(ds)] = folder_fingerprint(ds)
        return self._fingerprints[id(ds)]

    def _result_key(self, audit_cls: type[Audit], params: dict[str, Any], ds: TraitDataset) -> str | None:
        """Cache key of a result, or None when results are not cached (no cache dir)."""
        if self.results.dir is None or audit_cls.needs_model:
            return None  # model audits keep their own results, keyed by model and judge
        corpus_fp = ""
        if audit_cls.corpus_level:
            corpus_fp = self.corpus.memo(f"fingerprint:{len(self.corpus.datasets)}", lambda: "".join(
                sorted(self._fingerprint(d) for d in self.corpus.datasets)))
        return result_key(audit_cls, params, self._fingerprint(ds), self.store.pipeline_id_or_none(), corpus_fp)

    def run(self, paths: Iterable[Path | str], on_folder: Any = None,
            context: Iterable[Path | str] = (), skip: dataset_mod.SkipDir | None = None) -> list[TraitResult]:
        """Discover trait folders under `paths` and run every enabled audit on each, serially
        (`traitlint.parallel.lint` is the same on several processes).

        `on_folder(name, done, total)` reports progress: `name` is a folder being linted, `done`
        how many are finished (called before each folder). `context`: trait folders loaded for
        corpus-level audits only (TL003 compares the linted folders with them) and not reported
        (`--corpus`). `skip`: which directories below `paths` are left out (exclude globs,
        .gitignore: `traitlint.discovery`).
        """
        return self.run_folders(self.prepare(paths, context, skip), on_folder)

    def prepare(self, paths: Iterable[Path | str], context: Iterable[Path | str] = (),
                skip: dataset_mod.SkipDir | None = None) -> list[Path]:
        """Discover and load the trait folders to lint (and the context folders); returns the former."""
        paths = [Path(p) for p in paths]
        folders = dataset_mod.discover(paths, skip)
        roots = {f: _root_for(f, paths) for f in folders}
        for folder in folders:
            self.add_folders([folder], roots[folder])
        self.add_context(context, folders, skip)
        return folders

    def run_folders(self, folders: list[Path], on_folder: Any = None) -> list[TraitResult]:
        """Every enabled audit on each of `folders` (already prepared), one folder after another."""
        audits = self.config.enabled_audits()
        out = []
        for index, folder in enumerate(folders):
            name = self.context(folder).dataset.name
            if on_folder is not None:
                on_folder(name, index, len(folders))
            out.append(TraitResult(name, [self.run_audit(a, folder) for a in audits]))
        return out


def _root_for(folder: Path, paths: list[Path]) -> Path:
    """The lint path containing `folder`: symlinks may not leave it."""
    resolved = folder.resolve()
    for p in paths:
        base = p.resolve() if p.is_dir() else p.resolve().parent
        if resolved == base or base in resolved.parents:
            return base
    return resolved


def _line_of(ds: TraitDataset, needle: str) -> int | None:
    tf = ds.raw.get("trait.toml")
    return tf.find(needle) if tf else None


MODEL_OFF = ("model-backed audit; model checks are off: run `pytest --traitlint-model` or "
             "`traitlint check --model` (needs `pip install 'traitlint[model]'`)")


def _model_off(audit: type[Audit], ctx: AuditContext) -> str | None:
    return MODEL_OFF if audit.needs_model and ctx.model is None else None


def _missing_requirement(audit: type[Audit], ds: TraitDataset) -> str | None:
    needs = audit.requires
    if "pairs" in needs and not ds.pairable:
        return f"cannot pair prefills: {ds.unpairable_reason}"
    if "prefills" in needs and not (ds.positive or ds.negative):
        return "no readable prefills"
    if "definition" in needs and ds.definition is None:
        return "no readable definition.txt"
    if "steering" in needs and ds.steering is None:
        return "no readable steering.json"
    return None
