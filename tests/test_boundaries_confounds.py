"""Boundary tests for the confound audits (TL101, TL102, TL302-TL306) and the paired statistics.

Why (issue 16): the verdict of a confound audit is decided by a threshold on a statistic, and a
one-line bug there (a `<` for `<=`, p read where q is meant, a constant off by one) changes the
verdict on a folder a user could write without any other test noticing. Each threshold is tested
from both sides:

- with folders that differ by one pair, one just inside the boundary (passes) and one just outside
  (warns or fails), built from the clean pairs of `confound_data` (identical but for a declared
  trait word, so the injected confound is the only non-trait difference and its counts are exact);
  the statistics that put the folder on either side are asserted too, so a folder that drifts away
  from its boundary fails loudly instead of passing for the wrong reason;
- with `judge(metrics, params, ctx)` on metrics set exactly at the boundary, where a folder cannot
  hit it exactly (AUC margins, effect sizes, accuracies), starting from the real metrics of a real
  folder so that every other key is what `compute` writes.

Every failing case asserts what is reported (feature, kind, side, person, severity, evidence
file and line), not only the status.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import confound_data as cd
import numpy as np
import pytest
import scipy.stats as st

from traitlint import registry
from traitlint.config import Config
from traitlint.context import AuditContext
from traitlint.finding import Finding
from traitlint.nlp.features import FeatureStore
from traitlint.nlp.stats import (
    PairedTest,
    auc,
    bh_adjust,
    chi2_contingency_p,
    paired_test,
    sign_test,
    sign_test_pvalues,
)
from traitlint.runner import AuditResult, Session

pytest.importorskip("vaderSentiment")

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings
from hypothesis import strategies as S


# --- helpers --------------------------------------------------------------------------------------
class _TextCache(FeatureStore):
    """A FeatureStore that also caches per text: the boundary folders share most of their texts."""

    def __init__(self) -> None:
        super().__init__(None)
        self._texts: dict[str, Any] = {}

    def parse(self, texts: Sequence[str]) -> list[Any]:
        missing = [t for t in dict.fromkeys(texts) if t not in self._texts]
        if missing:
            self._texts.update(zip(missing, super().parse(missing)))
        return [self._texts[t] for t in texts]


_STORE = _TextCache()
Pairs = tuple[list[str], list[str]]


@pytest.fixture(scope="module", autouse=True)
def _nlp() -> None:
    try:
        _STORE.nlp()
    except registry.SkipAudit as exc:  # pragma: no cover - CI installs the pipeline
        pytest.skip(str(exc))


@functools.cache
def _base(n: int) -> Pairs:
    """n clean pairs: the two texts differ only in one declared trait word."""
    pos, neg = cd.clean(cd.default_specs(n))
    return pos, neg


def base(n: int) -> Pairs:
    pos, neg = _base(n)
    return list(pos), list(neg)


def edit(texts: list[str], indices: Sequence[int] | range, change: Callable[[str], str]) -> list[str]:
    """`texts` with `change` applied to the lines at `indices` (0-based pair indices)."""
    chosen = set(indices)
    return [change(t) if i in chosen else t for i, t in enumerate(texts)]


def folder(pos: Sequence[str], neg: Sequence[str], card: str | None = "default") -> Path:
    return cd.write_folder(None, pos, neg, cd.trait_toml() if card == "default" else card)


def run(code: str, pos: Sequence[str], neg: Sequence[str], params: dict[str, Any] | None = None,
        card: str | None = "default") -> AuditResult:
    """One audit on a fresh folder; `params` override the audit's defaults."""
    session = Session(Config(select=[code], params={code: params} if params else {}), store=_STORE)
    return session.run_audit(registry.get(code), folder(pos, neg, card))


def problems(result: AuditResult) -> list[Finding]:
    """The findings that are not info."""
    return [f for f in result.findings if f.severity.value != "info"]


def severities(findings: Sequence[Finding]) -> list[str]:
    return [f.severity.value for f in findings]


class Judge:
    """`judge()` of one audit on one real folder: metrics are the real ones, with overrides."""

    def __init__(self, code: str, pos: Sequence[str], neg: Sequence[str], card: str | None = "default") -> None:
        self.audit = registry.get(code)()
        self.ctx: AuditContext = Session(Config(select=[code]), store=_STORE).context(folder(pos, neg, card))
        self.params = dict(self.audit.params)
        self.metrics = self.audit.compute(self.ctx, self.params)

    def __call__(self, params: dict[str, Any] | None = None, **overrides: Any) -> list[Finding]:
        return self.audit.judge({**self.metrics, **overrides}, {**self.params, **(params or {})}, self.ctx)


def still(t: str) -> str:
    return "Still, " + t


# --- TL101 lexical_label_leak ---------------------------------------------------------------------
def _leaks(result: AuditResult) -> list[tuple[str, str, str]]:
    return [(r["feature"], r["kind"], r["side"]) for r in result.metrics["leaks"]]


def test_tl101_opener_in_five_pairs_passes_and_in_six_fails():
    """With alpha = 0.05 a one-sided feature needs 6 discordant pairs (2 * 0.5**6 = 0.031 <= 0.05;
    0.0625 with 5): the sixth "Still," makes it an error, reported as that opener, positive side."""
    pos, neg = base(20)
    five = run("TL101", edit(pos, range(5), still), neg)
    assert five.status == "passed" and five.metrics["tested"] == 0 and not problems(five)
    six = run("TL101", edit(pos, range(6), still), neg)
    assert six.status == "failed"
    assert ("still", "opener", "positive") in _leaks(six)
    opener = next(f for f in six.findings if f.metric.get("kind") == "opener")
    assert opener.severity.value == "error" and opener.features == ["still"]
    assert (opener.metric["b"], opener.metric["c"], opener.metric["n_pos"], opener.metric["n_neg"]) == (6, 0, 6, 0)
    assert opener.metric["p"] == pytest.approx(2 * 0.5 ** 6) and opener.metric["q"] <= 0.05
    assert opener.metric["share"] == 1.0
    assert opener.evidence and all(e.file == "positive.txt" and 1 <= e.line <= 6 for e in opener.evidence)
    assert all(e.text.startswith("Still,") for e in opener.evidence)
    # the two-token opener "still ," is explained by "still" and not listed twice
    assert ("still ,", "opener", "positive") not in _leaks(six)


def test_tl101_negative_side_leak_names_the_negative_side_and_file():
    pos, neg = base(20)
    res = run("TL101", pos, edit(neg, range(6), lambda t: "Sadly, " + t))
    assert res.status == "failed"
    assert _leaks(res) == [("sadly", "opener", "negative")]
    f = problems(res)[0]
    assert (f.metric["b"], f.metric["c"]) == (0, 6) and "marks the negative side" in f.message
    assert "in 6 negative vs 0 positive texts" in f.message and "6 pairs (negative) vs 0 (positive)" in f.message
    assert all(e.file == "negative.txt" and e.text.startswith("Sadly,") for e in f.evidence)


def test_tl101_max_share_is_strict_at_80_percent():
    """6 one-sided pairs + 2 pairs where both sides have it: 8 of 10 texts positive = 0.8, not more
    than `max_share`; one more one-sided pair gives 9 of 11 = 0.82: an error."""
    pos, neg = base(20)
    both = range(18, 20)
    at = run("TL101", edit(pos, [*range(6), *both], still), edit(neg, both, still))
    assert at.status == "passed", _leaks(at)
    assert at.metrics["tested"] >= 1  # tested and significant (p = 0.031), stopped by the share alone
    over = run("TL101", edit(pos, [*range(7), *both], still), edit(neg, both, still))
    assert over.status == "failed"
    row = next(r for r in over.metrics["leaks"] if r["kind"] == "opener")
    assert (row["feature"], row["n_pos"], row["n_neg"], row["b"], row["c"]) == ("still", 9, 2, 7, 0)
    assert row["share"] == pytest.approx(9 / 11, abs=1e-4)


def test_tl101_decides_on_the_bh_q_value_not_the_raw_p():
    """"Still," in 6 positives (p = 0.031 <= alpha) next to a balanced "Indeed," opener. With 3+2
    discordant pairs "Indeed" cannot reach significance and is not tested: q = p, an error. With 3+3
    it joins the tested family (m = 3 -> 6), q = 0.031 * 6 / 3 = 0.0625 > alpha: not a leak, though
    its p is unchanged."""
    pos, neg = base(20)
    p = edit(edit(pos, range(6), still), range(6, 9), lambda t: "Indeed, " + t)
    small = run("TL101", p, edit(neg, range(9, 11), lambda t: "Indeed, " + t))
    assert small.status == "failed" and small.metrics["tested"] == 3
    assert ("still", "opener", "positive") in _leaks(small)
    assert all(r["q"] == pytest.approx(2 * 0.5 ** 6) for r in small.metrics["leaks"])
    family = run("TL101", p, edit(neg, range(9, 12), lambda t: "Indeed, " + t))
    assert family.metrics["tested"] == 6
    assert family.status == "passed" and family.metrics["leaks"] == []
    assert bh_adjust([2 * 0.5 ** 6] * 3 + [1.0] * 3)[0] == pytest.approx(0.0625)


def test_tl101_min_support_counts_pairs_with_the_feature():
    """With alpha = 0.25 significance needs only 3 discordant pairs, so support decides: a feature
    in 4 pairs is below `min_support` = 5 and not tested; in 5 pairs it is a leak (p = q = 0.0625)."""
    pos, neg = base(20)
    four = run("TL101", edit(pos, range(4), still), neg, {"alpha": 0.25})
    assert four.status == "passed" and four.metrics["tested"] == 0
    five = run("TL101", edit(pos, range(5), still), neg, {"alpha": 0.25})
    assert five.status == "failed" and ("still", "opener", "positive") in _leaks(five)
    assert five.metrics["leaks"][0]["q"] == pytest.approx(0.0625)
    # the same 5 pairs with min_support = 6: not tested
    assert run("TL101", edit(pos, range(5), still), neg, {"alpha": 0.25, "min_support": 6}).status == "passed"
    # pairs where both sides have it count as support: 4 one-sided + 1 shared = 5 pairs
    shared = run("TL101", edit(pos, [0, 1, 2, 3, 19], still), edit(neg, [19], still), {"alpha": 0.25})
    assert shared.metrics["tested"] >= 1
    assert shared.status == "failed" and shared.metrics["leaks"][0]["b"] == 4


def test_tl101_attainable_significance_filter_follows_alpha():
    """At alpha = 0.04 six one-sided pairs (best attainable p = 0.031) are still tested and flagged;
    five (0.0625) are not even tested."""
    pos, neg = base(20)
    six = run("TL101", edit(pos, range(6), still), neg, {"alpha": 0.04})
    assert six.status == "failed" and six.metrics["tested"] == 3
    five = run("TL101", edit(pos, range(5), still), neg, {"alpha": 0.04})
    assert five.status == "passed" and five.metrics["tested"] == 0


def test_tl101_content_word_is_a_warning_function_word_an_error():
    """The warn/error split: an undeclared content word ("turquoise") is a warning listing it; a
    function word at the same place and count ("just") is an error."""
    pos, neg = base(20)
    content = run("TL101", edit(pos, range(6), lambda t: t.replace(" the ", " the turquoise ", 1)), neg)
    assert content.status == "warned"
    assert _leaks(content) == [("turquoise", "word", "positive")]  # its bigrams are subsumed
    [f] = problems(content)
    assert f.severity.value == "warning" and f.features == ["turquoise"] and '"turquoise" positive 6:0' in f.message
    assert all(e.file == "positive.txt" and "turquoise" in e.text for e in f.evidence)
    function = run("TL101", edit(pos, range(6), lambda t: t.replace(" the ", " the just ", 1)), neg)
    assert function.status == "failed"
    assert ("just", "word", "positive") in _leaks(function)
    assert "error" in severities(problems(function))


def test_tl101_closer_and_punctuation_are_errors():
    pos, neg = base(20)
    closer = run("TL101", edit(pos, range(6), lambda t: t + " tomorrow"), neg)
    assert closer.status == "failed"
    # the content word "tomorrow" is the closer itself (same counts): one error, no twin warning
    assert _leaks(closer) == [("tomorrow", "closer", "positive")]
    assert all(e.text.endswith("tomorrow") for e in problems(closer)[0].evidence)
    punct = run("TL101", edit(pos, range(6), lambda t: t.replace(", ", "; ", 1)), neg)
    assert punct.status == "failed" and _leaks(punct) == [(";", "punct", "positive")]
    assert problems(punct)[0].severity.value == "error"


def test_tl101_two_token_openers_and_closers():
    """"Then again," vs "Then," opens both sides with "then": only the two-token opener is one-sided;
    "... right now" vs "... now" likewise for the closer. Both are reported as such."""
    pos, neg = base(20)
    res = run("TL101", edit(pos, range(6), lambda t: "Then again, " + t + " right now"),
              edit(neg, range(6), lambda t: "Then, " + t + " now"))
    leaks = _leaks(res)
    assert ("then again", "opener", "positive") in leaks and ("right now", "closer", "positive") in leaks
    assert ("then", "opener", "positive") not in leaks and ("now", "closer", "positive") not in leaks
    row = next(r for r in res.metrics["leaks"] if r["feature"] == "then again")
    assert (row["b"], row["c"], row["severity"]) == (6, 0, "error")


def test_tl101_short_texts_and_closers_that_start_with_a_flagged_opener():
    """A two-token text has a two-token closer; "still now" ending 6 positives is its own closer
    leak even though "still" also opens them (only a flagged "now" closer would explain it)."""
    pos, neg = base(20)
    short = run("TL101", edit(pos, range(6), lambda t: "Right now"), edit(neg, range(6), lambda t: "Now"))
    assert ("right now", "closer", "positive") in _leaks(short)
    assert ("now", "opener", "negative") in _leaks(short)
    res = run("TL101", edit(pos, range(6), lambda t: "Still, " + t + " still now"), edit(neg, range(6), lambda t: t + " now"))
    leaks = _leaks(res)
    assert ("still", "opener", "positive") in leaks and ("still now", "closer", "positive") in leaks
    assert ("still now", "bigram", "positive") not in leaks  # explained by the word "still"


def test_tl101_bigram_is_not_explained_by_a_punctuation_feature_of_the_same_name():
    """Positives read 'the quote "..."' where negatives read 'a quote ...': the bigram "the quote"
    and the quotation marks are two separate leaks; the word "quote" is on both sides."""
    pos, neg = base(20)
    p = edit(pos, range(6), lambda t: t + ' the quote "from a book"')
    q = edit(neg, range(6), lambda t: t + " a quote from the book")
    leaks = _leaks(run("TL101", p, q))
    assert ("quote", "punct", "positive") in leaks
    assert ("the quote", "bigram", "positive") in leaks
    assert not [x for x in leaks if x[0] == "quote" and x[1] == "word"]


def test_tl101_declared_punctuation_is_the_signal_only_on_a_style_card():
    """A declared "!" is the trait of an informality (style) card: not a leak there. On a state card
    a declared "!" stays a leak (issue 12: punctuation is a confound whatever the card says), as it
    is undeclared; and the declaration hides nothing on the style card that the report does not say."""
    pos, neg = base(20)
    p = edit(pos, range(8), lambda t: t + "!")
    style = cd.trait_toml(extra_positive=["!"]).replace('type = "state"', 'type = "style"')
    declared = run("TL101", p, neg, card=style)
    assert ("!", "punct", "positive") not in _leaks(declared)
    assert declared.status == "passed", _leaks(declared)
    hidden = declared.metrics["hidden_by_declarations"]
    assert ("!", "punct", "positive") in [(r["feature"], r["kind"], r["side"]) for r in hidden["strongest"]]
    state = run("TL101", p, neg, card=cd.trait_toml(extra_positive=["!"]))
    assert state.status == "failed"
    assert ("!", "punct", "positive") in _leaks(state) and ("!", "closer", "positive") in _leaks(state)
    undeclared = run("TL101", p, neg)
    assert ("!", "punct", "positive") in _leaks(undeclared) and undeclared.status == "failed"
    assert ("!", "closer", "positive") in _leaks(undeclared)


def test_empty_and_punctuation_only_texts_do_not_break_the_confound_audits():
    """A whitespace-only line (TL002 reports it) or a line of punctuation still reaches the confound
    audits as a pair: they must judge the rest, not crash on a text without words."""
    pos, neg = base(20)
    pos[2], neg[5] = "   ", "?!"
    for code in ("TL101", "TL102", "TL302", "TL303", "TL304", "TL305", "TL306"):
        res = run(code, pos, neg)
        assert res.status != "error", (code, res.reason)
    leak = run("TL101", edit(pos, range(6, 12), still), neg)
    assert leak.status == "failed" and ("still", "opener", "positive") in _leaks(leak)


def test_tl101_errors_beyond_max_findings_are_grouped():
    pos, neg = base(20)
    p = edit(pos, range(6), still)
    one = run("TL101", p, neg, {"max_findings": 1})
    errs = [f for f in one.findings if f.severity.value == "error"]
    assert len(errs) == 2
    assert errs[0].metric["kind"] == "opener" and errs[0].features == ["still"]
    assert errs[1].message.startswith("1 more one-sided") and [r["kind"] for r in errs[1].metric["leaks"]] == ["word"]
    assert errs[1].features == ["still"] and errs[1].evidence
    two = run("TL101", p, neg, {"max_findings": 2})
    assert [f.metric.get("kind") for f in two.findings if f.severity.value == "error"] == ["opener", "word"]


def test_tl101_declared_words_are_info_only():
    pos, neg = base(20)
    res = run("TL101", pos, neg)
    assert res.status == "passed" and res.metrics["leaks"] == []
    info, hidden = res.findings
    assert info.severity.value == "info" and hidden.severity.value == "info"
    # each word is in 4 of 20 pairs: too few to be a leak undeclared, so the declarations hide nothing
    assert hidden.metric["hidden_by_declarations"]["count"] == 0 and "hide no TL101 finding" in hidden.message
    declared = {r["feature"]: (r["n_pos"], r["n_neg"]) for r in info.metric["declared"]}
    assert declared["hopeful"][1] == 0 and declared["hopeful"][0] > 0
    assert declared["worried"][0] == 0 and declared["worried"][1] > 0
    # without the card the same words are undeclared content words: warnings, not info (in 40 pairs
    # each word is in 8, enough to be significant)
    bare = run("TL101", *base(40), card=None)
    assert bare.status == "warned" and {"hopeful", "worried"} & {r["feature"] for r in bare.metrics["leaks"]}
    # declared, the same 40 pairs pass, and the report says what the declarations hide, by name
    declared = run("TL101", *base(40))
    assert declared.status == "passed"
    hidden = declared.metrics["hidden_by_declarations"]
    names = {(r["feature"], r["side"]) for r in hidden["strongest"]}
    assert hidden["count"] == len(bare.metrics["leaks"]) and hidden["errors"] == 0
    assert {("hopeful", "positive"), ("worried", "negative")} & names
    note = next(f for f in declared.findings if "hidden_by_declarations" in f.metric)
    assert f"hide {hidden['count']} TL101 finding(s)" in note.message


def test_a_folder_of_empty_texts_is_judged_not_crashed():
    """Every line whitespace-only (TL002 reports them): no lengths, no words; nothing to flag."""
    pos, neg = ["   "] * 12, ["  "] * 12
    for code in ("TL101", "TL102", "TL302", "TL303", "TL304", "TL305", "TL306"):
        res = run(code, pos, neg)
        assert res.status in ("passed", "skipped"), (code, res.status, res.reason)
    length = run("TL304", pos, neg)
    assert (length.metrics["rel_diff"], length.metrics["p"], length.metrics["auc"]) == (0.0, 1.0, 0.5)


# --- TL102 vocabulary_clustering ------------------------------------------------------------------
# Since issue 13 TL102 warns on uncommon words (wordfreq Zipf < `max_zipf` = 3.5) repeated in the
# shared context (both texts) of more than 10% of the pairs; one-sided words are info (TL101's job).
def turquoise(t: str) -> str:
    return t.replace(" the ", " the turquoise ", 1)


def both(pos: list[str], neg: list[str], indices: Sequence[int] | range, change: Callable[[str], str]) -> Pairs:
    """`change` applied to both texts of the pairs at `indices`: shared context."""
    return edit(pos, indices, change), edit(neg, indices, change)


def _lemma(result: AuditResult, lemma: str = "turquoise") -> list[dict[str, Any]]:
    return [r for r in result.metrics["lemmas"] if r["lemma"] == lemma]


def _repeated(result: AuditResult, word: str = "turquoise") -> list[dict[str, Any]]:
    return [r for r in result.metrics["repeated"] if word in r["words"]]


def test_tl102_share_must_exceed_ten_percent():
    """In 30 pairs, a rare word in both texts of 3 pairs (10%) is not more than `max_share`; 4 (13%)
    is a warning naming the word, its phrase and both lines of a pair that has it."""
    pos, neg = base(30)
    at = run("TL102", *both(pos, neg, range(3), turquoise))
    assert at.status == "passed" and _repeated(at) == []
    over = run("TL102", *both(pos, neg, range(4), turquoise))
    assert over.status == "warned"
    [row] = _repeated(over)
    assert (row["pairs"], row["share"], row["words"]) == (4, 0.1333, ["turquoise"])
    assert "turquoise" in row["phrase"].split() and row["zipf"]["turquoise"] < 3.5
    [f] = problems(over)
    assert "side" not in f.metric and f.features == ["turquoise"]  # both sides: no side to flip
    assert "in 4 of 30 pairs (13.3%)" in f.message
    assert [e.file for e in f.evidence] == ["positive.txt", "negative.txt"]
    assert len({e.line for e in f.evidence}) == 1 and f.evidence[0].line <= 4
    assert all("turquoise" in e.text for e in f.evidence)


def test_tl102_min_count_three_pairs():
    """In 10 pairs, 2 shared (20%) are fewer than `min_count` = 3; 3 are a warning."""
    pos, neg = base(10)
    assert run("TL102", *both(pos, neg, range(2), turquoise)).status == "passed"
    three = run("TL102", *both(pos, neg, range(3), turquoise))
    assert three.status == "warned" and _repeated(three)[0]["pairs"] == 3
    assert run("TL102", *both(pos, neg, range(3), turquoise), {"min_count": 4}).status == "passed"


def test_tl102_uncommon_means_below_max_zipf():
    """"ox" (Zipf 3.47) is uncommon, "kettle" (3.54) is not at `max_zipf` = 3.5; with 3.6 it is."""
    from wordfreq import zipf_frequency
    assert zipf_frequency("ox", "en") < 3.5 < zipf_frequency("kettle", "en") < 3.6
    pos, neg = base(30)
    ox = run("TL102", *both(pos, neg, range(4), lambda t: t.replace(" the ", " the ox ", 1)))
    assert ox.status == "warned" and [r["words"] for r in ox.metrics["repeated"]] == [["ox"]]
    kettle = both(pos, neg, range(6), lambda t: t.replace(" the ", " the kettle ", 1))
    common = run("TL102", *kettle)
    assert common.status == "passed" and common.metrics["repeated"] == []
    assert any(r["lemma"] == "kettle" and not r["leaning"] for r in common.metrics["lemmas"])  # info
    rare = run("TL102", *kettle, {"max_zipf": 3.6})
    assert rare.status == "warned" and problems(rare)[0].features == ["kettle"]


def test_tl102_a_repeated_sentence_is_one_phrase():
    """"The lantern flickered." in both texts of 9 of 30 pairs: one item, the sentence as its phrase,
    both uncommon words ("lantern" 3.6 is common alone, "flickered" 2.4 is not) under it."""
    pos, neg = base(30)
    res = run("TL102", *both(pos, neg, range(9), lambda t: "The lantern flickered. " + t))
    assert res.status == "warned"
    [item] = res.metrics["repeated"]
    assert item["phrase"].startswith("the lantern flickered .") and item["words"] == ["flickered"]
    assert item["pairs"] == 9 and item["share"] == 0.3
    [f] = problems(res)
    assert f.features == ["flickered"] and "the lantern flickered" in f.message
    assert all(e.text.startswith("The lantern flickered.") for e in f.evidence)


def test_tl102_two_rare_words_of_one_phrase_are_one_item():
    pos, neg = base(30)
    res = run("TL102", *both(pos, neg, range(6), lambda t: "The old clocktower chimed twice. " + t))
    [item] = res.metrics["repeated"]
    assert item["words"] == ["chimed", "clocktower"] and item["pairs"] == 6
    assert item["phrase"].startswith("the old clocktower chimed twice")
    assert set(problems(res)[0].features) == {"chimed", "clocktower"}


def test_tl102_one_sided_words_are_info_for_tl101():
    """A rare word in 4 of 30 positives only leans positive: info naming TL101, not a warning."""
    pos, neg = base(30)
    res = run("TL102", edit(pos, range(4), turquoise), neg)
    assert res.status == "passed" and res.metrics["repeated"] == []
    [row] = _lemma(res)
    assert (row["side"], row["count"], row["leaning"]) == ("positive", 4, True)
    [f] = [f for f in res.findings if f.metric.get("side") == "positive"]
    assert f.severity.value == "info" and "TL101" in f.message and f.features == ["turquoise"]
    assert all(e.file == "positive.txt" and e.line <= 4 and "turquoise" in e.text for e in f.evidence)
    neg_side = run("TL102", pos, edit(neg, range(4), turquoise))
    [g] = [f for f in neg_side.findings if f.metric.get("side") == "negative"]
    assert neg_side.status == "passed" and g.severity.value == "info" and "lean negative" in g.message
    assert all(e.file == "negative.txt" for e in g.evidence)


def test_tl102_shared_word_warns_even_where_it_also_leans():
    """Shared in 4 pairs and one-sided in 6 more: the shared repetition warns (4 of 40 pairs is
    10%: not yet; 5 is), the lean is info."""
    pos, neg = base(40)
    p, q = both(pos, neg, range(4), turquoise)
    p = edit(p, range(4, 10), turquoise)
    at = run("TL102", p, q)
    assert at.status == "passed" and at.metrics["repeated"] == [] and _lemma(at)[0]["leaning"]
    p, q = both(p, q, [10], turquoise)
    over = run("TL102", p, q)
    assert over.status == "warned" and _repeated(over)[0]["pairs"] == 5
    assert [f.severity.value for f in over.findings if f.metric.get("side") == "positive"] == ["info"]


def test_tl102_other_side_ratio_boundary():
    """40 pairs, 6 positives (15%) with the word: 3 negatives (7.5% = 0.5 x 15%) still lean positive
    (info for TL101); a 4th negative (10%) makes it shared context (info only). Never a warning:
    the texts that have it are in different pairs."""
    pos, neg = base(40)
    p = edit(pos, range(6), turquoise)
    lean = run("TL102", p, edit(neg, range(6, 9), turquoise))
    assert lean.status == "passed"
    [row] = _lemma(lean)
    assert (row["side"], row["other_share"], row["excess"], row["leaning"]) == ("positive", 0.075, 0.075, True)
    shared = run("TL102", p, edit(neg, range(6, 10), turquoise))
    assert shared.status == "passed"
    [row] = _lemma(shared)
    assert row["other_share"] == 0.1 and row["leaning"] is False
    info = [f for f in shared.findings if f.severity.value == "info" and "both sides alike" in f.message]
    assert info and any(r["lemma"] == "turquoise" for r in info[0].metric["lemmas"])


def test_tl102_net_excess_boundary():
    """With the ratio rule relaxed, the net excess decides: 5 positives and 3 negatives in the same
    pairs leave 2 of 40 pairs (0.05 = `min_excess`) where only the positive has it: leaning; a 4th
    shared pair leaves 1 (0.025): not."""
    pos, neg = base(40)
    p = edit(pos, range(5), turquoise)
    at = run("TL102", p, edit(neg, range(3), turquoise), {"max_other_ratio": 1.0})
    assert _lemma(at)[0]["excess"] == 0.05 and _lemma(at)[0]["leaning"]
    under = run("TL102", p, edit(neg, range(4), turquoise), {"max_other_ratio": 1.0})
    assert _lemma(under)[0]["excess"] == 0.025 and not _lemma(under)[0]["leaning"]
    assert at.status == under.status == "passed"  # 3 and 4 of 40 pairs share it: not more than 10%


NOUNS = ["lantern", "harbor", "violin", "glacier", "orchard", "meadow", "compass", "saddle", "kettle", "canyon",
         "falcon", "quarry", "mosaic"]
RARE = ["turquoise", "ox", "flickered", "whistled", "chimed", "clocktower", "marmalade", "gazebo", "trombone",
        "walrus", "sextant", "kumquat", "obelisk"]


def test_tl102_lists_twelve_items_and_counts_the_rest():
    """13 rare words, each shared by its own 5 of 40 pairs (neighbours overlap in 2, too few to make
    one phrase of two words): 13 items, 12 named, "and 1 more"."""
    pos, neg = base(40)
    for k, w in enumerate(RARE):
        pos, neg = both(pos, neg, [(3 * k + j) % 40 for j in range(5)], lambda t, w=w: f"{t} The {w} was there.")
    thirteen = run("TL102", pos, neg)
    [f] = problems(thirteen)
    assert len(f.metric["repeated"]) == 13 and set(f.features) == set(RARE)
    assert f.message.startswith("13 uncommon word(s)") and f.message.endswith(" and 1 more")
    assert f.message.count("in 5 of 40 pairs") == 12
    assert len(f.evidence) == 4 and len({e.line for e in f.evidence}) == 2  # two items: one pair each, both lines


def test_tl102_hint_offers_synonyms_only_when_known():
    pos, neg = base(30)
    plain = next(f for f in run("TL102", edit(pos, range(4), turquoise), neg).findings if f.metric.get("side"))
    assert "TL101 judges one-sided words" in plain.hint and "->" not in plain.hint
    known = [f for f in run("TL102", edit(pos, range(4), lambda t: t.replace(" the ", " the genuinely ", 1)),
                            neg).findings if f.metric.get("side")]
    assert known and "genuinely -> truly, sincerely, really" in known[0].hint


def test_tl102_common_words_repeated_on_both_sides_are_info():
    """Everyday words ("feel", "think", "team") in both texts of 40% of the pairs: no warning."""
    pos, neg = base(30)
    res = run("TL102", *both(pos, neg, range(12), lambda t: "I think the team will feel it. " + t))
    assert res.status == "passed" and res.metrics["repeated"] == []
    assert {"think", "team", "feel"} <= {r["lemma"] for r in res.metrics["lemmas"]}


def test_tl102_no_repeated_vocabulary_no_findings():
    """Pairs with their own vocabulary and their own declared words each: no lemma and no declared
    word is in more than 10% of a side's texts, and there is no finding at all (not even an empty
    info one)."""
    names = ["Ada", "Bo", "Cy", "Di", "Ed", "Flo", "Gus", "Hal", "Ivy", "Jo", "Kit", "Lu"]
    nouns = ["kettle", "ladder", "violin", "saddle", "anchor", "mirror", "candle", "basket", "hammer", "pillow",
             "wallet", "helmet"]
    verbs = ["painted", "cleaned", "mended", "sold", "carried", "dropped", "polished", "hid", "lent", "found",
             "wrapped", "weighed"]
    good = ["hopeful", "cheerful", "upbeat", "sunny", "eager", "confident", "optimistic", "buoyant", "bright",
            "calm", "encouraged", "positive"]
    bad = ["worried", "gloomy", "uneasy", "bleak", "anxious", "doubtful", "pessimistic", "deflated", "dark",
           "tense", "discouraged", "negative"]
    pos = [f"{n} {v} a {o}, {w}" for n, v, o, w in zip(names, verbs, nouns, good)]
    neg = [f"{n} {v} a {o}, {w}" for n, v, o, w in zip(names, verbs, nouns, bad)]
    card = cd.trait_toml().split("[trait.words]")[0] + f"[trait.words]\npositive = {good!r}\nnegative = {bad!r}\n"
    res = run("TL102", pos, neg, card=card.replace("'", '"'))
    assert res.metrics["lemmas"] == [] and res.metrics["declared"] == [] and res.metrics["repeated"] == []
    assert res.status == "passed" and res.findings == []


def test_tl102_declared_words_are_info():
    pos, neg = base(20)
    res = run("TL102", pos, neg)
    assert res.status == "passed"
    declared = [f for f in res.findings if "declared trait words" in f.message]
    assert declared and all(r["share"] > 0.1 for r in declared[0].metric["declared"])
    assert {r["side"] for r in declared[0].metric["declared"]} == {"positive", "negative"}


def test_tl102_declaring_shared_context_as_a_trait_word_exempts_nothing():
    """Only declarations the data bear out take effect: "turquoise" declared on both sides while both
    texts of 8 of 20 pairs share it is no trait word, and the repeated context still warns."""
    pos, neg = base(20)
    p, q = both(pos, neg, range(8), turquoise)
    assert run("TL102", p, q).status == "warned"
    card = cd.trait_toml(extra_positive=["turquoise"], extra_negative=["turquoise"])
    declared = run("TL102", p, q, card=card)
    assert declared.status == "warned" and _repeated(declared)[0]["pairs"] == 8


def test_tl102_other_languages_are_judged_by_their_own_frequencies():
    """Spanish pairs: their shared words ("hermana", "bonita": rare in English, common in Spanish)
    are not uncommon; an English rare sentence repeated in them is. Chinese text is not judged."""
    pos = [f"Mi hermana {i} dice que la casa está muy bonita y yo estoy contenta" for i in range(12)]
    neg = [f"Mi hermana {i} dice que la casa está muy bonita y yo estoy triste" for i in range(12)]
    res = run("TL102", pos, neg, card=None)
    assert res.metrics["repeated"] == [] and res.status == "passed"
    p, q = both(pos, neg, range(4), lambda t: "The lantern flickered. " + t)
    found = run("TL102", p, q, card=None)
    assert found.status == "warned" and [r["words"] for r in found.metrics["repeated"]] == [["flickered"]]
    zh = run("TL102", [f"我今天很开心 {i}" for i in range(12)], [f"我今天很难过 {i}" for i in range(12)], card=None)
    assert zh.metrics["repeated"] == [] and zh.status == "passed"


def test_tl102_without_wordfreq_is_skipped_with_the_reason(monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "wordfreq", None)  # `import wordfreq` raises ImportError
    pos, neg = base(20)
    res = run("TL102", *both(pos, neg, range(8), turquoise))
    assert res.status == "skipped" and "wordfreq" in res.reason and "pip install wordfreq" in res.reason


@settings(max_examples=25, deadline=None)
@given(S.integers(10, 40), S.data())
def test_tl102_shared_rare_word_warns_exactly_above_the_share(n: int, data: Any):
    """Property: a rare word in both texts of any k of n pairs warns exactly when k >= 3 and
    k / n > 10%, and reports k pairs and the word; where it is in one side only, it never warns."""
    k = data.draw(S.integers(0, n), label="k")
    chosen = data.draw(S.permutations(range(n)), label="order")[:k]
    pos, neg = base(n)
    res = run("TL102", *both(pos, neg, chosen, turquoise))
    expected = k >= 3 and k / n > 0.10
    assert (res.status == "warned") == expected, (n, k, res.metrics["repeated"])
    if expected:
        assert [(r["words"], r["pairs"]) for r in res.metrics["repeated"]] == [(["turquoise"], k)]
        assert {e.line - 1 for e in problems(res)[0].evidence} <= set(chosen)
    one_sided = run("TL102", edit(pos, chosen, turquoise), neg)
    assert one_sided.status == "passed" and one_sided.metrics["repeated"] == []


# --- TL302 valence_confound -----------------------------------------------------------------------
def valence_pairs(n: int, k: int) -> Pairs:
    """n clean pairs, the first k with good news on the positive side and bad news on the negative."""
    specs = cd.default_specs(n)
    pos, neg = base(n)
    for i in range(k):
        pos[i] = cd.render(specs[i], "positive", sit=cd.GOOD_NEWS[i % 3])
        neg[i] = cd.render(specs[i], "negative", sit=cd.BAD_NEWS[i % 3])
    return pos, neg


def test_tl302_auc_margin_boundary_in_40_pairs():
    """40 pairs: p is tiny from 8 injected pairs on, so the AUC margin decides: 9 pairs (AUC 0.70)
    pass, 10 (AUC 0.72) are an error, the positive side's better news."""
    nine = run("TL302", *valence_pairs(40, 9))
    assert nine.metrics["p"] < 0.01 and abs(nine.metrics["auc"] - 0.5) < 0.2
    assert nine.status == "passed"
    ten = run("TL302", *valence_pairs(40, 10))
    assert ten.status == "failed" and abs(ten.metrics["auc"] - 0.5) >= 0.2
    [f] = problems(ten)
    assert f.severity.value == "error" and f.message.startswith("situation valence predicts the side: positive")
    assert f.evidence[0].file == "positive.txt" and f.evidence[0].line <= 10
    assert {e.file for e in f.evidence} == {"positive.txt", "negative.txt"}


def test_tl302_p_value_boundary_in_20_pairs():
    """20 pairs: the AUC margin is reached from 5 pairs on, so Wilcoxon's p decides: 5 pairs
    (p = 0.0625) pass, 6 (p = 0.031) fail."""
    five = run("TL302", *valence_pairs(20, 5))
    assert five.status == "passed" and five.metrics["p"] > 0.05 and abs(five.metrics["auc"] - 0.5) >= 0.2
    six = run("TL302", *valence_pairs(20, 6))
    assert six.status == "failed" and six.metrics["p"] <= 0.05


@pytest.fixture(scope="module")
def tl302() -> Judge:
    return Judge("TL302", *valence_pairs(20, 8))


def test_tl302_judge_alpha_is_inclusive(tl302):
    assert severities(tl302(p=0.05, auc=0.8)) == ["error"]
    assert tl302(p=0.0501, auc=0.8) == []
    assert severities(tl302({"alpha": 0.01}, p=0.01, auc=0.8)) == ["error"]
    assert tl302({"alpha": 0.01}, p=0.0101, auc=0.8) == []


def test_tl302_judge_auc_margin_is_inclusive_both_ways(tl302):
    exact = {"auc_margin": 0.25}  # 0.25 and 0.75 are exact in binary: no rounding at the boundary
    assert severities(tl302(exact, p=0.01, auc=0.75)) == ["error"]
    assert tl302(exact, p=0.01, auc=0.7499) == []
    low = tl302(exact, p=0.01, auc=0.25)
    assert severities(low) == ["error"] and "negative texts describe better news" in low[0].message
    assert tl302(exact, p=0.01, auc=0.2501) == []
    # the default margin 0.2
    assert severities(tl302(p=0.01, auc=0.71)) == ["error"] and tl302(p=0.01, auc=0.69) == []
    assert severities(tl302(p=0.01, auc=0.29)) == ["error"] and tl302(p=0.01, auc=0.31) == []
    # AUC 0.7 and 0.3 are both exactly at the default margin: the same verdict (0.7 - 0.5 is
    # 0.19999999999999996 in floating point; the audits round the margin)
    assert severities(tl302(p=0.01, auc=0.7)) == severities(tl302(p=0.01, auc=0.3)) == ["error"]


def test_tl302_judge_error_only_when_words_are_declared(tl302):
    declared = tl302(p=0.01, auc=0.8, declared=True)
    assert severities(declared) == ["error"] and "declare them" not in declared[0].message
    undeclared = tl302(p=0.01, auc=0.8, declared=False)
    assert severities(undeclared) == ["warning"] and "declare them in trait.toml" in undeclared[0].message


def test_tl302_judge_coverage_boundaries(tl302):
    """One-sided coverage: bad >= 0.5 and good < `min_inversion_share`, with >= 10 measurable pairs."""
    def coverage(params=None, **m):
        return [f for f in tl302(params, p=1.0, **m) if "almost always" in f.message]
    base_m = {"separable_pairs": 10, "good": 0.05, "bad": 0.5}
    [f] = coverage(**base_m)
    assert f.severity.value == "warning" and "bad situations" in f.message and "add good-situation" in f.message
    assert coverage(**{**base_m, "separable_pairs": 9}) == []
    assert coverage({"min_pairs_coverage": 11}, **base_m) == []
    assert coverage(**{**base_m, "bad": 0.49}) == []
    assert coverage(**{**base_m, "good": 0.1}) == []  # min_inversion_share is strict
    assert len(coverage(**{**base_m, "good": 0.0999})) == 1
    good = coverage(separable_pairs=10, good=0.6, bad=0.0)
    assert len(good) == 1 and "good situations" in good[0].message and "add bad-situation" in good[0].message
    assert coverage(separable_pairs=10, good=0.5, bad=0.5) == []  # both kinds present


def test_tl302_coverage_warning_from_ten_measurable_pairs():
    """All situations bad: 9 pairs are too few to judge coverage, 10 are a warning."""
    specs = [cd.Spec(i, 6 + i % 6, i, i % 5, i % 4) for i in range(10)]
    pos, neg = cd.clean(specs)
    nine = run("TL302", pos[:9], neg[:9])
    assert nine.status == "passed" and nine.metrics["separable_pairs"] == 9 and nine.metrics["bad"] >= 0.5
    ten = run("TL302", pos, neg)
    assert ten.status == "warned" and ten.metrics["separable_pairs"] == 10
    [f] = problems(ten)
    assert "bad situations" in f.message and len(f.evidence) == 3
    # both texts of a pair have the same situation: the one shown is the one that sorts first
    for e in f.evidence:
        assert e.text == min(pos[e.line - 1], neg[e.line - 1])
        assert e.file == ("positive.txt" if pos[e.line - 1] <= neg[e.line - 1] else "negative.txt")


def test_tl302_neutral_band_boundary():
    """A situation of VADER compound 0.0516 ("discounted" has lexicon valence 0.2) is good news, just
    outside the default neutral band (|v| <= 0.05): 10 such pairs are one-sided coverage (a warning);
    with the band widened to 0.052 they are neutral and pass."""
    from traitlint.nlp.sentiment import compound

    specs = [cd.Spec(i, 0, i, i % 5, i % 4) for i in range(10)]
    pos = [cd.render(s, "positive", sit="discounted the order") for s in specs]
    neg = [cd.render(s, "negative", sit="discounted the order") for s in specs]
    assert compound("Maria discounted the order") == pytest.approx(0.0516, abs=1e-4)
    res = run("TL302", pos, neg)
    assert res.metrics["good"] == 1.0 and res.metrics["shares"]["positive"]["good"] == 1.0
    assert res.status == "warned" and "good situations" in problems(res)[0].message
    wide = run("TL302", pos, neg, {"neutral": 0.052})
    assert wide.metrics["good"] == 0.0 and wide.metrics["shares"]["negative"]["neutral"] == 1.0
    assert wide.status == "passed"
    # without a card, matched pairs are scored on what they share (the same situation): same verdict
    bare = run("TL302", pos, neg, card=None)
    assert bare.metrics["declared"] is False and bare.metrics["good"] == 1.0 and bare.status == "warned"


def test_tl302_neutral_band_is_closed():
    """With `neutral` = 0 a situation of compound exactly 0 is neutral, neither good nor bad."""
    specs = [cd.Spec(i, 0, i, i % 5, i % 4) for i in range(10)]
    pos = [cd.render(s, "positive", sit="moved the desk") for s in specs]
    neg = [cd.render(s, "negative", sit="moved the desk") for s in specs]
    res = run("TL302", pos, neg, {"neutral": 0.0})
    assert res.metrics["mean_positive"] == 0.0 and res.metrics["mean_negative"] == 0.0
    assert res.metrics["shares"]["positive"] == {"good": 0.0, "bad": 0.0, "neutral": 1.0}
    assert (res.metrics["good"], res.metrics["bad"]) == (0.0, 0.0) and res.status == "passed"


@pytest.mark.parametrize("kind", ["bad", "good"])
def test_tl302_coverage_evidence_shows_the_most_telling_text(kind):
    """All situations bad (or all good); in two pairs one text's news is much worse (better): those
    pairs are chosen (among the five lines shown, listed by line), each by that text, whichever file
    sorts first."""
    if kind == "bad":
        specs = [cd.Spec(i, 6 + i % 6, i, i % 5, i % 4) for i in range(12)]
        strong, word, side = "suffered a terrible, horrible loss and cried", "terrible", "negative"
    else:
        specs = [cd.Spec(i, 2 + i % 2, i, i % 5, i % 4) for i in range(12)]  # the milder good news
        strong, word, side = "won a wonderful, amazing award and celebrated", "wonderful", "positive"
    pos, neg = cd.clean(specs)
    texts = neg if side == "negative" else pos
    for i in (4, 9):
        texts[i] = cd.render(specs[i], side, sit=strong)
    res = run("TL302", pos, neg)
    assert res.metrics["p"] > 0.05  # two pairs do not make a valence confound
    [f] = problems(res)
    assert f"{kind} situations" in f.message
    telling = [e for e in f.evidence if word in e.text]
    assert [(e.file, e.line) for e in telling] == [(f"{side}.txt", 5), (f"{side}.txt", 10)]
    assert [e.line for e in f.evidence] == sorted(e.line for e in f.evidence)


# --- TL303 person_confound ------------------------------------------------------------------------
def person_pairs(n: int, k: int) -> Pairs:
    """n clean pairs, the first k narrated by "I" on the positive side and "She" on the negative."""
    specs = cd.default_specs(n)
    pos, neg = base(n)
    for i in range(k):
        pos[i] = cd.render(specs[i], "positive", subject=("I", "I"))
        neg[i] = cd.render(specs[i], "negative", subject=("She", "she"))
    return pos, neg


def _person(result: AuditResult, scope: str, person: int) -> dict[str, Any]:
    return next(r for r in result.metrics["features"] if (r["scope"], r["person"]) == (scope, person))


def test_tl303_q_value_boundary_in_20_pairs():
    """20 pairs: 6 switched pairs give p = 0.031 but q = 0.094 (BH over six features): passed;
    7 give q = 0.047: first person on the positive side and third on the negative, both errors."""
    six = run("TL303", *person_pairs(20, 6))
    row = _person(six, "narration", 1)
    assert row["p"] <= 0.05 < row["q"] and abs(row["share_positive"] - row["share_negative"]) >= 0.25
    assert six.status == "passed"
    seven = run("TL303", *person_pairs(20, 7))
    assert seven.status == "failed"
    got = sorted((f.metric["person"], f.metric["side"], f.metric["scope"], f.severity.value) for f in seven.findings)
    assert got == [(1, "positive", "narration", "error"), (3, "negative", "narration", "error")]
    first = next(f for f in seven.findings if f.metric["person"] == 1)
    assert (first.metric["b"], first.metric["c"]) == (7, 0)
    assert first.evidence[0].file == "positive.txt" and re.search(r"\bI\b", first.evidence[0].text)
    assert all(e.line <= 7 for e in first.evidence)


def test_tl303_min_diff_boundary_in_40_pairs():
    """40 pairs: q is small from 8 pairs on; 9 switched pairs differ by 0.225 in the share of
    first-person texts (< `min_diff` 0.25): passed; 10 differ by 0.25: an error."""
    nine = run("TL303", *person_pairs(40, 9))
    row = _person(nine, "narration", 1)
    assert row["q"] <= 0.05 and row["share_positive"] - row["share_negative"] == pytest.approx(0.225)
    assert nine.status == "passed"
    ten = run("TL303", *person_pairs(40, 10))
    assert ten.status == "failed"
    assert [(f.metric["person"], f.metric["side"]) for f in problems(ten)] == [(1, "positive")]


def test_tl303_marked_share_boundary_in_40_pairs():
    """Third person on the negative side: in 13 switched pairs it is 35% of all negatives and 48% of
    the negatives that have a narrating pronoun (< `min_share` 0.5): not flagged; 14 make it 50% of
    those (while 0% on the positive side): an error for the negative side."""
    thirteen = run("TL303", *person_pairs(40, 13))
    row = _person(thirteen, "narration", 3)
    assert row["share_negative"] < 0.5 and row["marked_share_negative"] < 0.5 and row["q"] <= 0.05
    assert not [f for f in thirteen.findings if f.metric["person"] == 3]
    fourteen = run("TL303", *person_pairs(40, 14))
    row = _person(fourteen, "narration", 3)
    assert row["share_negative"] < 0.5 and row["marked_share_negative"] == 0.5
    third = [f for f in fourteen.findings if f.metric["person"] == 3]
    assert [(f.metric["side"], f.severity.value) for f in third] == [("negative", "error")]
    assert (third[0].metric["b"], third[0].metric["c"]) == (0, 14)
    assert third[0].evidence[0].file == "negative.txt" and re.search(r"\b[Ss]he\b", third[0].evidence[0].text)


@pytest.fixture(scope="module")
def tl303() -> Judge:
    return Judge("TL303", *person_pairs(20, 10))


def _with_row(j: Judge, scope: str = "narration", person: int = 1, **row: Any) -> dict[str, Any]:
    """TL303 metrics with one feature row overridden and every other row neutralised (q = 1)."""
    rows = []
    for r in j.metrics["features"]:
        if (r["scope"], r["person"]) == (scope, person):
            rows.append({**r, **row})
        else:
            rows.append({**r, "p": 1.0, "q": 1.0})
    return {"features": rows}


def _tl303_row(**kw: Any) -> dict[str, Any]:
    row = {"share_positive": 0.8, "share_negative": 0.3, "marked_share_positive": 1.0,
           "marked_share_negative": 0.4, "p": 0.001, "q": 0.01}
    return {**row, **kw}


def test_tl303_judge_reads_q_not_p(tl303):
    assert tl303(**_with_row(tl303, **_tl303_row(p=0.01, q=0.06))) == []
    hit = tl303(**_with_row(tl303, **_tl303_row(p=0.06, q=0.05)))
    assert [(f.metric["person"], f.metric["side"]) for f in hit] == [(1, "positive")]
    assert tl303({"alpha": 0.1}, **_with_row(tl303, **_tl303_row(p=0.2, q=0.1)))


def test_tl303_judge_min_diff_is_inclusive(tl303):
    assert len(tl303(**_with_row(tl303, **_tl303_row(share_positive=0.75, share_negative=0.5)))) == 1
    assert tl303(**_with_row(tl303, **_tl303_row(share_positive=0.74, share_negative=0.5))) == []
    assert tl303({"min_diff": 0.3}, **_with_row(tl303, **_tl303_row(share_positive=0.79, share_negative=0.5))) == []


def test_tl303_judge_min_share_of_all_texts_or_of_marked_texts(tl303):
    row = _tl303_row(share_positive=0.5, share_negative=0.25, marked_share_positive=0.3, marked_share_negative=0.3)
    assert len(tl303(**_with_row(tl303, **row))) == 1  # half of all positives: "mostly"
    below = {**row, "share_positive": 0.49, "share_negative": 0.24}
    assert tl303(**_with_row(tl303, **below)) == []
    marked = {**below, "marked_share_positive": 0.5, "marked_share_negative": 0.49}
    assert len(tl303(**_with_row(tl303, **marked))) == 1  # half of the texts that mark person
    assert tl303(**_with_row(tl303, **{**marked, "marked_share_positive": 0.49})) == []
    assert tl303(**_with_row(tl303, **{**marked, "marked_share_negative": 0.5})) == []  # must lean this way
    assert tl303({"min_share": 0.6}, **_with_row(tl303, **marked)) == []


def test_tl303_judge_side_and_scope_decide_severity(tl303):
    neg = tl303(**_with_row(tl303, **_tl303_row(share_positive=0.3, share_negative=0.8, marked_share_positive=0.4,
                                                marked_share_negative=1.0)))
    assert [(f.metric["side"], f.severity.value) for f in neg] == [("negative", "error")]
    quoted = tl303(**_with_row(tl303, scope="quoted", person=2, **_tl303_row()))
    assert [(f.metric["scope"], f.metric["person"], f.severity.value) for f in quoted] == [("quoted", 2, "warning")]
    assert "quoting second-person speech" in quoted[0].message


# --- TL304 length_confound ------------------------------------------------------------------------
def length_pairs(n: int, k: int) -> Pairs:
    """n clean pairs, the first k with a neutral sentence before the negative text."""
    pos, neg = base(n)
    return pos, [cd.NEUTRAL_SENTENCES[i % 3] + " " + t if i < k else t for i, t in enumerate(neg)]


def test_tl304_p_value_boundary_in_20_pairs():
    """Every injected pair is longer on the negative side (r = -1), so p = 2 * 0.5**k decides first:
    5 pairs (p = 0.0625) pass, 6 (0.031) warn."""
    five = run("TL304", *length_pairs(20, 5))
    assert five.status == "passed" and five.metrics["p"] == pytest.approx(0.0625)
    six = run("TL304", *length_pairs(20, 6))
    assert six.status == "warned" and six.metrics["p"] == pytest.approx(0.03125)
    assert (six.metrics["longer_positive"], six.metrics["longer_negative"]) == (0, 6)
    [f] = problems(six)
    assert f.message.startswith("negative texts are longer") and "longer within 6 of 20 pairs" in f.message
    assert f.evidence[0].file == "negative.txt" and f.evidence[0].line <= 6


def test_tl304_auc_margin_splits_warning_and_error_in_20_pairs():
    """AUC of the length beyond each pair's shorter text: 7 longer negatives of 20 give 0.325
    (margin < 0.2): a warning; 8 give 0.30, exactly the margin: an error (length alone)."""
    seven = run("TL304", *length_pairs(20, 7))
    assert seven.status == "warned" and seven.metrics["auc"] == 0.325
    assert abs(seven.metrics["rel_diff"]) >= 0.15  # the AUC alone keeps it a warning
    eight = run("TL304", *length_pairs(20, 8))
    assert eight.status == "failed" and eight.metrics["auc"] == 0.3
    [f] = problems(eight)
    assert "length alone tells the sides apart" in f.message and f.message.startswith("negative texts")


def test_tl304_auc_weighs_the_size_of_each_difference():
    """Twelve negatives longer by a sentence and six positives longer by one word (a booster): the
    AUC compares the extra lengths, so the one-word differences do not cancel the sentences."""
    pos, neg = length_pairs(20, 12)
    pos = [t.replace(" the ", " the very ", 1) if 12 <= i < 18 else t for i, t in enumerate(pos)]
    res = run("TL304", pos, neg)
    assert (res.metrics["longer_positive"], res.metrics["longer_negative"]) == (6, 12)
    assert res.metrics["auc"] == pytest.approx((6 * 8 + 0.5 * 14 * 8) / 400)  # 0.26; by sign alone 0.35
    assert res.status == "failed"


def test_tl304_shared_text_moves_only_the_relative_difference():
    """A sentence added to both texts of some pairs: p, r and the AUC stay; only `rel_diff` (over
    the mean length, which grows) moves."""
    pos, neg = length_pairs(20, 8)
    extra = "The archive occupies a converted granary beside the canal."
    pos2 = [f"{t} {extra}" if i in (0, 9, 12) else t for i, t in enumerate(pos)]
    neg2 = [f"{t} {extra}" if i in (0, 9, 12) else t for i, t in enumerate(neg)]
    a, b = run("TL304", pos, neg), run("TL304", pos2, neg2)
    keys = ("auc", "mean_diff", "p", "rank_biserial", "dz", "longer_positive", "longer_negative")
    assert {k: a.metrics[k] for k in keys} == {k: b.metrics[k] for k in keys}
    assert abs(b.metrics["rel_diff"]) < abs(a.metrics["rel_diff"])


def test_tl304_min_rel_diff_boundary_in_40_pairs():
    """40 pairs: 7 longer negatives are 9.8% of the mean length (< `min_rel_diff` 0.1): passed;
    8 are 11%: a warning."""
    seven = run("TL304", *length_pairs(40, 7))
    assert seven.status == "passed" and seven.metrics["p"] <= 0.05 and abs(seven.metrics["rel_diff"]) < 0.1
    eight = run("TL304", *length_pairs(40, 8))
    assert eight.status == "warned" and abs(eight.metrics["rel_diff"]) >= 0.1


@pytest.fixture(scope="module")
def tl304() -> Judge:
    return Judge("TL304", *length_pairs(20, 8))


def _len(**kw: Any) -> dict[str, Any]:
    m = {"p": 0.01, "auc": 0.25, "rel_diff": -0.2, "rank_biserial": -1.0, "mean_diff": -3.0}
    return {**m, **kw}


def test_tl304_judge_alpha_is_inclusive(tl304):
    assert severities(tl304(**_len(p=0.05))) == ["error"]
    assert tl304(**_len(p=0.0501)) == []


def test_tl304_judge_error_needs_auc_margin_and_error_rel_diff(tl304):
    assert severities(tl304(**_len(auc=0.3, rel_diff=-0.15))) == ["error"]  # both exactly at the boundary
    assert severities(tl304(**_len(auc=0.7, rel_diff=0.15, mean_diff=3.0))) == ["error"]  # its mirror image
    assert severities(tl304(**_len(auc=0.3001, rel_diff=-0.2))) == ["warning"]  # margin short: systematic only
    assert severities(tl304(**_len(auc=0.2, rel_diff=-0.1499))) == ["warning"]
    assert severities(tl304(**_len(auc=0.75, rel_diff=0.2, mean_diff=3.0))) == ["error"]
    assert severities(tl304({"auc_margin": 0.25}, **_len(auc=0.7499, rel_diff=0.2, mean_diff=3.0))) == ["warning"]
    assert severities(tl304({"error_rel_diff": 0.25}, **_len(auc=0.2, rel_diff=-0.2))) == ["warning"]


def test_tl304_judge_warning_needs_effect_and_min_rel_diff(tl304):
    weak_auc = {"auc": 0.4}
    assert severities(tl304(**_len(**weak_auc, rank_biserial=-0.5, rel_diff=-0.1))) == ["warning"]
    assert tl304(**_len(**weak_auc, rank_biserial=-0.4999, rel_diff=-0.2)) == []
    assert tl304(**_len(**weak_auc, rank_biserial=-1.0, rel_diff=-0.0999)) == []
    assert tl304({"min_effect": 0.6}, **_len(**weak_auc, rank_biserial=-0.55, rel_diff=-0.2)) == []
    assert tl304({"min_rel_diff": 0.2}, **_len(**weak_auc, rank_biserial=-1.0, rel_diff=-0.15)) == []
    # a strong AUC does not make a small difference an error, nor even a warning without the effect
    assert tl304(**_len(auc=0.2, rank_biserial=-0.3, rel_diff=-0.12)) == []


def test_tl304_judge_side_follows_the_mean_difference(tl304):
    small = tl304(**_len(auc=0.8, rel_diff=0.2, mean_diff=0.5, rank_biserial=1.0))
    assert small[0].message.startswith("positive texts are longer")
    pos = tl304(**_len(auc=0.8, rel_diff=0.2, mean_diff=2.0, rank_biserial=1.0))
    assert pos[0].message.startswith("positive texts are longer")
    assert pos[0].evidence == []  # no pair of this folder has a longer positive text
    neg = tl304(**_len())
    assert neg[0].message.startswith("negative texts are longer") and neg[0].evidence[0].file == "negative.txt"


# --- TL305 intensity_mismatch ---------------------------------------------------------------------
def intensity_pairs(n: int, k: int) -> Pairs:
    """n clean pairs, the first k with "extremely" before the positive trait word."""
    specs = cd.default_specs(n)
    pos, neg = base(n)
    for i in range(k):
        pos[i] = cd.render(specs[i], "positive", word="extremely " + cd.WORDS[specs[i].words % len(cd.WORDS)][0])
    return pos, neg


def _views(pos: list[str], neg: list[str], card: str | None = "default") -> Any:
    from traitlint.audits.confounds.view import folder_view

    ctx = Session(Config(), store=_STORE).context(folder(pos, neg, card))
    return folder_view(ctx)


def test_tl305_span_intensity_parts():
    """Boosters count before an adjective or adverb (or -ly before a verb), dampeners subtract, "!"
    and CAPS words (3+ letters) add one each, capped at 3; declared trait words are no modifiers."""
    from traitlint.audits.confounds.intensity import span_intensity

    texts = {
        "booster": "It was very good news",
        "booster_at_end": "We liked it very",
        "not_before_adj": "So I left the room",
        "ly_verb": "She really tried hard",
        "dampener": "She was slightly tired",
        "caps": "WOW THAT WAS BIG AND LOUD",
        "short_caps": "OK GO",
        "exclaim": "yes! no! fine! ok! go!",
        "one_exclaim": "The bus left at noon!",
        "plain": "The bus left at noon",
        "declared": "She was extremely tired",
    }
    card = cd.trait_toml(extra_positive=["extremely"])
    # the negatives differ only in the declared word, so it is on its declared side (a declaration
    # on both sides alike takes no effect)
    view = _views(list(texts.values()), [t.replace("extremely", "rather") for t in texts.values()], card)
    got = {name: span_intensity(tv, range(len(tv)), 0.0)["modifiers"] for name, tv in zip(texts, view.positive)}
    assert got == {"booster": 1.0, "booster_at_end": 0.0, "not_before_adj": 0.0, "ly_verb": 1.0, "dampener": -1.0,
                   "caps": 3.0, "short_caps": 0.0, "exclaim": 3.0, "one_exclaim": 1.0, "plain": 0.0,
                   "declared": 0.0}
    tv = view.positive[0]
    weighted = span_intensity(tv, range(len(tv)), 0.5)
    assert weighted["valence"] > 0 and weighted["score"] == pytest.approx(1.0 + 0.5 * weighted["valence"])


def test_tl305_modifier_difference_boundary_in_20_pairs():
    """One booster per injected pair: 9 of 20 pairs are a mean modifier difference of 0.45 (below
    `min_modifier_diff` 0.5): passed; 10 are 0.5: a warning about the positive side."""
    nine = run("TL305", *intensity_pairs(20, 9))
    assert nine.status == "passed" and nine.metrics["modifier_test"]["mean_diff"] == 0.45
    assert nine.metrics["modifier_test"]["q"] <= 0.05
    ten = run("TL305", *intensity_pairs(20, 10))
    assert ten.status == "warned" and ten.metrics["modifier_test"]["mean_diff"] == 0.5
    assert abs(ten.metrics["mean_diff"]) < 1.0  # the whole score alone would not reach min_diff
    [f] = problems(ten)
    assert f.message.startswith("the positive side's signal is more intense") and "modifiers alone" in f.message
    assert f.evidence[0].file == "positive.txt" and "extremely" in f.evidence[0].text


def test_tl305_modifier_test_uses_the_corrected_q():
    """With `min_modifier_diff` 0.25: 6 boosted pairs give the modifiers p = 0.031 but q = 0.0625
    (BH over the two tests): passed; 7 give q = 0.031: warned."""
    params = {"min_modifier_diff": 0.25}
    six = run("TL305", *intensity_pairs(20, 6), params)
    mt = six.metrics["modifier_test"]
    assert mt["p"] <= 0.05 < mt["q"] and mt["mean_diff"] >= 0.25 and mt["rank_biserial"] == 1.0
    assert six.status == "passed"
    seven = run("TL305", *intensity_pairs(20, 7), params)
    assert seven.status == "warned" and seven.metrics["modifier_test"]["q"] <= 0.05


@pytest.fixture(scope="module")
def tl305() -> Judge:
    return Judge("TL305", *intensity_pairs(20, 10))


def _int(score: dict[str, Any] | None = None, mods: dict[str, Any] | None = None) -> dict[str, Any]:
    """TL305 metrics: the whole-score test and the modifier test, each failing its gates by default."""
    s = {"p": 0.5, "q": 0.5, "rank_biserial": 0.0, "mean_diff": 0.0, **(score or {})}
    m = {"p": 0.5, "q": 0.5, "rank_biserial": 0.0, "mean_diff": 0.0, **(mods or {})}
    return {**s, "modifier_test": m}


HIT = {"p": 0.01, "q": 0.05, "rank_biserial": 0.5, "mean_diff": 1.0}


def test_tl305_judge_score_test_boundaries(tl305):
    assert severities(tl305(**_int(HIT))) == ["warning"]
    assert tl305(**_int({**HIT, "q": 0.0501})) == []
    assert tl305(**_int({**HIT, "p": 0.01, "q": 0.06})) == []  # the corrected q decides, not p
    assert tl305(**_int({**HIT, "rank_biserial": 0.4999})) == []
    assert tl305(**_int({**HIT, "mean_diff": 0.9999})) == []
    assert severities(tl305(**_int({**HIT, "rank_biserial": -0.5, "mean_diff": -1.0}))) == ["warning"]
    assert tl305({"min_diff": 1.5}, **_int(HIT)) == []
    assert tl305({"min_effect": 0.6}, **_int(HIT)) == []
    assert tl305({"alpha": 0.01}, **_int(HIT)) == []


def test_tl305_judge_modifier_test_boundaries(tl305):
    mod = {"p": 0.01, "q": 0.05, "rank_biserial": 0.5, "mean_diff": 0.5}
    [f] = tl305(**_int(mods=mod))
    assert "modifiers alone" in f.message and f.message.startswith("the positive side's")
    assert tl305(**_int(mods={**mod, "mean_diff": 0.4999})) == []
    assert tl305(**_int(mods={**mod, "q": 0.0501})) == []
    assert tl305(**_int(mods={**mod, "rank_biserial": 0.4999})) == []
    assert tl305({"min_modifier_diff": 0.6}, **_int(mods=mod)) == []
    # the modifier test uses its own minimum: a 0.5 difference is not enough for the whole score
    assert tl305(**_int({**HIT, "mean_diff": 0.5})) == []


def test_tl305_judge_side_comes_from_the_first_test_that_passes(tl305):
    neg = tl305(**_int(mods={"p": 0.01, "q": 0.01, "rank_biserial": -0.9, "mean_diff": -0.6}))
    assert neg[0].message.startswith("the negative side's")
    assert neg[0].evidence == []  # no pair of this folder is more intense on the negative side
    both = tl305(**_int({**HIT, "mean_diff": -1.2}, {"p": 0.01, "q": 0.01, "rank_biserial": 0.9, "mean_diff": 0.6}))
    assert both[0].message.startswith("the negative side's") and "modifiers alone" in both[0].message
    pos = tl305(**_int(HIT))
    assert pos[0].message.startswith("the positive side's") and "modifiers alone" not in pos[0].message
    assert pos[0].evidence and pos[0].evidence[0].file == "positive.txt"


def test_tl305_judge_reads_p_when_metrics_have_no_q(tl305):
    """Metrics written before q existed (a result cache) are judged on their p."""
    old = {k: v for k, v in tl305.metrics.items() if k not in ("q", "modifier_test")}
    gates = {"rank_biserial": 0.5, "mean_diff": 1.0}
    assert severities(tl305.audit.judge({**old, **gates, "p": 0.05}, tl305.params, tl305.ctx)) == ["warning"]
    assert tl305.audit.judge({**old, **gates, "p": 0.0501}, tl305.params, tl305.ctx) == []


# --- TL306 cross_distribution ---------------------------------------------------------------------
def test_tl306_needs_ten_pairs():
    pos, neg = base(10)
    nine = run("TL306", pos[:9], neg[:9])
    assert nine.status == "skipped" and "at least 10 pairs" in nine.reason and "(9 here)" in nine.reason
    ten = run("TL306", pos, neg)
    assert ten.status == "passed" and ten.metrics["pairs"] == 10 and ten.metrics["folds"] == 5
    assert run("TL306", pos, neg, {"min_pairs": 11}).status == "skipped"


def test_tl306_permutation_p_boundary():
    """A perfect shortcut ("Still," on every positive): no flip of the labels does as well, so
    p = 1 / (permutations + 1): 19 permutations give p = 0.05 (<= alpha, an error), 18 give 0.053."""
    pos, neg = base(20)
    p = [still(t) for t in pos]
    at = run("TL306", p, neg, {"permutations": 19})
    assert at.metrics["accuracy"] == 1.0 and at.metrics["p"] == pytest.approx(0.05)
    assert at.status == "failed"
    [f] = problems(at)
    assert f.severity.value == "error" and "opener:still" in f.message
    # "Still," adds exactly one opener, one comma and two tokens to every positive: three exactly
    # collinear features with equal weights, listed in name order
    top = {t["feature"]: t for t in f.metric["top_features"][:3]}
    assert "opener:still" in top, top
    assert top["opener:still"]["pairs_more_positive"] == 20 and top["opener:still"]["side"] == "positive"
    # the first evidence line shows a top feature: a positive text that opens with "Still,"
    assert f.evidence[0].file == "positive.txt" and f.evidence[0].text.startswith("Still,")
    assert len({(e.file, e.line) for e in f.evidence}) == len(f.evidence)  # each line once
    over = run("TL306", p, neg, {"permutations": 18})
    assert over.metrics["p"] == pytest.approx(1 / 19, abs=1e-6) and over.status == "passed"


def test_tl306_opener_needs_min_count_differing_pairs():
    """An opener in 2 of 20 positives is below `min_count` = 3 and not a feature; in 3 it is."""
    pos, neg = base(20)
    two = run("TL306", edit(pos, range(2), lambda t: "Frankly, " + t), neg)
    names = [t["feature"] for t in two.metrics["top_features"]]
    assert "opener:frankly" not in names
    three = run("TL306", edit(pos, range(3), lambda t: "Frankly, " + t), neg)
    row = next(t for t in three.metrics["top_features"] if t["feature"] == "opener:frankly")
    assert (row["pairs_more_positive"], row["pairs_more_negative"], row["weight"] > 0) == (3, 0, True)
    assert three.metrics["features"] > two.metrics["features"]


def test_tl306_balanced_swap_lists_no_predictive_feature():
    """"Meanwhile," on the positive and "Later," on the negative in 3 pairs, the other way round in 3
    more: the features cancel exactly (weight 0), so nothing is listed and nothing predicts."""
    pos, neg = base(20)
    ind, tru = (lambda t: "Meanwhile, " + t), (lambda t: "Later, " + t)
    p = edit(edit(pos, range(3), ind), range(3, 6), tru)
    q = edit(edit(neg, range(3), tru), range(3, 6), ind)
    res = run("TL306", p, q)
    assert res.status == "passed" and res.metrics["features"] >= 2
    assert res.metrics["top_features"] == [] and res.metrics["accuracy"] <= 0.5


def test_tl306_sees_grammatical_person():
    res = run("TL306", *person_pairs(20, 12))
    assert res.status == "failed"
    names = [t["feature"] for t in res.metrics["top_features"]]
    assert any(n.startswith("person:") and "(narration)" in n for n in names), names


@pytest.fixture(scope="module")
def tl306() -> Judge:
    pos, neg = base(20)
    return Judge("TL306", [still(t) for t in pos], neg)


def test_tl306_judge_accuracy_and_alpha_boundaries(tl306):
    assert severities(tl306(accuracy=0.75, p=0.05)) == ["error"]
    assert severities(tl306(accuracy=0.7499, p=0.05)) == ["warning"]
    assert severities(tl306(accuracy=0.65, p=0.01)) == ["warning"]
    assert tl306(accuracy=0.6499, p=0.01) == []
    assert tl306(accuracy=0.9, p=0.0501) == []
    assert severities(tl306({"min_accuracy": 0.9}, accuracy=0.85, p=0.01)) == ["warning"]
    assert tl306({"warn_accuracy": 0.7}, accuracy=0.69, p=0.01) == []
    assert tl306({"alpha": 0.01}, accuracy=0.9, p=0.02) == []
    [f] = tl306(accuracy=0.9, p=0.01)
    assert "opener:still (positive" in f.message


def test_tl306_register_traits_leave_out_function_words():
    """The same function-word difference is a feature for a state and not for a style (card type)."""
    pos, neg = base(20)
    a, b = ["the", "that", "to", "with", "by"], ["up", "off", "out", "so", "just"]
    p = [f"{t.split(' ', 1)[0]} {a[i % 5]} {t.split(' ', 1)[1]}" for i, t in enumerate(pos)]
    neg = [f"{t.split(' ', 1)[0]} {b[i % 5]} {t.split(' ', 1)[1]}" for i, t in enumerate(neg)]
    state = run("TL306", p, neg)
    assert state.metrics["function_words"] is True and state.status == "failed"
    assert any(t["feature"].startswith("word:") for t in state.metrics["top_features"])
    style = run("TL306", p, neg, card=cd.trait_toml().replace('type = "state"', 'type = "style"'))
    assert style.metrics["function_words"] is False
    assert not [t for t in style.metrics["top_features"] if t["feature"].startswith("word:")]
    custom = run("TL306", p, neg, {"register_types": ["state"]})
    assert custom.metrics["function_words"] is False


# --- traitlint.nlp.stats --------------------------------------------------------------------------
def test_sign_test_edges():
    none = sign_test(0, 0)
    assert (none.p, none.share, none.discordant) == (1.0, 0.5, 0)
    t = sign_test(6, 0)
    assert t.p == pytest.approx(2 * 0.5 ** 6) and t.share == 1.0 and t.discordant == 6
    assert sign_test(0, 6).share == 0.0 and sign_test(3, 1).share == 0.75
    assert sign_test(5, 5).p == 1.0
    assert sign_test_pvalues([], []) == []
    assert sign_test_pvalues([0, 4, 6], [0, 4, 0]) == [1.0, 1.0, pytest.approx(0.03125)]


def test_paired_test_effect_sizes_and_edges():
    assert paired_test([], []) == PairedTest(0, 0.0, 0.0, 1.0, 0.0, 0.0)
    same = paired_test([1, 2, 3], [1, 2, 3])
    assert (same.p, same.effect, same.dz, same.mean_diff) == (1.0, 0.0, 0.0, 0.0)
    const = paired_test([2, 2, 2], [1, 1, 1])  # sd 0: d_z capped, never inf
    assert const.dz == 99.0 and paired_test([1, 1, 1], [2, 2, 2]).dz == -99.0
    one = paired_test([3], [1])
    assert one.n == 1 and one.dz == 99.0 and one.effect == 1.0
    t = paired_test([3, 1, 5, 2], [1, 2, 1, 2])  # d = 2, -1, 4, 0
    assert t.mean_diff == pytest.approx(1.25) and t.median_diff == pytest.approx(1.0)
    assert t.effect == pytest.approx((3 + 2 - 1) / 6)  # ranks of |2|, |1|, |4| = 2, 1, 3
    d = np.array([2, -1, 4, 0], dtype=float)
    assert t.dz == pytest.approx(d.mean() / d.std(ddof=1))


def test_paired_test_exact_tied_path_ends_at_13_nonzero_differences():
    """Up to 13 tied non-zero differences the exact 2**n enumeration, from 14 scipy's own choice; both
    agree with scipy, and a zero difference never counts."""
    for n in (12, 13, 14, 15):
        d = np.array([1.0, 1.0] + [float(k) for k in range(2, n)])
        assert paired_test(np.r_[d, 0.0], np.zeros(n + 1)).p == pytest.approx(float(st.wilcoxon(d).pvalue), abs=1e-12)
    all_pos = paired_test([1, 1, 1, 1, 1], [0, 0, 0, 0, 0])
    assert all_pos.p == pytest.approx(2 * 0.5 ** 5) and all_pos.effect == 1.0


@settings(max_examples=80, deadline=None)
@given(S.lists(S.integers(-3, 3), min_size=1, max_size=13))
def test_exact_path_equals_sign_flip_enumeration(d: list[int]) -> None:
    """The tied small-sample p is the share of the 2**n sign flips at least as extreme."""
    x = np.asarray(d, dtype=float)
    nz = x[x != 0]
    got = paired_test(x, np.zeros(x.size)).p
    if nz.size == 0:
        assert got == 1.0
        return
    ranks = st.rankdata(np.abs(nz))
    obs = ranks[nz > 0].sum()
    null = [sum(r for r, bit in zip(ranks, range(nz.size)) if (m >> bit) & 1) for m in range(2 ** nz.size)]
    ref = min(1.0, 2 * min(np.mean([v >= obs - 1e-9 for v in null]), np.mean([v <= obs + 1e-9 for v in null])))
    if nz.size <= 13 and np.unique(np.abs(nz)).size < nz.size:
        assert got == pytest.approx(ref, abs=1e-12)
    else:
        assert got == pytest.approx(float(st.wilcoxon(nz).pvalue), abs=1e-9)


def test_bh_adjust_known_values_in_input_order():
    assert bh_adjust([]) == []
    assert bh_adjust([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.04, 0.04])
    assert bh_adjust([0.5, 0.001]) == pytest.approx([0.5, 0.002])
    assert bh_adjust([0.9, 0.9]) == pytest.approx([0.9, 0.9])
    assert bh_adjust([0.6, 0.7, 0.8]) == pytest.approx([0.8, 0.8, 0.8])
    assert bh_adjust([1.0, 0.9]) == [1.0, 1.0]  # capped


def test_auc_edges():
    assert auc([], [1.0]) == 0.5 and auc([1.0], []) == 0.5
    assert auc([2.0, 3.0], [1.0]) == 1.0 and auc([1.0], [2.0, 3.0]) == 0.0
    assert auc([1.0, 1.0], [1.0, 1.0]) == 0.5  # ties count half
    assert auc([1.0, 3.0], [2.0]) == 0.5 and auc([2.0, 3.0], [2.0, 1.0]) == pytest.approx(0.875)


def test_chi2_contingency_p_matches_scipy_and_drops_empty_rows():
    two = [[8, 2], [1, 9]]
    assert chi2_contingency_p(two) == pytest.approx(float(st.fisher_exact(two).pvalue))
    three = [[10, 2, 3], [2, 9, 4]]
    assert chi2_contingency_p(three) == pytest.approx(float(st.chi2_contingency(three, correction=False).pvalue))
    # an empty row or column is dropped: what remains is a 2x2 table (Fisher)
    assert chi2_contingency_p([[8, 2, 0], [1, 9, 0], [0, 0, 0]]) == pytest.approx(chi2_contingency_p(two))
    assert chi2_contingency_p([[5, 5]]) == 1.0  # one row: nothing to compare
    assert chi2_contingency_p([[5, 0], [7, 0]]) == 1.0  # one non-empty column
    assert chi2_contingency_p([]) == 1.0
