"""Lint trait folders in worker processes (`traitlint check -j N`), with results equal to a serial run.

Why processes: a cold lint is one core parsing with spaCy and running statistics, folder after
folder; folders are independent except for corpus-level audits (TL003 cross-folder duplicates).
So the work splits by folder:

- the parent (the `Session` that loaded every folder) answers what needs no computing (result
  cache hits, ignores, missing requirements) and runs the corpus-level audits, which see the
  whole corpus only there;
- each worker takes whole folders (the audits of one folder share parsed features and views
  through the corpus memo) and runs their other audits with `Session.run_audit`, loading spaCy
  once per worker, on first use;
- the parent puts every result back in folder order and audit order, so the report is the
  serial report.

Workers are forked where that is safe (Linux): they inherit the loaded session, its corpus and
every registered audit. Elsewhere they are spawned and receive each folder's dataset; an audit a
spawned worker cannot import (one registered at run time, by a conftest) runs in the parent. A
worker that dies or sends back something unreadable costs speed, not results: its folders are
linted in the parent.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from traitlint.context import AuditContext
from traitlint.dataset import SkipDir, TraitDataset
from traitlint.nlp.features import FeatureStore
from traitlint.registry import Audit, get
from traitlint.runner import AuditResult, Session, TraitResult, _missing_requirement

#: The session a forked worker inherits (set in the parent just before the workers start).
_SESSION: Session | None = None


@dataclass(frozen=True)
class _Task:
    """One folder for a worker: its place in the run, the audits to compute there, and (spawned
    workers only) its dataset."""

    index: int
    folder: Path
    codes: tuple[str, ...]
    dataset: TraitDataset | None = None


def default_jobs() -> int:
    """The cores this process may use (the affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def start_method() -> str:
    """`fork` on Linux (workers inherit the loaded corpus and audits), `spawn` elsewhere (macOS
    system libraries are not fork-safe; Windows has no fork)."""
    return "fork" if sys.platform.startswith("linux") else "spawn"


def lint(session: Session, paths: Iterable[Path | str], jobs: int = 1,
         on_folder: Callable[[str, int, int], None] | None = None, context: Iterable[Path | str] = (),
         skip: SkipDir | None = None) -> list[TraitResult]:
    """`Session.run` on `jobs` processes: the same results in the same order.

    Serial (exactly `Session.run`) when `jobs` is 1, with fewer than two folders, or with model
    checks on (one model load serves the run; a model per worker would not fit in memory).
    """
    folders = session.prepare(paths, context, skip)
    if jobs <= 1 or session.model is not None or len(folders) < 2:
        return session.run_folders(folders, on_folder)
    return run_parallel(session, folders, session.config.enabled_audits(), jobs, on_folder)


def run_parallel(session: Session, folders: list[Path], audits: list[type[Audit]], jobs: int,
                 on_folder: Callable[[str, int, int], None] | None = None,
                 method: str | None = None) -> list[TraitResult]:
    """`Session.run_folders` over `folders` (already prepared in `session`) on `jobs` processes."""
    grid: list[list[AuditResult | None]] = [[None] * len(audits) for _ in folders]
    tasks: list[_Task] = []
    for i, folder in enumerate(folders):
        codes = tuple(a.code for a in audits if not a.corpus_level and _needs_compute(session, a, folder))
        if codes:
            tasks.append(_Task(i, folder, codes))
    names = [session.context(f).dataset.name for f in folders]
    if not tasks:  # everything is cached: no process is worth starting
        return _finish(session, folders, audits, grid, names, on_folder)
    method = method or start_method()
    if method != "fork":
        tasks = [_Task(t.index, t.folder, t.codes, session.context(t.folder).dataset) for t in tasks]
    progress = _Progress(names, on_folder, len(folders) - len(tasks))
    failed = _dispatch(session, tasks, audits, grid, min(jobs, len(tasks)), method, progress)
    for task in failed:  # a worker died or its results could not be read: lint the folder here
        for j, audit in enumerate(audits):
            if audit.code in task.codes:
                grid[task.index][j] = session.run_audit(audit, task.folder)
    return _finish(session, folders, audits, grid, names, None)


def _finish(session: Session, folders: list[Path], audits: list[type[Audit]],
            grid: list[list[AuditResult | None]], names: list[str],
            on_folder: Callable[[str, int, int], None] | None) -> list[TraitResult]:
    """Fill in what the parent answers (cache hits, ignores, corpus-level audits) and assemble."""
    out = []
    for i, folder in enumerate(folders):
        if on_folder is not None:
            on_folder(names[i], i, len(folders))
        row = [grid[i][j] or session.run_audit(audit, folder) for j, audit in enumerate(audits)]
        out.append(TraitResult(names[i], row))
    return out


class _Progress:
    """Reports (a folder being linted, folders done, total) to the front end's callback."""

    def __init__(self, names: list[str], callback: Callable[[str, int, int], None] | None, done: int) -> None:
        self.names, self.callback, self.done = names, callback, done
        self.running: list[int] = []

    def started(self, index: int) -> None:
        self.running.append(index)
        self.show()

    def finished(self, index: int) -> None:
        self.running.remove(index)
        self.done += 1
        self.show()

    def show(self) -> None:
        if self.callback is not None and self.running:
            self.callback(self.names[self.running[0]], self.done, len(self.names))


def _dispatch(session: Session, tasks: list[_Task], audits: list[type[Audit]],
              grid: list[list[AuditResult | None]], jobs: int, method: str, progress: _Progress) -> list[_Task]:
    """Run `tasks` on a pool of `jobs` workers, at most `jobs` in flight (so the progress shows
    the folders actually being linted); returns the tasks whose results did not come back."""
    global _SESSION
    column = {a.code: j for j, a in enumerate(audits)}
    context = multiprocessing.get_context(method)
    if method == "fork":
        _SESSION = session
        init: tuple[Any, ...] = ()
    else:
        store = session.store
        init = (session.config, store.cache_dir, store.pipeline_name, store.use_cache, session.limits)
    pending = list(reversed(tasks))
    in_flight: dict[Future[list[AuditResult | None]], _Task] = {}
    failed: list[_Task] = []
    executor = ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker, initargs=init)
    try:
        while pending or in_flight:
            while pending and len(in_flight) < jobs:
                task = pending.pop()
                try:
                    in_flight[executor.submit(_run_task, task)] = task
                except BrokenProcessPool:
                    failed.append(task)
                    continue
                progress.started(task.index)
            if not in_flight:
                continue
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in done:
                task = in_flight.pop(future)
                try:
                    results = future.result()
                except Exception:  # noqa: BLE001 - a dead worker or unpicklable results: redo here
                    failed.append(task)
                else:
                    for code, result in zip(task.codes, results):
                        if result is not None:
                            grid[task.index][column[code]] = result
                progress.finished(task.index)
    except BaseException:  # Ctrl-C: stop the workers now rather than after their current folder
        _stop(executor)
        raise
    finally:
        _SESSION = None
        executor.shutdown(wait=True, cancel_futures=True)
    return failed


def _stop(executor: ProcessPoolExecutor) -> None:
    for process in list(getattr(executor, "_processes", {}).values()):
        try:
            process.terminate()
        except (OSError, AttributeError):
            pass
    executor.shutdown(wait=False, cancel_futures=True)


def _init_worker(*spec: Any) -> None:
    """Worker start: Ctrl-C is the parent's to handle; a spawned worker builds its own session."""
    global _SESSION
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if spec:
        config, cache_dir, pipeline, use_cache, limits = spec
        _SESSION = Session(config, FeatureStore(cache_dir, pipeline=pipeline, use_cache=use_cache), limits)


def _run_task(task: _Task) -> list[AuditResult | None]:
    """In a worker: the task's audits on its folder (None for an audit this process does not know)."""
    session = _SESSION
    assert session is not None, "worker started without a session"
    if task.dataset is not None:  # spawned: a corpus of this folder alone (corpus-level audits stay in the parent)
        key = task.folder.resolve()
        session.corpus.datasets.append(task.dataset)
        session._contexts[key] = AuditContext(task.dataset, session.corpus, session.store, model=None)
    out: list[AuditResult | None] = []
    for code in task.codes:
        audit = get(code)
        out.append(session.run_audit(audit, task.folder) if audit is not None and audit.code == code else None)
    return out


def _needs_compute(session: Session, audit: type[Audit], folder: Path) -> bool:
    """Whether answering `audit` on `folder` means computing it (worth a worker).

    Only a shortcut: a wrong answer moves work between processes, never changes a result, because
    whichever process runs it calls `Session.run_audit`. So it checks just what is cheap to know:
    per-trait ignores, a trait.toml ignore with its reason, unmet requirements, a cached result.
    """
    try:
        ctx = session.context(folder)
        ds = ctx.dataset
        if session.config.trait_ignore(audit, ds.name):
            return False
        reason = ds.trait_ignores.get(audit.code, ds.trait_ignores.get(audit.name))
        if isinstance(reason, str) and reason.strip():
            return False
        if _missing_requirement(audit, ds):
            return False
        key = session._result_key(audit, session.config.params_for(audit), ds)
        return key is None or not session.results.has(key)
    except Exception:  # noqa: BLE001 - let run_audit report whatever this is
        return True
