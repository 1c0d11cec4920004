"""TL002's all-pairs check (issue 13): swapped and rotated pairs, unmatched regions, not-checkable folders.

The folders here look like the real corpus: the two sides of a pair share their topic and named
things (a person, an object, a place, a day), not their wording, and lines of different pairs share
common words ("the", "felt", "because") and sometimes a name or an object.
"""
from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from traitlint.audits.structural.crossmatch import (
    MatchParams,
    content_words,
    crossmatch,
    match_params_from,
    similarity_matrix,
)
from traitlint.audits.structural.pairing import Pairing
from traitlint.config import Config
from traitlint.finding import Severity
from traitlint.registry import get
from traitlint.runner import AuditResult, Session

GOOD = Path(__file__).parent / "fixtures" / "structural" / "good" / "hopefulness"
NAMES = ["Karen", "Marcus", "Priya", "Tomas", "Aiko", "Dmitri", "Fatima", "Olu", "Greta", "Hiro", "Lena", "Bashir",
         "Inez", "Jonah", "Keiko", "Luis", "Mira", "Nikolai", "Odette", "Pavel", "Quinn", "Rosa", "Sven", "Talia"]
THINGS = ["lawnmower", "kayak", "violin", "tractor", "compass", "lantern", "anchor", "saddle", "telescope", "quilt",
          "chisel", "bucket", "helmet", "mirror", "trumpet", "wagon", "blanket", "hammer", "needle", "basket",
          "canoe", "drum", "easel", "kite", "ledger", "mallet", "sled", "teapot", "ukulele", "wrench", "zither"]
PLACES = ["campsite", "bakery", "clinic", "garage", "library", "orchard", "studio", "harbor", "school", "farm",
          "theater", "warehouse", "kitchen", "museum", "station", "pharmacy", "market", "workshop", "ferry", "chapel",
          "bistro", "quarry", "stadium", "archive", "nursery", "salon", "brewery", "depot", "marina", "pier", "dock"]
HOPE = ["felt sure it would work out because", "grinned and said we would manage since", "knew we could fix it, and"]
GLOOM = ["sighed that it was hopeless because", "muttered that nothing would help since", "gave up on it, and"]


def loose_pairs(n: int, seed: int = 0) -> tuple[list[str], list[str]]:
    """`n` pairs that share a name, an object, a place and a day number, in different sentences."""
    rng = random.Random(seed)
    pos, neg = [], []
    for i in range(n):
        name, thing = NAMES[i % len(NAMES)], THINGS[(i * 7) % len(THINGS)]
        place = PLACES[(i * 5 + i // len(PLACES)) % len(PLACES)]
        pos.append(f"On day {i + 1} {name} found the {thing} by the {place} and {rng.choice(HOPE)}")
        neg.append(f"When {name} dragged the {thing} out of the {place} on day {i + 1}, I {rng.choice(GLOOM)}")
    return pos, neg


def unrelated(k: int, start: int = 0) -> list[str]:
    """Lines that share no content word with anything in `loose_pairs` (nor with each other)."""
    return [f"Zq{start + j}a zq{start + j}b zq{start + j}c zq{start + j}d" for j in range(k)]


def make(tmp_path: Path, pos: list[str], neg: list[str], name: str = "t") -> Path:
    folder = tmp_path / name
    shutil.copytree(GOOD, folder)
    (folder / "positive.txt").write_text("\n".join(pos) + "\n", encoding="utf-8")
    (folder / "negative.txt").write_text("\n".join(neg) + "\n", encoding="utf-8")
    return folder


def run(folder: Path, **params: Any) -> AuditResult:
    return Session(Config(params={"TL002": params} if params else {})).run_audit(get("TL002"), folder)


def where(finding: Any) -> list[tuple[str, int | None]]:
    return [(e.file, e.line) for e in finding.evidence]


def reported(summary: dict[str, Any]) -> set[int]:
    return {m["positive_line"] for g in summary["groups"] for m in g["moves"]}


# ---------------------------------------------------------------------------------------------- similarity
def test_content_words_drop_stop_words_and_fold_plurals():
    assert content_words("The kayaks and THE Kayak of Karen's, by the libraries!") == {"kayak", "karen", "library"}
    assert content_words("glass class is") == {"glass", "class"}  # -ss is not a plural


def test_similarity_weights_rare_words_and_ignores_words_of_one_line():
    sim = similarity_matrix(["karen kayak common", "bob common"], ["karen kayak common", "alone common"])
    assert sim[0, 0] == pytest.approx(1.0) and sim[1, 1] == 0.0  # "common" is in every line: idf 0
    assert 0 <= sim[1, 0] < 1e-12 and similarity_matrix([], []).shape == (0, 0)


def test_the_module_and_the_audit_share_their_defaults():
    assert match_params_from(dict(Pairing.params)) == MatchParams()


# ---------------------------------------------------------------------------------------------- swaps
def test_a_clean_loosely_matched_folder_is_quiet(tmp_path):
    pos, neg = loose_pairs(60)
    summary = crossmatch(pos, neg).summary()
    assert summary["checked"] and summary["groups"] == [] and summary["regions"] == []
    assert summary["auc"] > 0.95
    result = run(make(tmp_path, pos, neg))
    assert result.status == "passed" and result.findings == []


@pytest.mark.parametrize("a,b", [(32, 33), (0, 59), (10, 40)])
def test_a_single_swapped_pair_is_found(tmp_path, a, b):
    pos, neg = loose_pairs(60)
    neg[a], neg[b] = neg[b], neg[a]
    result = run(make(tmp_path, pos, neg))
    (f,) = result.findings
    assert f.severity is Severity.ERROR and result.status == "failed"
    assert f.message.startswith(f"positive.txt lines {a + 1} and {b + 1} look swapped: "
                                f"positive.txt:{a + 1} matches negative.txt:{b + 1} (")
    assert f.metric["lines"] == [a + 1, b + 1] and f.threshold == 0.1
    # each line once, by line, positive before negative on the same line
    assert where(f) == [("positive.txt", a + 1), ("negative.txt", a + 1), ("positive.txt", b + 1),
                        ("negative.txt", b + 1)]


def test_a_rotation_is_one_group_with_ordered_evidence(tmp_path):
    pos, neg = loose_pairs(40)
    neg[5], neg[20], neg[12] = neg[20], neg[12], neg[5]  # positive 6 -> negative 13, 13 -> 21, 21 -> 6
    (f,) = run(make(tmp_path, pos, neg)).findings
    assert f.message.startswith("3 lines rotate among themselves (positive.txt lines 6, 13, 21): ")
    assert [(m["positive_line"], m["negative_line"]) for m in f.metric["moves"]] == [(6, 13), (13, 21), (21, 6)]
    lines = [(e.line, e.file) for e in f.evidence]
    assert lines == sorted(lines, key=lambda x: (x[0], x[1] != "positive.txt")) and len(set(lines)) == len(lines)
    assert where(f) == [("positive.txt", 6), ("negative.txt", 6), ("positive.txt", 13), ("negative.txt", 13),
                        ("positive.txt", 21)]
    assert f.evidence_omitted == 1


def _margin_of_swap(pos: list[str], neg: list[str], a: int, b: int) -> float:
    """The smaller of the two swapped lines' gains over their own partner (unrounded)."""
    sim = similarity_matrix(pos, neg)
    return float(min(sim[a, b] - sim[a, a], sim[b, a] - sim[b, b]))


def test_margin_just_inside_and_just_outside():
    pos, neg = loose_pairs(40)
    neg[3], neg[4] = neg[4], neg[3]
    gap = _margin_of_swap(pos, neg, 3, 4)
    assert gap > 0.1
    assert reported(crossmatch(pos, neg, MatchParams(margin=gap - 1e-6)).summary()) == {4, 5}
    assert reported(crossmatch(pos, neg, MatchParams(margin=gap + 1e-6)).summary()) == set()


def _distinct_gaps(pos: list[str], neg: list[str], a: int, b: int) -> list[float]:
    """For the swapped lines a and b, each one's new partner minus the best other line in its row and column."""
    sim = similarity_matrix(pos, neg)
    n = len(pos)
    gaps = []
    for i, j in ((a, b), (b, a)):
        others = [sim[i, k] for k in range(n) if k not in (i, j)] + [sim[k, j] for k in range(n) if k not in (i, j)]
        gaps.append(float(sim[i, j] - max(others)))
    return gaps


def test_distinct_just_inside_and_just_outside():
    """The new partner must beat every other line in its row and column by `distinct` (per line; the
    swap rule, which needs it in one direction only, is off here)."""
    pos, neg = loose_pairs(40)
    neg[3], neg[4] = neg[4], neg[3]
    gap = min(_distinct_gaps(pos, neg, 3, 4))
    assert reported(crossmatch(pos, neg, MatchParams(distinct=gap - 1e-6, swap_min_shared=0)).summary()) == {4, 5}
    assert reported(crossmatch(pos, neg, MatchParams(distinct=gap + 1e-6, swap_min_shared=0)).summary()) == set()


def test_a_swap_needs_two_shared_uncommon_words():
    """Two lines that share one rare word with another line's partner are a coincidence, not a swap
    (the per-line rule alone: the swap rule is off)."""
    pos, neg = loose_pairs(40)
    neg[3], neg[4] = neg[4], neg[3]
    per_line = {"swap_min_shared": 0}
    assert reported(crossmatch(pos, neg, MatchParams(min_shared=4, **per_line)).summary()) == {4, 5}  # name, thing, place, day
    assert reported(crossmatch(pos, neg, MatchParams(min_shared=5, **per_line)).summary()) == set()


def test_a_swapped_pair_is_judged_as_one_piece_of_evidence():
    """Both directions of a 2-cycle: each needs `swap_min_shared` uncommon words, one of them distinct."""
    pos, neg = loose_pairs(40)
    neg[3], neg[4] = neg[4], neg[3]
    strict = {"min_shared": 5}  # the per-line rule fails for both lines
    assert reported(crossmatch(pos, neg, MatchParams(swap_min_shared=4, **strict)).summary()) == {4, 5}
    assert reported(crossmatch(pos, neg, MatchParams(swap_min_shared=5, **strict)).summary()) == set()
    assert reported(crossmatch(pos, neg, MatchParams(swap_min_shared=0, **strict)).summary()) == set()
    best = max(_distinct_gaps(pos, neg, 3, 4))
    assert reported(crossmatch(pos, neg, MatchParams(distinct=best - 1e-6, **strict)).summary()) == {4, 5}
    assert reported(crossmatch(pos, neg, MatchParams(distinct=best + 1e-6, **strict)).summary()) == set()
    # margin still holds in each direction
    gap = _margin_of_swap(pos, neg, 3, 4)
    assert reported(crossmatch(pos, neg, MatchParams(margin=gap + 1e-6, **strict)).summary()) == set()


def test_one_confident_line_is_not_a_group():
    pos, neg = loose_pairs(40)
    neg[3], neg[4] = neg[4], neg[3]
    assert reported(crossmatch(pos, neg, MatchParams(min_group=3)).summary()) == set()


def test_lines_a_shift_explains_are_not_reported_again(tmp_path):
    pos, neg = loose_pairs(40)
    neg = neg[:20] + ["An extra line that belongs to nobody at all"] + neg[20:39]
    result = run(make(tmp_path, pos, neg))
    shifts = [f for f in result.findings if f.message.startswith("pairs shifted")]
    assert len(shifts) == 1 and shifts[0].metric["positive_line"] == 21
    covered = set(range(21, 21 + shifts[0].metric["length"]))
    for f in result.findings:
        if "rotate" in f.message or "swapped" in f.message:
            assert not set(f.metric["lines"]) & covered


# ---------------------------------------------------------------------------------------------- region
def test_a_region_of_unmatched_lines_is_reported(tmp_path):
    pos, neg = loose_pairs(60)
    neg[30:45] = unrelated(15)
    result = run(make(tmp_path, pos, neg))
    (f,) = result.findings
    assert f.severity is Severity.WARNING and result.status == "warned"
    assert f.metric["first_line"] == 31 and f.metric["last_line"] == 45 and f.metric["unmatched"] == 15
    assert f.message.startswith("from positive.txt:31 to 45 own-partner similarity falls to the level of unrelated lines")
    assert where(f) == [("positive.txt", 31), ("negative.txt", 31), ("positive.txt", 45), ("negative.txt", 45)]


@pytest.mark.parametrize("k,found", [(8, True), (7, False)])
def test_region_min_lines_boundary(k, found):
    pos, neg = loose_pairs(60)
    neg[20:20 + k] = unrelated(k)
    regions = crossmatch(pos, neg).summary()["regions"]
    assert [(r["first_line"], r["last_line"]) for r in regions] == ([(21, 20 + k)] if found else [])


def test_region_share_boundary():
    """12 lines with 2 matched ones inside (lines 24 and 28): 10/12 = 0.83 unmatched is a region at
    share 0.8; at 0.875 only lines 25-32 (7/8) qualify; above that, runs of 3-4 unmatched lines remain,
    all shorter than region_min_lines."""
    pos, neg = loose_pairs(60)
    block = unrelated(12)
    for j in (3, 7):
        block[j] = neg[20 + j]
    neg[20:32] = block
    inside = crossmatch(pos, neg, MatchParams(region_share=0.8)).summary()["regions"]
    assert [(r["first_line"], r["last_line"], r["unmatched"]) for r in inside] == [(21, 32, 10)]
    inner = crossmatch(pos, neg, MatchParams(region_share=0.875)).summary()["regions"]
    assert [(r["first_line"], r["last_line"], r["unmatched"]) for r in inner] == [(25, 32, 7)]
    assert crossmatch(pos, neg, MatchParams(region_share=0.88)).summary()["regions"] == []


def test_region_needs_the_rest_of_the_folder_matched():
    pos, neg = loose_pairs(60)
    neg[30:45] = unrelated(15)
    (r,) = crossmatch(pos, neg).summary()["regions"]
    matched = round(r["outside_matched_share"] * 45)
    assert crossmatch(pos, neg, MatchParams(region_outside_matched=matched / 45)).summary()["regions"]
    assert crossmatch(pos, neg, MatchParams(region_outside_matched=(matched + 0.5) / 45)).summary()["regions"] == []


def test_region_p_boundary():
    pos, neg = loose_pairs(60)
    neg[30:45] = unrelated(15)
    (r,) = crossmatch(pos, neg).summary()["regions"]
    assert crossmatch(pos, neg, MatchParams(region_p=r["p"] * 1.01)).summary()["regions"]
    assert crossmatch(pos, neg, MatchParams(region_p=r["p"] * 0.99)).summary()["regions"] == []


# ---------------------------------------------------------------------------------------------- not checkable
def test_pairs_that_share_nothing_are_not_checkable(tmp_path):
    pos = [f"Honestly the {t} looked bright today" for t in THINGS[:30]]
    neg = [f"Sadly a {p} felt gloomy" for p in PLACES[:30]]
    summary = crossmatch(pos, neg).summary()
    assert not summary["checked"] and summary["groups"] == [] and "no more similar than unrelated" in summary["reason"]
    result = run(make(tmp_path, pos, neg))
    (f,) = result.findings
    assert f.severity is Severity.INFO and f.message.startswith("pair order not checkable: own partners")
    assert result.status == "passed"


def test_a_folder_that_is_not_checkable_says_so_without_show_info(tmp_path, capsys):
    """No silent pass: the text report and the pytest summary name the check that could not run."""
    import subprocess
    import sys

    from traitlint.cli import main

    pos = [f"Honestly the {t} looked bright today" for t in THINGS[:30]]
    neg = [f"Sadly a {p} felt gloomy" for p in PLACES[:30]]
    folder = make(tmp_path, pos, neg)
    assert main(["check", str(folder), "--select", "TL002", "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert out.count("TL002 pair order not checkable: own partners") == 1
    assert main(["check", str(folder), "--select", "TL002", "--no-cache", "--show-info"]) == 0
    assert capsys.readouterr().out.count("pair order not checkable") == 1  # the info finding, not twice
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", str(folder), "-k", "pairing",
                           f"--rootdir={folder.parent}"], capture_output=True, text=True, timeout=300, cwd=folder.parent)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "traitlint not checked" in proc.stdout
    assert "pair order not checkable" in proc.stdout.split("traitlint not checked", 1)[1]


def test_a_fully_shuffled_matched_folder_is_scrambled_not_uncheckable():
    """Own partners no better than unrelated lines, but the assignment finds a clear partner for most
    lines: that folder was shuffled, and is reported."""
    pos, neg = loose_pairs(40)
    order = list(range(40))
    random.Random(3).shuffle(order)
    summary = crossmatch(pos, [neg[j] for j in order]).summary()
    assert summary["auc"] < 0.7 and summary["checked"]
    assert len(reported(summary)) >= 0.9 * sum(1 for i, j in enumerate(order) if i != j)


def test_not_checkable_boundary_on_the_scrambled_share():
    pos, neg = loose_pairs(40)
    order = list(range(40))
    random.Random(3).shuffle(order)
    neg = [neg[j] for j in order]
    n_found = len(reported(crossmatch(pos, neg).summary()))
    # min_auc out of reach: only the share of confidently moved lines can make the folder checkable
    assert crossmatch(pos, neg, MatchParams(min_auc=1.01, scrambled_share=n_found / 40)).checked
    assert not crossmatch(pos, neg, MatchParams(min_auc=1.01, scrambled_share=(n_found + 1) / 40)).checked


def test_small_or_unequal_folders_are_not_attempted(tmp_path):
    assert not crossmatch(["a b"], ["a b"]).attempted
    assert not crossmatch(["a b", "c d", "e f"], ["a b", "c d"]).attempted
    pos, neg = loose_pairs(30)
    assert not crossmatch(pos, neg, MatchParams(max_lines=29)).attempted
    result = run(make(tmp_path, pos, neg[:-1]))
    assert "crossmatch" not in result.metrics  # unequal counts: the count error and the aligner speak


# ---------------------------------------------------------------------------------------------- properties
POS20, NEG20 = loose_pairs(20, seed=1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.permutations(range(20)))
def test_any_permutation_with_two_moved_lines_is_reported(order):
    moved = {i + 1 for i, j in enumerate(order) if i != j}
    summary = crossmatch(POS20, [NEG20[j] for j in order]).summary()
    if len(moved) >= 2:
        assert reported(summary) == moved
    else:
        assert summary["groups"] == []


@settings(max_examples=30, deadline=None)
@given(st.permutations(range(40)), st.sampled_from([(3, 4), (0, 39), (10, 25)]))
def test_the_report_does_not_depend_on_the_order_of_the_pairs(order, swap):
    """Reordering whole pairs (both files the same way) only renames the reported lines."""
    pos, neg = loose_pairs(40)
    a, b = swap
    neg[a], neg[b] = neg[b], neg[a]
    pos2, neg2 = [pos[j] for j in order], [neg[j] for j in order]
    where_now = {old: new for new, old in enumerate(order)}
    assert reported(crossmatch(pos2, neg2).summary()) == {where_now[a] + 1, where_now[b] + 1}


def test_checkable_is_judged_with_moved_lines_at_their_new_partner():
    """Scrambling a folder lowers its own-partner AUC; whether it can be checked depends on the
    wording, so confidently moved lines count with their new partner (`auc_repaired`)."""
    pos, neg = loose_pairs(20)
    pos += [f"Yq{j}a yq{j}b common words here" for j in range(20)]
    neg += [f"Wq{j}a wq{j}b other words there" for j in range(20)]
    order = list(range(40))
    moved = [0, 2, 4, 6, 8, 10, 12, 14]
    for a, b in zip(moved, moved[1:] + moved[:1]):
        order[a] = b
    neg = [neg[j] for j in order]
    s = crossmatch(pos, neg).summary()
    assert s["auc"] < s["auc_repaired"]
    between = (s["auc"] + s["auc_repaired"]) / 2
    kept = crossmatch(pos, neg, MatchParams(min_auc=between)).summary()
    assert kept["checked"] and reported(kept) == {m + 1 for m in moved}
    above = crossmatch(pos, neg, MatchParams(min_auc=s["auc_repaired"] + 0.001)).summary()
    assert not above["checked"] and above["groups"] == []  # 8 of 40 confident: under scrambled_share
