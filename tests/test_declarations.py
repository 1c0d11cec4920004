"""Declared trait words (issue 12): a declaration is a claim the data must bear out (TL105), never a
way to pass silently (TL101 reports what the declarations hide), and register markers stay leaks
off style cards."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import confound_data as cd
import pytest
from test_boundaries_confounds import base, edit, folder, problems, run

from traitlint.nlp.declarations import (
    BOTH_SIDES,
    NEVER,
    RARE,
    REGISTER,
    SIGNAL,
    effective_words,
    register_kind,
    review,
)

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings
from hypothesis import strategies as S

STYLE = 'type = "style"'


def style(card: str) -> str:
    return card.replace('type = "state"', STYLE)


# --- the pure review ------------------------------------------------------------------------------
@pytest.mark.parametrize("entry, kind", [
    ("not", "negator"), ("n't", "negator"), ("never", "negator"), ("without", "negator"),
    ("can't", "contraction"), ("won't", "contraction"), ("'ll", "contraction"), ("!", "punctuation"),
    (";", "punctuation"), ("the", "function word"), ("will", "function word"), ("is not", "negator"),
    ("hopeful", None), ("no problem", None), ("turned down", None), ("Honestly", None),
    ("can't stand", "contraction"), ("it's great", "contraction"), ("won’t", "contraction"),
])
def test_register_kind(entry, kind):
    assert register_kind(entry) == kind


def _found(rows):
    """[(positive entries, negative entries)] from a compact list of (pos, neg) strings."""
    return [(frozenset(p.split()), frozenset(n.split())) for p, n in rows]


def test_review_verdicts_at_their_boundaries():
    declared = {"positive": ["two", "three", "even", "share75", "share71", "absent", "not"], "negative": ["gloom"]}
    rows = [("two three share75 not", "gloom")] * 2 + [("three share75 not", "gloom")]
    rows += [("even share71", "even")] * 3
    rows += [("share71", "share75 share71"), ("share71", "share71")]
    entries = {e.entry: e for e in review(declared, _found(rows), style=False)}
    assert entries["two"].verdict == RARE and entries["two"].pairs == 2
    assert entries["three"].verdict == SIGNAL and entries["three"].pairs == 3
    assert entries["even"].verdict == BOTH_SIDES and entries["even"].share == 0.5
    assert entries["share75"].verdict == SIGNAL and entries["share75"].share == 0.75  # 3 of 4: enough
    assert entries["share71"].verdict == BOTH_SIDES and entries["share71"].share == pytest.approx(5 / 7)
    assert entries["absent"].verdict == NEVER and entries["absent"].share == 0.0
    assert entries["not"].verdict == REGISTER and entries["not"].register == "negator"
    assert not entries["not"].effective
    assert entries["gloom"].verdict == SIGNAL and entries["gloom"].side == "negative"
    assert all(entries[k].effective for k in ("two", "three", "share75", "absent", "gloom"))
    assert not entries["even"].effective and not entries["share71"].effective


def test_effective_words_follow_the_verdicts_and_the_card_type():
    declared = {"positive": ["hopeful", "rare", "not", "both"], "negative": ["gloomy", "absent"]}
    rows = [("hopeful not both", "gloomy both")] * 3 + [("rare", "")]
    state = effective_words(review(declared, _found(rows), style=False))
    assert sorted(state["positive"]) == ["hopeful", "rare"]  # "not": a negator; "both": both sides
    assert sorted(state["negative"]) == ["absent", "gloomy"]  # rare and never keep their exemption
    styled = effective_words(review(declared, _found(rows), style=True))
    assert sorted(styled["positive"]) == ["hopeful", "not", "rare"]


entry_st = S.sampled_from(["hopeful", "worried", "not", "bright", "dim", "!", "calm", "tense"])


@settings(max_examples=60, deadline=None)
@given(S.lists(S.tuples(S.frozensets(entry_st, max_size=4), S.frozensets(entry_st, max_size=4)), max_size=30),
       S.lists(entry_st, max_size=4, unique=True), S.lists(entry_st, max_size=4, unique=True), S.booleans())
def test_review_is_symmetric_under_a_swap_and_effective_means_one_sided(found, pos, neg, is_style):
    """Swapping the sides of both the data and the card swaps nothing else; an effective entry is
    never mostly on the other side, and a register marker is effective only on a style card."""
    declared = {"positive": pos, "negative": [w for w in neg if w not in pos]}
    a = {e.entry: e for e in review(declared, found, is_style)}
    b = {e.entry: e for e in review({"positive": declared["negative"], "negative": declared["positive"]},
                                    [(n, p) for p, n in found], is_style)}
    assert a.keys() == b.keys()
    for k, e in a.items():
        f = b[k]
        assert (e.verdict, e.n_side, e.n_other, e.pairs, e.effective) == (f.verdict, f.n_side, f.n_other, f.pairs,
                                                                         f.effective)
        if e.effective and e.n_side + e.n_other and e.pairs >= 3:
            assert e.share >= 0.75
        if e.register and not is_style:
            assert not e.effective


# --- TL105 on folders -----------------------------------------------------------------------------
def test_tl105_cap_is_40_per_side():
    pos, neg = base(20)
    padding = [f"unusedword{i}" for i in range(35)]  # 5 real + 35 = 40 positive entries
    at = run("TL105", pos, neg, card=cd.trait_toml(extra_positive=padding))
    assert at.metrics["per_side"]["positive"] == 40
    assert not [f for f in problems(at) if "over the cap" in f.message]
    over = run("TL105", pos, neg, card=cd.trait_toml(extra_positive=[*padding, "unusedword99"]))
    [cap] = [f for f in problems(over) if "over the cap" in f.message]
    assert cap.severity.value == "warning" and "41 positive trait words declared, over the cap of 40" in cap.message
    assert cap.evidence[0].file == "trait.toml" and "[trait.words]" in cap.evidence[0].text
    lower = run("TL105", pos, neg, {"max_per_side": 45}, card=cd.trait_toml(extra_positive=[*padding, "unusedword99"]))
    assert not [f for f in problems(lower) if "over the cap" in f.message]


def test_tl105_reports_never_rare_and_two_sided_entries_with_their_lines():
    pos, neg = base(20)
    p = edit(pos, [0, 4], lambda t: t.replace(" because", " and rosy because", 1))  # "rosy" in 2 pairs
    both = edit(p, range(10, 14), lambda t: "Frankly, " + t)
    n = edit(neg, range(10, 14), lambda t: "Frankly, " + t)
    card = cd.trait_toml(extra_positive=["rosy", "sparkling", "frankly"])
    res = run("TL105", both, n, card=card)
    by = {f.metric["verdict"]: f for f in problems(res) if "verdict" in f.metric}
    assert set(by) == {NEVER, RARE, BOTH_SIDES}
    assert by[NEVER].features == ["sparkling"] and '"sparkling" positive 0:0' in by[NEVER].message
    assert by[RARE].features == ["rosy"] and '"rosy" positive 2:0' in by[RARE].message
    assert by[BOTH_SIDES].features == ["frankly"] and '"frankly" positive 4:4' in by[BOTH_SIDES].message
    assert "take no effect" in by[BOTH_SIDES].message
    assert " more" not in by[NEVER].message  # one entry: nothing left over
    line = by[NEVER].evidence[0]
    assert line.file == "trait.toml" and '"sparkling"' in line.text
    summary = [f for f in res.findings if "take effect" in f.message and f.severity.value == "info"]
    # rare and never entries keep their exemption (too rare to hide a leak); the two-sided one does not
    assert summary and "7 of 8 positive" in summary[0].message


def test_tl105_register_markers_warn_off_style_cards_and_are_info_on_them():
    pos, neg = base(20)
    p = edit(pos, range(8), lambda t: t + " it was not")
    state = run("TL105", p, neg, card=cd.trait_toml(extra_positive=["not"]))
    [marker] = [f for f in problems(state) if "register markers" in f.message]
    assert marker.severity.value == "warning" and '"not" (negator) positive 8:0' in marker.message
    assert marker.features == ["not"]
    styled = run("TL105", p, neg, card=style(cd.trait_toml(extra_positive=["not"])))
    assert not [f for f in problems(styled) if "register" in f.message]
    info = [f for f in styled.findings if f.severity.value == "info" and "register marker" in f.message]
    assert info and '"not" (negator) positive 8:0' in info[0].message


# --- TL101 with declarations ------------------------------------------------------------------------
def test_tl101_a_declared_opener_stays_a_leak_off_style_cards():
    """"Hopefully," opening 8 positives: declared, it is still an opener error on a state card (the
    position is the confound); on a style card it is the trait."""
    pos, neg = base(20)
    p = edit(pos, range(8), lambda t: "Hopefully, " + t)
    card = cd.trait_toml(extra_positive=["hopefully"])
    state = run("TL101", p, neg, card=card)
    assert state.status == "failed"
    leaks = {(r["feature"], r["kind"], r["side"]): r for r in state.metrics["leaks"]}
    assert ("hopefully", "opener", "positive") in leaks
    assert ("hopefully", "word", "positive") not in leaks  # as a word it is declared
    styled = run("TL101", p, neg, card=style(card))
    assert styled.status == "passed", styled.metrics["leaks"]


def test_tl101_a_declared_negator_is_tested_as_a_function_word():
    pos, neg = base(20)
    p = edit(pos, range(8), lambda t: t + " it was not")
    res = run("TL101", p, neg, card=cd.trait_toml(extra_positive=["not"]))
    assert res.status == "failed"
    row = next(r for r in res.metrics["leaks"] if r["feature"] == "not" and r["kind"] == "word")
    assert row["severity"] == "error" and (row["b"], row["c"]) == (8, 0)


def test_tl101_says_what_the_declarations_hide_in_json_and_text(tmp_path: Path):
    pos, neg = base(40)
    target = folder(pos, neg)
    res = run("TL101", pos, neg)
    hidden = res.metrics["hidden_by_declarations"]
    assert res.status == "passed" and hidden["count"] >= 2
    for r in hidden["strongest"]:
        assert r["q"] <= 0.05 and r["kind"] == "word"
    exe = Path(sys.executable).parent / "traitlint"
    if not exe.exists():  # pragma: no cover - the suite runs from the project's venv
        pytest.skip("the traitlint console script is not installed next to this python")
    cli = [str(exe), "check", str(target), "--select", "TL101", "--no-cache"]
    text = subprocess.run(cli, capture_output=True, text=True, timeout=300)
    assert text.returncode == 0, text.stderr
    assert f"declared trait words hide {hidden['count']} TL101 finding(s)" in text.stdout
    shown = subprocess.run([*cli, "--show-info"], capture_output=True, text=True, timeout=300)
    assert shown.stdout.count("declared trait words hide") == 1  # the info finding, not twice
    js = subprocess.run([*cli, "--format", "json"], capture_output=True, text=True, timeout=300)
    assert '"hidden_by_declarations"' in js.stdout


def test_the_pytest_plugin_says_what_the_declarations_hide_on_a_passing_run(tmp_path: Path):
    pos, neg = base(40)
    target = folder(pos, neg)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(target), "-k",
                           "lexical_label_leak", f"--rootdir={target.parent}"], capture_output=True, text=True,
                          timeout=300, cwd=target.parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "traitlint declarations" in proc.stdout
    assert "declared trait words hide" in proc.stdout.split("traitlint declarations", 1)[1]


def test_tl105_long_lists_are_cut_at_15_names_with_a_count():
    pos, neg = base(20)
    missing = [f"absentword{i:02d}" for i in range(17)]
    res = run("TL105", pos, neg, card=cd.trait_toml(extra_positive=missing))
    [never] = [f for f in problems(res) if f.metric.get("verdict") == NEVER]
    assert never.message.count('"absentword') == 15 and never.message.endswith("and 2 more")
    assert len(never.features) == 17
