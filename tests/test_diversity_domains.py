"""TL301 domains (issue 13): shared nouns linked by co-occurrence, found whatever the wording.

The folders are gen.varied_pairs (eight topics, none over 25%) with a hospital sentence in one of six
wordings prepended to both sides of some pairs. The wordings share nouns with each other but no noun
is in more than half of them, so no single noun (and no NMF topic of one wording) reaches 25%.
"""
from __future__ import annotations

import random
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from traitlint.finding import Severity
from traitlint.nlp import topics
from traitlint.registry import get
from traitlint.runner import Session

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "diversity"))
import gen  # noqa: E402

HOSPITAL = ["The doctor adjusted the patient's prescription.",
            "At the pharmacy the nurse collected the medication.",
            "Back in the recovery room the nurse checked the patient's chart.",
            "The doctor signed the chart before the ward round.",
            "The pharmacist refilled the prescription for the ward.",
            "A patient on the ward waited for the medication."]
HOSPITAL_NOUNS = {"doctor", "patient", "prescription", "pharmacy", "nurse", "medication", "recovery", "room",
                  "chart", "ward", "round", "pharmacist"}
DISJOINT = ["The doctor adjusted the prescription.", "At the pharmacy the medication was ready.",
            "The surgeon scrubbed in for the operation.", "An ambulance pulled up outside the emergency entrance."]


def run(store, folder: Path):
    return Session(store=store).run_audit(get("TL301"), folder)


def injected(n: int, chosen: list[int], wordings: list[str]) -> list[tuple[str, str]]:
    pairs = gen.varied_pairs(n)
    for k, i in enumerate(chosen):
        w = wordings[k % len(wordings)]
        pairs[i] = (f"{w} {pairs[i][0]}", f"{w} {pairs[i][1]}")
    return pairs


def test_hospital_domain_in_six_wordings_is_found_in_a_small_folder(store, tmp_path):
    """9 of 20 pairs (45%): one domain, its nouns and lines of the pairs that show it best."""
    chosen = [1, 3, 4, 7, 10, 12, 15, 16, 18]
    r = run(store, gen.write_folder(tmp_path / "h", injected(20, chosen, HOSPITAL)))
    [f] = [f for f in r.findings if f.severity is Severity.WARNING]
    words = f.metric["topic"].split(", ")
    # the nouns of wordings used at least twice, linked although no two wordings are the same
    assert {"nurse", "patient", "chart", "doctor", "medication", "prescription"} <= set(words)
    assert f.metric["pairs"] >= 9 and f.metric["share"] >= 0.45
    assert f.message.startswith("domain [") and "limit 25%" in f.message
    assert {e.file for e in f.evidence} == {"positive.txt"}
    shown = [e.line for e in f.evidence]
    assert shown == sorted(shown) and len(shown) == 3 and {x - 1 for x in shown} <= set(chosen)
    assert all(any(w.split()[1] in e.text for w in HOSPITAL) for e in f.evidence)
    # no single noun reaches the limit: it is the group that does
    top = r.metrics["domains"][0]
    assert max(top["word_pairs"].values()) / 20 <= 0.25


def test_same_folder_without_the_sentence_is_quiet(store, tmp_path):
    r = run(store, gen.write_folder(tmp_path / "c", gen.varied_pairs(20)))
    assert not [f for f in r.findings if f.severity is not Severity.INFO], [f.message for f in r.findings]
    assert all(d["share"] <= 0.25 for d in r.metrics["domains"])


def test_domain_at_25_percent_is_quiet_one_pair_more_warns(store, tmp_path):
    """5 of 20 pairs is exactly 25%: not above the limit. 6 of 20 (30%) warns."""
    # pairs 0-5 have six different frames and topics: nothing of theirs recurs with the sentence
    at = run(store, gen.write_folder(tmp_path / "at", injected(20, [0, 1, 2, 3, 4], HOSPITAL[:1])))
    assert at.metrics["domains"][0]["pairs"] == 5 and at.metrics["domains"][0]["share"] == 0.25
    assert not [f for f in at.findings if f.severity is Severity.WARNING]
    over = run(store, gen.write_folder(tmp_path / "over", injected(20, [0, 1, 2, 3, 4, 5], HOSPITAL[:1])))
    [f] = [f for f in over.findings if f.severity is Severity.WARNING]
    assert set(f.metric["topic"].split(", ")) == {"doctor", "patient", "prescription"} and f.metric["pairs"] == 6


def test_one_sided_sentence_is_not_a_domain(store, tmp_path):
    """Nouns on one side only are not what the pair is about: they go to the by-class test, not a domain."""
    pairs = gen.varied_pairs(20)
    pairs = [(f"{HOSPITAL[0]} {p}", q) if i % 2 else (p, q) for i, (p, q) in enumerate(pairs)]
    r = run(store, gen.write_folder(tmp_path / "one", pairs))
    assert not any({"doctor", "prescription"} & set(d["words"]) for d in r.metrics["domains"])


def test_wordings_that_share_no_noun_are_separate_domains(store, tmp_path):
    """The documented limit: without word vectors "pharmacy" and "surgeon" are never linked."""
    chosen = list(range(0, 20, 2))
    r = run(store, gen.write_folder(tmp_path / "d", injected(20, chosen, DISJOINT)))
    groups = [set(d["words"]) for d in r.metrics["domains"] if set(d["words"]) & {"doctor", "pharmacy", "surgeon"}]
    assert len(groups) >= 3 and all(len(g & {"doctor", "pharmacy", "surgeon", "ambulance"}) == 1 for g in groups)


# -- the grouping itself (no parse) ---------------------------------------------------------------------
def test_domains_links_need_min_cooccur_pairs():
    shared = [frozenset({"doctor", "ward"}), frozenset({"doctor", "ward"}), frozenset({"ward", "chart"}),
              frozenset({"chart", "nurse"}), frozenset({"chart"}), frozenset({"nurse", "kettle"})]
    found = {x.words[0]: x for x in topics.domains(shared, 2)}
    assert sorted(found) == ["chart", "nurse", "ward"]
    d, chart, nurse = found["ward"], found["chart"], found["nurse"]
    assert d.words == ("ward", "doctor") and d.pairs == (0, 1, 2) and d.links == 1 and d.core == (0, 1, 2)
    # linked once only: each recurring noun is a domain of its own; kettle (one pair) is none
    assert (chart.words, chart.pairs, chart.links) == (("chart",), (2, 3, 4), 0)
    assert (nurse.words, nurse.pairs, nurse.links) == (("nurse",), (3, 5), 0)
    loose = topics.domains(shared, 1)
    assert [set(x.words) for x in loose] == [{"doctor", "ward", "chart", "nurse"}]  # kettle is in one pair only
    assert loose[0].pairs == (0, 1, 2, 3, 4, 5)


def test_shared_nouns_are_both_sides_minus_count_nouns():
    assert topics.shared_nouns([["ward", "thousand", "kettle"]], [["ward", "thousand", "tea"]]) == [
        frozenset({"ward"})]


def _shared_sets():
    nouns = st.sampled_from(["ward", "doctor", "chart", "nurse", "ferry", "pier", "kettle", "tea", "bus"])
    return st.lists(st.frozensets(nouns, max_size=4), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(shared=_shared_sets(), seed=st.integers(0, 1000), k=st.integers(1, 3))
def test_domains_do_not_depend_on_pair_order_and_partition_the_linked_nouns(shared, seed, k):
    found = topics.domains(shared, k)
    order = list(range(len(shared)))
    random.Random(seed).shuffle(order)
    again = topics.domains([shared[i] for i in order], k)
    assert sorted((d.words, d.links) for d in found) == sorted((d.words, d.links) for d in again)
    assert sorted(len(d.pairs) for d in found) == sorted(len(d.pairs) for d in again)
    words = [w for d in found for w in d.words]
    assert len(words) == len(set(words))  # a noun is in one domain at most
    for d in found:
        assert d.pairs == tuple(i for i, s in enumerate(shared) if s & set(d.words))
        assert sorted(d.core) == list(d.pairs)
        # every noun of a domain recurs and co-occurs with another of its nouns in >= k pairs
        for w in d.words:
            assert sum(1 for s in shared if w in s) >= 2
            assert len(d.words) == 1 or any(sum(1 for s in shared if w in s and v in s) >= k
                                            for v in d.words if v != w)
    linked = {w for d in found for w in d.words}
    assert linked == {w for s in shared for w in s if sum(1 for t in shared if w in t) >= 2}


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(shared=_shared_sets(), extra=st.integers(1, 10))
def test_pairs_sharing_no_noun_change_no_domain_words(shared, extra):
    base = topics.domains(shared, 2)
    padded = topics.domains(list(shared) + [frozenset()] * extra, 2)
    assert [(d.words, d.pairs, d.links) for d in base] == [(d.words, d.pairs, d.links) for d in padded]


def test_a_lone_recurring_noun_is_not_a_domain(store, tmp_path):
    """"My friend asked ..." in 6 of 20 pairs: "friend" is a domain of one noun in 30% of pairs, but no pair
    shares two of its nouns, so it is under the floor (a recurring role is a frame, TL201's)."""
    r = run(store, gen.write_folder(tmp_path / "f", injected(20, [0, 1, 2, 3, 4, 5], ["My friend waved."])))
    friend = [d for d in r.metrics["domains"] if d["words"] == ["friend"]]
    assert friend and (friend[0]["pairs"], friend[0]["core_pairs"], friend[0]["links"]) == (6, 0, 0)
    assert not [f for f in r.findings if f.severity is Severity.WARNING]
