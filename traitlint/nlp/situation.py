"""The situation text that differs within a matched pair: whole clauses that differ before the final divergence.

Why (issue 13): a matched pair is identical except for the trait signal, and a prefill shows its trait
where the two sides part for the last time (the *final divergence*, usually the end of the text).
Text that differs *earlier* and is followed by shared text again is something else the author
changed. When such a difference is a whole clause, it ends at a clause boundary ("After the promotion
came through," / "After the layoffs were announced,"), it sets the scene: it is situation, not trait,
and TL302 tests its valence between the sides. Scoring only the shared tokens took everything that
differs, the injected situation included, to be the trait.

The split reads the alignment of `pairdiff.diff_tokens`: the gaps between consecutive shared tokens
are the differing spans; the last non-empty gap is the final divergence (never situation), and so is
everything after the pair's last shared run of five or more words (loosely matched pairs share an
"I" or a "," inside rewritten trait text; measured on the corpus, shorter anchors read trait clauses
as situation in obligation and guilt); an earlier gap is situation when, on
each side where it has tokens, it ends at a clause boundary (its last token, or the shared token
right after it, is clause punctuation), or when it is the pair's first difference and its clause
holds no other ("After we *won* the contract," / "After we *lost* the contract,": the first clause
that differs sets the scene; later, a word that differs inside a clause is more often the trait's
own wording). The clause it belongs to is what is scored: from the previous clause punctuation (or
the text's start) to that boundary, shared words inside the clause included, so that VADER sees "the
results came back clear" and not "clear".

Only differing text enters, so text added identically to both sides outside these clauses (a shared
sentence before, after or between them) changes neither the clauses nor their valence.

What it cannot see: a situation that differs inside the final divergence (the two sides share
nothing after it, as in loosely matched pairs whose second half is rewritten), a situation carried
by a single word inside a clause after the pair's first difference ("the *good* results" / "the
*bad* results" ends at no clause boundary), and trait text written as a whole clause before the
final divergence (it is read as situation: an anxious clause mid-text scores as bad news).
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from traitlint.nlp.pairdiff import PairDiff

#: Tokens that end a clause: a situation clause stops at one of them.
CLAUSE_END = frozenset({",", ";", ":", ".", "!", "?", "...", "…", "—", "–", "--", ")"})


@dataclass(frozen=True)
class SituationClauses:
    """Token indices, per side, of the clauses that differ before the pair's final divergence."""

    positive: tuple[int, ...]
    negative: tuple[int, ...]

    def __bool__(self) -> bool:
        return bool(self.positive or self.negative)


def gaps(diff: PairDiff, n_pos: int, n_neg: int) -> list[tuple[range, range]]:
    """The differing spans of a pair in text order: (positive range, negative range) between
    consecutive shared tokens, the part before the first and after the last included; only gaps
    with tokens on at least one side."""
    ps, ns = diff.positive_shared, diff.negative_shared
    bounds = [(-1, -1), *zip(ps, ns), (n_pos, n_neg)]
    out = []
    for (a0, b0), (a1, b1) in itertools.pairwise(bounds):
        if a1 - a0 > 1 or b1 - b0 > 1:
            out.append((range(a0 + 1, a1), range(b0 + 1, b1)))
    return out


def _clause(tokens: Sequence[str], span: range, next_gap: int | None, first: bool) -> range | None:
    """The clause around `span`: back to the previous clause punctuation (or the text's start), on to
    the clause punctuation that ends it; None when the next differing span (starting at `next_gap`)
    comes first, or no punctuation follows: then the clause holds more than this difference. Only the
    pair's `first` difference may end inside its clause; any other must end at a clause boundary."""
    start = span[0]
    while start > 0 and tokens[start - 1] not in CLAUSE_END:
        start -= 1
    end = span[-1]
    if tokens[end] in CLAUSE_END:
        return range(start, end + 1)
    if end + 1 < len(tokens) and tokens[end + 1] in CLAUSE_END:
        return range(start, end + 2)
    if not first:  # after the first difference, only a whole clause that differs is situation
        return None
    limit = len(tokens) if next_gap is None else next_gap
    while end < limit and tokens[end] not in CLAUSE_END:
        end += 1
    if end >= limit:
        return None
    return range(start, end + 1)


def _is_punct(token: str) -> bool:
    return not any(ch.isalnum() for ch in token)


def last_anchor(positive: Sequence[str], diff: PairDiff, min_anchor: int) -> tuple[int, int] | None:
    """Start (positive, negative index) of the last contiguous shared run with at least `min_anchor`
    word tokens: shared context long enough that what differs before it is not the trait's own
    rewording around a shared "I" or ","; None when the pair has no such run."""
    best = None
    run_a = run_b = -2
    start = (0, 0)
    words = 0
    for a, b in zip(diff.positive_shared, diff.negative_shared):
        if a == run_a + 1 and b == run_b + 1:
            words += not _is_punct(positive[a])
        else:
            start, words = (a, b), int(not _is_punct(positive[a]))
        run_a, run_b = a, b
        if words >= min_anchor:
            best = start
    return best


def situation_clauses(positive: Sequence[str], negative: Sequence[str], diff: PairDiff,
                      min_anchor: int = 5) -> SituationClauses:
    """The clauses of each side that differ before the final divergence and end at a clause boundary.

    `positive`/`negative` are the lower-cased tokens `diff` was computed on. A differing span counts
    when it is not the pair's last one (the final divergence), it comes before the pair's last shared
    run of at least `min_anchor` word tokens (what follows that run is the trait's region: loosely
    matched pairs share an "I" or a "," in the middle of rewritten text), and, on each side where it
    has tokens, it ends at a clause boundary or is the pair's first difference and the only one in
    its clause.
    Symmetric: swapping the sides (and the diff, which
    `diff_tokens` swaps exactly) swaps the result.
    """
    anchor = last_anchor(positive, diff, min_anchor)
    if anchor is None:
        return SituationClauses((), ())
    spans = gaps(diff, len(positive), len(negative))
    pos: set[int] = set()
    neg: set[int] = set()
    for j, (a, b) in enumerate(spans[:-1]):  # the last gap is the final divergence: the trait
        if (a and a[0] >= anchor[0]) or (b and b[0] >= anchor[1]):
            break
        na, nb = spans[j + 1]
        ca = _clause(positive, a, na.start, j == 0) if a else None
        cb = _clause(negative, b, nb.start, j == 0) if b else None
        if (a and ca is None) or (b and cb is None):
            continue
        if ca is not None:
            pos.update(ca)
        if cb is not None:
            neg.update(cb)
    return SituationClauses(tuple(sorted(pos)), tuple(sorted(neg)))
