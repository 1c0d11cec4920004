"""TL302's situation clauses (issue 13): text that differs within a matched pair before the final
divergence and ends at a clause boundary is situation, not trait, and its valence is tested.

Why: TL302 scored only the shared tokens of a matched pair, so a good-news clause before every
positive and a bad-news clause before every negative was taken to be the trait and passed. Each
threshold (`clause_share`, `alpha`, `clause_anchor`) is tested from both sides, the finding's side
and evidence lines are asserted, clean folders stay quiet, and the clauses do not change when text
is added identically to both sides (hypothesis).
"""
from __future__ import annotations

import re

import confound_data as cd
import pytest
from test_confounds import run

from traitlint.audits.confounds.valence import net_share
from traitlint.nlp.pairdiff import diff_tokens
from traitlint.nlp.sentiment import compound
from traitlint.nlp.situation import gaps, last_anchor, situation_clauses

pytest.importorskip("vaderSentiment")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings
from hypothesis import strategies as st

GOOD = ["After we won the contract,", "With the test results back clear,", "Now that the loan was finally approved,"]
BAD = ["After we lost the contract,", "With the biopsy results back bad,", "Now that the loan had been denied,"]


def toks(text: str) -> list[str]:
    """A small tokenizer for the unit tests: words and punctuation apart, lower-cased."""
    return [t.lower() for t in re.findall(r"\w+(?:'\w+)?|[^\w\s]", text)]


def clauses(pos: str, neg: str, min_anchor: int = 5) -> tuple[str, str]:
    a, b = toks(pos), toks(neg)
    c = situation_clauses(a, b, diff_tokens(a, b), min_anchor)
    return " ".join(a[i] for i in c.positive), " ".join(b[i] for i in c.negative)


# --- the split ------------------------------------------------------------------------------------
def test_opening_clause_is_situation_and_the_final_divergence_is_not():
    pos = "After we won the contract, the team met on Monday to plan the next quarter, and I felt hopeful"
    neg = "After we lost the contract, the team met on Monday to plan the next quarter, and I felt worried"
    assert clauses(pos, neg) == ("after we won the contract ,", "after we lost the contract ,")


def test_a_word_that_differs_inside_a_mid_text_clause_is_not_situation():
    """After the pair's first difference, only a whole clause that differs is situation: "the good
    results" / "the bad results" ends at no clause boundary (trait words are written that way too)."""
    pos = ("After we won the contract, the board met on Monday. We read the good results in the meeting with "
           "the whole board, and I felt hopeful")
    neg = ("With the biopsy results back bad, the board met on Monday. We read the bad results in the meeting "
           "with the whole board, and I felt worried")
    assert clauses(pos, neg) == ("after we won the contract ,", "with the biopsy results back bad ,")


def test_a_parallel_rewrite_of_the_opening_clause_is_situation():
    """The first clause that differs is the scene: a word that differs in it makes it situation."""
    pos = "We read the good results in the meeting with the whole board, and I felt hopeful"
    neg = "We read the bad results in the meeting with the whole board, and I felt worried"
    assert clauses(pos, neg) == ("we read the good results in the meeting with the whole board ,",
                                 "we read the bad results in the meeting with the whole board ,")


def test_a_whole_clause_before_the_final_divergence_is_situation_whatever_it_holds():
    """The documented limit: "The good results made me hopeful," / "The bad results made me worried,"
    ends at a clause boundary before the final divergence, so it is read as situation, trait words
    and all (the split is structural; declared trait words are how to tell them apart)."""
    pos = "The good results made me hopeful, and the team met on Monday to plan the next quarter with care"
    neg = "The bad results made me worried, and the team met on Monday to plan the next quarter with dread"
    assert clauses(pos, neg) == ("the good results made me hopeful ,", "the bad results made me worried ,")


def test_a_one_sided_clause_is_situation_on_its_side_only():
    pos = "After we won the contract, the team met on Monday to plan the next quarter, and I felt hopeful"
    neg = "The team met on Monday to plan the next quarter, and I felt worried"
    assert clauses(pos, neg) == ("after we won the contract ,", "")


def test_clause_anchor_boundary():
    """The clause must be followed by a shared run of `min_anchor` words: 5 shared words after it
    count at the default, 4 do not (what follows a short shared run is the trait's region)."""
    five = ("Our grant came through, the team met on Monday, hopeful", "Our lab burned down, the team met on Monday, worried")
    four = ("Our grant came through, the team met Monday, hopeful", "Our lab burned down, the team met Monday, worried")
    assert clauses(*five) == ("our grant came through ,", "our lab burned down ,")
    assert clauses(*four) == ("", "")
    assert clauses(*four, min_anchor=4)[0] == "our grant came through ,"
    a, b = toks(five[0]), toks(five[1])
    assert last_anchor(a, diff_tokens(a, b), 5) == (a.index(","), b.index(","))
    assert last_anchor(a, diff_tokens(a, b), 6) is None


def test_a_trait_stated_before_a_shared_ending_is_the_final_divergence():
    """ "I am a predator. When I see weakness, I" / "I am a protector. ...": the only difference is the
    last one, so it is the trait, not situation, although a long shared run follows it."""
    assert clauses("I am a predator. When I see weakness in a stranger, I",
                   "I am a protector. When I see weakness in a stranger, I") == ("", "")


def test_gaps_cover_every_differing_token_in_order():
    a, b = toks("x a b c y d e"), toks("a b z c d e w")
    d = diff_tokens(a, b)
    spans = gaps(d, len(a), len(b))
    assert sorted(i for s, _ in spans for i in s) == list(d.positive_diff)
    assert sorted(i for _, s in spans for i in s) == list(d.negative_diff)
    assert [s.start for s, _ in spans] == sorted(s.start for s, _ in spans)


# --- the audit ------------------------------------------------------------------------------------
def _lower_first(text: str) -> str:
    return text if text.startswith("I ") else text[0].lower() + text[1:]


def clause_pairs(n: int, k: int) -> tuple[list[str], list[str]]:
    """n clean pairs (one trait word differs), the first k with a good clause before the positive and
    a bad one before the negative; no card (the corpus case)."""
    pos, neg = cd.clean(cd.default_specs(n))
    for i in range(k):
        pos[i] = f"{GOOD[i % 3]} {_lower_first(pos[i])}"
        neg[i] = f"{BAD[i % 3]} {_lower_first(neg[i])}"
    return pos, neg


def tl302(pos, neg, params=None):
    return run(cd.write_folder(None, pos, neg, None), ["TL302"], {"TL302": params} if params else None)["TL302"]


def clause_findings(res):
    return [f for f in res.findings if f.message.startswith("the situation differs within pairs")]


def test_clause_share_boundary_in_40_pairs():
    """40 pairs, p tiny either way: 11 pairs with the clauses (net share 0.275) pass, 12 (0.3) warn."""
    eleven = tl302(*clause_pairs(40, 11))
    cm = eleven.metrics["clauses"]
    assert cm["p"] < 0.01 and cm["pairs_positive"] == 11 and net_share(cm, 40) == pytest.approx(0.275)
    assert eleven.status == "passed" and clause_findings(eleven) == []
    pos, neg = clause_pairs(40, 12)
    twelve = tl302(pos, neg)
    cm = twelve.metrics["clauses"]
    assert cm["pairs_positive"] == 12 and cm["pairs_negative"] == 0 and net_share(cm, 40) == pytest.approx(0.3)
    assert twelve.status == "warned"
    [f] = clause_findings(twelve)
    assert f.severity.value == "warning" and f.metric["side"] == "positive"
    assert "the positive side's clause is the better news in 12 of them" in f.message
    # the evidence shows injected pairs, the positive (better-news) text first
    assert f.evidence[0].file == "positive.txt" and all(e.line <= 12 for e in f.evidence)
    assert {e.file for e in f.evidence} == {"positive.txt", "negative.txt"}
    assert any(g in f.evidence[0].text for g in GOOD)


def test_clause_p_value_boundary_in_20_pairs():
    """20 pairs with `clause_share` 0.2: 5 pairs (net 0.25, Wilcoxon p = 0.0625) pass, 6 (p = 0.031) warn."""
    params = {"clause_share": 0.2}
    five = tl302(*clause_pairs(20, 5), params)
    assert five.metrics["clauses"]["p"] > 0.05 and five.status == "passed"
    six = tl302(*clause_pairs(20, 6), params)
    assert six.metrics["clauses"]["p"] <= 0.05 and six.status == "warned"
    assert [f.metric["side"] for f in clause_findings(six)] == ["positive"]


def test_bad_news_on_the_positive_side_names_the_negative_side():
    pos, neg = clause_pairs(30, 0)
    for i in range(20):
        pos[i] = f"{BAD[i % 3]} {_lower_first(pos[i])}"
        neg[i] = f"{GOOD[i % 3]} {_lower_first(neg[i])}"
    res = tl302(pos, neg)
    [f] = clause_findings(res)
    assert f.metric["side"] == "negative" and f.evidence[0].file == "negative.txt"


def test_the_old_scoring_missed_the_injected_clauses():
    """Regression: matched pairs were scored on their shared tokens only, both sides alike."""
    res = tl302(*clause_pairs(30, 30))
    assert res.metrics["mean_diff"] == 0.0 and res.metrics["clauses"]["pairs_positive"] == 30
    assert res.status == "warned" and clause_findings(res)


def test_declared_words_leave_it_to_the_whole_situation_test():
    """With `[trait.words]` the situation is the text minus the signal: the clause is in it, and the
    error comes from test (1), not from a second finding about the same clause."""
    pos, neg = clause_pairs(30, 30)
    res = run(cd.write_folder(None, pos, neg, cd.trait_toml()), ["TL302"])["TL302"]
    assert res.status == "failed" and clause_findings(res) == []
    assert res.findings[0].message.startswith("situation valence predicts the side: positive")


def test_clean_and_balanced_folders_are_quiet():
    """Clean pairs, and clauses balanced between the sides (good before half the positives, bad before
    the other half), stay quiet: the clause test is about one side's news, not about clauses."""
    assert clause_findings(tl302(*cd.clean(cd.default_specs(40)))) == []
    pos, neg = cd.clean(cd.default_specs(40))
    for i in range(40):
        good, bad = (GOOD, BAD) if i % 2 else (BAD, GOOD)
        pos[i] = f"{good[i % 3]} {_lower_first(pos[i])}"
        neg[i] = f"{bad[i % 3]} {_lower_first(neg[i])}"
    res = tl302(pos, neg)
    assert res.metrics["clauses"]["pairs"] == 40 and clause_findings(res) == []


def test_trait_clauses_of_loosely_matched_pairs_are_not_situation():
    """Loosely matched pairs (anxiety-like): the trait is rewritten mid-text around a shared "I told
    him, "I" (4 words, below `clause_anchor`), so nothing before the final divergence is read as
    situation."""
    pos = [f"The review for project {i} was tomorrow. I couldn't stop thinking about what would go wrong. "
           f"I told him, \"I keep worrying that they'll" for i in range(20)]
    neg = [f"The review for project {i} was tomorrow. I felt calm and ready for it. "
           f"I told him, \"I'm sure it'll be fine, they'll probably" for i in range(20)]
    res = tl302(pos, neg)
    assert res.metrics["clauses"]["pairs"] == 0 and clause_findings(res) == []


# --- invariance to shared text (hypothesis) -------------------------------------------------------
SHARED = ["The building had four floors and a parking area.", "It was raining hard that morning, and the bus was late.",
          "Everyone was wonderful to us.", "The old house smelled terrible after the storm."]


def _clause_values(pos: list[str], neg: list[str]) -> list[tuple[float, float]]:
    out = []
    for p, q in zip(pos, neg):
        a, b = toks(p), toks(q)
        c = situation_clauses(a, b, diff_tokens(a, b))
        out.append((compound(" ".join(a[i] for i in c.positive)), compound(" ".join(b[i] for i in c.negative))))
    return out


@settings(max_examples=60, deadline=None)
@given(st.integers(10, 24), st.integers(0, 24), st.lists(st.tuples(st.integers(0, 3), st.booleans()), min_size=1,
                                                           max_size=24))
def test_clause_valence_is_unchanged_by_text_added_to_both_sides(n, k, additions):
    """Any shared sentence (neutral or valenced) put before or after both texts of any pairs leaves
    every pair's clause valences as they were: only differing clauses are scored."""
    pos, neg = clause_pairs(n, min(k, n))
    before = _clause_values(pos, neg)
    p2, q2 = list(pos), list(neg)
    for i, (s, front) in enumerate(additions[:n]):
        p2[i], q2[i] = ((f"{SHARED[s]} {p2[i]}", f"{SHARED[s]} {q2[i]}") if front
                        else (f"{p2[i]} {SHARED[s]}", f"{q2[i]} {SHARED[s]}"))
    assert _clause_values(p2, q2) == before


def test_audit_verdict_is_unchanged_by_text_added_to_both_sides():
    """End to end: the clause finding and its counts survive a shared sentence before or after both
    texts of 40% of the pairs (and its absence in a clean folder too)."""
    for k in (0, 30):
        pos, neg = clause_pairs(30, k)
        base = tl302(pos, neg)
        p2, q2 = list(pos), list(neg)
        for i in range(0, 30, 5):
            p2[i], q2[i] = f"{SHARED[i % 4]} {p2[i]}", f"{SHARED[i % 4]} {q2[i]}"
            p2[i + 1], q2[i + 1] = f"{p2[i + 1]} {SHARED[(i + 1) % 4]}", f"{q2[i + 1]} {SHARED[(i + 1) % 4]}"
        other = tl302(p2, q2)
        assert other.metrics["clauses"] == base.metrics["clauses"]
        assert [f.metric for f in clause_findings(other)] == [f.metric for f in clause_findings(base)]


NEUTRAL = ["The archive occupies a converted granary beside the canal.",
           "Forms were stamped in triplicate at the front counter."]
spec_st = st.builds(cd.Spec, st.integers(0, 7), st.integers(0, 15), st.integers(0, 3), st.integers(0, 4),
                    st.integers(0, 3))


@settings(max_examples=20, deadline=None)
@given(st.lists(spec_st, min_size=20, max_size=28), st.integers(0, 28), st.booleans(), st.data())
def test_tl302_verdict_is_unchanged_by_neutral_text_added_to_both_sides(specs, k, with_card, data):
    """The whole audit, with and without a card, on pairs with good/bad clauses before `k` of them:
    a neutral sentence before or after both texts of any pairs changes no finding."""
    pos, neg = cd.clean(specs)
    for i in range(min(k, len(specs))):
        pos[i] = f"{GOOD[i % 3]} {_lower_first(pos[i])}"
        neg[i] = f"{BAD[i % 3]} {_lower_first(neg[i])}"
    chosen = data.draw(st.sets(st.integers(0, len(pos) - 1), min_size=1, max_size=len(pos)), label="pairs")
    sentence = data.draw(st.sampled_from(NEUTRAL), label="sentence")
    front = data.draw(st.booleans(), label="before")
    add = (lambda t: f"{sentence} {t}") if front else (lambda t: f"{t} {sentence}")
    pos2 = [add(t) if i in chosen else t for i, t in enumerate(pos)]
    neg2 = [add(t) if i in chosen else t for i, t in enumerate(neg)]
    card = cd.trait_toml() if with_card else None
    base = run(cd.write_folder(None, pos, neg, card), ["TL302"])["TL302"]
    other = run(cd.write_folder(None, pos2, neg2, card), ["TL302"])["TL302"]
    assert other.status == base.status
    assert [(f.severity.value, f.message.split(":")[0], f.metric.get("side")) for f in other.findings] == \
        [(f.severity.value, f.message.split(":")[0], f.metric.get("side")) for f in base.findings]
    assert other.metrics["clauses"] == base.metrics["clauses"]


def test_clause_finding_mirrors_when_the_files_are_swapped():
    """Which file is called positive is a naming choice: the finding names the other side, with the
    same counts mirrored and the evidence lines from the other file."""
    pos, neg = clause_pairs(30, 20)
    base = tl302(pos, neg)
    swapped = tl302(neg, pos)
    [f], [g] = clause_findings(base), clause_findings(swapped)
    assert (f.metric["side"], g.metric["side"]) == ("positive", "negative")
    cf, cg = f.metric["clauses"], g.metric["clauses"]
    assert (cf["pairs_positive"], cf["pairs_negative"]) == (cg["pairs_negative"], cg["pairs_positive"])
    assert cf["p"] == cg["p"] and cf["auc"] == pytest.approx(1 - cg["auc"], abs=1e-4)
    flip = {"positive.txt": "negative.txt", "negative.txt": "positive.txt"}
    assert sorted((flip[e.file], e.line) for e in f.evidence) == sorted((e.file, e.line) for e in g.evidence)
