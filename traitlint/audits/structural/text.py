"""Cheap text helpers shared by the structural audits: normalisation, token sets, similarity.

Why not spaCy: structural audits must run without an NLP pipeline and take milliseconds per
folder, so similarity here is token-set Jaccard on a regex tokenisation, and "best match"
searches use a small inverted index instead of comparing every line with every other line.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Sequence

_WS = re.compile(r"\s+")
_TOKEN = re.compile(r"\w+", re.UNICODE)
#: Punctuation stripped from both ends by `normalize` (quotes, brackets, dashes, sentence marks).
_EDGE_PUNCT = "\"'`.,;:!?()[]{}<>«»“”‘’…—–-*_~。！？，；：、"


def squash(text: str) -> str:
    """Whitespace-normalised text: runs of whitespace become one space, ends stripped."""
    return _WS.sub(" ", text).strip()


def normalize(text: str) -> str:
    """Key for "the same line written twice": NFKC, lower-case, collapsed whitespace, no edge punctuation."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return squash(text).strip(_EDGE_PUNCT + " ")


def tokens(text: str) -> frozenset[str]:
    """Lower-cased word tokens as a set (CJK runs count as one token each; good enough for matching)."""
    return frozenset(_TOKEN.findall(text.casefold()))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a ∩ b| / |a ∪ b|; 0.0 when both are empty (nothing to compare is no evidence of a match)."""
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


class TokenIndex:
    """Inverted index over a list of token sets, to find each query's best match cheaply.

    Only rare tokens (document frequency <= `max_df`) are looked up, and only the `rare_per_query`
    rarest tokens of a query, so a lookup costs O(rare_per_query * max_df) whatever the file size.
    Matched pairs share their distinctive words, so rare tokens are exactly what finds them.
    """

    def __init__(self, docs: Sequence[frozenset[str]], max_df: int = 6, rare_per_query: int = 8) -> None:
        self.docs = list(docs)
        self.max_df = max_df
        self.rare_per_query = rare_per_query
        postings: dict[str, list[int]] = {}
        for j, doc in enumerate(self.docs):
            for tok in doc:
                postings.setdefault(tok, []).append(j)
        self.postings = postings

    def candidates(self, query: frozenset[str], limit: int = 4) -> list[int]:
        """Indices of the documents sharing most rare tokens with `query` (at most `limit`)."""
        rare = [t for t in query if 0 < len(self.postings.get(t, ())) <= self.max_df]
        if not rare:
            return []
        rare.sort(key=lambda t: (len(self.postings[t]), t))  # ties by token: independent of the hash seed
        counts: Counter[int] = Counter()
        for tok in rare[: self.rare_per_query]:
            counts.update(self.postings[tok])
        return [j for j, _ in counts.most_common(limit)]

    def best(self, query: frozenset[str], extra: Sequence[int] = (), limit: int = 4) -> tuple[int | None, float]:
        """(index, Jaccard) of the best match among rare-token candidates and `extra` indices."""
        best_j, best_sim = None, -1.0
        for j in {*self.candidates(query, limit), *extra}:
            if 0 <= j < len(self.docs):
                sim = jaccard(query, self.docs[j])
                if sim > best_sim or (sim == best_sim and best_j is not None and j < best_j):
                    best_j, best_sim = j, sim
        return best_j, max(best_sim, 0.0)
