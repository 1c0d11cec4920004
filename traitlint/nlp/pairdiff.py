"""Which tokens differ within a matched pair: the shared context vs the differing spans.

Why: a matched pair is "identical except the trait signal", so the tokens the two texts share are
the *situation* (TL302 scores its valence) and the tokens that differ are the *signal* (TL305
compares their intensity). The alignment is difflib's on lower-cased tokens, after trimming the
common prefix and suffix (most pairs share both, and difflib is quadratic in what remains).
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class PairDiff:
    """Token indices (into each side's token list) that the two sides share or do not share."""

    positive_diff: tuple[int, ...]
    negative_diff: tuple[int, ...]
    positive_shared: tuple[int, ...]
    negative_shared: tuple[int, ...]

    @property
    def shared_ratio(self) -> float:
        """Share of tokens in common, (2 * shared) / (len_pos + len_neg): 1.0 = identical texts."""
        total = len(self.positive_diff) + len(self.negative_diff) + 2 * len(self.positive_shared)
        return 2 * len(self.positive_shared) / total if total else 1.0


def diff_tokens(positive: Sequence[str], negative: Sequence[str]) -> PairDiff:
    """Align two token sequences (compare them lower-cased) and split shared from differing tokens.

    Symmetric by construction: difflib's alignment depends on which sequence comes first (its
    longest-match search breaks ties by position in the first one), so the two sides are always
    aligned in a canonical order. Swapping positive.txt and negative.txt then swaps the result
    exactly, and no confound audit reads differently depending on which file is called positive.
    """
    a = [t.lower() for t in positive]
    b = [t.lower() for t in negative]
    if b < a:
        d = _align(b, a)
        return PairDiff(d.negative_diff, d.positive_diff, d.negative_shared, d.positive_shared)
    return _align(a, b)


def _align(a: list[str], b: list[str]) -> PairDiff:
    """The shared/differing split of two lower-cased token lists (`a` first for difflib)."""
    n_a, n_b = len(a), len(b)
    pre = 0
    while pre < n_a and pre < n_b and a[pre] == b[pre]:
        pre += 1
    suf = 0
    while suf < n_a - pre and suf < n_b - pre and a[n_a - 1 - suf] == b[n_b - 1 - suf]:
        suf += 1
    shared_a = list(range(pre))
    shared_b = list(range(pre))
    mid_a, mid_b = a[pre:n_a - suf], b[pre:n_b - suf]
    if mid_a and mid_b:
        matcher = difflib.SequenceMatcher(None, mid_a, mid_b, autojunk=False)
        for block in matcher.get_matching_blocks():
            shared_a.extend(range(pre + block.a, pre + block.a + block.size))
            shared_b.extend(range(pre + block.b, pre + block.b + block.size))
    shared_a.extend(range(n_a - suf, n_a))
    shared_b.extend(range(n_b - suf, n_b))
    set_a, set_b = set(shared_a), set(shared_b)
    return PairDiff(tuple(i for i in range(n_a) if i not in set_a), tuple(i for i in range(n_b) if i not in set_b),
                    tuple(sorted(set_a)), tuple(sorted(set_b)))
