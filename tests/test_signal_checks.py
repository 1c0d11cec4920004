"""TL103 negation asymmetry, TL104 signal concentration, TL307 signal valence and TL206 decision tail
(issue 12): each verdict tested just inside and just outside its thresholds, with the reported
side, feature and lines asserted."""
from __future__ import annotations

import confound_data as cd
import pytest

from test_boundaries_confounds import Judge, base, edit, problems, run, severities
from traitlint.audits.diversity.decision_tail import shared_tail
from traitlint.nlp import frames

VALENCE_CARD = cd.trait_toml().replace('type = "state"', 'type = "state"\northogonal = ["situation valence"]')
GENERATED_CARD = cd.trait_toml().replace('type = "state"', 'type = "action"\nextraction = "generated"')


def negate(t: str) -> str:
    return t + " and it was not"


# --- TL103 negation_asymmetry ---------------------------------------------------------------------
def test_tl103_needs_significance_before_any_effect():
    """5 one-sided pairs of 20 (net 25%) is p = 0.0625: no finding; 6 is p = 0.031: an error."""
    pos, neg = base(20)
    five = run("TL103", edit(pos, range(5), negate), neg)
    assert five.status == "passed" and five.metrics["adds_positive"] == 5 and five.metrics["p"] > 0.05
    six = run("TL103", edit(pos, range(6), negate), neg)
    [f] = problems(six)
    assert f.severity.value == "error" and f.features == ["negation:positive"]
    assert (f.metric["adds_positive"], f.metric["adds_negative"], f.metric["net_share"]) == (6, 0, 0.3)
    assert "positive side adds negation to its pair in 6 pairs vs 0" in f.message
    assert {e.file for e in f.evidence} == {"positive.txt"} and all(e.text.endswith("was not") for e in f.evidence)
    lines = [e.line for e in f.evidence]
    assert len(set(lines)) == 5 and set(lines) <= set(range(1, 7))  # five of the six, each once


def test_tl103_effect_thresholds_split_pass_warning_and_error():
    """100 pairs: net 9% passes, 10% warns, 19% warns, 20% is an error (all significant)."""
    pos, neg = base(100)
    for k, want in ((9, []), (10, ["warning"]), (19, ["warning"]), (20, ["error"])):
        res = run("TL103", edit(pos, range(k), negate), neg)
        assert res.metrics["p"] <= 0.05 and res.metrics["net_share"] == pytest.approx(k / 100)
        assert severities(problems(res)) == want, k


def test_tl103_counts_the_negative_side_and_balanced_negation_passes():
    pos, neg = base(20)
    res = run("TL103", pos, edit(neg, range(8), negate))
    [f] = problems(res)
    assert f.features == ["negation:negative"] and f.metric["net_share"] == -0.4
    assert {e.file for e in f.evidence} == {"negative.txt"}
    both = run("TL103", edit(pos, range(8, 16), negate), edit(neg, range(8), negate))
    assert both.status == "passed" and (both.metrics["adds_positive"], both.metrics["adds_negative"]) == (8, 8)
    shared = run("TL103", edit(pos, range(10), negate), edit(neg, range(10), negate))
    assert shared.metrics["adds_positive"] == shared.metrics["adds_negative"] == 0  # negation both share


def test_tl103_ignores_declarations_and_counts_clitics():
    pos, neg = base(20)
    p = edit(pos, range(8), lambda t: t + " and it wasn't")
    declared = run("TL103", p, neg, card=cd.trait_toml(extra_positive=["n't", "wasn't"]))
    assert declared.status == "failed" and declared.metrics["adds_positive"] == 8
    verbs = run("TL103", edit(pos, range(8), lambda t: t + " and she declined"), neg)
    assert verbs.status == "passed" and verbs.metrics["adds_positive"] == 0  # refusal verbs are not negation


def test_tl103_judge_boundaries_at_alpha_and_net_share():
    pos, neg = base(20)
    judge = Judge("TL103", edit(pos, range(6), negate), neg)
    assert severities(judge(p=0.05, net_share=0.1)) == ["warning"]
    assert judge(p=0.0501, net_share=0.5) == []
    assert judge(p=0.01, net_share=0.0999) == []
    assert severities(judge(p=0.01, net_share=-0.2)) == ["error"]


# --- TL104 signal_concentration -------------------------------------------------------------------
ADJECTIVES = [("hopeful", "worried"), ("encouraged", "discouraged"), ("optimistic", "pessimistic"),
              ("upbeat", "uneasy"), ("confident", "doubtful"), ("cheerful", "gloomy"), ("buoyant", "deflated"),
              ("sunny", "bleak"), ("eager", "anxious"), ("bright", "dark"), ("calm", "tense"),
              ("assured", "shaken"), ("positive", "negative"), ("steady", "shaky"), ("relaxed", "nervous"),
              ("trusting", "suspicious"), ("serene", "fretful"), ("sanguine", "glum"), ("content", "restless"),
              ("spirited", "deflated"), ("lively", "weary"), ("keen", "reluctant")]


def spread(n: int, words: int) -> tuple[list[str], list[str]]:
    """n clean pairs whose trait word cycles over the first `words` of ADJECTIVES."""
    specs = cd.default_specs(n)
    return ([cd.render(s, "positive", word=ADJECTIVES[i % words][0]) for i, s in enumerate(specs)],
            [cd.render(s, "negative", word=ADJECTIVES[i % words][1]) for i, s in enumerate(specs)])


def test_tl104_five_words_warn_twenty_do_not():
    few = run("TL104", *spread(40, 5))
    warned = problems(few)
    assert [f.metric["side"] for f in warned] == ["positive", "negative"]
    assert warned[0].metric["top_share"] == pytest.approx(24 / 40)
    assert set(warned[0].features) <= {w for w, _ in ADJECTIVES[:5]} and len(warned[0].features) == 3
    assert all(e.file == "positive.txt" for e in warned[0].evidence)
    for f in warned:  # each finding's lines show its own side's top words
        side_file = f"{f.metric['side']}.txt"
        assert f.evidence and all(e.file == side_file and any(w in e.text for w in f.features) for e in f.evidence)
    many = run("TL104", *spread(40, 20))
    assert many.status == "passed"
    assert many.metrics["positive"]["top_share"] == pytest.approx(6 / 40)


def test_tl104_a_side_without_differing_words_has_a_zero_share():
    _, neg = base(30)
    added = [t + " and then some" for t in neg]  # the negatives only add words; the positives add none
    res = run("TL104", list(neg), added)
    assert res.metrics["positive"]["words"] == 0 and res.metrics["positive"]["top_share"] == 0.0
    assert res.metrics["positive"]["top"] == []


def test_tl104_judge_boundaries():
    judge = Judge("TL104", *spread(40, 5))
    side = judge.metrics["positive"]
    at = {**side, "top_share": 0.35}
    assert judge(positive=at, negative=at) == []
    over = {**side, "top_share": 0.3501}
    assert [f.metric["side"] for f in judge(positive=over, negative=at)] == ["positive"]
    few_words = {**side, "top_share": 0.9, "words": 19}
    assert judge(positive=few_words, negative=at) == []
    assert len(judge(positive={**few_words, "words": 20}, negative=at)) == 1


# --- TL307 signal_valence -------------------------------------------------------------------------
def reverse(pos: list[str], neg: list[str], k: int) -> tuple[list[str], list[str]]:
    """The first k pairs carry the trait with words that sound the other way."""
    specs = cd.default_specs(len(pos))
    pos, neg = list(pos), list(neg)
    for i in range(k):
        pos[i] = cd.render(specs[i], "positive", word="sure the worst is over")
        neg[i] = cd.render(specs[i], "negative", word="sure the best is over")
    return pos, neg


def test_tl307_applies_only_when_the_card_rules_out_valence():
    pos, neg = base(20)
    res = run("TL307", pos, neg)
    assert res.status == "passed" and res.metrics["applies"] is False
    ruled = run("TL307", pos, neg, card=VALENCE_CARD)
    [f] = problems(ruled)
    assert ruled.metrics["applies"] and (ruled.metrics["positive_nicer"], ruled.metrics["negative_nicer"]) == (20, 0)
    assert f.severity.value == "error" and f.features == ["valence:positive"]
    assert {e.file for e in f.evidence} == {"positive.txt", "negative.txt"}


def test_tl307_reverse_share_boundary_at_20_percent():
    """3 reversed pairs of 20 (15% reverse) is an error; 4 (20%) passes."""
    three = run("TL307", *reverse(*base(20), 3), card=VALENCE_CARD)
    assert three.metrics["reverse_share"] == 0.15 and severities(problems(three)) == ["error"]
    four = run("TL307", *reverse(*base(20), 4), card=VALENCE_CARD)
    assert four.metrics["reverse_share"] == 0.2 and four.metrics["p"] <= 0.05
    assert four.status == "passed"


def test_tl307_judge_splits_warning_and_error_on_net_share():
    judge = Judge("TL307", *base(20), card=VALENCE_CARD)
    assert severities(judge(reverse_share=0.1, net_share=0.4999)) == ["warning"]
    assert severities(judge(reverse_share=0.1, net_share=0.5)) == ["error"]
    assert severities(judge(reverse_share=0.1, net_share=-0.6)) == ["error"]
    assert judge(reverse_share=0.1, p=0.0501) == []
    assert judge(reverse_share=0.2) == []


# --- TL206 decision_tail --------------------------------------------------------------------------
def tail(t: str, words: int) -> str:
    filler = "then walked down the long corridor towards the lift and the stairs near the old front door".split()
    return t + " " + " ".join(filler[:words])


def test_tl206_shared_tail_counts_tokens_after_the_last_difference():
    a, b = frames.words_of("she agreed to send it now"), frames.words_of("she declined to send it now")
    assert shared_tail(a, b) == 4
    assert shared_tail(frames.words_of("a b c"), frames.words_of("a b d")) == 0
    assert shared_tail(frames.words_of("same"), frames.words_of("same")) == 1


def test_tl206_applies_to_generated_extraction_only_and_splits_at_25_percent():
    pos, neg = base(20)
    long_pos, long_neg = edit(pos, range(6), lambda t: tail(t, 10)), edit(neg, range(6), lambda t: tail(t, 10))
    other = run("TL206", long_pos, long_neg)
    assert other.status == "passed" and other.metrics["applies"] is False
    six = run("TL206", long_pos, long_neg, card=GENERATED_CARD)
    [f] = problems(six)
    assert f.severity.value == "warning" and six.metrics["long_tail"] == 6 and six.metrics["share"] == 0.3
    lines = [e.line for e in f.evidence]
    assert lines == sorted(lines) and len(set(lines)) == 5 and set(lines) <= set(range(1, 7))
    five = run("TL206", edit(pos, range(5), lambda t: tail(t, 10)), edit(neg, range(5), lambda t: tail(t, 10)),
               card=GENERATED_CARD)
    assert five.metrics["share"] == 0.25 and five.status == "passed"


def test_tl206_a_tail_of_nine_is_short_and_ten_is_long():
    pos, neg = base(20)
    specs = cd.default_specs(20)
    frame0 = [i for i, s in enumerate(specs) if s.frame % 4 == 0][:1]  # "... {w} because": tail 1 before
    i = frame0[0]
    base_tail = shared_tail(frames.words_of(pos[i]), frames.words_of(neg[i]))
    assert base_tail == 1
    nine = run("TL206", edit(pos, [i], lambda t: tail(t, 8)), edit(neg, [i], lambda t: tail(t, 8)),
               card=GENERATED_CARD)
    ten = run("TL206", edit(pos, [i], lambda t: tail(t, 9)), edit(neg, [i], lambda t: tail(t, 9)),
              card=GENERATED_CARD)
    assert nine.metrics["tails"][i] == 9 and nine.metrics["long_tail"] == 0
    assert ten.metrics["tails"][i] == 10 and ten.metrics["long_tail"] == 1


def test_tl307_names_the_negative_side_with_its_counts():
    pos, neg = base(20)
    swapped = run("TL307", neg, pos, card=VALENCE_CARD)  # files swapped: the nicer words are now negative
    [f] = problems(swapped)
    assert f.features == ["valence:negative"]
    assert "more positive on the negative side in 20 pairs and on the positive side in 0" in f.message
