"""The audit-result cache: a warm run recomputes nothing, and any relevant change invalidates."""
from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from traitlint import registry
from traitlint.config import Config
from traitlint.nlp.features import FeatureStore
from traitlint.finding import Severity
from traitlint.runner import Session


class Counting(registry.Audit):
    """Counts compute() calls; flags lines containing 'bad' with evidence."""

    code, name, summary = "TL990", "counting_test_only", "test audit"
    params = {"word": "bad"}
    calls: ClassVar[int] = 0

    def compute(self, ctx, params):
        type(self).calls += 1
        hits = [p.line for p in ctx.dataset.positive if params["word"] in p.text]
        return {"hits": hits}

    def judge(self, metrics, params, ctx):
        return [self.finding(Severity.ERROR, f"{len(metrics['hits'])} hit(s)", metrics, 0,
                             [ctx.dataset.positive[n - 1].evidence() for n in metrics["hits"]])] if metrics["hits"] else []


class CountingCorpus(Counting):
    code, name = "TL991", "counting_corpus_test_only"
    corpus_level = True


def folder(path: Path, pos: list[str]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "positive.txt").write_text("\n".join(pos) + "\n")
    (path / "negative.txt").write_text("\n".join(p + " not" for p in pos) + "\n")
    return path


def session(cache: Path, **params) -> Session:
    cfg = Config(params={"TL990": params} if params else {})
    return Session(cfg, FeatureStore(cache))


def test_warm_run_reuses_results_with_evidence(tmp_path):
    a = folder(tmp_path / "data" / "a", ["good one", "bad two"])
    Counting.calls = 0
    first = session(tmp_path / "c").run_audit(Counting, a)
    second = session(tmp_path / "c").run_audit(Counting, a)
    assert Counting.calls == 1
    assert first.to_dict() == second.to_dict()
    assert second.findings[0].evidence[0].line == 2 and second.findings[0].severity is Severity.ERROR


def test_content_and_params_invalidate(tmp_path):
    a = folder(tmp_path / "data" / "a", ["good one", "bad two"])
    Counting.calls = 0
    session(tmp_path / "c").run_audit(Counting, a)
    (a / "positive.txt").write_text("bad one\nbad two\n")
    r = session(tmp_path / "c").run_audit(Counting, a)
    assert Counting.calls == 2 and r.metrics["hits"] == [1, 2]
    r = session(tmp_path / "c", word="one").run_audit(Counting, a)
    assert Counting.calls == 3 and r.metrics["hits"] == [1]


def test_corpus_level_results_depend_on_other_folders(tmp_path):
    a = folder(tmp_path / "data" / "a", ["x"])
    b = folder(tmp_path / "data" / "b", ["y"])

    def run() -> None:
        s = session(tmp_path / "c")
        s.add_folders([a, b])
        s.run_audit(CountingCorpus, a)
        s.run_audit(Counting, a)

    CountingCorpus.calls = Counting.calls = 0
    run()
    (b / "positive.txt").write_text("z\n")
    run()
    assert CountingCorpus.calls == 2  # recomputed: another folder changed
    assert Counting.calls == 1  # per-folder audit: unaffected


def test_no_cache_dir_means_no_result_cache(tmp_path):
    a = folder(tmp_path / "a", ["bad"])
    Counting.calls = 0
    Session(Config(), FeatureStore(None)).run_audit(Counting, a)
    Session(Config(), FeatureStore(None)).run_audit(Counting, a)
    assert Counting.calls == 2


def test_corrupt_result_entry_is_recomputed(tmp_path):
    a = folder(tmp_path / "data" / "a", ["bad"])
    Counting.calls = 0
    session(tmp_path / "c").run_audit(Counting, a)
    for entry in (tmp_path / "c" / "results").rglob("*.json"):
        entry.write_text("{")
    r = session(tmp_path / "c").run_audit(Counting, a)
    assert Counting.calls == 2 and r.status == "failed"


def test_editing_a_shared_helper_module_invalidates_results(monkeypatch, tmp_path):
    """Audits share helpers (frames, lexicon, stats): a change there must not serve stale results."""
    from traitlint import result_cache

    a = folder(tmp_path / "data" / "a", ["bad"])
    Counting.calls = 0
    session(tmp_path / "c").run_audit(Counting, a)
    result_cache._source_digest.cache_clear()
    monkeypatch.setattr(result_cache, "_package_digest", lambda: "a helper module changed")
    session(tmp_path / "c").run_audit(Counting, a)
    result_cache._source_digest.cache_clear()
    assert Counting.calls == 2
