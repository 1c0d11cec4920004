"""Order and side invariance of the confound audits, checked in full: not only which audits fail, but
every finding's metric (mirrored under a swap of the files), its evidence lines (file names
mirrored) and its message (identical under a reordering of the pairs).

Why: line order carries no meaning, and which file is called positive is a naming choice; a finding
that changes with either is noise an author cannot act on. The coarser `signature` property in
test_confound_properties.py missed evidence cut mid-pair, order-dependent tie-breaks and
difflib's asymmetric alignment, all found by these comparisons.
"""
from __future__ import annotations

import json
import random
from collections import Counter
from typing import Any

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import confound_data as cd  # noqa: E402
from test_confounds import run  # noqa: E402
from traitlint.audits.confounds.lexical_leak import _majority_tag
from traitlint.nlp.pairdiff import diff_tokens

FLIP_FILE = {"positive.txt": "negative.txt", "negative.txt": "positive.txt"}
FLIP_SIDE = {"positive": "negative", "negative": "positive"}
KEY_SWAP = {"n_pos": "n_neg", "n_neg": "n_pos", "b": "c", "c": "b"}
NEGATED = {"mean_diff", "median_diff", "rank_biserial", "dz", "weight", "rel_diff"}
COMPLEMENTED = {"auc", "share_pos"}


def _mirror_key(key: str) -> str:
    if key in KEY_SWAP:
        return KEY_SWAP[key]
    if "positive" in key:
        return key.replace("positive", "negative")
    return key.replace("negative", "positive")


def mirror(obj: Any, key: str = "") -> Any:
    """What a metric must become when positive.txt and negative.txt are swapped."""
    if isinstance(obj, dict):
        return {_mirror_key(k): mirror(v, k) for k, v in obj.items()}
    if isinstance(obj, list):
        return [mirror(v, key) for v in obj]
    if key == "side" and isinstance(obj, str):
        return FLIP_SIDE.get(obj, obj)
    if isinstance(obj, (int, float)) and not isinstance(obj, bool):
        if key in NEGATED:
            return -obj
        if key in COMPLEMENTED:
            return 1 - obj
    return obj


def _row_key(row: Any) -> str:
    """Sort key of a metrics row from its non-float fields (floats may differ in the last digit)."""
    return json.dumps({k: v for k, v in row.items() if not isinstance(v, float)}, sort_keys=True, default=str)


def same(a: Any, b: Any, path: str = "", unordered: bool = False) -> list[str]:
    """Differences between two metric trees (floats within the 4-digit rounding of `clean`).

    `unordered`: lists of rows compare as multisets (a swap legitimately reorders rows sorted by side)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{path}: keys {sorted(set(a) ^ set(b))}"]
        return [d for k in a for d in same(a[k], b[k], f"{path}/{k}", unordered)]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} != {len(b)} items"]
        if unordered and a and all(isinstance(x, dict) for x in a + b):
            a, b = sorted(a, key=_row_key), sorted(b, key=_row_key)
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in same(x, y, f"{path}[{i}]", unordered)]
    if isinstance(a, float) or isinstance(b, float):
        return [] if abs(float(a) - float(b)) <= 2e-4 else [f"{path}: {a} != {b}"]
    return [] if a == b else [f"{path}: {a!r} != {b!r}"]


def _finding_key(f: Any) -> tuple:
    m = f.metric
    return (f.severity.value, str(m.get("feature", "")), str(m.get("kind", "")), str(m.get("scope", "")),
            str(m.get("person", "")), str(m.get("side", "")), len(m.get("leaks", m.get("lemmas", []))))


def _by_content(metrics: dict, pairs: list[tuple[str, str]] | None) -> dict:
    """Example pairs named by their texts, not their line index: identical pairs are interchangeable,
    so which of them an audit shows can follow line order without breaking invariance."""
    if pairs is None:
        return metrics
    out = dict(metrics)
    if "example_pairs" in metrics:
        out["example_pairs"] = sorted(pairs[i] for i in metrics["example_pairs"])
    if isinstance(metrics.get("top_features"), list):  # TL306: example pairs per predictive feature
        out["top_features"] = [_by_content(t, pairs) if isinstance(t, dict) else t for t in metrics["top_features"]]
    return out


def compare(base: dict, other: dict, swap: bool = False, pairs: tuple[list, list] | None = None) -> list[str]:
    """All differences between `base` and a reordered (`pairs`: the (positive, negative) texts of each
    run, so example pairs compare by content) or swapped run."""
    base_pairs, other_pairs = pairs if pairs is not None else (None, None)
    problems = []
    for code, r in base.items():
        o = other[code]
        if r.status != o.status:
            problems.append(f"{code} status {r.status} != {o.status}")
            continue
        metrics, theirs_metrics = _by_content(r.metrics, base_pairs), _by_content(o.metrics, other_pairs)
        problems += [f"{code} metrics {d}" for d in same(mirror(metrics) if swap else metrics, theirs_metrics, unordered=swap)]
        mine = {_finding_key(f): f for f in r.findings}
        theirs = {(_finding_key(f)[:5] + (FLIP_SIDE.get(_finding_key(f)[5], ""),) + _finding_key(f)[6:]
                   if swap else _finding_key(f)): f for f in o.findings}
        if set(mine) != set(theirs):
            problems.append(f"{code} findings {sorted(set(mine) ^ set(theirs))}")
            continue
        for k, f in mine.items():
            g = theirs[k]
            fm, gm = _by_content(f.metric, base_pairs), _by_content(g.metric, other_pairs)
            problems += [f"{code} finding metric {d}" for d in same(mirror(fm) if swap else fm, gm, unordered=swap)]
            if swap:
                ev = sorted((FLIP_FILE.get(e.file, e.file), e.line, e.text) for e in f.evidence)
                problems += [f"{code} evidence {d}" for d in same(ev, sorted((e.file, e.line, e.text) for e in g.evidence))]
            else:
                # the same lines are chosen; they are listed by line, so their order follows the reorder
                problems += [f"{code} evidence {d}" for d in same(sorted((e.file, e.text) for e in f.evidence),
                                                                  sorted((e.file, e.text) for e in g.evidence))]
                if f.message != g.message:
                    problems.append(f"{code} message {f.message!r} != {g.message!r}")
    return problems


spec_st = st.builds(cd.Spec, st.integers(0, 7), st.integers(0, 15), st.integers(0, 3), st.integers(0, 4),
                    st.integers(0, 3))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(spec_st, min_size=20, max_size=36),
       st.lists(st.sampled_from(sorted(cd.INJECTORS)), max_size=2, unique=True),
       st.booleans(), st.randoms(use_true_random=False))
def test_findings_metrics_and_evidence_mirror_under_swap_and_reorder(specs, codes, with_card, rnd: random.Random):
    pos, neg = cd.inject_many(specs, codes)  # chained injections that keep every confound
    card = cd.trait_toml() if with_card else None
    base = run(cd.write_folder(None, pos, neg, card))
    order = list(range(len(pos)))
    rnd.shuffle(order)
    pos2, neg2 = [pos[i] for i in order], [neg[i] for i in order]
    shuffled = run(cd.write_folder(None, pos2, neg2, card))
    swapped = run(cd.write_folder(None, neg, pos, cd.trait_toml(swap=True) if with_card else None))
    assert compare(base, shuffled, pairs=(list(zip(pos, neg)), list(zip(pos2, neg2)))) == []
    assert compare(base, swapped, swap=True) == []


def test_tl306_collinear_features_rank_the_same_in_any_line_order():
    """Features that always co-occur (the words of one neutral sentence) get equal ridge weights up to
    rounding; their ranking, the message and the example pairs must not follow the line order."""
    specs = cd.default_specs(32)
    pos, neg = cd.inject_length(*cd.clean(specs), specs)
    card = cd.trait_toml()
    base = run(cd.write_folder(None, pos, neg, card), ["TL306"])
    for seed in range(4):
        order = list(range(len(pos)))
        random.Random(seed).shuffle(order)
        pos2, neg2 = [pos[i] for i in order], [neg[i] for i in order]
        other = run(cd.write_folder(None, pos2, neg2, card), ["TL306"])
        assert compare(base, other, pairs=(list(zip(pos, neg)), list(zip(pos2, neg2)))) == []


def test_tl302_shared_situation_reads_the_same_from_either_file():
    """Without declared words a matched pair's situation is its shared context; VADER reads CAPS, so
    scoring only the positive file's spelling made the valence depend on which file is positive."""
    pos = [f"The quarterly review went GREAT for the team number {i}, and afterwards I felt hopeful" for i in range(12)]
    neg = [f"The quarterly review went great for the team number {i}, and afterwards I felt worried" for i in range(12)]
    base = run(cd.write_folder(None, pos, neg, None), ["TL302"])
    swapped = run(cd.write_folder(None, neg, pos, None), ["TL302"])
    assert compare(base, swapped, swap=True) == []


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from("abcde"), max_size=12), st.lists(st.sampled_from("abcde"), max_size=12))
def test_pair_diff_is_symmetric(a: list[str], b: list[str]):
    """difflib aligns differently depending on argument order; the split must not."""
    x, y = diff_tokens(a, b), diff_tokens(b, a)
    assert (x.positive_diff, x.negative_diff, x.positive_shared, x.negative_shared) == \
        (y.negative_diff, y.positive_diff, y.negative_shared, y.positive_shared)
    assert sorted(x.positive_diff + x.positive_shared) == list(range(len(a)))
    assert [a[i].lower() for i in x.positive_shared] == [b[i].lower() for i in x.negative_shared]


def test_majority_pos_tag_ignores_counting_order():
    """TL101 calls a word a function word from its majority POS; a tie must not be settled by which
    line was counted first (that flipped an error to a warning when the pairs were reordered)."""
    one = Counter()
    one.update(["ADP", "NOUN", "NOUN", "ADP"])
    two = Counter()
    two.update(["NOUN", "ADP", "ADP", "NOUN"])
    assert _majority_tag(one) == _majority_tag(two) == "NOUN"
    assert _majority_tag(Counter({"ADP": 3, "NOUN": 1})) == "ADP"


def test_inject_many_keeps_every_confound():
    """Chained injection keeps each confound it was asked for (it used to re-render and drop the first)."""
    specs = cd.default_specs(12)
    pos, neg = cd.inject_many(specs, ["TL303", "TL302", "TL101"])
    assert all(p.startswith("Still, ") for p in pos[: round(0.85 * 12)])
    assert all(any(g in p for g in cd.GOOD_NEWS) for p in pos) and all(any(b in n for b in cd.BAD_NEWS) for n in neg)
    assert all(" I " in f" {p} " or p.startswith(("I ", "Still, I ")) for p in pos)
    assert all("she" in n.lower().split() for n in neg)
    assert cd.inject_many(specs, []) == cd.clean(specs)
