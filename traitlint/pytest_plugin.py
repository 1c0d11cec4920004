"""traitlint's pytest plugin: trait folders become test collectors, audits become test items.

How it collects
    Every directory pytest visits that is a trait folder (holds positive.txt, negative.txt,
    definition.txt, steering.json or their .jsonl forms) is collected by `TraitFolder`, and each
    enabled audit becomes an item named by the audit name, with its code as a keyword and a
    marker. The items hang from the folder's first trait file (`anchor_file`, normally
    positive.txt), because pytest refuses ``::`` after a directory: so a node id pytest prints can
    be passed back to re-run that one audit::

        pytest datasets/                       # datasets/traits/x/optimism/positive.txt::pair_count ...
        pytest datasets/traits/x/optimism/positive.txt::pair_count   # that item again
        pytest datasets/traits/x/optimism::pair_count                # the same (rewritten to the above)
        pytest datasets/ -k TL004              # one audit, by keyword
        pytest datasets/ -m TL004              # ... or by marker (registered: --strict-markers is fine)
        pytest datasets/ --traitlint-strict    # warnings fail too

    Directories that are not trait folders are left to pytest, so ordinary suites are unaffected;
    disable the plugin with ``-p no:traitlint``. Pass trait folders or their anchor files, not
    other files inside them (the CLI accepts any).

Outcomes
    An error finding fails the item; a warning passes it and is listed in the "traitlint warnings"
    terminal summary (``--traitlint-strict`` or ``strict = true`` makes warnings fail); a skipped
    audit (unpairable folder, an ignore with its reason) is a pytest skip with the reason; an audit
    that crashes fails its item with the message. An audit that cannot run because no trained spaCy
    pipeline is installed fails with the install command, unless
    ``--traitlint-allow-missing-pipeline`` (or ``allow-missing-pipeline = true``) makes it a skip;
    under strict it fails regardless.

One run, one corpus
    All trait folders collected in a run are loaded into one `Session` (kept in ``config.stash``)
    at the end of collection, so corpus-level audits (cross-folder duplicates) see the whole run.
    Under pytest-xdist every worker collects everything, so outcomes equal a serial run.

The ``trait_dataset`` fixture
    Parametrized over every trait folder found (ids are the trait paths), for your own checks::

        def test_has_a_hook(trait_dataset):
            assert all(p.text.endswith("because") for p in trait_dataset.positive)

    "Found" means: the trait folders under the ``traitlint_paths`` ini option (paths relative to
    the ini file), by default ``datasets`` under the rootdir; when that does not exist, the trait
    folders under the directories given on the command line.

Model-backed audits
    TL401-TL405 need a model and a judge. They are collected as items marked ``traitlint_model``
    and skipped with the reason unless ``--traitlint-model`` is given; ``--traitlint-base-model``,
    ``--traitlint-instruct-model``, ``--traitlint-judge`` and ``--traitlint-generator`` override
    ``[tool.traitlint.model]``. Deselect them with ``-m "not traitlint_model"``. One model load
    serves every folder and item of the run; judge calls are cached and their usage is printed.

Configuration
    ``[tool.traitlint]`` in the nearest pyproject.toml above the rootdir; the command-line options
    ``--traitlint-select``/``--traitlint-ignore`` override it like ``traitlint check --select``.
    The feature cache lives in ``<rootdir>/.traitlint_cache`` unless ``--traitlint-cache-dir``,
    ``TRAITLINT_CACHE_DIR`` or ``cache-dir`` say otherwise; ``--traitlint-no-cache`` disables it.
    pytest's own cache (``-p no:cacheprovider``) is never used.

Importing this module is cheap: the runner, the audits and spaCy load only when a trait folder
is collected, because pytest loads the plugin in every run of every project that installs traitlint.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

import pytest

from traitlint.dataset import OPTIONAL_FILES, TRAIT_FILES, discover, is_trait_folder

if TYPE_CHECKING:
    from traitlint.finding import Finding
    from traitlint.registry import Audit
    from traitlint.runner import AuditResult, Session

MARKER = "traitlint"
MODEL_MARKER = "traitlint_model"


@dataclass
class _State:
    """Per-run plugin state, kept in ``config.stash``."""

    select: list[str]
    ignore: list[str]
    strict: bool
    cache_dir: str | None
    no_cache: bool
    model: dict[str, Any] = field(default_factory=dict)
    allow_missing_pipeline: bool = False
    session: "Session | None" = None
    audits: "list[type[Audit]] | None" = None
    folders: dict[Path, Path] = field(default_factory=dict)  # resolved folder -> folder as collected
    warnings: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    ignores: list[tuple[str, str]] = field(default_factory=list)
    declarations: list[tuple[str, str]] = field(default_factory=list)  # (nodeid, what [trait.words] hides)
    not_checked: list[tuple[str, str]] = field(default_factory=list)  # (nodeid, what an audit could not check)


_STATE = pytest.StashKey[_State]()


# options -----------------------------------------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("traitlint", "trait-vector dataset linting (traitlint)")
    group.addoption("--traitlint-select", action="append", default=[], metavar="CODES",
                    help="audits to run: codes, code prefixes or names, comma-separated (replaces the configured selection)")
    group.addoption("--traitlint-ignore", action="append", default=[], metavar="CODES",
                    help="audits not to run (added to the configured ignores)")
    group.addoption("--traitlint-strict", action="store_true", default=False,
                    help="warnings fail their audit items too")
    group.addoption("--traitlint-cache-dir", default=None, metavar="DIR",
                    help="feature cache directory (default <rootdir>/.traitlint_cache; env TRAITLINT_CACHE_DIR)")
    group.addoption("--traitlint-no-cache", action="store_true", default=False,
                    help="do not read or write the traitlint feature cache")
    group.addoption("--traitlint-allow-missing-pipeline", action="store_true", default=False,
                    help="without a trained spaCy pipeline, skip the NLP audit items instead of failing them "
                         "(they still fail under --traitlint-strict)")
    group.addoption("--traitlint-model", action="store_true", default=False,
                    help="run the model-backed audits (TL4xx, marker traitlint_model) with a model and a judge")
    group.addoption("--traitlint-base-model", default=None, metavar="ID",
                    help="base model for completions, activations and log-probs (HF id, folder, .gguf; default: embedded)")
    group.addoption("--traitlint-instruct-model", default=None, metavar="ID",
                    help="instruction-tuned model for the steering baseline (default: embedded)")
    group.addoption("--traitlint-judge", default=None, metavar="SPEC",
                    help="judge: local, local:MODEL, openai or openai:MODEL (default: local)")
    group.addoption("--traitlint-generator", default=None, metavar="SPEC",
                    help="where completions and answers come from: local (default) or openai[:MODEL] (vLLM)")
    parser.addini("traitlint_paths", type="paths", default=[],
                  help="where the trait_dataset fixture finds trait folders (default: <rootdir>/datasets)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: a traitlint audit of a trait folder")
    config.addinivalue_line("markers", f"{MODEL_MARKER}: a model-backed traitlint audit (runs with --traitlint-model)")
    state = _State(select=list(config.getoption("traitlint_select") or []),
                   ignore=list(config.getoption("traitlint_ignore") or []),
                   strict=bool(config.getoption("traitlint_strict")),
                   cache_dir=config.getoption("traitlint_cache_dir"),
                   no_cache=bool(config.getoption("traitlint_no_cache")),
                   allow_missing_pipeline=bool(config.getoption("traitlint_allow_missing_pipeline")),
                   model={"enabled": bool(config.getoption("traitlint_model")),
                          "base_model": config.getoption("traitlint_base_model"),
                          "instruct_model": config.getoption("traitlint_instruct_model"),
                          "judge": config.getoption("traitlint_judge"),
                          "generator": config.getoption("traitlint_generator")})
    config.stash[_STATE] = state
    config.pluginmanager.register(_Reporter(state), "traitlint-reporter")
    if state.select or state.ignore:  # the user asked for traitlint: report bad selectors up front
        _ensure_session(config, usage_error=pytest.UsageError)


def _ensure_session(config: pytest.Config, usage_error: type[Exception]) -> "Session":
    """Build the run's Session once (config, overrides, feature store); config errors -> `usage_error`."""
    state = config.stash[_STATE]
    if state.session is not None:
        return state.session
    from traitlint.config import ConfigError, load_config
    from traitlint.frontend import apply_model_overrides, apply_overrides, model_services, resolve_cache_dir
    from traitlint.nlp.features import FeatureStore
    from traitlint.runner import Session

    try:
        inipath = config.inipath
        cfg = load_config(start=inipath.parent if inipath is not None else config.rootpath)
        apply_overrides(cfg, state.select, state.ignore, state.strict)
        apply_model_overrides(cfg, **state.model)
    except ConfigError as exc:
        raise usage_error(f"traitlint: {exc}") from None
    except Exception as exc:  # an audit module that fails to import: one clear line, not a traceback
        raise usage_error(f"traitlint: cannot load the audits: {type(exc).__name__}: {exc}") from None
    state.allow_missing_pipeline = state.allow_missing_pipeline or cfg.allow_missing_pipeline
    if not cfg.enabled_audits(include_model=True):
        raise usage_error(f"traitlint: the selection leaves no audit to run (select {cfg.select}, ignore {cfg.ignore})")
    cache = resolve_cache_dir(cfg, config.rootpath, state.cache_dir, state.no_cache)
    state.session = Session(cfg, FeatureStore(cache), model=model_services(cfg, config.rootpath, cache))
    # model-backed audits are collected always: without --traitlint-model they skip with the reason
    state.audits = cfg.enabled_audits(include_model=True)
    _register_code_markers(config, state.audits)
    return state.session


def _register_code_markers(config: pytest.Config, audits: "Iterable[type[Audit]]") -> None:
    """Every audit code is a marker (``pytest datasets -m TL101``); registered once the audits are
    known, before any item carries one, so ``--strict-markers`` accepts them."""
    for audit in audits:
        config.addinivalue_line("markers", f"{audit.code}: traitlint audit {audit.name}")


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """Accept ``TRAIT_FOLDER::audit`` on the command line as ``TRAIT_FOLDER/<anchor file>::audit``.

    pytest refuses ``::`` after a directory; the README and older output spelled items that way,
    so the folder form is rewritten to the node id pytest now prints (see `anchor_file`).
    """
    base = early_config.invocation_params.dir
    args[:] = [_folder_node_arg(arg, base) for arg in args]


def _folder_node_arg(arg: str, base: Path) -> str:
    head, sep, rest = arg.partition("::")
    if not sep or not head or head.startswith("-"):
        return arg
    try:
        folder = base / head
        if not is_trait_folder(folder):
            return arg
    except (OSError, ValueError):
        return arg
    anchor = anchor_file(folder)
    return f"{head.rstrip('/')}/{anchor.name}::{rest}"


# collection --------------------------------------------------------------------------------------
def pytest_collect_directory(path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if is_trait_folder(path):
        return TraitFolder.from_parent(parent, path=path)
    return None


def anchor_file(folder: Path) -> Path:
    """The file of a trait folder its audit items hang from: the first trait file that exists.

    Why a file: pytest refuses ``DIR::name`` on its command line ("directory argument cannot
    contain :: selection parts"), so items directly under the folder had node ids that could not
    be passed back. Under a file they read ``optimism/positive.txt::lexical_label_leak`` and
    re-run that one audit.
    """
    names = (*TRAIT_FILES, *OPTIONAL_FILES)
    for name in names:
        if (folder / name).is_file():
            return folder / name
    for name in names:  # a broken link or an unreadable file still names the folder
        if (folder / name).exists() or (folder / name).is_symlink():
            return folder / name
    return folder / TRAIT_FILES[0]


class TraitFolder(pytest.Directory):
    """A trait folder: its audits (under its anchor file, `TraitFile`), then any nested directories."""

    def collect(self) -> Iterable[pytest.Item | pytest.Collector]:
        state = self.config.stash[_STATE]
        _ensure_session(self.config, usage_error=self.CollectError)
        state.folders.setdefault(self.path.resolve(), self.path)
        if state.audits:
            yield TraitFile.from_parent(self, path=anchor_file(self.path))
        try:
            # Symlinked directories are not entered (as in `discover`): a link back up the tree
            # (`self -> .`) made collection recurse without end.
            subdirs = sorted((p for p in self.path.iterdir()
                              if not p.name.startswith(".") and not p.is_symlink() and p.is_dir()),
                             key=lambda p: p.name)
        except OSError:
            return
        for sub in subdirs:
            if self.ihook.pytest_ignore_collect(collection_path=sub, config=self.config):
                continue
            col = self.ihook.pytest_collect_directory(path=sub, parent=self)
            if col is not None:
                yield col


class TraitFile(pytest.File):
    """A trait folder's audits, one item per enabled audit, hung from the folder's `anchor_file`."""

    def collect(self) -> Iterable[pytest.Item]:
        for audit in self.config.stash[_STATE].audits or []:
            yield AuditItem.from_parent(self, name=audit.name, audit=audit)


class AuditFailed(Exception):
    """Raised by an audit item whose result fails the run; carries the result for the report."""

    def __init__(self, result: "AuditResult") -> None:
        super().__init__(result.reason or result.status)
        self.result = result


class AuditItem(pytest.Item):
    """One audit on one trait folder. Named by the audit name; the code is a keyword (-k TL004)
    and a marker (-m TL004)."""

    def __init__(self, *, audit: "type[Audit]", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.audit = audit
        self.result: AuditResult | None = None
        self.extra_keyword_matches.add(audit.code)
        self.add_marker(MARKER)
        self.add_marker(audit.code)  # registered in `_register_code_markers` (--strict-markers)
        if audit.needs_model:
            self.add_marker(MODEL_MARKER)

    @property
    def folder(self) -> Path:
        """The trait folder (the item's own path is the folder's anchor file)."""
        return self.path.parent

    @property
    def trait_path(self) -> str:
        return _relpath(self.folder, self.config.rootpath)

    def runtest(self) -> None:
        state = self.config.stash[_STATE]
        session = _ensure_session(self.config, usage_error=RuntimeError)
        _load_corpus(state)
        result = session.run_audit(self.audit, self.folder)
        self.result = result
        for finding in result.findings:
            for ev in finding.evidence:
                self.user_properties.append(
                    ("traitlint_evidence", f"{_evidence_path(self.trait_path, ev.file)}:{ev.line or ''}".rstrip(":")))
        if result.status == "skipped" and _pipeline_missing(result.reason) and (
                not state.allow_missing_pipeline or session.config.strict):
            # a gate never passes silently: without the pipeline this audit did not run
            pytest.fail(f"{self.audit.code} {self.audit.name} could not run: {result.reason} "
                        "(--traitlint-allow-missing-pipeline skips it instead)", pytrace=False)
        if result.status == "skipped" and not result.findings:
            pytest.skip(result.reason or "skipped")
        if result.failed(strict=session.config.strict):
            raise AuditFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, AuditFailed):
            return "\n".join(render_result(excinfo.value.result, self.trait_path))
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        # the node id as it can be passed back to pytest, then the code
        return self.path, None, f"{_relpath(self.path, self.config.rootpath)}::{self.audit.name} [{self.audit.code}]"


def _pipeline_missing(reason: str) -> bool:
    from traitlint.nlp.features import is_missing_pipeline

    return is_missing_pipeline(reason)


def _relpath(path: Path, root: Path) -> str:
    """`path` relative to the rootdir, POSIX style (as in node ids), or absolute if outside it."""
    try:
        return Path(path).absolute().relative_to(Path(root).absolute()).as_posix()
    except ValueError:
        return Path(path).absolute().as_posix()


def _evidence_path(trait_path: str, file: str) -> str:
    from traitlint.reporters import evidence_path

    return evidence_path(trait_path, file)


def render_result(result: "AuditResult", trait_path: str) -> list[str]:
    """The failure text of an item: every finding with evidence, metric vs threshold and hint."""
    from traitlint.reporters import printable
    from traitlint.reporters.text import format_finding

    findings = sorted(result.findings, key=lambda f: -f.severity.rank)
    headline = findings[0].message if findings else result.reason
    more = f" (+{len(findings) - 1} more)" if len(findings) > 1 else ""
    lines = [f"{result.code} {result.name} {result.status}: {headline}{more}"]
    for finding in findings:
        lines.extend(format_finding(finding, trait_path, traceback=result.status == "error"))
    return [printable(line) for line in lines]


def _load_corpus(state: _State) -> None:
    """Add every collected trait folder to the Session (sorted) before the first audit runs."""
    if state.session is None:
        return
    pending = [state.folders[k] for k in sorted(state.folders, key=lambda p: p.as_posix())]
    state.folders.clear()
    if pending:
        state.session.add_folders(pending)


def pytest_collection_finish(session: pytest.Session) -> None:
    state = session.config.stash.get(_STATE, None)
    if state is not None:
        _load_corpus(state)


# reporting ---------------------------------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if not isinstance(item, AuditItem) or report.when != "call" or item.result is None:
        return report
    result = item.result
    report.traitlint_status = result.status
    if report.skipped:
        # Point the skip at the trait folder, not at this plugin's pytest.skip() call.
        report.longrepr = (item.trait_path, None, f"Skipped: {result.reason}")
        report.traitlint_reason = result.reason
    warned = [f for f in result.findings if f.severity.value == "warning"]
    if warned and report.passed:
        report.traitlint_warnings = [_finding_json(f) for f in warned]
    hidden = [f.message for f in result.findings if "hidden_by_declarations" in f.metric]
    if hidden:
        report.traitlint_declarations = hidden[0]  # what [trait.words] exempts: said on passing runs too
    unchecked = [f.message for f in result.findings if f.not_checked]
    if unchecked:
        report.traitlint_not_checked = unchecked  # a check that could not run is never read as clean
    if result.findings and result.findings[0].evidence:
        first = result.findings[0].evidence[0]
        path = _relpath(item.folder / first.file, item.config.rootpath) if first.file else report.location[0]
        # pytest locations are 0-based (junitxml writes them as-is); evidence lines are 1-based.
        report.location = (path, first.line - 1 if first.line else None, report.location[2])
    return report


def _finding_json(finding: "Finding") -> dict[str, Any]:
    from traitlint.reporters.json import _clean

    return _clean(finding.to_dict())


class _Reporter:
    """Collects warnings and ignores from reports and prints them after the run.

    A plugin object (not module hooks) because `pytest_runtest_logreport` has no config argument;
    under xdist it runs on the controller, which receives the `traitlint_*` report attributes.
    """

    def __init__(self, state: _State) -> None:
        self.state = state

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "call":
            return
        if getattr(report, "traitlint_warnings", None):
            self.state.warnings.append((report.nodeid, report.traitlint_warnings))
        declared = getattr(report, "traitlint_declarations", "")
        if declared:
            self.state.declarations.append((report.nodeid, declared))
        for message in getattr(report, "traitlint_not_checked", None) or []:
            self.state.not_checked.append((report.nodeid, message))
        reason = getattr(report, "traitlint_reason", "")
        if reason and reason.startswith("ignored"):
            self.state.ignores.append((report.nodeid, reason))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        state = self.state
        if state.warnings:
            from traitlint.finding import Finding
            from traitlint.reporters import printable
            from traitlint.reporters.text import format_finding

            terminalreporter.write_sep("=", "traitlint warnings", yellow=True)
            for nodeid, findings in sorted(state.warnings, key=lambda w: w[0]):
                trait_path = posixpath.dirname(nodeid.split("::")[0]) or "."  # the folder of the anchor file
                terminalreporter.write_line(nodeid)
                for f in findings:
                    for line in format_finding(Finding.from_dict(f), trait_path):
                        terminalreporter.write_line("  " + printable(line))
        if state.declarations:
            terminalreporter.write_sep("=", "traitlint declarations")
            for nodeid, message in sorted(state.declarations):
                terminalreporter.write_line(f"{posixpath.dirname(nodeid.split('::')[0]) or '.'}: {message}")
        if state.not_checked:
            terminalreporter.write_sep("=", "traitlint not checked", yellow=True)
            for nodeid, message in sorted(state.not_checked):
                terminalreporter.write_line(f"{nodeid}: {message}")
        if state.ignores:
            terminalreporter.write_sep("=", "traitlint ignores")
            for nodeid, reason in sorted(state.ignores):
                terminalreporter.write_line(f"{nodeid}: {reason}")
        model = state.session.model if state.session is not None else None
        usage = model.usage_lines() if model is not None else []
        if usage:
            terminalreporter.write_sep("=", "traitlint model calls")
            for line in usage:
                terminalreporter.write_line(line)


# the trait_dataset fixture -----------------------------------------------------------------------
def _fixture_folders(config: pytest.Config) -> list[Path]:
    paths = [Path(p) for p in config.getini("traitlint_paths")]
    if not paths:
        default = config.rootpath / "datasets"
        paths = [default] if default.is_dir() else [config.invocation_params.dir / a.split("::")[0]
                                                     for a in config.args]
        paths = [p if p.is_dir() else p.parent for p in paths if p.is_dir() or is_trait_folder(p.parent)]
    return discover(paths)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "trait_dataset" not in metafunc.fixturenames:
        return
    folders = _fixture_folders(metafunc.config)
    state = metafunc.config.stash[_STATE]
    for folder in folders:
        state.folders.setdefault(folder.resolve(), folder)
    ids = [_relpath(f, metafunc.config.rootpath) for f in folders]
    metafunc.parametrize("trait_dataset", folders, ids=ids, indirect=True)


@pytest.fixture
def traitlint_session(request: pytest.FixtureRequest) -> "Session":
    """The run's traitlint `Session` (configuration, corpus, feature store)."""
    session = _ensure_session(request.config, usage_error=pytest.UsageError)
    _load_corpus(request.config.stash[_STATE])
    return session


@pytest.fixture
def trait_dataset(request: pytest.FixtureRequest, traitlint_session: "Session") -> Any:
    """One trait folder's `TraitDataset` (parametrized over every trait folder found)."""
    folder = getattr(request, "param", None)
    if folder is None:
        pytest.skip("trait_dataset is parametrized by the traitlint plugin; no trait folder given")
    return traitlint_session.context(folder).dataset
