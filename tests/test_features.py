"""Feature extraction and its on-disk cache (JSON, atomic, keyed by content + versions)."""
from __future__ import annotations

import json

import pytest

from traitlint.atomic import atomic_write_text
from traitlint.nlp.features import FeatureStore, TextFeatures
from traitlint.registry import SkipAudit

POS = ['I was hopeful because she said "we will manage".', "They felt encouraged because"]
NEG = ['I was worried because she said "we will manage".', "They felt discouraged because"]


@pytest.fixture(scope="module")
def nlp():
    store = FeatureStore(None)
    try:
        return store.nlp()
    except SkipAudit as exc:
        pytest.skip(str(exc))


def test_features_align_with_texts_and_mark_person_and_quotes(nlp, tmp_path):
    store = FeatureStore(tmp_path, nlp=nlp)
    feats = store.folder_features(POS, NEG, "h1")
    assert len(feats.positive) == 2 and len(feats.negative) == 2
    first = feats.positive[0]
    assert first.words[0] == "I" and first.person[0] == "1"
    assert first.lemmas[1] == "be"
    quoted = [w for w, q in zip(first.words, first.in_quote) if q]
    assert quoted == ["we", "will", "manage"]  # the period is outside the quote
    assert first.person[first.words.index("we")] == "1"
    assert feats.positive[1].words[-1] == "because"


def test_cache_roundtrip_and_warm_run_needs_no_model(nlp, tmp_path):
    FeatureStore(tmp_path, nlp=nlp).folder_features(POS, NEG, "h2")
    files = list((tmp_path / "features").glob("*.json"))
    assert len(files) == 1 and not list((tmp_path / "features").glob("*.tmp"))
    json.loads(files[0].read_text())  # JSON, never pickle

    warm = FeatureStore(tmp_path)
    feats = warm.folder_features(POS, NEG, "h2")
    assert warm._nlp is None, "a warm run must not load spaCy"
    assert feats.negative[0].words[2] == "worried"


def test_corrupt_cache_is_recomputed(nlp, tmp_path):
    store = FeatureStore(tmp_path, nlp=nlp)
    store.folder_features(POS, NEG, "h3")
    path = next((tmp_path / "features").glob("*.json"))
    path.write_text("{not json", encoding="utf-8")
    again = FeatureStore(tmp_path, nlp=nlp).folder_features(POS, NEG, "h3")
    assert again.positive[0].words[0] == "I"
    json.loads(path.read_text())  # rewritten


def test_text_features_json_roundtrip(nlp):
    feats = FeatureStore(None, nlp=nlp).parse(POS)[0]
    assert TextFeatures.from_json(json.loads(json.dumps(feats.to_json()))) == feats


def test_missing_pipeline_skips_with_install_hint():
    store = FeatureStore(None, pipeline="en_no_such_pipeline_xyz")
    with pytest.raises(SkipAudit, match="pip install"):
        store.folder_features(POS, NEG, "h4")


def test_atomic_write_replaces_whole_file(tmp_path):
    target = tmp_path / "a" / "b.json"
    atomic_write_text(target, "one")
    atomic_write_text(target, "two")
    assert target.read_text() == "two" and [p.name for p in target.parent.iterdir()] == ["b.json"]
