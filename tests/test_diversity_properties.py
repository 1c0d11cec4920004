"""Hypothesis properties of the diversity audits: templates trigger TL201, an inserted topic triggers
TL301, and no diversity metric depends on the order of the pairs."""
from __future__ import annotations

import random
import sys
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from traitlint.features import FeatureStore
from traitlint.registry import get
from traitlint.runner import Session

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "diversity"))
import gen  # noqa: E402

SETTINGS = settings(max_examples=8, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

TEMPLATES = [
    'According to the memo my neighbour forwarded last night, {}',
    'The station announcer repeated twice over the crackling speakers: "{}',
    '{} - or so the weekly parish newsletter claimed in bold print.',
]
TOPIC_SENTENCES = [
    " The lighthouse keeper logged the harbour ferry and the tugboat beside the pier.",
    " The glacier survey team packed crampons, ice axes and a spare avalanche beacon.",
    " The bakery oven, the sourdough starter and the flour sacks filled the cramped pantry.",
]




def _run(store: FeatureStore, root: Path, pairs, code: str):
    folder = gen.write_folder(root / uuid.uuid4().hex, pairs)
    return Session(store=store).run_audit(get(code), folder)


@SETTINGS
@given(template=st.sampled_from(TEMPLATES), offset=st.integers(0, 50), seed=st.integers(0, 10_000))
def test_wrapping_40_percent_in_a_template_triggers_tl201(store, tmp_path, template, offset, seed):
    pairs = gen.varied_pairs(40, offset)
    chosen = set(random.Random(seed).sample(range(40), 16))
    wrapped = [(template.format(p), template.format(q)) if i in chosen else (p, q) for i, (p, q) in enumerate(pairs)]
    r = _run(store, tmp_path, wrapped, "TL201")
    assert r.status == "warned"
    assert any(f.metric.get("share", 0) >= 0.35 for f in r.findings)
    # and the unwrapped dataset does not
    assert _run(store, tmp_path, pairs, "TL201").status == "passed"


@SETTINGS
@given(sentence=st.sampled_from(TOPIC_SENTENCES), offset=st.integers(0, 50), seed=st.integers(0, 10_000))
def test_one_topic_sentence_in_45_percent_triggers_tl301(store, tmp_path, sentence, offset, seed):
    pairs = gen.varied_pairs(60, offset)
    chosen = set(random.Random(seed).sample(range(60), 27))
    pairs = [(p + sentence, q + sentence) if i in chosen else (p, q) for i, (p, q) in enumerate(pairs)]
    r = _run(store, tmp_path, pairs, "TL301")
    assert r.status == "warned", [f.message for f in r.findings]
    words = set(w.strip(".,").lower() for w in sentence.split())
    assert any(f.metric.get("share", 0) > 0.25 and words & set(f.metric["topic"].split(", ")) for f in r.findings)


def _signature(store: FeatureStore, root: Path, pairs) -> dict:
    out = {}
    r = _run(store, root, pairs, "TL201")
    out["frames"] = sorted((f["frame"], f["positive"], f["negative"]) for f in r.metrics["frames"])
    out["templates"] = sorted((t["text"], t["share"]) for t in r.metrics["templates"])
    out["eff"] = _run(store, root, pairs, "TL202").metrics["effective_frames"]
    out["div"] = _run(store, root, pairs, "TL203").metrics["distribution"]
    r = _run(store, root, pairs, "TL301")
    out["topics"] = sorted((tuple(t["top_words"]), t["share"]) for t in r.metrics["topics"])
    out["tl301"] = sorted((f.severity.value, f.message) for f in r.findings)
    out["tl204"] = _run(store, root, pairs, "TL204").metrics["distribution"]
    return out


@settings(max_examples=5, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), offset=st.integers(0, 50))
def test_metrics_are_invariant_to_pair_order(store, tmp_path, seed, offset):
    pairs = gen.varied_pairs(36, offset)
    extra = TOPIC_SENTENCES[seed % len(TOPIC_SENTENCES)]
    pairs = [(p + extra, q + extra) if i % 3 == 0 else (p, q) for i, (p, q) in enumerate(pairs)]
    shuffled = list(pairs)
    random.Random(seed).shuffle(shuffled)
    assert _signature(store, tmp_path, pairs) == _signature(store, tmp_path, shuffled)
