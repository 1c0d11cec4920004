"""Diversity audits TL201-TL205 and TL301: fixtures that pass, fixtures that fail, and their helpers."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from traitlint.nlp import frames, manifestation
from traitlint.nlp.features import FeatureStore, TextFeatures
from traitlint.finding import Severity
from traitlint.registry import get
from traitlint.runner import Session

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "diversity"))
import gen  # noqa: E402

CODES = ("TL201", "TL202", "TL203", "TL204", "TL205", "TL301")




def run(store: FeatureStore, folder: Path, code: str):
    return Session(store=store).run_audit(get(code), folder)


def severities(result) -> list[str]:
    return [f.severity.value for f in result.findings]


# -- a carefully varied folder passes every diversity audit ------------------------------------
def test_varied_folder_passes_all(store, tmp_path):
    folder = gen.write_folder(tmp_path / "varied", gen.varied_pairs(42))
    results = {code: run(store, folder, code) for code in CODES}
    status = {code: r.status for code, r in results.items()}
    assert status == {"TL201": "passed", "TL202": "passed", "TL203": "passed", "TL204": "passed",
                      "TL205": "skipped", "TL301": "passed"}, {c: [f.message for f in r.findings]
                                                                for c, r in results.items()}
    assert "no [plan]" in results["TL205"].reason  # skipped for a stated reason, not silently
    for r in results.values():
        assert "warning" not in severities(r) and "error" not in severities(r)
    assert results["TL202"].metrics["effective_frames"] >= 4
    # TL301 judges shares on domains (issue 13): the generator's eight topics stay apart, none over 25%.
    assert not [f for f in results["TL301"].findings if "limit 25%" in f.message]
    assert max(d["share"] for d in results["TL301"].metrics["domains"]) <= 0.25


def test_results_are_json_serialisable(store, tmp_path):
    folder = gen.write_folder(tmp_path / "v", gen.varied_pairs(30))
    for code in CODES:
        r = run(store, folder, code)
        data = r.to_dict()
        text = json.dumps(data, allow_nan=False)  # raises on NaN or inf anywhere in the metrics
        assert json.loads(text) == data, code  # and nothing is lost or coerced on the way
        assert r.status == "skipped" or data["metrics"], code  # an audit that ran reports its numbers


# -- TL201 / TL202 ----------------------------------------------------------------------------
def _one_frame_pairs(n: int) -> list[tuple[str, str]]:
    out = []
    for i in range(n):
        t = gen.TOPICS[i % len(gen.TOPICS)]
        name = gen.NAMES[i % len(gen.NAMES)]
        out.append((f'My friend {name} asked about the {t[0]}. I said, "I am hopeful about the {t[1]}',
                    f'My friend {name} asked about the {t[0]}. I said, "I am worried about the {t[1]}'))
    return out


def test_tl201_flags_one_frame_with_examples(store, tmp_path):
    folder = gen.write_folder(tmp_path / "tpl", _one_frame_pairs(30))
    r = run(store, folder, "TL201")
    assert r.status == "warned"
    frame_findings = [f for f in r.findings if "frame" in f.metric]
    assert frame_findings and frame_findings[0].metric["share"] > 0.9
    assert 1 <= len(frame_findings[0].evidence) <= 3
    assert frame_findings[0].evidence[0].file == "positive.txt"
    assert any("template" in f.metric for f in r.findings)  # "asked about the ... I said" words recur too


def test_tl202_fails_below_three_frames(store, tmp_path):
    folder = gen.write_folder(tmp_path / "uni", _one_frame_pairs(30))
    r = run(store, folder, "TL202")
    assert r.status == "failed"
    assert r.metrics["effective_frames"] < 3
    assert r.findings[0].evidence


def test_frame_abstracts_topic_but_not_structure(store):
    a, b, c = store.parse([
        "He asked me to write a poem about rivers.",
        "She asked him to draft a letter about taxes.",
        "Because the rivers flooded, nobody wrote anything.",
    ])
    assert frames.frame_of(a) == frames.frame_of(b)
    assert frames.frame_of(a) != frames.frame_of(c)
    assert "ask" in frames.frame_of(a)


def test_shared_templates_grow_to_maximal_phrase(store):
    texts = store.parse([f"According to the memo my neighbour forwarded, the {w} was late." for w in
                         ("bus", "train", "ferry", "plane", "parcel")] + ["Something else entirely happened."] * 5)
    found = frames.shared_templates(texts, "positive", 0.2)
    assert found and found[0].text.startswith("according to the memo my neighbour forwarded")
    assert len(found[0].lines) == 5


def test_frames_skip_non_english(store, tmp_path):
    pairs = [(f"Je suis très content de la {w} parce que", f"Je suis très inquiet de la {w} parce que")
             for w in ("maison", "voiture", "ville", "forêt", "plage", "rivière")] * 3
    folder = gen.write_folder(tmp_path / "fr", pairs)
    assert run(store, folder, "TL201").status == "skipped"
    assert "English" in run(store, folder, "TL202").reason


# -- TL203 ------------------------------------------------------------------------------------
@pytest.mark.parametrize("pos,neg,kind", [
    ("She knew the answer and lied", "She knew the answer and admitted", "late"),
    ("She concealed the answer, having known it", "She disclosed the answer, having known it", "mid"),
    ("She lied about the money", "She admitted that the money was gone", "early"),
    ("Same text here", "Same text here", "same"),
])
def test_divergence_classifies_seed_examples(pos, neg, kind):
    assert frames.divergence(frames.words_of(pos), frames.words_of(neg)).kind == kind


def test_tl203_warns_all_late_and_reports_distribution(store, tmp_path):
    pairs = [(f"The {t[0]} committee met on {d} and everyone left feeling hopeful",
              f"The {t[0]} committee met on {d} and everyone left feeling worried")
             for t in gen.TOPICS for d in ("Monday", "Friday")]
    folder = gen.write_folder(tmp_path / "late", pairs)
    r = run(store, folder, "TL203")
    assert r.status == "warned"
    assert r.metrics["distribution"]["late"] == 1.0
    assert r.findings[0].metric["kind"] == "late"


def test_tl203_plan_allows_planned_share_and_labels_are_compared(store, tmp_path):
    pairs = [(f"The {t[0]} committee met on {d} and everyone left feeling hopeful",
              f"The {t[0]} committee met on {d} and everyone left feeling worried")
             for t in gen.TOPICS for d in ("Monday", "Friday")]
    toml = '[plan]\ndivergence = { late = 1.0 }\n'
    labels = [{"divergence": "early"}] * len(pairs)
    folder = gen.write_folder(tmp_path / "late_planned", pairs, toml, labels)
    r = run(store, folder, "TL203")
    assert "warning" not in severities(r)
    assert r.metrics["labels"]["agreement"] == 0.0
    assert severities(r) == ["info"]


def test_tl203_mid_dominance_is_info_unless_configured(store, tmp_path):
    pairs = [(f"Hopeful, {n} signed the {t[0]} form and mailed it that afternoon to the office",
              f"Worried, {n} signed the {t[0]} form and mailed it that afternoon to the office")
             for n, t in zip(gen.NAMES, gen.TOPICS)]
    folder = gen.write_folder(tmp_path / "mid", pairs)
    r = run(store, folder, "TL203")
    assert r.metrics["distribution"]["mid"] == 1.0
    assert severities(r) == ["info"]


# -- TL204 ------------------------------------------------------------------------------------
def _quoted_pairs(n: int) -> list[tuple[str, str]]:
    return [(f'{nm} looked at the {t[0]} request and said, "No, I will not help with that, because',
             f'{nm} looked at the {t[0]} request and said, "Sure, I will gladly help with that, because')
            for nm, t in zip(gen.NAMES * 3, gen.TOPICS * 4)][:n]


def test_manifestation_inference_rules(store):
    texts = store.parse([
        'She looked up and said, "I would never do that to',  # quoted
        "She looked up and said, \"I would gladly do that for",
        "He told them that the shipment had already left",  # reported
        "He told them that the shipment had never existed",
        "I felt deeply hopeful about the",  # internal
        "I felt deeply worried about the",
        "Subject: Quarterly update\nDear all, the numbers look",  # document
        "Subject: Quarterly update\nDear all, the figures seem",
        "He grabbed the keys and drove to the",  # action
        "He dropped the keys and walked to the",
    ])
    got = [manifestation.infer(texts[i], texts[i + 1], t)
           for i, t in zip(range(0, 10, 2), ["", "", "", "Subject: Quarterly update\nDear all, the numbers look", ""])]
    assert got == ["quoted_speech", "reported_speech", "internal_state", "document", "action"]


def test_tl204_fails_behavioural_trait_with_one_form(store, tmp_path):
    folder = gen.write_folder(tmp_path / "act", _quoted_pairs(20), '[trait]\ntype = "action"\n')
    r = run(store, folder, "TL204")
    assert r.status == "failed"
    assert r.metrics["source"] == "inferred" and r.metrics["distribution"]["quoted_speech"] > 0.5


def test_tl204_without_card_reports_info_only(store, tmp_path):
    folder = gen.write_folder(tmp_path / "nocard", _quoted_pairs(20))
    r = run(store, folder, "TL204")
    assert r.status == "passed" and severities(r) == ["info"]


def test_tl204_uses_annotations_and_warns_missing_planned_type(store, tmp_path):
    toml = ('[trait]\ntype = "action"\n[plan]\nmanifestation = { explicit_decline = 0.34, deflection = 0.33, '
            'boundary_setting = 0.33 }\n')
    labels = [{"manifestation": "explicit_decline" if i % 2 else "deflection"} for i in range(20)]
    folder = gen.write_folder(tmp_path / "ann", _quoted_pairs(20), toml, labels)
    r = run(store, folder, "TL204")
    assert r.metrics["source"] == "annotations"
    assert r.status == "warned"
    assert any("boundary_setting" in f.message and "missing" in f.message for f in r.findings)
    balanced = [{"manifestation": v} for v in ["explicit_decline", "deflection", "boundary_setting"] * 7][:20]
    folder2 = gen.write_folder(tmp_path / "ann2", _quoted_pairs(20), toml, balanced)
    assert run(store, folder2, "TL204").status == "passed"


# -- TL205 ------------------------------------------------------------------------------------
PLAN = '[plan]\ntopic = { health = 0.5, money = 0.5 }\nvoice = { first = 0.5, third = 0.5 }\n'


def test_tl205_passes_when_annotations_follow_plan(store, tmp_path):
    labels = [{"topic": ["health", "money"][i % 2], "voice": ["first", "third"][(i // 2) % 2]} for i in range(40)]
    folder = gen.write_folder(tmp_path / "ok", gen.varied_pairs(40), PLAN, labels)
    r = run(store, folder, "TL205")
    assert r.status == "passed", [f.message for f in r.findings]


def test_tl205_flags_missing_and_overused_values(store, tmp_path):
    labels = [{"topic": "health", "voice": ["first", "third"][i % 2]} for i in range(40)]
    folder = gen.write_folder(tmp_path / "bad", gen.varied_pairs(40), PLAN, labels)
    r = run(store, folder, "TL205")
    msgs = [f.message for f in r.findings]
    assert r.status == "warned"
    assert any("topic=money" in m and "no pair" in m for m in msgs)
    assert any("topic=health" in m and "100%" in m for m in msgs)


def test_tl205_axis_predicting_label_fails_only_with_per_side_labels(store, tmp_path):
    side = [{"topic": ["health", "money"][i % 2], "voice": {"positive": "first", "negative": "third"}}
            for i in range(40)]
    r = run(store, gen.write_folder(tmp_path / "leak", gen.varied_pairs(40), PLAN, side), "TL205")
    assert r.status == "failed"
    assert any("voice predicts the label" in f.message for f in r.findings)
    shared = [{"topic": ["health", "money"][i % 2], "voice": "first"} for i in range(40)]
    r2 = run(store, gen.write_folder(tmp_path / "noleak", gen.varied_pairs(40), PLAN, shared), "TL205")
    assert not any("predicts" in f.message for f in r2.findings)


def test_tl205_plan_without_annotations_is_info_and_divergence_is_computed(store, tmp_path):
    toml = '[plan]\ntopic = { health = 1.0 }\ndivergence = { late = 0.43, mid = 0.29, early = 0.28 }\n'
    r = run(store, gen.write_folder(tmp_path / "noann", gen.varied_pairs(42), toml), "TL205")
    assert r.metrics["axes"]["divergence"]["source"] == "computed"
    assert r.status == "passed" and severities(r) == ["info"]


def test_tl205_malformed_plan_is_a_warning_not_a_crash(store, tmp_path):
    toml = '[plan]\ntopic = "health"\nvoice = { first = "lots", third = 2 }\n'
    r = run(store, gen.write_folder(tmp_path / "malformed", gen.varied_pairs(20), toml), "TL205")
    assert r.status == "warned"
    assert len(r.findings) >= 3


def test_tl205_skips_without_plan_or_annotations(store, tmp_path):
    r = run(store, gen.write_folder(tmp_path / "none", gen.varied_pairs(20)), "TL205")
    assert r.status == "skipped"


# -- TL301 ------------------------------------------------------------------------------------
def test_tl301_annotated_topic_over_share(store, tmp_path):
    labels = [{"topic": "health" if i < 20 else f"t{i % 5}"} for i in range(40)]
    r = run(store, gen.write_folder(tmp_path / "ann", gen.varied_pairs(40), None, labels), "TL301")
    assert r.status == "warned"
    assert r.findings[0].metric["share"] == 0.5
    assert r.metrics["label_p"] == 1.0  # pair-level labels cannot predict the label


def test_tl301_unsupervised_finds_inserted_topic(store, tmp_path):
    pairs = gen.varied_pairs(60)
    extra = " The lighthouse keeper logged the harbour ferry and the tugboat beside the pier."
    pairs = [(p + extra, q + extra) if i % 20 < 9 else (p, q) for i, (p, q) in enumerate(pairs)]
    r = run(store, gen.write_folder(tmp_path / "topic", pairs), "TL301")
    assert r.status == "warned", [f.message for f in r.findings]
    top = r.findings[0]
    assert top.metric["share"] >= 0.4
    assert {"lighthouse", "harbour", "ferry", "tugboat", "pier", "keeper"} & set(top.metric["topic"].split(", "))


def test_tl301_one_sided_nouns_are_reported(store, tmp_path):
    extra = " The trophy, the medal and the ribbon gleamed on the podium."
    pairs = [(p + extra, q) for p, q in gen.varied_pairs(40)]
    r = run(store, gen.write_folder(tmp_path / "oneside", pairs), "TL301")
    skewed = [t for t in r.metrics["by_class"] if t["positive_only"] >= 8 and t["q"] < 0.01]
    assert skewed
    assert any(f.severity is Severity.INFO and "predict the label" in f.message for f in r.findings)


# -- robustness -------------------------------------------------------------------------------
def test_odd_inputs_never_error(store, tmp_path):
    pairs = [("!!!", "???"), ("a", "b"), ("😀 😀", "😀"), ('"', "''"), ("x " * 50, "y " * 50)] * 4
    folder = gen.write_folder(tmp_path / "odd", pairs, '[trait]\ntype = "action"\n[plan]\nmanifestation = ["a", "b"]\n')
    for code in CODES:
        r = run(store, folder, code)
        assert r.status != "error", (code, r.findings[0].metric.get("traceback") if r.findings else r.reason)


def test_unpairable_folder_is_skipped(store, tmp_path):
    folder = gen.write_folder(tmp_path / "unpaired", gen.varied_pairs(10))
    (folder / "negative.txt").write_text("only one line\n", encoding="utf-8")
    for code in CODES:
        assert run(store, folder, code).status == "skipped"


def test_effective_count():
    assert frames.effective_count([10, 10, 10]) == pytest.approx(3.0)
    assert frames.effective_count([97, 1, 1, 1]) < 1.3
    assert frames.effective_count([]) == 0.0


def test_audits_are_documented():
    for code in CODES:
        cls = get(code)
        doc = cls.doc()
        for section in ("What it does", "Why it matters", "Example", "How to fix"):
            assert section in doc, (code, section)
        assert cls.summary and cls.fix and cls.params


def test_text_features_roundtrip_keeps_frames(store):
    tf = store.parse(['When the bus left, I said, "We will manage," and walked home.'])[0]
    again = TextFeatures.from_json(json.loads(json.dumps(tf.to_json())))
    assert frames.frame_of(again) == frames.frame_of(tf)
    assert "QUOTE" in frames.frame_of(tf)


def test_template_text_rejoins_clitics(store):
    texts = store.parse([f"Afterwards I didn't want to tell the {w} what I'd seen, so" for w in
                         ("nurse", "banker", "farmer", "violinist", "coach")] + ["Something else entirely happened."] * 5)
    found = frames.shared_templates(texts, "positive", 0.2)
    assert found and "didn't want to tell the" in found[0].text and "did n't" not in found[0].text


def test_tl204_inferred_error_says_how_it_was_inferred(store, tmp_path):
    folder = gen.write_folder(tmp_path / "act", _quoted_pairs(20), '[trait]\ntype = "action"\n')
    f = run(store, folder, "TL204").findings[0]
    assert "inferred" in f.message and "traitlint explain TL204" in f.message
    assert "quoted_speech - half of those words" in get("TL204").doc()
