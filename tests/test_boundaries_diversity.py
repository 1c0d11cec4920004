"""Boundary tests of the diversity audits (TL201-TL205, TL301): each threshold tried just inside and
just outside, on folders that differ by one pair where the statistic allows it, else on `judge()`
with the metrics at the boundary.

Why: the diversity tests elsewhere check that a badly templated or one-topic folder is flagged and a
varied one is not, far from any threshold; a threshold changed, `>` turned into `>=` or a dropped
condition went unnoticed (issue 16). Here every verdict is asserted where it is decided, with the
reported feature (frame, template, kind, type, axis, topic), side, severity and evidence lines.

The folders are built from sentence *families*: one clause structure (one TL201 frame) with
varying names, nouns and trait words, so that a folder's frame counts are what the test says and no
literal five-word template recurs unless the test plants one.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from traitlint.config import Config
from traitlint.finding import Finding, Severity
from traitlint.nlp import frames, manifestation
from traitlint.nlp.features import FeatureStore
from traitlint.registry import get
from traitlint.runner import AuditResult, Session

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "diversity"))
import gen  # noqa: E402

W, E, I = Severity.WARNING, Severity.ERROR, Severity.INFO  # noqa: E741


# -- running ------------------------------------------------------------------------------------------
def run(store: FeatureStore, folder: Path, code: str, **params: dict) -> AuditResult:
    """One audit on one folder through the runner, with `[tool.traitlint.params]`-style overrides."""
    return Session(Config(params=params), store=store).run_audit(get(code), folder)


def judged(store: FeatureStore, folder: Path, code: str, metrics: dict[str, Any], **params: dict) -> list[Finding]:
    """`judge()` alone, on metrics written by the test, with the folder as context (plan, evidence)."""
    session = Session(Config(params=params), store=store)
    audit = get(code)
    return audit().judge(metrics, session.config.params_for(audit), session.context(folder))


def sev(findings: list[Finding]) -> list[Severity]:
    return [f.severity for f in findings]


def lines(finding: Finding) -> list[tuple[str, int | None]]:
    return [(e.file, e.line) for e in finding.evidence]


# -- sentence families (one frame each) ----------------------------------------------------------------
FAMILIES = {
    "why": ("Why did the {adj} {b} cancel the {a} so", "ADV SUBJ V OBJ ADV"),
    "because": ("Because the {a} flooded, the {adj} {b} wrote nothing about the", "ADVCL-because SUBJ write OBJ PP"),
    "told": ('When the {b} mentioned the {a}, I told my {adj} cousin, "Honestly,', "ADVCL-wh SUBJ tell OBJ QUOTE"),
    "gave": ("{name} gave the {adj} {b} a {a} yesterday.", "SUBJ V OBJ ADV"),
    "walking": ("Walking past the {a}, the {adj} {b} hummed a tune and", "ADVCL SUBJ V OBJ CC"),
    "said": ("{name} said that the {adj} {b} had sold the {a}", "SUBJ say CLAUSE-that"),
    "before": ("Before the {a} closed, {name} explained to the {adj} {b} why", "ADVCL-before SUBJ explain PP ADV"),
    "list": ("The {adj} {b}; the {a}; the", "NP ;"),
    "replied": ('The {adj} {b} replied, "The {a} is', "SUBJ reply QUOTE"),
    "smiled": ("The {adj} {b} at the {a} smiled, then", "SUBJ V ADV"),
    "although": ("Although the {a} was closed, the {adj} {b} kept", "ADVCL-although SUBJ V"),
    "letter": ("To the {adj} {b} at the {a}: we regret", "PP : SUBJ V"),
    "walked": ("{name} and the {adj} {b} walked to the {a} together", "SUBJ V PP ADV"),
    "once": ("Once the {a} reopened, the {adj} {b} told everyone that", "ADVCL-once SUBJ tell OBJ"),
    "how": ("How could the {adj} {b} forget the {a} after", "ADV SUBJ V OBJ PP"),
}
PLACES = ["clinic", "bank", "harvest", "concert", "bridge", "lecture", "ballot", "marathon", "harbour", "bakery",
          "workshop", "quarry"]
PEOPLE = ["nurse", "banker", "farmer", "violinist", "gardener", "engineer", "professor", "candidate", "pilot", "baker",
          "tailor", "miner"]
POS_WORDS = ["hopeful", "encouraged", "upbeat", "optimistic", "reassured", "cheerful"]
NEG_WORDS = ["worried", "discouraged", "gloomy", "pessimistic", "uneasy", "glum"]


def family_text(family: str, i: int, positive: bool) -> str:
    """Instance `i` of a family: words rotate with `i`, so no five-word run repeats across instances."""
    template = FAMILIES[family][0]
    adj = (POS_WORDS if positive else NEG_WORDS)[i % 6]
    return template.format(a=PLACES[(i * 5) % 12], b=PEOPLE[(i * 7 + 3) % 12], adj=adj, name=gen.NAMES[i % 10])


def family_pairs(spec: list[str]) -> list[tuple[str, str]]:
    """One pair per entry of `spec` (a family name, or "pos_family/neg_family" for sides in different frames)."""
    out = []
    for i, entry in enumerate(spec):
        pos, _, neg = entry.partition("/")
        out.append((family_text(pos, i, True), family_text(neg or pos, i, False)))
    return out


def frame(family: str) -> str:
    return FAMILIES[family][1]


def test_families_have_the_frames_the_tests_assume(store):
    """The premise of every TL201/TL202 folder below: each family is one frame, whatever its words."""
    used = {f: 60 if f == "gave" else 24 for f in FAMILIES}  # every index the folders below use
    cases = [(f, i, side) for f in FAMILIES for i in range(used[f]) for side in (True, False)]
    got = [frames.frame_of(tf) for tf in store.parse([family_text(f, i, side) for f, i, side in cases])]
    assert [c for c, g in zip(cases, got) if g != frame(c[0])] == []
    assert len({frame(f) for f in FAMILIES}) == len(FAMILIES)


# -- TL201 template_clustering: frames ------------------------------------------------------------------
def _tl201_frame_folders(tmp_path: Path) -> tuple[Path, Path]:
    """20 pairs: `why` in 4 pairs (exactly the 20% limit) vs 5 (25%); every other frame at <= 20%."""
    inside = ["why", "gave", "said", "smiled", "walked"] * 4
    outside = list(inside)
    outside[19] = "why"  # the last `walked` pair becomes a `why` pair
    return (gen.write_folder(tmp_path / "tl201_in", family_pairs(inside)),
            gen.write_folder(tmp_path / "tl201_out", family_pairs(outside)))


def test_tl201_frame_share_at_the_limit_passes_one_pair_more_warns(store, tmp_path):
    inside, outside = _tl201_frame_folders(tmp_path)
    ok = run(store, inside, "TL201")
    assert ok.status == "passed" and ok.findings == []
    assert [(r["frame"], r["share"]) for r in ok.metrics["frames"]][:5] == sorted(
        [(frame(f), 0.2) for f in ("why", "gave", "said", "smiled", "walked")], key=lambda x: x[0])
    bad = run(store, outside, "TL201")
    assert bad.status == "warned"
    [f] = bad.findings
    assert f.severity is W and f.threshold == 0.2
    assert f.metric == {"frame": frame("why"), "share": 0.25, "positive": 0.25, "negative": 0.25}
    assert lines(f) == [("positive.txt", 1), ("positive.txt", 6), ("positive.txt", 11)]  # the first three `why` lines
    assert "frame `ADV SUBJ V OBJ ADV` in 25% of positive and 25% of negative lines (limit 20%)" in f.message
    assert "Frame legend" in f.hint
    # the limit is a parameter: at 25% the same folder passes
    assert run(store, outside, "TL201", TL201={"max_share": 0.25}).status == "passed"


def test_tl201_min_lines_a_frame_in_3_of_10_lines_is_not_flagged_in_4_it_is(store, tmp_path):
    inside = ["why", "gave", "said", "why", "gave", "said", "why", "gave", "smiled", "smiled"]
    outside = list(inside)
    outside[9] = "why"
    ok = run(store, gen.write_folder(tmp_path / "in", family_pairs(inside)), "TL201")
    assert ok.status == "passed"
    assert ok.metrics["frames"][0]["share"] == 0.3  # above the 20% share, but only 3 lines (< min_lines 4)
    bad = run(store, gen.write_folder(tmp_path / "out", family_pairs(outside)), "TL201")
    assert [(f.metric["frame"], f.metric["share"]) for f in bad.findings] == [(frame("why"), 0.4)]
    # gave in 3 of 10 lines (30%) stays below min_lines in the same folder
    assert {r["frame"]: r["share"] for r in bad.metrics["frames"]}[frame("gave")] == 0.3
    assert run(store, gen.write_folder(tmp_path / "in2", family_pairs(inside)), "TL201",
               TL201={"min_lines": 3}).status == "warned"


def test_tl201_frame_on_one_side_is_judged_on_that_side(store, tmp_path):
    """12 different frames on the positive side; the negative side writes half its lines as `replied`."""
    names = ["why", "because", "told", "gave", "walking", "said", "before", "list", "smiled", "although",
             "letter", "walked"]
    spec = [f"{f}/replied" if i % 2 else f for i, f in enumerate(names)]
    r = run(store, gen.write_folder(tmp_path / "side", family_pairs(spec)), "TL201")
    [f] = r.findings
    assert f.metric == {"frame": frame("replied"), "share": 0.5, "positive": 0.0, "negative": 0.5}
    assert lines(f) == [("negative.txt", 2), ("negative.txt", 4), ("negative.txt", 6)]
    assert "in 0% of positive and 50% of negative lines" in f.message
    rows = r.metrics["frames"]
    assert r.metrics["distinct_frames"] == 13 and len(rows) == 10  # the table is cut at ten frames
    assert rows[0] == {"frame": frame("replied"), "positive": 0.0, "negative": 0.5, "share": 0.5, "side": "negative",
                       "lines": [1, 3, 5, 7, 9]}  # first five lines of the side that has it
    # a frame on both sides once: 1/12 of each side, rounded to four places; ties go to the positive side
    why = next(row for row in rows if row["frame"] == frame("why"))
    assert why == {"frame": frame("why"), "positive": 0.0833, "negative": 0.0833, "share": 0.0833, "side": "positive",
                   "lines": [0]}
    because = next(row for row in rows if row["frame"] == frame("because"))  # its negative side is a `replied`
    assert because["side"] == "positive" and because["negative"] == 0.0 and because["share"] == 0.0833


def test_tl201_judge_share_and_min_lines_boundaries(store, tmp_path):
    folder = gen.write_folder(tmp_path / "j", family_pairs(["why", "gave"] * 5))

    def metrics(share: float, pairs: int) -> dict:
        return {"pairs": pairs, "frames": [{"frame": "F", "positive": share, "negative": 0.0, "share": share,
                                            "side": "positive", "lines": [0, 2]}], "templates": []}

    assert judged(store, folder, "TL201", metrics(0.2, 20)) == []
    assert sev(judged(store, folder, "TL201", metrics(0.2001, 20))) == [W]
    assert judged(store, folder, "TL201", metrics(0.39, 10)) == []  # 3.9 lines < 4
    [f] = judged(store, folder, "TL201", metrics(0.4, 10))
    assert lines(f) == [("positive.txt", 1), ("positive.txt", 3)]


# -- TL201: literal templates --------------------------------------------------------------------------
TEN = ["why", "because", "told", "gave", "walking", "said", "before", "list", "smiled", "although"]
PHRASE = "the harbour ferry left early"
TAILS = ["today", "again", "twice", "tonight", "anyway", "regardless", "nonetheless", "meanwhile", "lately", "indeed",
         "somehow", "eventually"]


def _with_phrase(k: int, n: int = 10) -> list[tuple[str, str]]:
    """`n` pairs in `n` frames; the first `k` end with a second sentence holding the five-word PHRASE."""
    out = []
    for i, (p, q) in enumerate(family_pairs([*TEN, "letter", "walked"][:n])):
        extra = f" {PHRASE.capitalize()} {TAILS[i]}." if i < k else ""
        out.append((p + extra, q + extra))
    return out


def test_tl201_template_in_3_of_10_lines_passes_in_4_warns(store, tmp_path):
    ok = run(store, gen.write_folder(tmp_path / "t3", _with_phrase(3)), "TL201")
    assert ok.status == "passed"
    assert [(t["text"], t["count"], t["share"]) for t in ok.metrics["templates"]] == [
        (PHRASE, 3, 0.3), (PHRASE, 3, 0.3)]  # found on both sides, below min_lines
    bad = run(store, gen.write_folder(tmp_path / "t4", _with_phrase(4)), "TL201")
    assert bad.status == "warned"
    found = [(f.metric, lines(f)) for f in bad.findings]
    assert found == [({"template": PHRASE, "share": 0.4, "side": side}, [(f"{side}.txt", n) for n in (1, 2, 3)])
                     for side in ("negative", "positive")]
    assert all(f.severity is W and f.threshold == 0.2 for f in bad.findings)
    assert f'the words "{PHRASE}" recur in 40% of positive lines (limit 20%)' in bad.findings[1].message
    twelve = run(store, gen.write_folder(tmp_path / "t12", _with_phrase(4, 12)), "TL201")
    assert [(t["count"], t["share"]) for t in twelve.metrics["templates"]] == [(4, 0.3333), (4, 0.3333)]
    # template_words: a five-word phrase is not a six-word template
    assert run(store, gen.write_folder(tmp_path / "t4b", _with_phrase(4)), "TL201",
               TL201={"template_words": 6}).status == "passed"


PHRASES = ["an old lighthouse keeper waved", "the glacier survey team packed", "fresh bread cooled on racks",
           "the brass band played loudly", "a grey heron stood still", "three students missed the bus",
           "the library roof leaked again"]


def test_tl201_template_table_keeps_ten_and_five_lines_each(store, tmp_path):
    """Lines 0-6 share seven phrases (each its own template): 14 templates over both sides, 7 lines each."""
    out = []
    for i, (p, q) in enumerate(family_pairs(TEN)):
        extra = "".join(f" {ph.capitalize()} {TAILS[i]}." for ph in PHRASES) if i < 7 else ""
        out.append((p + extra, q + extra))
    r = run(store, gen.write_folder(tmp_path / "many", out), "TL201")
    templates = r.metrics["templates"]
    assert len(templates) == 10
    assert all(t["count"] == 7 and t["share"] == 0.7 and t["lines"] == [0, 1, 2, 3, 4] for t in templates)
    assert [t["side"] for t in templates] == ["negative"] * 7 + ["positive"] * 3  # sorted by share, side, text
    assert [t["text"] for t in templates[:7]] == sorted(PHRASES)
    assert len([f for f in r.findings if "template" in f.metric]) == 10


# -- TL202 syntactic_uniformity -------------------------------------------------------------------------
def test_tl202_three_equal_frames_pass_one_pair_moved_fails(store, tmp_path):
    inside = ["why", "gave", "said"] * 4  # 8 texts in each of 3 frames: exactly 3 effective frames
    outside = list(inside)
    outside[11] = "why"  # 10 / 8 / 6 texts
    ok = run(store, gen.write_folder(tmp_path / "in", family_pairs(inside)), "TL202")
    assert ok.status == "passed" and ok.findings == []
    assert ok.metrics["effective_frames"] == 3.0 and ok.metrics["distinct_frames"] == 3 and ok.metrics["texts"] == 24
    bad = run(store, gen.write_folder(tmp_path / "out", family_pairs(outside)), "TL202")
    assert bad.status == "failed"
    [f] = bad.findings
    eff = frames.effective_count([10, 8, 6])
    assert f.severity is E and f.threshold == 3.0
    assert bad.metrics["effective_frames"] == round(eff, 3) == f.metric["effective_frames"]
    assert [(r["frame"], r["share"], r["side"], r["pair"]) for r in bad.metrics["top_frames"]] == [
        (frame("why"), 0.4167, "positive", 0), (frame("gave"), 0.3333, "positive", 1),
        (frame("said"), 0.25, "positive", 2)]
    assert lines(f) == [("positive.txt", 1), ("positive.txt", 2), ("positive.txt", 3)]
    assert f.message.startswith(f"only {eff:.1f} effectively distinct frames (minimum 3): `{frame('why')}` 42%")
    assert run(store, gen.write_folder(tmp_path / "in2", family_pairs(inside)), "TL202",
               TL202={"min_frames": 3.5}).status == "failed"


SINGLES = ["why", "because", "told", "walking", "said", "before", "list", "smiled", "although"]


def test_tl202_dominant_frame_lists_eight_frames_and_five_examples(store, tmp_path):
    """60 pairs: nine frames once each, `gave` 51 times, three of them answered in `replied` on the negative side."""
    spec = SINGLES + ["gave/replied"] * 3 + ["gave"] * 48
    r = run(store, gen.write_folder(tmp_path / "dominant", family_pairs(spec)), "TL202")
    counts = {frame("gave"): 99, frame("replied"): 3, **{frame(s): 2 for s in SINGLES}}
    assert r.metrics["distinct_frames"] == 11 and r.metrics["texts"] == 120
    assert r.metrics["effective_frames"] == round(frames.effective_count(list(counts.values())), 3)
    order = [frame("gave"), frame("replied"), *sorted(frame(s) for s in SINGLES)]  # by count, then by frame
    top = r.metrics["top_frames"]
    assert [t["frame"] for t in top] == order[:8]
    assert top[0] == {"frame": frame("gave"), "share": 0.825, "side": "positive", "pair": 9}
    assert top[1] == {"frame": frame("replied"), "share": 0.025, "side": "negative", "pair": 9}  # negative side only
    assert top[2]["share"] == 0.0167
    [f] = r.findings
    single_line = {s: k + 1 for k, s in enumerate(SINGLES)}
    by_frame = {frame(s): s for s in SINGLES}
    assert lines(f) == sorted([("positive.txt", single_line[by_frame[fr]]) for fr in order[2:5]]) + [
        ("positive.txt", 10), ("negative.txt", 10)]  # the five frames' examples, listed by line
    assert f.message.count("`") == 10 and f.evidence_omitted == 0  # five frames shown, one line each, none left out


def test_tl202_judge_boundary(store, tmp_path):
    folder = gen.write_folder(tmp_path / "j", family_pairs(["why", "gave"] * 5))
    top = [{"frame": "F", "share": 1.0, "side": "negative", "pair": 3}]
    assert judged(store, folder, "TL202", {"effective_frames": 3.0, "top_frames": top}) == []
    [f] = judged(store, folder, "TL202", {"effective_frames": 2.999, "top_frames": top})
    assert f.severity is E and lines(f) == [("negative.txt", 4)]
    assert judged(store, folder, "TL202", {"effective_frames": 3.999, "top_frames": top}, TL202={"min_frames": 4}) != []


# -- TL203 divergence_spectrum ----------------------------------------------------------------------------
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def late(i: int) -> tuple[str, str]:
    """Ten shared tokens of eleven: position 10/11."""
    head = f"The {PLACES[i % 12]} committee met on {DAYS[i % 7]} and everyone left feeling"
    return f"{head} {POS_WORDS[i % 6]}", f"{head} {NEG_WORDS[i % 6]}"


def mid(i: int) -> tuple[str, str]:
    """Differs in the first word, then runs on together: position 0, mostly shared."""
    tail = f"{gen.NAMES[i % 10]} signed the {PLACES[i % 12]} form and mailed it that afternoon"
    return f"{POS_WORDS[i % 6].capitalize()}, {tail}", f"{NEG_WORDS[i % 6].capitalize()}, {tail}"


def early(i: int) -> tuple[str, str]:
    """Shares only the first of eight tokens: position 1/8, shared 1/8."""
    name, place = gen.NAMES[i % 10], PLACES[i % 12]
    return f"{name} lied about the {place} money to everyone", f"{name} admitted that the {place} money was gone"


KIND = {"late": late, "mid": mid, "early": early, "same": lambda i: (late(i)[0], late(i)[0])}


def spectrum(spec: str) -> list[tuple[str, str]]:
    """Pairs from a string of kind initials: "llm e" -> late, late, mid, early (s: identical texts)."""
    names = {"l": "late", "m": "mid", "e": "early", "s": "same"}
    return [KIND[names[c]](i) for i, c in enumerate(spec.replace(" ", ""))]


def test_tl203_pair_builders_are_the_kinds_they_claim():
    for kind, make in KIND.items():
        for i in range(24):
            p, q = make(i)
            assert frames.divergence(frames.words_of(p), frames.words_of(q)).kind == kind, (kind, i)


def _tokens(shared_head: int, shared_tail: int, length: int, i: int) -> tuple[str, str]:
    """Two texts of `length` tokens: `shared_head` shared tokens, then different words, then `shared_tail` shared."""
    words = ["the", "night", "crew", "on", "the", "ferry", "looked", "at", "the", "harbour", "lights", "and", "the",
             "rain", "over", "the", "pier"]
    rest = length - shared_head - shared_tail
    head, tail = words[:shared_head], words[len(words) - shared_tail:] if shared_tail else []
    pos = head + [f"{POS_WORDS[(i + k) % 6]}" for k in range(rest)] + tail
    neg = head + [f"{NEG_WORDS[(i + k) % 6]}" for k in range(rest)] + tail
    return " ".join(pos), " ".join(neg)


def test_tl203_kinds_follow_the_audit_parameters_at_their_edges(store, tmp_path):
    """position = shared head / 10 tokens; shared = (head + tail) / 10."""
    cases = [((6, 0), "late"),  # position 0.6: late from 0.6 on
             ((5, 3), "mid"),  # position 0.5
             ((3, 0), "mid"),  # position 0.3 with little shared: early only before 0.25
             ((2, 3), "mid"),  # position 0.2, shared exactly 0.5: does not count as "parted"
             ((2, 0), "early"),  # position 0.2, shared 0.2
             ((1, 5), "mid"),  # position 0.1 but re-converges: shared 0.6
             ((0, 4), "early")]  # position 0, shared 0.4
    pairs = [_tokens(h, t, 10, i) for i, ((h, t), _) in enumerate(cases)]
    for (p, q), (_, kind) in zip(pairs, cases):
        assert frames.divergence(frames.words_of(p), frames.words_of(q)).kind == kind, p
    folder = gen.write_folder(tmp_path / "edges", pairs)
    assert run(store, folder, "TL203").metrics["counts"] == {"late": 1, "mid": 4, "early": 2}
    assert run(store, folder, "TL203", TL203={"late_from": 0.5}).metrics["counts"] == {"late": 2, "mid": 3, "early": 2}
    counts = lambda **p: run(store, folder, "TL203", TL203=p).metrics["counts"]  # noqa: E731
    assert counts(early_before=0.35) == {"late": 1, "mid": 3, "early": 3}
    assert counts(reconverge=0.65) == {"late": 1, "mid": 2, "early": 4}


def test_tl203_late_share_at_70_percent_passes_80_warns(store, tmp_path):
    ok = run(store, gen.write_folder(tmp_path / "in", spectrum("lllllll mmm")), "TL203")
    assert ok.status == "passed" and ok.findings == []
    assert ok.metrics["distribution"] == {"late": 0.7, "mid": 0.3, "early": 0.0}
    assert ok.metrics["counts"] == {"late": 7, "mid": 3, "early": 0}
    bad = run(store, gen.write_folder(tmp_path / "out", spectrum("lllllll lmm")), "TL203")
    assert bad.status == "warned" and bad.metrics["median_position"] == 0.9091  # 10/11, rounded to four places
    [f] = bad.findings
    assert f.severity is W and f.threshold == 0.7
    assert f.metric == {"kind": "late", "share": 0.8, "distribution": {"late": 0.8, "mid": 0.2, "early": 0.0}}
    assert f.message.startswith("late divergence in 80% of pairs (limit 70%); "
                                "distribution: late 80%, mid 20%, early 0%")
    assert lines(f) == [("positive.txt", 1), ("positive.txt", 2), ("positive.txt", 3)]
    assert "position >= 0.6" in f.hint
    assert run(store, gen.write_folder(tmp_path / "out2", spectrum("lllllll lmm")), "TL203",
               TL203={"max_share": 0.8}).status == "passed"


def test_tl203_needs_three_pairs_of_a_kind(store, tmp_path):
    assert run(store, gen.write_folder(tmp_path / "two", spectrum("ll")), "TL203").findings == []
    three = run(store, gen.write_folder(tmp_path / "three", spectrum("lll")), "TL203")
    assert [(f.severity, f.metric["kind"], f.metric["share"]) for f in three.findings] == [(W, "late", 1.0)]


def test_tl203_metrics_shares_median_and_examples(store, tmp_path):
    """Six mid, two early, three late and one identical pair: shares are of the 11 differing pairs."""
    r = run(store, gen.write_folder(tmp_path / "mix", spectrum("mmm ee lll s mmm")), "TL203")
    m = r.metrics
    assert m["pairs"] == 12 and m["identical"] == 1
    assert m["distribution"] == {"late": 0.2727, "mid": 0.5455, "early": 0.1818}
    assert m["counts"] == {"late": 3, "mid": 6, "early": 2}
    # positions sorted: six 0.0, two 0.125, three 10/11, one 1.0 (the identical pair): the middle one is 0.125
    assert m["median_position"] == 0.125
    assert m["examples"] == {"late": [5, 6, 7], "mid": [0, 1, 2, 9, 10], "early": [3, 4]}
    assert r.findings == []


def test_tl203_planned_late_share_moves_the_limit_to_plan_plus_5_points(store, tmp_path):
    toml = "[plan]\ndivergence = { late = 0.8, mid = 0.2 }\n"
    ok = run(store, gen.write_folder(tmp_path / "in", spectrum("l" * 17 + "mmm"), toml), "TL203")
    assert ok.status == "passed" and ok.findings == []
    bad = run(store, gen.write_folder(tmp_path / "out", spectrum("l" * 18 + "mm"), toml), "TL203")
    [f] = bad.findings
    assert f.severity is W and f.metric["share"] == 0.9 and f.threshold == pytest.approx(0.85)
    assert "late divergence in 90% of pairs (limit 85%)" in f.message
    # a plan below max_share does not lower the limit
    low = "[plan]\ndivergence = { late = 0.3, mid = 0.7 }\n"
    assert run(store, gen.write_folder(tmp_path / "low_in", spectrum("lllllll mmm"), low), "TL203").findings == []
    [g] = run(store, gen.write_folder(tmp_path / "low_out", spectrum("llllllll mm"), low), "TL203").findings
    assert g.threshold == 0.7 and g.severity is W


def test_tl203_dominant_mid_or_early_is_info_unless_warn_kinds_lists_it(store, tmp_path):
    for kind, spec in (("mid", "mmmmmmmm ll"), ("early", "eeeeeeee ll")):
        folder = gen.write_folder(tmp_path / kind, spectrum(spec))
        [f] = run(store, folder, "TL203").findings
        assert (f.severity, f.metric["kind"], f.metric["share"]) == (I, kind, 0.8)
        assert "info: a dominant" in f.message
        [g] = run(store, folder, "TL203", TL203={"warn_kinds": [kind]}).findings
        assert (g.severity, g.metric["kind"]) == (W, kind) and "info" not in g.message
        at_limit = gen.write_folder(tmp_path / f"{kind}_70", spectrum(spec[0] * 7 + "lll"))
        assert run(store, at_limit, "TL203", TL203={"warn_kinds": [kind]}).findings == []


def test_tl203_label_agreement_at_70_percent_is_quiet_below_it_is_info(store, tmp_path):
    pairs = spectrum("lllllll mmm")
    truth = ["late"] * 7 + ["mid"] * 3

    def labels(wrong: int) -> list[dict]:
        out = [{"divergence": k} for k in truth]
        for j in range(wrong):
            out[j] = {"divergence": "mid"}  # the first `wrong` late pairs labelled mid
        return out

    ok = run(store, gen.write_folder(tmp_path / "agree70", pairs, None, labels(3)), "TL203")
    assert ok.metrics["labels"]["agreement"] == 0.7 and ok.findings == []
    bad = run(store, gen.write_folder(tmp_path / "agree60", pairs, None, labels(4)), "TL203")
    [f] = bad.findings
    assert f.severity is I and f.threshold == 0.7 and bad.status == "passed"
    assert f.metric == {"labelled": 10, "agreement": 0.6, "disagreements": [
        {"pair": j, "label": "mid", "computed": "late"} for j in range(4)]}
    assert lines(f) == [("positive.txt", j + 1) for j in range(4)]
    assert f.evidence[0].text.startswith("[label mid, text is late] The clinic committee")


def test_tl203_agreement_is_rounded_to_four_places(store, tmp_path):
    labels = [{"divergence": k} for k in ("late", "late", "mid")]
    r = run(store, gen.write_folder(tmp_path / "thirds", spectrum("lll"), None, labels), "TL203")
    assert r.metrics["labels"]["agreement"] == 0.6667 and sev(r.findings) == [W, I]


def test_tl203_annotations_without_divergence_labels_are_not_compared(store, tmp_path):
    r = run(store, gen.write_folder(tmp_path / "nolab", spectrum("lllll mmmmm"), None, [{"topic": "x"}] * 10), "TL203")
    assert r.status == "passed" and "labels" not in r.metrics and r.findings == []


def test_tl203_labels_count_only_known_kinds_on_differing_pairs(store, tmp_path):
    """Six wrong labels: one is not a kind, one is on an identical pair, one labels the sides apart (the
    positive label counts); the table shows five of the disagreements."""
    pairs = spectrum("llllll lll s")
    labels = [{"divergence": "mid"}] * 6 + [{"divergence": "late"}] * 3 + [{"divergence": "early"}]
    labels[0] = {"divergence": "unclear"}
    labels[1] = {"divergence": {"positive": "mid", "negative": "n/a"}}  # the positive label is a kind: counted
    labels[6] = {"divergence": {"positive": "late", "negative": "mid"}}
    labels[7] = {"divergence": {"positive": "early", "negative": "late"}}
    r = run(store, gen.write_folder(tmp_path / "lab", pairs, None, labels), "TL203")
    lab = r.metrics["labels"]
    assert lab["labelled"] == 8  # pair 0 (not a kind) and pair 9 (identical texts) are left out
    assert lab["agreement"] == 0.25  # pairs 6 and 8 agree
    assert lab["disagreements"] == [{"pair": j, "label": "mid", "computed": "late"} for j in range(1, 6)]
    assert len(r.findings[-1].evidence) == 5


def test_tl203_judge_boundaries(store, tmp_path):
    folder = gen.write_folder(tmp_path / "j", spectrum("llll mmmm ee"))
    planned = gen.write_folder(tmp_path / "p", spectrum("llll mmmm ee"),
                               "[plan]\ndivergence = { late = 0.8, mid = 0.2 }\n")

    def metrics(late_share: float, count: int) -> dict:
        return {"distribution": {"late": late_share, "mid": 1 - late_share, "early": 0.0},
                "counts": {"late": count, "mid": 1, "early": 0}, "examples": {"late": [1], "mid": [0], "early": []}}

    assert judged(store, folder, "TL203", metrics(0.7, 7)) == []
    [f] = judged(store, folder, "TL203", metrics(0.7001, 7))
    assert (f.severity, f.metric["kind"], lines(f)) == (W, "late", [("positive.txt", 2)])
    assert judged(store, folder, "TL203", metrics(1.0, 2)) == []
    assert len(judged(store, folder, "TL203", metrics(1.0, 3))) == 1
    # with a lower max_share, an unplanned kind is held to it (not to 0 + 5 points, nor more)
    assert len(judged(store, folder, "TL203", metrics(0.52, 5), TL203={"max_share": 0.5})) == 1
    assert judged(store, planned, "TL203", metrics(0.85, 17)) == []
    assert len(judged(store, planned, "TL203", metrics(0.86, 17))) == 1


@pytest.mark.parametrize("value,shown", [(7, "'7'"), (["late", "sideways"], "'sideways'"), ("soon", "'soon'")])
def test_tl203_unknown_warn_kinds_are_one_warning(store, tmp_path, value, shown):
    folder = gen.write_folder(tmp_path / "k", spectrum("llll mmmm ee"))
    found = run(store, folder, "TL203", TL203={"warn_kinds": value}).findings
    assert [f.severity for f in found] == [W] and shown in found[0].message
    assert found[0].threshold == ["late", "mid", "early"]


# -- TL204 manifestation_coverage -------------------------------------------------------------------------
ACTION = '[trait]\ntype = "action"\n'


def manifest(counts: list[tuple[str | None, int]], toml: str | None, tmp_path: Path, name: str) -> Path:
    """A folder of varied pairs whose annotations label `manifestation` with the given counts (None: no label)."""
    values = [v for v, k in counts for _ in range(k)]
    labels = [{"manifestation": v} if v is not None else {"topic": "x"} for v in values]
    return gen.write_folder(tmp_path / name, gen.varied_pairs(len(values)), toml, labels)


def test_tl204_top_type_at_50_percent_passes_55_fails(store, tmp_path):
    ok = run(store, manifest([("quoted_speech", 10), ("action", 5), ("document", 5)], ACTION, tmp_path, "in"), "TL204")
    assert ok.status == "passed" and ok.findings == []
    assert ok.metrics["distribution"] == {"quoted_speech": 0.5, "action": 0.25, "document": 0.25}
    assert ok.metrics["source"] == "annotations" and ok.metrics["behavioural"] is True
    over = [("quoted_speech", 11), ("action", 5), ("document", 4)]
    bad = run(store, manifest(over, ACTION, tmp_path, "out"), "TL204")
    assert bad.status == "failed"
    [f] = bad.findings
    assert f.severity is E and f.threshold == 0.5
    assert f.metric == {"type": "quoted_speech", "share": 0.55,
                        "distribution": {"quoted_speech": 0.55, "action": 0.25, "document": 0.2}}
    assert f.message == ("quoted_speech in 55% of pairs (annotations; limit 50%); distribution: quoted_speech 55%, "
                         "action 25%, document 20%")
    assert lines(f) == [("positive.txt", 1), ("positive.txt", 2), ("positive.txt", 3)]
    assert run(store, manifest([("quoted_speech", 11), ("action", 5), ("document", 4)], ACTION, tmp_path, "out2"),
               "TL204", TL204={"max_share": 0.55}).status == "passed"


def test_tl204_shares_are_of_labelled_pairs_and_unlabelled_pairs_warn(store, tmp_path):
    """10 of 19 labelled pairs is 53% (over the limit) though 10 of 20 pairs would be 50%."""
    r = run(store, manifest([("action", 10), ("document", 5), ("internal_state", 4), (None, 1)], ACTION, tmp_path,
                            "unl"), "TL204")
    assert r.metrics["distribution"] == {"action": 0.5263, "document": 0.2632, "internal_state": 0.2105}
    assert r.metrics["unlabelled"] == 1 and r.metrics["pairs"] == 20
    assert [(f.severity, f.metric) for f in r.findings] == [
        (E, {"type": "action", "share": 0.5263, "distribution": r.metrics["distribution"]}),
        (W, {"unlabelled": 1})]
    assert r.findings[1].message == "1 pairs have no manifestation label" and r.findings[1].threshold == 0
    assert r.metrics["examples"] == {"action": [0, 1, 2], "document": [10, 11, 12], "internal_state": [15, 16, 17]}


PLAN3 = ACTION + "[plan]\nmanifestation = {{ action = {a}, document = {b}, internal_state = {c} }}\n"


def test_tl204_planned_type_at_15_percent_passes_10_warns(store, tmp_path):
    toml = PLAN3.format(a=0.4, b=0.4, c=0.2)
    ok = run(store, manifest([("action", 8), ("document", 9), ("internal_state", 3)], toml, tmp_path, "in"), "TL204")
    assert ok.status == "passed" and ok.findings == []
    bad = run(store, manifest([("action", 8), ("document", 10), ("internal_state", 2)], toml, tmp_path, "out"), "TL204")
    [f] = bad.findings
    assert f.severity is W and f.threshold == 0.15
    assert f.metric == {"type": "internal_state", "share": 0.1, "target": 0.2}
    assert f.message == "planned manifestation 'internal_state' is only 10% of pairs (target 20%, minimum 15%)"
    assert lines(f) == [("trait.toml", 4)] and f.evidence[0].text.startswith("manifestation = {")


def test_tl204_a_small_planned_share_is_its_own_minimum(store, tmp_path):
    toml = PLAN3.format(a=0.45, b=0.45, c=0.1)
    ok = run(store, manifest([("action", 9), ("document", 9), ("internal_state", 2)], toml, tmp_path, "in"), "TL204")
    assert ok.findings == []  # 10%: below min_share 15%, at its planned 10%
    [f] = run(store, manifest([("action", 10), ("document", 9), ("internal_state", 1)], toml, tmp_path, "out"),
              "TL204").findings
    assert f.threshold == 0.1 and f.metric["share"] == 0.05
    assert "only 5% of pairs (target 10%, minimum 10%)" in f.message
    [g] = run(store, manifest([("action", 10), ("document", 10)], toml, tmp_path, "none"), "TL204").findings
    assert g.severity is W and g.metric["share"] == 0.0 and "'internal_state' is missing" in g.message


def test_tl204_who_is_judged(store, tmp_path):
    """Behavioural: type action or want, or a [plan] manifestation axis; a declared state is not judged;
    without a type the distribution is info."""
    one = [("action", 20)]
    for toml in ('[trait]\ntype = "want"\n', '[trait]\ntype = "Action"\n',
                 '[trait]\ntype = "state"\n[plan]\nmanifestation = { action = 1.0 }\n'):
        r = run(store, manifest(one, toml, tmp_path, f"b{len(toml)}"), "TL204")
        assert r.metrics["behavioural"] is True and sev(r.findings) == [E], toml
    state = run(store, manifest(one, '[trait]\ntype = "state"\n', tmp_path, "state"), "TL204")
    assert state.metrics["behavioural"] is False and state.findings == []
    for toml, name in (('[trait]\nis = "x"\n', "notype"), (None, "nocard")):
        [f] = run(store, manifest(one, toml, tmp_path, name), "TL204").findings
        assert f.severity is I
        assert f.message.startswith("annotations manifestation forms: action 100% (no trait.toml type")


def test_tl204_reads_the_positive_label_and_ties_sort_by_name(store, tmp_path):
    # pair 0 is a document: first seen, but the 50/50 tie is ordered by name
    labels = [{"manifestation": {"positive": "action" if i % 2 else "document", "negative": "other"}}
              for i in range(20)]
    r = run(store, gen.write_folder(tmp_path / "sides", gen.varied_pairs(20), ACTION, labels), "TL204")
    assert list(r.metrics["distribution"].items()) == [("action", 0.5), ("document", 0.5)]
    assert r.findings == []


def test_tl204_judge_boundaries(store, tmp_path):
    folder = manifest([("action", 10), ("document", 10)], PLAN3.format(a=0.4, b=0.4, c=0.2), tmp_path, "j")

    def metrics(top: float, planned_share: float) -> dict:
        return {"source": "annotations", "trait_type": "action", "behavioural": True, "pairs": 20, "unlabelled": 0,
                "distribution": {"action": top, "internal_state": planned_share, "document": 1 - top - planned_share},
                "planned": {"action": 0.4, "document": 0.4, "internal_state": 0.2}, "examples": {"action": [4]}}

    assert judged(store, folder, "TL204", metrics(0.5, 0.15)) == []
    [f] = judged(store, folder, "TL204", metrics(0.5001, 0.15))
    assert (f.severity, lines(f)) == (E, [("positive.txt", 5)])
    [g] = judged(store, folder, "TL204", metrics(0.5, 0.1499))
    assert g.severity is W and g.metric["type"] == "internal_state"


def quoted(n: int) -> list[tuple[str, str]]:
    out = []
    for i in range(n):
        head = f"{gen.NAMES[i % 10]} looked at the {PLACES[i % 12]} request and said,"
        out.append((f'{head} "No, I will not help with that, because',
                    f'{head} "Sure, I will gladly help with that, because'))
    return out


def test_tl204_inferred_types_are_checked_against_an_inferable_plan_only(store, tmp_path):
    inferable = ACTION + "[plan]\nmanifestation = { quoted_speech = 0.5, action = 0.5 }\n"
    other_labels = [{"topic": "x"}] * 20  # annotations without a manifestation label: the types are inferred
    r = run(store, gen.write_folder(tmp_path / "inf", quoted(20), inferable, other_labels), "TL204")
    assert r.metrics["source"] == "inferred" and r.metrics["distribution"] == {"quoted_speech": 1.0}
    assert [(f.severity, f.metric.get("type")) for f in r.findings] == [(E, "quoted_speech"), (W, "action")]
    assert "inferred from the words after each pair diverges" in r.findings[0].message
    sixth = ", ".join(f"{k} = 0.1667" for k in manifestation.KINDS)
    every = f"{ACTION}[plan]\nmanifestation = {{ {sixth} }}\n"
    r1 = run(store, gen.write_folder(tmp_path / "all", quoted(20), every), "TL204")  # all six kinds can be inferred
    assert [f.metric.get("type") for f in r1.findings] == ["quoted_speech", "action", "document", "internal_state",
                                                          "other", "reported_speech"]
    own = ACTION + "[plan]\nmanifestation = { explicit_decline = 0.5, deflection = 0.5 }\n"
    r2 = run(store, gen.write_folder(tmp_path / "own", quoted(20), own), "TL204")
    assert [f.severity for f in r2.findings] == [E, I]
    assert "cannot be inferred from text" in r2.findings[1].message and lines(r2.findings[1]) == [("trait.toml", 4)]


# -- TL205 plan_coverage ----------------------------------------------------------------------------------
HM = "[plan]\ntopic = { health = 0.5, money = 0.5 }\n"


def topics_folder(tmp_path: Path, name: str, values: list[str | None], toml: str | None = HM,
                  extra: dict | None = None) -> Path:
    labels = [{**({"topic": v} if v is not None else {}), **(extra or {})} for v in values]
    return gen.write_folder(tmp_path / name, gen.varied_pairs(len(values)), toml, labels)


def test_tl205_binomial_tolerance_14_of_20_passes_15_warns(store, tmp_path):
    """At 20 pairs and a 50% target the tolerance is two standard errors (22.4 points), not abs_tol."""
    ok = run(store, topics_folder(tmp_path, "in", ["health"] * 14 + ["money"] * 6), "TL205")
    assert ok.status == "passed" and ok.findings == []
    cov = ok.metrics["axes"]["topic"]
    assert cov["source"] == "annotations" and cov["labelled"] == 20 and cov["unlabelled"] == 0
    assert cov["coverage"] == [
        {"value": "health", "target": 0.5, "share": 0.7, "count": 14, "tolerance": 0.2236, "examples": [0, 1, 2]},
        {"value": "money", "target": 0.5, "share": 0.3, "count": 6, "tolerance": 0.2236, "examples": [14, 15, 16]}]
    bad = run(store, topics_folder(tmp_path, "out", ["health"] * 15 + ["money"] * 5), "TL205")
    assert [(f.severity, f.message, f.threshold) for f in bad.findings] == [
        (W, "topic=health: 75% of pairs, planned 50%", 0.7236),
        (W, "topic=money: only 25% of pairs, planned 50%", 0.2764)]
    assert bad.findings[0].metric == {"axis": "topic", "value": "health", "target": 0.5, "share": 0.75, "count": 15,
                                      "tolerance": 0.2236}
    assert lines(bad.findings[1]) == [("positive.txt", 16), ("positive.txt", 17), ("positive.txt", 18)]


ZERO = "[plan]\ntopic = { main = 1.0, rare = 0.0 }\n"


def test_tl205_abs_tol_38_of_40_passes_37_warns(store, tmp_path):
    """Targets of 0 and 1 have no binomial spread: the tolerance is abs_tol (5 points) itself."""
    ok = run(store, topics_folder(tmp_path, "in", ["main"] * 38 + ["rare"] * 2, ZERO), "TL205")
    assert ok.status == "passed" and ok.findings == []
    assert [r["tolerance"] for r in ok.metrics["axes"]["topic"]["coverage"]] == [0.05, 0.05]
    bad = run(store, topics_folder(tmp_path, "out", ["main"] * 37 + ["rare"] * 3, ZERO), "TL205")
    assert [(f.metric["value"], f.metric["share"], f.threshold) for f in bad.findings] == [
        ("main", 0.925, 0.95), ("rare", 0.075, 0.05)]
    loose = run(store, topics_folder(tmp_path, "loose", ["main"] * 37 + ["rare"] * 3, ZERO), "TL205",
                TL205={"abs_tol": 0.075})
    assert loose.findings == []
    # a value planned at 0% that no pair has is not "missing"
    assert run(store, topics_folder(tmp_path, "none", ["main"] * 40, ZERO), "TL205").findings == []


def test_tl205_a_plan_list_means_equal_shares(store, tmp_path):
    """topic = [a, b, c]: targets of 1/3; at 20 pairs the tolerance is 21.08 points, so the limits are
    54.41% and 12.25%."""
    toml = '[plan]\ntopic = ["a", "b", "c"]\n'
    r = run(store, topics_folder(tmp_path, "thirds", ["a"] * 12 + ["b"] * 1 + ["c"] * 7, toml), "TL205")
    assert [(f.metric["value"], f.metric["share"], f.threshold) for f in r.findings] == [
        ("a", 0.6, 0.5441), ("b", 0.05, 0.1225)]
    assert r.metrics["axes"]["topic"]["coverage"][2]["tolerance"] == 0.2108


def test_tl205_missing_unplanned_and_unlabelled_values(store, tmp_path):
    toml = "[trait]\ntype = \"state\"\n\n[plan]\ntopic = { health = 0.5, money = 0.5 }\n"
    values = ["health"] * 9 + ["travel"] * 2 + [None]
    r = run(store, topics_folder(tmp_path, "mix", values, toml), "TL205")
    axis = r.metrics["axes"]["topic"]
    assert axis["labelled"] == 11 and axis["unlabelled"] == 1 and axis["unplanned"] == {"travel": 2}
    assert [row["share"] for row in axis["coverage"]] == [0.8182, 0.0]  # of the 11 labelled pairs
    found = [(f.severity, f.message) for f in r.findings]
    assert found == [(W, "topic=health: 82% of pairs, planned 50%"),
                     (W, "topic=money is planned at 50% but no pair has it"),
                     (I, "topic has values the plan does not list: travel (2)"),
                     (W, "1 pairs have no topic label")]
    missing = r.findings[1]
    assert lines(missing) == [("trait.toml", 5)] and missing.threshold == 0.5
    assert lines(r.findings[2]) == [("trait.toml", 5)] and r.findings[3].threshold == 0


def test_tl205_unchecked_axes_say_why(store, tmp_path):
    toml = "[plan]\nvoice = { first = 0.5, third = 0.5 }\n"
    no_file = run(store, gen.write_folder(tmp_path / "nofile", gen.varied_pairs(10), toml), "TL205")
    assert [(f.severity, f.message) for f in no_file.findings] == [
        (I, "planned axes voice not checked: there is no annotations.jsonl")]
    assert no_file.metrics["axes"] == {"voice": {"source": "none"}} and no_file.metrics["annotations"] is False
    no_label = run(store, topics_folder(tmp_path, "nolabel", ["health"] * 10, toml), "TL205")
    assert [(f.severity, f.message) for f in no_label.findings] == [
        (I, "planned axes voice not checked: annotations.jsonl has no labels for them")]
    assert lines(no_label.findings[0]) == [("trait.toml", 2)]


def test_tl205_unlabelled_divergence_is_computed_even_when_annotations_exist(store, tmp_path):
    toml = "[plan]\ndivergence = { late = 0.5, mid = 0.5 }\n"
    pairs = spectrum("lllll mmmmm")
    r = run(store, gen.write_folder(tmp_path / "div", pairs, toml, [{"topic": "x"}] * 10), "TL205")
    axis = r.metrics["axes"]["divergence"]
    assert axis["source"] == "computed" and [row["count"] for row in axis["coverage"]] == [5, 5]
    assert r.findings == []
    # an identical pair has no kind (unlabelled, not a value "same"); TL203's parameters classify the rest
    same = gen.write_folder(tmp_path / "same", spectrum("lllll mmmm s"), toml)
    r1 = run(store, same, "TL205", TL203={"late_from": 0.95})
    axis = r1.metrics["axes"]["divergence"]
    assert (axis["labelled"], axis["unlabelled"], axis["unplanned"]) == (9, 1, {})
    assert [row["count"] for row in axis["coverage"]] == [0, 9]
    assert r1.findings[0].message == ("divergence=late is planned at 50% but no pair has it (computed from the text by "
                                      "TL203's rules; see `traitlint explain TL203`)")
    labelled = [{"divergence": "late"}] * 10
    r2 = run(store, gen.write_folder(tmp_path / "divlab", pairs, toml, labelled), "TL205")
    assert r2.metrics["axes"]["divergence"]["source"] == "annotations"
    assert [f.message for f in r2.findings][:2] == ["divergence=late: 100% of pairs, planned 50%",
                                                    "divergence=mid is planned at 50% but no pair has it"]


def voice_labels(pos_first: int, neg_first: int, n: int = 20) -> list[dict]:
    side = lambda first, i: "first" if i < first else "third"  # noqa: E731
    return [{"voice": {"positive": side(pos_first, i), "negative": side(neg_first, i)}} for i in range(n)]


def test_tl205_per_side_axis_fails_at_q_below_alpha_one_pair_less_passes(store, tmp_path):
    """first person on 12 positive vs 3 negative sides: Fisher p = 0.0079 < 0.01; 11 vs 3: p = 0.019."""
    bad = run(store, gen.write_folder(tmp_path / "leak", gen.varied_pairs(20), None, voice_labels(12, 3)), "TL205")
    assert bad.status == "failed"
    [f] = bad.findings
    assert f.severity is E and f.threshold == 0.01
    assert f.metric == {"axis": "voice", "rows": ["first", "third"], "table": [[12, 3], [8, 17]], "shared": False,
                        "p": 0.007912, "q": 0.007912}
    assert f.message == ("axis voice predicts the label (q=0.0079): first: 12 positive / 3 negative; "
                         "third: 8 positive / 17 negative")
    ok = run(store, gen.write_folder(tmp_path / "ok", gen.varied_pairs(20), None, voice_labels(11, 3)), "TL205")
    assert ok.status == "passed" and ok.metrics["label_tests"][0]["p"] == 0.018701


def test_tl205_decision_reads_the_corrected_q(store, tmp_path):
    """The same voice table next to a second annotated axis: BH over two axes doubles it to q = 0.016."""
    labels = [{**row, "register": "narrative"} for row in voice_labels(12, 3)]
    r = run(store, gen.write_folder(tmp_path / "two", gen.varied_pairs(20), None, labels), "TL205")
    tests = {t["axis"]: t for t in r.metrics["label_tests"]}
    assert tests["voice"]["p"] == 0.007912 and tests["voice"]["q"] == 0.015824
    assert tests["register"]["shared"] is True and tests["register"]["p"] == 1.0 and tests["register"]["q"] == 1.0
    assert r.findings == []  # p < alpha, but q is not


def test_tl205_bh_ranks_axes_and_leaves_out_axes_never_labelled(store, tmp_path):
    """Two axes that split the sides completely, the voice table, a shared axis and one that is always null:
    BH over the four tested axes puts voice third, q = 0.007912 * 4 / 3."""
    labels = [{**row, "tone": {"positive": "warm", "negative": "cold"},
               "pace": {"positive": "fast", "negative": "slow"}, "register": "narrative", "note": None}
              for row in voice_labels(12, 3)]
    r = run(store, gen.write_folder(tmp_path / "four", gen.varied_pairs(20), None, labels), "TL205")
    tests = {t["axis"]: (t["p"], t["q"]) for t in r.metrics["label_tests"]}
    assert tests == {"pace": (0.0, 0.0), "register": (1.0, 1.0), "tone": (0.0, 0.0), "voice": (0.007912, 0.010549)}
    assert [f.metric["axis"] for f in r.findings] == ["pace", "tone"]  # voice: p < alpha, q not


def test_tl205_judge_label_tests(store, tmp_path):
    folder = topics_folder(tmp_path, "j", ["health", "money"] * 10)

    def metrics(p: float, q: float, shared: bool = False) -> dict:
        return {"pairs": 20, "plan_problems": [], "annotation_problems": [], "axes": {}, "annotations": True,
                "label_tests": [{"axis": "voice", "rows": ["a", "b"], "table": [[1, 0], [0, 1]], "shared": shared,
                                 "p": p, "q": q}]}

    assert judged(store, folder, "TL205", metrics(0.001, 0.01)) == []
    assert sev(judged(store, folder, "TL205", metrics(0.02, 0.0099))) == [E]
    assert judged(store, folder, "TL205", metrics(0.0, 0.0, shared=True)) == []
    assert sev(judged(store, folder, "TL205", metrics(0.02, 0.019), TL205={"alpha": 0.02})) == [E]


def test_tl205_skips_only_without_plan_annotations_or_plan_problems(store, tmp_path):
    assert run(store, gen.write_folder(tmp_path / "none", gen.varied_pairs(10)), "TL205").status == "skipped"
    only_ann = run(store, topics_folder(tmp_path, "ann", ["health"] * 10, None), "TL205")
    assert only_ann.status == "passed" and [t["axis"] for t in only_ann.metrics["label_tests"]] == ["topic"]
    broken = run(store, gen.write_folder(tmp_path / "broken", gen.varied_pairs(10), "plan = 3\n"), "TL205")
    assert broken.status == "warned" and broken.findings[0].message.startswith("trait.toml: [plan] must be a table")
    assert [(e.file, e.line, e.text) for e in broken.findings[0].evidence] == [("trait.toml", 1, "plan = 3")]


@pytest.mark.parametrize("bad,shown", [(2, "(1, 2)"), (5, "(1, 2, 3, 4, 5)"), (7, "(1, 2, 3, 4, 5, ...)")])
def test_tl205_bad_annotation_lines_are_listed_up_to_five(store, tmp_path, bad, shown):
    labels = [{"topic": ["health"] if i < bad else "health"} for i in range(10)]
    r = run(store, gen.write_folder(tmp_path / "bad", gen.varied_pairs(10), HM, labels), "TL205")
    f = next(f for f in r.findings if f.message.startswith("annotations.jsonl"))
    assert f"on {bad} line(s) {shown}; those pairs count as unlabelled" in f.message
    assert lines(f) == [("annotations.jsonl", k) for k in range(1, min(bad, 5) + 1)]
    assert f.evidence[0].text == '{"topic": ["health"]}'
    assert f.metric == {"axis": "topic", "count": bad, "problem": "a list"}


def test_tl205_evidence_text_is_cut_at_160_characters(store, tmp_path):
    values = ", ".join(f"value_number_{k:02d} = 0.1" for k in range(10))  # one long inline table
    toml = f"[plan]\ntopic = {{ {values} }}\n"
    labels = [{"topic": ["x"] * 40 if i == 0 else "value_number_00"} for i in range(10)]
    r = run(store, gen.write_folder(tmp_path / "long", gen.varied_pairs(10), toml, labels), "TL205")
    missing = next(f for f in r.findings if "value_number_01 is planned" in f.message)
    assert missing.evidence[0].line == 2 and missing.evidence[0].text == f"topic = {{ {values} }}"[:160]
    bad = next(f for f in r.findings if f.message.startswith("annotations.jsonl"))
    assert len(bad.evidence[0].text) == 160 and bad.evidence[0].text.startswith('{"topic": ["x", "x"')

# -- TL301 topic_imbalance: annotated topics --------------------------------------------------------------
def topic_counts(counts: list[tuple[str | None, int]]) -> list[str | None]:
    return [v for v, k in counts for _ in range(k)]


def test_tl301_annotated_topic_at_25_percent_passes_one_pair_more_warns(store, tmp_path):
    inside = topic_counts([("health", 8), ("money", 6), ("travel", 6), ("school", 6), ("sport", 6)])
    outside = topic_counts([("health", 9), ("money", 6), ("travel", 6), ("school", 6), ("sport", 5)])
    ok = run(store, topics_folder(tmp_path, "in", inside, None), "TL301")
    assert ok.status == "passed" and ok.findings == []
    assert ok.metrics["topics"][0] == {"topic": "health", "share": 0.25, "pairs": 8, "examples": [0, 1, 2]}
    assert ok.metrics["label_p"] == 1.0 and "cannot predict" in ok.metrics["label_note"]
    bad = run(store, topics_folder(tmp_path, "out", outside, None), "TL301")
    [f] = bad.findings
    assert f.severity is W and f.threshold == 0.25
    assert f.metric == {"topic": "health", "share": 0.2812, "pairs": 9}
    assert f.message == "topic [health] covers 28% of pairs (limit 25%)"
    assert lines(f) == [("positive.txt", 1), ("positive.txt", 2), ("positive.txt", 3)]
    assert [t["topic"] for t in bad.metrics["topics"]] == ["health", "money", "school", "travel", "sport"]


def test_tl301_min_pairs_3_of_10_is_not_judged_4_is(store, tmp_path):
    """Issue 13: the absolute floor is 4 pairs (was 8): 3 of 10 pairs (30%) is too few to judge,
    4 of 15 (26.7%) warns."""
    inside = topic_counts([("health", 3), ("money", 2), ("travel", 2), ("school", 2), ("sport", 1)])
    outside = topic_counts([("health", 4), ("money", 3), ("travel", 3), ("school", 3), ("sport", 2)])
    ok = run(store, topics_folder(tmp_path, "in", inside, None), "TL301")
    assert ok.findings == [] and ok.metrics["topics"][0]["share"] == 0.3
    [f] = run(store, topics_folder(tmp_path, "out", outside, None), "TL301").findings
    assert f.metric == {"topic": "health", "share": 0.2667, "pairs": 4}
    assert run(store, topics_folder(tmp_path, "in2", inside, None), "TL301", TL301={"min_pairs": 3}).status == "warned"


def test_tl301_shares_are_of_all_pairs_unlabelled_included(store, tmp_path):
    r = run(store, topics_folder(tmp_path, "unl", topic_counts([("health", 8), (None, 12)]), None), "TL301")
    assert r.metrics["unlabelled"] == 12 and r.metrics["topics"] == [
        {"topic": "health", "share": 0.4, "pairs": 8, "examples": [0, 1, 2]}]
    assert sev(r.findings) == [W]


PLANNED = "[plan]\ntopic = {{ health = {h}, money = {m} }}\n"


def test_tl301_plan_share_plus_tolerance_is_the_limit(store, tmp_path):
    """health planned at 40%: the limit is 40% + 2 standard errors at 20 pairs = 61.9%: 12 pairs pass, 13 warn."""
    toml = PLANNED.format(h=0.4, m=0.6)
    ok = run(store, topics_folder(tmp_path, "in", topic_counts([("health", 12), ("money", 8)]), toml), "TL301")
    assert ok.status == "passed" and ok.findings == []
    out = topics_folder(tmp_path, "out", topic_counts([("health", 13), ("money", 7)]), toml)
    [f] = run(store, out, "TL301").findings
    assert f.severity is W and f.threshold == pytest.approx(0.4 + 2 * math.sqrt(0.24 / 20))
    assert f.message == "topic [health] covers 65% of pairs (limit 62%: planned 40% in [plan])"
    # TL205's abs_tol is the other half of the tolerance
    loose = run(store, topics_folder(tmp_path, "loose", topic_counts([("health", 13), ("money", 7)]), toml), "TL301",
                TL205={"abs_tol": 0.3})
    assert loose.findings == []


def test_tl301_small_planned_share_is_held_to_it_and_unplanned_topics_to_25_percent(store, tmp_path):
    """health planned at 10% of 100 pairs: limit 16% (two standard errors, 6 points): 16 pairs pass, 17 warn."""
    toml = PLANNED.format(h=0.1, m=0.9)
    ok = run(store, topics_folder(tmp_path, "in", topic_counts([("health", 16), ("money", 84)]), toml), "TL301")
    assert ok.findings == []
    out = topics_folder(tmp_path, "out", topic_counts([("health", 17), ("money", 83)]), toml)
    [f] = run(store, out, "TL301").findings
    assert (f.metric["topic"], f.threshold) == ("health", pytest.approx(0.16))
    # a topic the plan does not name keeps the 25% rule
    [g] = run(store, topics_folder(tmp_path, "unplanned", topic_counts([("travel", 26), ("money", 74)]), toml),
              "TL301").findings
    assert g.metric["topic"] == "travel" and g.threshold == 0.25 and "(limit 25%)" in g.message


def per_side_topics(pos_health: int, neg_health: int, n: int = 20) -> list[dict]:
    return [{"topic": {"positive": "health" if i < pos_health else "money",
                       "negative": "health" if i < neg_health else "money"}} for i in range(n)]


def test_tl301_annotated_topic_predicting_the_label_fails_at_p_below_alpha(store, tmp_path):
    """health on 12 positive vs 3 negative sides: Fisher p = 0.0079 < 0.01 fails; 11 vs 3 (p = 0.019) does not.
    The documented rule is p (one test, no correction)."""
    bad = run(store, gen.write_folder(tmp_path / "leak", gen.varied_pairs(20), None, per_side_topics(12, 3)), "TL301")
    assert bad.metrics["by_class"] == {"rows": ["health", "money"], "table": [[12, 3], [8, 17]]}
    assert bad.metrics["label_note"] == ""  # the sides are labelled apart
    errors = [f for f in bad.findings if f.severity is E]
    assert [(f.metric["p"], f.threshold) for f in errors] == [(0.007912, 0.01)]
    assert errors[0].message.startswith("annotated topic predicts the label (p=0.0079): "
                                        "health: 12 positive / 3 negative")
    assert lines(errors[0]) == [("annotations.jsonl", None)]
    ok = run(store, gen.write_folder(tmp_path / "ok", gen.varied_pairs(20), None, per_side_topics(11, 3)), "TL301")
    assert ok.metrics["label_p"] == 0.018701 and not [f for f in ok.findings if f.severity is E]


# -- TL301: unsupervised (NMF) topics ---------------------------------------------------------------------
NOUN_GROUPS = {
    "harbour": ("ferry", "pier", "tugboat"), "kitchen": ("flour", "dough", "skillet"),
    "garden": ("tulip", "hedge", "compost"), "school": ("chalkboard", "pupil", "homework"),
    "hospital": ("ward", "stethoscope", "surgeon"), "railway": ("platform", "carriage", "timetable"),
    "coast": ("lighthouse", "anchor", "buoy"), "compost": ("compost", "hedge", "compost"),  # two nouns only
}
NOUN_FRAMES = ["Beside the {a} and the {b}, near the {c}, she felt {adj} because",
               "The {a}, the {b} and the {c} made him {adj}, so",
               "We talked about the {c} and the {a} by the {b}, and we were {adj} that"]


def noun_pairs(spec: list[str]) -> list[tuple[str, str]]:
    """One pair per entry: the three nouns of its group (in rotating order) on both sides, or
    "pos_group/neg_group" for sides about different things."""
    out = []
    for i, entry in enumerate(spec):
        pos, _, neg = entry.partition("/")
        texts = []
        for group, words in ((pos, POS_WORDS), (neg or pos, NEG_WORDS)):
            nouns = NOUN_GROUPS[group]
            a, b, c = (nouns[(i + k) % 3] for k in range(3))
            texts.append(NOUN_FRAMES[i % 3].format(a=a, b=b, c=c, adj=words[i % 6]))
        out.append((texts[0], texts[1]))
    return out


def groups(counts: list[tuple[str, int]]) -> list[str]:
    return [g for g, k in counts for _ in range(k)]


NMF_IN = [("harbour", 8), ("kitchen", 5), ("garden", 5), ("school", 5), ("hospital", 5), ("railway", 4)]
NMF_OUT = [("harbour", 9), ("kitchen", 5), ("garden", 5), ("school", 5), ("hospital", 4), ("railway", 4)]


def test_tl301_domain_in_8_of_32_pairs_passes_9_warns(store, tmp_path):
    """Issue 13: shares are judged on domains (shared nouns linked by co-occurrence), not NMF topics.
    8 of 32 pairs is exactly 25% (not above the limit); 9 of 32 is 28.1%."""
    ok = run(store, gen.write_folder(tmp_path / "in", noun_pairs(groups(NMF_IN))), "TL301")
    m = ok.metrics
    assert ok.status == "passed" and ok.findings == []
    assert (m["source"], m["pairs"], m["k"], m["unassigned"], m["same_topics_within_pair"]) == ("nmf", 32, 6, 0.0, 1.0)
    assert m["non_english_texts"] == {"positive": 0, "negative": 0}
    # one domain per noun group, all three nouns linked (each pair shares all three)
    assert [(d["share"], d["pairs"], d["links"]) for d in m["domains"]] == [
        (0.25, 8, 3), (0.1562, 5, 3), (0.1562, 5, 3), (0.1562, 5, 3), (0.1562, 5, 3), (0.125, 4, 3)]
    harbour = m["domains"][0]
    assert set(harbour["words"]) == set(NOUN_GROUPS["harbour"]) and harbour["examples"] == [0, 1, 2]
    assert harbour["word_pairs"] == {w: 8 for w in NOUN_GROUPS["harbour"]}
    assert [(t["share"], t["pairs"]) for t in m["topics"]] == [(0.25, 8), (0.1562, 5), (0.1562, 5), (0.1562, 5),
                                                               (0.1562, 5), (0.125, 4)]
    assert all((t["positive_only"], t["negative_only"], t["p"], t["q"], t["examples"]) == (0, 0, 1.0, 1.0, [])
               for t in m["by_class"])
    bad = run(store, gen.write_folder(tmp_path / "out", noun_pairs(groups(NMF_OUT))), "TL301")
    [f] = bad.findings
    assert f.severity is W and f.threshold == 0.25
    assert f.metric == {"topic": ", ".join(sorted(NOUN_GROUPS["harbour"])), "share": 0.2812, "pairs": 9,
                        "core_pairs": 9, "nouns": 3}
    assert f.message == ("domain [ferry, pier, tugboat] is shared by both sides in 28% of pairs (9 of 32; limit 25%)")
    assert lines(f) == [("positive.txt", 1), ("positive.txt", 2), ("positive.txt", 3)]


def test_tl301_nmf_one_sided_pairs_are_counted_per_topic(store, tmp_path):
    """Eight garden pairs whose negative side is about school: garden is positive-only there, school negative-only."""
    spec = groups([("harbour", 6), ("kitchen", 5), ("garden/school", 8), ("school", 3), ("hospital", 5),
                   ("railway", 4)])
    pairs = noun_pairs(spec) + [("Honestly, I was so hopeful because", "Honestly, I was so worried because")]  # no noun
    r = run(store, gen.write_folder(tmp_path / "side", pairs), "TL301")
    assert r.metrics["unassigned"] == 0.0312  # 1 of 32 pairs is on no topic
    by_top = {frozenset(t["top_words"][:3]): t for t in r.metrics["by_class"]}
    garden, school = by_top[frozenset(NOUN_GROUPS["garden"])], by_top[frozenset(NOUN_GROUPS["school"])]
    assert (garden["positive_only"], garden["negative_only"], garden["p"]) == (8, 0, 0.007812)  # 2 / 2**8, 6 places
    assert (school["positive_only"], school["negative_only"], school["examples"]) == (0, 8, [11, 12, 13])
    assert garden["q"] == school["q"] == 0.023436  # BH over six topics: 0.007812 * 6 / 2
    assert all(t["p"] == t["q"] == 1.0 for t in r.metrics["by_class"] if t not in (garden, school))
    assert r.metrics["same_topics_within_pair"] == round(24 / 32, 4)
    assert not [f for f in r.findings if "predict" in f.message]  # 8 discordant pairs, but q above alpha


def test_tl301_domain_needs_a_link_seen_in_two_pairs(store, tmp_path):
    """Two nouns shared together by one pair are not linked; by two pairs they are (`min_cooccur`).

    Ten pairs share "compost, hedge"; a bridge pair shares "hedge" and "ferry" once. With the link
    needing two pairs, the compost domain (10 pairs + the bridge = 11 of 32, 34%) and the harbour
    domain stay apart; at min_cooccur = 1 the bridge joins them (harbour 6 + compost 10 + bridge)."""
    spec = groups([("compost", 10), ("harbour", 6), ("kitchen", 5), ("school", 5), ("railway", 5)])
    pairs = noun_pairs(spec) + [("Near the hedge and the ferry she felt hopeful because",
                                 "Near the hedge and the ferry she felt worried because")]
    r = run(store, gen.write_folder(tmp_path / "two", pairs), "TL301")
    top = r.metrics["domains"][0]
    assert (top["words"], top["pairs"], top["links"]) == (["hedge", "compost"], 11, 1)  # hedge: 11 pairs
    assert top["examples"] == [0, 1, 2]  # pairs sharing both nouns come before the bridge (line 32)
    [f] = r.findings
    assert f.metric["topic"] == "hedge, compost" and f.metric["pairs"] == 11
    assert "ferry" not in f.metric["topic"]
    one = run(store, gen.write_folder(tmp_path / "one", pairs), "TL301", TL301={"min_cooccur": 1})
    merged = one.metrics["domains"][0]
    assert merged["pairs"] == 17 and {"compost", "hedge", "ferry", "pier", "tugboat"} <= set(merged["words"])


def test_tl301_nmf_topic_without_members_is_reported_empty(store, tmp_path):
    spec = groups([("harbour", 8), ("kitchen", 6), ("garden", 6), ("school", 6), ("hospital", 6)])  # 5 groups, 6 topics
    r = run(store, gen.write_folder(tmp_path / "five", noun_pairs(spec)), "TL301")
    assert r.status == "passed" and r.metrics["k"] == 6
    empty = r.metrics["topics"][-1]
    assert (empty["share"], empty["pairs"], empty["examples"]) == (0.0, 0, [])
    assert [d["pairs"] for d in r.metrics["domains"]] == [8, 6, 6, 6, 6]


SPANISH = [  # (Spanish, English), written for this test
    ("El barco sale del puerto mañana temprano con los pescadores",
     "The boat leaves the port early tomorrow with the fishermen"),
    ("La biblioteca del pueblo cierra los domingos por la tarde",
     "The village library closes on Sunday afternoons"),
    ("Mi hermano compró una guitarra nueva en el mercado",
     "My brother bought a new guitar at the market"),
    ("Las montañas están cubiertas de nieve hasta la primavera",
     "The mountains are covered with snow until spring"),
    ("El médico dice que la vacuna llega la semana que viene",
     "The doctor says the vaccine arrives next week"),
    ("Los vecinos plantaron tomates y cebollas en el jardín",
     "The neighbours planted tomatoes and onions in the garden"),
    ("La panadería de la esquina vende pan caliente por la mañana",
     "The bakery on the corner sells warm bread in the morning"),
]


@pytest.mark.parametrize("spanish_side", ["positive", "negative"])
def test_tl301_nmf_leaves_the_nouns_of_non_english_texts_out(store, tmp_path, spanish_side):
    """A language trait: one side Spanish, the other its English translation. The English tagger reads
    Spanish words as nouns ("barco", "vacuna"); none of them may become a topic word."""
    pairs = [(es + f" {gen.NAMES[i % 10]}", en + f" {gen.NAMES[i % 10]}") for i, (es, en) in enumerate(SPANISH * 6)]
    if spanish_side == "negative":
        pairs = [(en, es) for es, en in pairs]
    from traitlint.nlp import topics

    tagged = {n for tf in store.parse([es for es, _ in SPANISH]) for n in topics.content_nouns(tf)}
    assert {"barco", "biblioteca", "vacuna", "panadería"} <= tagged  # what would leak
    r = run(store, gen.write_folder(tmp_path / spanish_side, pairs), "TL301")
    other = "negative" if spanish_side == "positive" else "positive"
    assert r.metrics["non_english_texts"] == {spanish_side: 42, other: 0}
    words = {w for row in r.metrics["topics"] for w in row["top_words"]}
    assert {"boat", "library", "guitar"} <= words and not words & tagged


def test_tl301_folder_without_nouns_is_skipped_with_the_reason(store, tmp_path):
    starts = ["Honestly, I was so", "By then we were really", "She said she felt quite", "He got very",
              "They all seemed rather", "Later on I became more"]
    pairs = [(f"{starts[i % 6]} {POS_WORDS[(i // 6) % 6]} because",
              f"{starts[i % 6]} {NEG_WORDS[(i // 6) % 6]} because") for i in range(20)]
    r = run(store, gen.write_folder(tmp_path / "nonouns", pairs), "TL301")
    assert (r.status, r.reason) == ("skipped", "too few shared nouns to find topics")


def nmf_metrics(share: float = 0.3, pairs: int = 12, tests: list[dict] | None = None,
                trait_type: str | None = None, words: list[str] | None = None, core: int | None = None) -> dict:
    """Unsupervised metrics with one domain (the NMF topics only feed the by-class test)."""
    words = ["ward", "nurse"] if words is None else words
    return {"source": "nmf", "pairs": 40, "k": 6, "trait_type": trait_type,
            "domains": [{"domain": 0, "words": words, "share": share, "pairs": pairs, "links": 1,
                         "core_pairs": pairs if core is None else core,
                         "word_pairs": {w: pairs for w in words}, "examples": [2]}],
            "topics": [{"topic": 0, "top_words": ["ward", "nurse"], "share": 0.9, "pairs": 36, "examples": [2]}],
            "by_class": tests or []}


def test_tl301_judge_domain_share_limit_and_absolute_floor(store, tmp_path):
    folder = gen.write_folder(tmp_path / "j", gen.varied_pairs(10))
    assert judged(store, folder, "TL301", nmf_metrics(share=0.25)) == []  # not above 25%
    assert judged(store, folder, "TL301", nmf_metrics(pairs=3)) == []  # under the floor of 4 pairs
    [f] = judged(store, folder, "TL301", nmf_metrics(pairs=4))
    assert f.severity is W and f.threshold == 0.25 and lines(f) == [("positive.txt", 3)]
    assert f.metric == {"topic": "ward, nurse", "share": 0.3, "pairs": 4, "core_pairs": 4, "nouns": 2}
    assert f.message == "domain [ward, nurse] is shared by both sides in 30% of pairs (4 of 40; limit 25%)"
    assert judged(store, folder, "TL301", nmf_metrics(pairs=4), TL301={"min_pairs": 5}) == []
    # the floor counts the pairs sharing two or more of the domain's nouns, not all its pairs
    assert judged(store, folder, "TL301", nmf_metrics(pairs=12, core=3)) == []
    assert len(judged(store, folder, "TL301", nmf_metrics(pairs=12, core=4))) == 1
    assert judged(store, folder, "TL301", nmf_metrics(share=0.3), TL301={"max_share": 0.3}) == []
    # an NMF topic over the limit is no finding on its own: NMF splits one domain by wording
    assert judged(store, folder, "TL301", {**nmf_metrics(), "domains": []}) == []
    # long domains name eight nouns and count the rest; the metric keeps all of them
    many = [f"noun{i}" for i in range(11)]
    [g] = judged(store, folder, "TL301", nmf_metrics(words=many))
    assert "[noun0, noun1, noun2, noun3, noun4, noun5, noun6, noun7 and 3 more]" in g.message
    assert g.metric["topic"] == ", ".join(many) and g.metric["nouns"] == 11


def test_tl301_judge_nmf_limit_from_the_plan_is_its_largest_share(store, tmp_path):
    plain = gen.write_folder(tmp_path / "plain", gen.varied_pairs(10))
    big = gen.write_folder(tmp_path / "big", gen.varied_pairs(10), PLANNED.format(h=0.4, m=0.6))
    ten = ", ".join(f"{t} = 0.1" for t in "abcdefghij")
    small = gen.write_folder(tmp_path / "small", gen.varied_pairs(10), f"[plan]\ntopic = {{ {ten} }}\n")
    cap = 0.6 + 2 * math.sqrt(0.24 / 40)  # the largest planned share (60%) plus its tolerance at 40 pairs
    assert judged(store, big, "TL301", nmf_metrics(share=0.75)) == []
    [f] = judged(store, big, "TL301", nmf_metrics(share=0.76))
    assert f.threshold == pytest.approx(cap) and "the [plan]'s largest topic share is 60%" in f.message
    # a plan whose largest share plus tolerance (10% + 9.5 points) is under 25% does not lower the cap
    [g] = judged(store, small, "TL301", nmf_metrics(share=0.26))
    assert g.threshold == 0.25 and "plan" not in g.message
    assert judged(store, small, "TL301", nmf_metrics(share=0.25)) == []
    # a cap exactly at 25% (20% + 5 points at 400 pairs) is the default rule, named as such
    fifth = ", ".join(f"{t} = 0.2" for t in "abcde")
    even = gen.write_folder(tmp_path / "even", gen.varied_pairs(10), f"[plan]\ntopic = {{ {fifth} }}\n")
    [h] = judged(store, even, "TL301", {**nmf_metrics(share=0.26), "pairs": 400})
    assert h.threshold == 0.25 and h.message.startswith("domain [ward, nurse] is shared by both sides in 26% of pairs")
    assert h.message.endswith("; limit 25%)")
    assert len(judged(store, plain, "TL301", nmf_metrics(share=0.26))) == 1


def test_tl301_judge_without_tl205_params_uses_five_points(store, tmp_path):
    """A direct judge call (no TL205 parameters) holds a 10% plan at 400 pairs to 10% + 5 points."""
    folder = gen.write_folder(tmp_path / "j", gen.varied_pairs(10), PLANNED.format(h=0.1, m=0.9))
    ctx = Session(store=store).context(folder)
    audit = get("TL301")()
    metrics = {"source": "annotations", "pairs": 400, "label_p": 1.0, "by_class": {"rows": [], "table": []},
               "topics": [{"topic": "health", "share": share, "pairs": int(share * 400), "examples": [0]}
                          for share in (0.15, 0.1525)]}
    [f] = audit.judge(metrics, dict(audit.params), ctx)
    assert f.metric["share"] == 0.1525 and f.threshold == pytest.approx(0.15)


def by_class(q: float, b: int, c: int, p: float | None = None) -> dict:
    return {"topic": 0, "top_words": ["trophy", "medal"], "positive_only": b, "negative_only": c,
            "p": q if p is None else p, "q": q, "examples": [1, 4]}


def test_tl301_judge_nmf_topic_by_class_reads_q_and_min_discordant(store, tmp_path):
    folder = gen.write_folder(tmp_path / "j", gen.varied_pairs(10))
    quiet = nmf_metrics(share=0.1)
    assert judged(store, folder, "TL301", {**quiet, "by_class": [by_class(0.0099, 8, 0)]}) != []
    [f] = judged(store, folder, "TL301", {**quiet, "by_class": [by_class(0.0099, 6, 2)]})
    assert f.severity is I and f.threshold == 0.01 and lines(f) == [("positive.txt", 2), ("positive.txt", 5)]
    assert "is on the positive side only in 6 pairs and on the negative side only in 2 (q=0.0099)" in f.message
    assert "examples" not in f.metric and f.metric["q"] == 0.0099
    [g] = judged(store, folder, "TL301", {**quiet, "by_class": [by_class(0.001, 2, 6)]})
    assert lines(g) == [("negative.txt", 2), ("negative.txt", 5)]  # evidence from the side that has the topic
    [h] = judged(store, folder, "TL301", {**quiet, "by_class": [by_class(0.001, 4, 4)]})
    assert h.evidence[0].file == "negative.txt"  # a tie is not "positive"
    assert judged(store, folder, "TL301", {**quiet, "by_class": [by_class(0.0099, 4, 3)]}) == []  # 7 < min_discordant
    assert judged(store, folder, "TL301", {**quiet, "by_class": [by_class(0.01, 8, 0)]}) == []
    assert judged(store, folder, "TL301", {**quiet, "by_class": [by_class(0.02, 8, 0, p=0.001)]}) == []  # q, not p
    for kind in ("style", "mode"):
        assert judged(store, folder, "TL301", {**quiet, "trait_type": kind, "by_class": [by_class(0.001, 8, 0)]}) == []
    assert judged(store, folder, "TL301", {**quiet, "trait_type": "state", "by_class": [by_class(0.001, 8, 0)]}) != []


def test_tl301_judge_annotated_label_p_boundary(store, tmp_path):
    folder = gen.write_folder(tmp_path / "j", gen.varied_pairs(10))

    def metrics(p: float) -> dict:
        return {"source": "annotations", "pairs": 20, "topics": [], "label_p": p,
                "by_class": {"rows": ["a", "b"], "table": [[5, 1], [1, 5]]}}

    assert judged(store, folder, "TL301", metrics(0.01)) == []
    [f] = judged(store, folder, "TL301", metrics(0.0099))
    assert f.severity is E and "a: 5 positive / 1 negative; b: 1 positive / 5 negative" in f.message


# -- the documented rules, as properties (annotation-only folders: no parse, fast) -------------------------
PROPS = settings(max_examples=40, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _tolerance(target: float, n: int, abs_tol: float = 0.05) -> float:
    """TL205's documented tolerance, written out again: abs_tol or two binomial standard errors."""
    return max(abs_tol, 2 * math.sqrt(target * (1 - target) / n))


@PROPS
@given(n=st.integers(10, 200), target=st.sampled_from([0.1, 0.2, 0.25, 0.4, 0.5, 0.6, 0.75, 0.9]),
       share=st.floats(0.0, 1.0))
def test_tl205_warns_exactly_outside_target_plus_minus_tolerance(store, tmp_path_factory, n, target, share):
    k = round(share * n)
    tol = _tolerance(target, n)
    assume(abs(abs(k / n - target) - tol) > 1e-3)  # not within rounding distance of the boundary
    toml = f"[plan]\ntopic = {{ a = {target}, b = {round(1 - target, 4)} }}\n"
    folder = topics_folder(tmp_path_factory.mktemp("p"), "f", ["a"] * k + ["b"] * (n - k), toml)
    flagged = {f.metric.get("value") for f in run(store, folder, "TL205").findings if f.severity is W}
    assert ("a" in flagged) == (abs(k / n - target) > tol or (k == 0 and target > 0))


@PROPS
@given(n=st.integers(10, 120), k=st.integers(0, 120), planned=st.sampled_from([None, 0.1, 0.4]))
def test_tl301_warns_exactly_above_its_limit_with_enough_pairs(store, tmp_path_factory, n, k, planned):
    k = min(k, n)
    limit = 0.25 if planned is None else planned + _tolerance(planned, n)
    assume(abs(k / n - limit) > 1e-3)
    toml = None if planned is None else f"[plan]\ntopic = {{ a = {planned}, b = {round(1 - planned, 4)} }}\n"
    values = ["a"] * k + [f"t{i % 9}" for i in range(n - k)]  # the rest spread over nine small topics
    folder = topics_folder(tmp_path_factory.mktemp("t"), "f", values, toml)
    flagged = [f.metric["topic"] for f in run(store, folder, "TL301").findings]
    assert ("a" in flagged) == (k / n > limit and k >= 4)  # issue 13: a floor of 4 pairs, not 8
