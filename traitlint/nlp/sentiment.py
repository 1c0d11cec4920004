"""VADER sentiment, constructed lazily once per process.

Why VADER: it ships its lexicon inside the `vaderSentiment` package (no downloads, no NLTK data),
is deterministic, and handles negation and boosters well enough to say whether a *situation* is
good or bad news. Two entry points:

- `compound(text)`: VADER's full compound score in [-1, 1] (TL302: situation valence).
- `word_valence(word)` / `lexicon_valence(tokens)`: raw lexicon look-ups, ~50x faster, used where
  thousands of texts need a rough valence feature (TL305 intensity, TL306 classifier features).
"""
from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Iterable

from traitlint.nlp.lexicon import NEGATIONS

_ANALYZER: Any = None


def analyzer() -> Any:
    """The process-wide VADER analyzer (built on first use: reading the lexicon takes ~5 ms)."""
    global _ANALYZER
    if _ANALYZER is None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        _ANALYZER = SentimentIntensityAnalyzer()
    return _ANALYZER


@lru_cache(maxsize=65536)
def compound(text: str) -> float:
    """VADER compound score of `text` in [-1, 1]; 0.0 for empty text."""
    if not text.strip():
        return 0.0
    return float(analyzer().polarity_scores(text)["compound"])


def word_valence(word: str) -> float:
    """The VADER lexicon valence of one lower-case word (about -4..4; 0 when unknown)."""
    return float(analyzer().lexicon.get(word, 0.0))


def lexicon_valence_sum(tokens: Iterable[str]) -> float:
    """The unsquashed sum behind `lexicon_valence`: additive over concatenated texts, so text added
    identically to both sides of a pair leaves the pair's difference unchanged (TL306)."""
    lex = analyzer().lexicon
    total = 0.0
    since_neg = 99
    for tok in tokens:
        low = tok.lower()
        if low in NEGATIONS:
            since_neg = 0
            continue
        since_neg += 1
        v = lex.get(low)
        if v:
            total += -0.74 * v if since_neg <= 3 else v
    return total


def lexicon_valence(tokens: Iterable[str], alpha: float = 15.0) -> float:
    """Fast approximate valence of a token sequence in [-1, 1].

    Sums lexicon valences, flipping the sign of a word preceded (within 3 tokens) by a negation,
    and squashes the sum the way VADER's compound does (x / sqrt(x^2 + alpha)).
    """
    total = lexicon_valence_sum(tokens)
    return total / math.sqrt(total * total + alpha) if total else 0.0
