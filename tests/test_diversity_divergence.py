"""TL203's late / mid / early definitions as documented, `warn_kinds`, and TL205 reading TL203's configuration."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from traitlint.nlp import frames
from traitlint.config import Config
from traitlint.nlp.features import FeatureStore
from traitlint.finding import Severity
from traitlint.registry import get
from traitlint.runner import Session

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "diversity"))
import gen  # noqa: E402


def _late_pairs() -> list[tuple[str, str]]:
    return [(f"The {t[0]} committee met on {d} and everyone left feeling hopeful",
             f"The {t[0]} committee met on {d} and everyone left feeling worried")
            for t in gen.TOPICS for d in ("Monday", "Friday")]


def _mid_pairs() -> list[tuple[str, str]]:
    return [(f"Hopeful, {n} signed the {t[0]} form and mailed it that afternoon to the office",
             f"Worried, {n} signed the {t[0]} form and mailed it that afternoon to the office")
            for n, t in zip(gen.NAMES, gen.TOPICS)]


def _run(store: FeatureStore, folder: Path, code: str, **params: dict):
    return Session(Config(params=params), store=store).run_audit(get(code), folder)


@pytest.mark.parametrize("pos,neg,kind", [
    # a one-word swap at the very start, then identical text: mid (the seed's own example), not early
    ("She concealed the answer, having known it all along", "She disclosed the answer, having known it all along", "mid"),
    ("Concealing it, she", "Disclosing it, she", "mid"),
    # early needs the texts to stay apart: shared start + end below half of the longer text
    ("She lied about the money to everyone", "She admitted that the money was gone", "early"),
    # the first difference at exactly 60% of the shorter text is late; just before it is mid
    ("a b c d e f g h i j", "a b c d e f x y z w", "late"),
    ("a b c d e f g h i j", "a b c d e x y z w v", "mid"),
])
def test_divergence_follows_the_documented_thresholds(pos, neg, kind):
    assert frames.divergence(frames.words_of(pos), frames.words_of(neg)).kind == kind


def test_explain_text_states_exact_definitions():
    doc = get("TL203").doc()
    for needle in ("late_from", "(0.6)", "early_before", "(0.25)", "reconverge", "(0.5)", "word swap near the start",
                   "warn_kinds", "`mid`"):
        assert needle in doc, needle


def test_findings_state_definitions_with_configured_thresholds(store, tmp_path):
    labels = [{"divergence": "early"}] * len(_mid_pairs())
    folder = gen.write_folder(tmp_path / "mid", _mid_pairs(), None, labels)
    r = _run(store, folder, "TL203", TL203={"late_from": 0.8})
    assert r.metrics["labels"]["agreement"] == 0.0
    label_finding = next(f for f in r.findings if "annotated divergence" in f.message)
    assert "position >= 0.8" in label_finding.hint and "word swap near the start" in label_finding.hint
    mid = next(f for f in r.findings if f.metric.get("kind") == "mid")
    assert mid.severity is Severity.INFO and "warn_kinds" in mid.message
    assert "position >= 0.8" in mid.hint


@pytest.mark.parametrize("warn", [["late", "mid", "early"], ["mid"], "mid", ["MID"]])
def test_warn_kinds_makes_mid_dominance_a_warning(store, tmp_path, warn):
    folder = gen.write_folder(tmp_path / "mid", _mid_pairs())
    r = _run(store, folder, "TL203", divergence_spectrum={"warn_kinds": warn})
    assert r.status == "warned"
    assert [f.metric["kind"] for f in r.findings if f.severity is Severity.WARNING] == ["mid"]


def test_warn_kinds_without_late_silences_late(store, tmp_path):
    folder = gen.write_folder(tmp_path / "late", _late_pairs())
    assert _run(store, folder, "TL203").status == "warned"
    r = _run(store, folder, "TL203", TL203={"warn_kinds": ["early"]})
    assert r.status == "passed" and [f.severity for f in r.findings] == [Severity.INFO]


def test_unknown_warn_kind_is_reported_not_ignored(store, tmp_path):
    folder = gen.write_folder(tmp_path / "mid", _mid_pairs())
    r = _run(store, folder, "TL203", TL203={"warn_kinds": ["lat"]})
    assert r.status == "warned"
    assert any("'lat'" in f.message and "late, mid, early" in f.message for f in r.findings)


def test_tl205_classifies_divergence_with_tl203_configuration(store, tmp_path):
    folder = gen.write_folder(tmp_path / "plan", _late_pairs(), "[plan]\ndivergence = { late = 1.0 }\n")
    default = _run(store, folder, "TL205")
    assert default.status == "passed", [f.message for f in default.findings]
    assert default.metrics["axes"]["divergence"]["source"] == "computed"
    # the same pairs are mid once TL203 requires 95% of the text to be shared for "late"
    strict = _run(store, folder, "TL205", TL203={"late_from": 0.95})
    assert strict.status == "warned"
    assert any("divergence=late" in f.message and "no pair" in f.message for f in strict.findings)
    assert any("mid" in f.message for f in strict.findings)


def test_tl205_cached_result_follows_tl203_configuration(store, tmp_path):
    """The result cache keys on TL203's parameters too: changing them must not return a stale TL205 result."""
    folder = gen.write_folder(tmp_path / "plan", _late_pairs(), "[plan]\ndivergence = { late = 1.0 }\n")
    cache = tmp_path / "cache"

    def run(**params: dict):
        cached_store = FeatureStore(cache, nlp=store.nlp(), pipeline=store.pipeline_name)
        return Session(Config(params=params, cache_dir=cache), store=cached_store).run_audit(get("TL205"), folder)

    assert run().status == "passed"
    assert run(TL203={"late_from": 0.95}).status == "warned"
    assert run().status == "passed"


def test_tl205_direct_compute_without_tl203_params_uses_tl203_defaults(store, tmp_path):
    folder = gen.write_folder(tmp_path / "plan", _late_pairs(), "[plan]\ndivergence = { late = 1.0 }\n")
    session = Session(store=store)
    ctx = session.context(folder)
    audit = get("TL205")()
    metrics = audit.compute(ctx, dict(audit.params))
    assert metrics["axes"]["divergence"]["coverage"][0]["share"] == 1.0


# -- TL205: malformed plans and annotations point at the line to edit --------------------------
CARD = ('[trait]\ntype = "state"\nis = "a topic and a voice that do not matter"\n\n'
        '[plan]\ntopic = "health"\nvoice = { first = "lots", third = 2 }\nvalence = { good = 0.2, bad = 0.2 }\n\n'
        '[plan.register]\nnarrative = 0.5\ndialogue = 0.5\n')


def test_tl205_malformed_plan_names_trait_toml_and_axis_line(store, tmp_path):
    folder = gen.write_folder(tmp_path / "bad_plan", gen.varied_pairs(20), CARD)
    r = _run(store, folder, "TL205")
    plan = [f for f in r.findings if f.message.startswith("trait.toml: [plan]")]
    assert {(f.metric["axis"], f.evidence[0].file, f.evidence[0].line) for f in plan} == {
        ("topic", "trait.toml", 6), ("voice", "trait.toml", 7), ("valence", "trait.toml", 8)}
    assert all(f.severity is Severity.WARNING for f in plan)
    assert any("got a string ('health')" in f.message for f in plan)
    assert plan[0].evidence[0].text == 'topic = "health"'
    # not the `is = "... topic ..."` line of [trait]; a sub-table axis points at its header
    unchecked = next(f for f in r.findings if "not checked" in f.message)
    assert unchecked.evidence[0].line == 10  # [plan.register], the first unchecked axis


def test_plan_line_finds_values_in_inline_and_sub_tables(store, tmp_path):
    from traitlint.audits.diversity.common import plan_line
    from traitlint.dataset import load

    ds = load(gen.write_folder(tmp_path / "lines", gen.varied_pairs(20), CARD))
    assert plan_line(ds) == 5
    assert plan_line(ds, "valence", "bad") == 8
    assert plan_line(ds, "register") == 10 and plan_line(ds, "register", "dialogue") == 12
    assert plan_line(ds, "missing_axis") == 5


@pytest.mark.parametrize("value,problem", [(["health"], "a list"), ({"pos": "health"}, "an object with keys 'pos'"),
                                           ({"positive": ["a"], "negative": "b"}, "a list as its positive label")])
def test_tl205_wrongly_typed_annotation_is_reported_with_line(store, tmp_path, value, problem):
    labels = [{"topic": value if i in (2, 5) else ["health", "money"][i % 2]} for i in range(20)]
    folder = gen.write_folder(tmp_path / "bad_ann", gen.varied_pairs(20), "[plan]\ntopic = { health = 0.5, money = 0.5 }\n",
                              labels)
    r = _run(store, folder, "TL205")
    found = [f for f in r.findings if f.message.startswith("annotations.jsonl: topic")]
    assert len(found) == 1 and problem in found[0].message and found[0].severity is Severity.WARNING
    assert [(e.file, e.line) for e in found[0].evidence] == [("annotations.jsonl", 3), ("annotations.jsonl", 6)]


def test_tl205_accepts_scalar_and_per_side_labels(store, tmp_path):
    labels = [{"topic": ["health", "money"][i % 2], "voice": {"positive": "first", "negative": "first"}, "n": i,
               "flag": i % 2 == 0, "note": None} for i in range(20)]
    folder = gen.write_folder(tmp_path / "ok_ann", gen.varied_pairs(20), "[plan]\ntopic = { health = 0.5, money = 0.5 }\n",
                              labels)
    r = _run(store, folder, "TL205")
    assert not r.metrics["annotation_problems"]
    assert r.status == "passed", [f.message for f in r.findings]
