"""Hypothesis properties of the diversity audits: templates trigger TL201, an inserted topic triggers
TL301, and no diversity metric depends on the order of the pairs or (but TL204) on which side is which."""
from __future__ import annotations

import random
import sys
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from traitlint.nlp.features import FeatureStore
from traitlint.registry import get
from traitlint.runner import Session

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "diversity"))
import gen  # noqa: E402

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True,
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


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), offset=st.integers(0, 50))
def test_metrics_are_invariant_to_pair_order(store, tmp_path, seed, offset):
    pairs = gen.varied_pairs(36, offset)
    extra = TOPIC_SENTENCES[seed % len(TOPIC_SENTENCES)]
    pairs = [(p + extra, q + extra) if i % 3 == 0 else (p, q) for i, (p, q) in enumerate(pairs)]
    shuffled = list(pairs)
    random.Random(seed).shuffle(shuffled)
    assert _signature(store, tmp_path, pairs) == _signature(store, tmp_path, shuffled)


def _annotations(n: int, offset: int) -> list[dict]:
    """Shared setting/divergence labels and per-side voice labels (swapping sides swaps the voice sides).

    No `topic` axis: TL301 must model the topics itself.
    """
    return [{"setting": ["health", "money", "farm"][(i + offset) % 3], "divergence": ["late", "mid", "early"][i % 3],
             "voice": {"positive": ["first", "third"][i % 2], "negative": ["first", "third"][(i // 2) % 2]}}
            for i in range(n)]


PLAN = ('[plan]\nsetting = { health = 0.34, money = 0.33, farm = 0.33 }\n'
        'divergence = { late = 0.34, mid = 0.33, early = 0.33 }\nvoice = ["first", "third"]\n')


def _side_free_signature(store: FeatureStore, root: Path, pairs, labels) -> dict:
    """What the six audits report, written so that it cannot tell the two sides apart.

    TL204 is left out on purpose: it reads how the *trait* (the positive side) manifests, so
    swapping the sides asks it a different question.
    """
    folder = gen.write_folder(root / uuid.uuid4().hex, pairs, PLAN, labels)
    session = Session(store=store)
    r = {code: session.run_audit(get(code), folder) for code in ("TL201", "TL202", "TL203", "TL205", "TL301")}
    findings = {code: sorted((f.severity.value, round(float(f.metric.get("share", 0) or 0), 4)) for f in res.findings)
                for code, res in r.items()}
    m = {code: res.metrics for code, res in r.items()}
    return {
        "findings": findings,
        "frames": sorted((f["frame"], tuple(sorted((f["positive"], f["negative"])))) for f in m["TL201"]["frames"]),
        "templates": sorted((t["text"], t["share"]) for t in m["TL201"]["templates"]),
        "eff": (m["TL202"]["effective_frames"], m["TL202"]["distinct_frames"]),
        "div": (m["TL203"]["distribution"], m["TL203"]["counts"], m["TL203"].get("labels", {}).get("agreement")),
        "plan": sorted((axis, tuple((c["value"], c["share"]) for c in info.get("coverage", [])))
                       for axis, info in m["TL205"]["axes"].items()),
        "label_tests": sorted((t["axis"], t["p"], t["q"]) for t in m["TL205"]["label_tests"]),
        "topics": sorted((tuple(t["top_words"]), t["share"], t["pairs"]) for t in m["TL301"]["topics"]),
        "by_class": sorted((tuple(t["top_words"]), tuple(sorted((t["positive_only"], t["negative_only"]))), t["p"])
                           for t in m["TL301"]["by_class"]),
    }


def _swap(label: dict) -> dict:
    out = dict(label)
    out["voice"] = {"positive": label["voice"]["negative"], "negative": label["voice"]["positive"]}
    return out


@settings(max_examples=12, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), offset=st.integers(0, 50))
def test_audits_are_invariant_to_pair_order_and_to_swapping_sides(store, tmp_path, seed, offset):
    n = 36
    pairs = gen.varied_pairs(n, offset)
    extra = TOPIC_SENTENCES[seed % len(TOPIC_SENTENCES)]
    one_sided = " The trophy, the medal and the ribbon gleamed on the podium."
    pairs = [(p + extra, q + extra) if i % 3 == 0 else (p + one_sided, q) if i % 5 == 0 else (p, q)
             for i, (p, q) in enumerate(pairs)]
    labels = _annotations(n, offset)
    base = _side_free_signature(store, tmp_path, pairs, labels)
    order = list(range(n))
    random.Random(seed).shuffle(order)
    shuffled = _side_free_signature(store, tmp_path, [pairs[i] for i in order], [labels[i] for i in order])
    swapped = _side_free_signature(store, tmp_path, [(q, p) for p, q in pairs], [_swap(lab) for lab in labels])
    assert shuffled == base
    assert swapped == base
