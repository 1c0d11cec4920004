"""Which declared trait words (`[trait.words]`) the confound audits may treat as the trait signal.

Why this exists: a declared word is exempt from the leak audits, so a declaration is a claim that
the word *is* the trait. Unchecked, the claim passes anything: a card could declare every word that
leaks. A declaration takes effect only when the data bear it out:

- at least `min_side_share` of the texts containing it are on its declared side (a word on both
  sides alike, or mostly on the other side, is not this side's signal and could hide the other
  side's leak: it stays a feature the audits test);
- it is not a register marker (a function word, negator, contraction or punctuation mark) unless
  the card is `type = "style"`, where register is the trait: a one-sided "not" or "Honestly," is a
  confound whatever an optimism card says, but "gonna" is the trait of a formality card.

An entry that never occurs, or occurs in fewer than `min_pairs` pairs, is reported (TL105: it is
not a signal word the data show) but keeps its exemption: it cannot hide a leak (TL101 needs more
support than that), and dropping it would let the situation audits (TL302, TL305) read a trait
word of a synonym-rich set as situation.

Everything here is pure: counts in, verdicts out. `audits/confounds/view.py` applies it, TL105
reports it, and TL101 reports what the effective declarations still hide.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from traitlint.nlp.lexicon import _CONTRACTIONS, FUNCTION_WORDS, NEGATIONS, is_punct

#: verdicts of one declared entry; only "signal" and "register" (on style cards) take effect
SIGNAL = "signal"
NEVER = "never"  # occurs in no text
RARE = "rare"  # fewer than min_pairs pairs
BOTH_SIDES = "both_sides"  # not mostly on its declared side
REGISTER = "register"  # a one-sided signal that is a function word / negator / contraction / punctuation

#: an entry takes effect only in at least this many pairs, and with at least this share of its texts
#: on its declared side (TL105 documents both; they are not per-run params because every confound
#: audit reads the same effective declarations)
MIN_PAIRS = 3
MIN_SIDE_SHARE = 0.75

#: negators counted by TL103 and refused as declarations on non-style cards ("n't" forms included)
NEGATORS: frozenset[str] = frozenset(NEGATIONS | {"without", "nor", "neither", "nowhere", "no-one"})


def register_kind(entry: str) -> str | None:
    """What kind of register marker a declared entry is ("negator", "contraction", "punctuation",
    "function word"), or None for a content word or phrase. A phrase is a marker only when every
    word of it is one ("no way" is a negator phrase; "no problem" is content)."""
    e = entry.strip().lower()
    if not e:
        return None
    if all(is_punct(ch) or ch.isspace() for ch in e):
        return "punctuation"
    parts = e.replace("’", "'").split()
    kinds = [_word_kind(p) for p in parts]
    if any(k is None for k in kinds):
        if any(k == "contraction" for k in kinds) or any("n't" in p for p in parts):
            return "contraction"
        return None
    for kind in ("negator", "contraction", "punctuation", "function word"):
        if kind in kinds:
            return kind
    return "function word"


def _word_kind(word: str) -> str | None:
    w = word.strip("\"“”,.;:!?()")
    if not w:
        return "punctuation"
    if w in NEGATORS or w.endswith("n't"):
        return "negator" if w in NEGATORS else "contraction"
    if w in _CONTRACTIONS or ("'" in w and any(w.endswith(c) for c in _CONTRACTIONS)):
        return "contraction"
    if w in FUNCTION_WORDS:
        return "function word"
    if is_punct(w):
        return "punctuation"
    return None


@dataclass(frozen=True)
class DeclaredEntry:
    """One `[trait.words]` entry and what the data say about it."""

    entry: str
    side: str  # declared side: "positive" / "negative"
    n_side: int  # texts on the declared side containing it
    n_other: int  # texts on the other side containing it
    pairs: int  # pairs where at least one side contains it
    verdict: str  # SIGNAL / NEVER / RARE / BOTH_SIDES / REGISTER
    register: str | None = None  # the marker kind when it is one

    @property
    def share(self) -> float:
        """Share of the texts containing it that are on its declared side (0.0 when it never occurs)."""
        total = self.n_side + self.n_other
        return self.n_side / total if total else 0.0

    @property
    def effective(self) -> bool:
        """The leak audits exempt it: not on both sides, and no register marker off a style card."""
        return self.verdict != BOTH_SIDES and (self.register is None or self.register_allowed)

    #: set by `review`: register markers take effect only on style cards
    register_allowed: bool = False

    def to_dict(self) -> dict[str, object]:
        return {"entry": self.entry, "side": self.side, "n_side": self.n_side, "n_other": self.n_other,
                "pairs": self.pairs, "share": round(self.share, 4), "verdict": self.verdict,
                "register": self.register, "effective": self.effective}


def review(declared: dict[str, Sequence[str]], found: Iterable[tuple[frozenset[str], frozenset[str]]],
           style: bool, min_pairs: int = MIN_PAIRS, min_side_share: float = MIN_SIDE_SHARE) -> list[DeclaredEntry]:
    """Verdicts for every declared entry, from the entries found in each pair's (positive, negative).

    `declared` maps "positive"/"negative" to entries (lower-cased, first declaration of an entry
    wins, as `TraitWords` does). A register marker on a style card must still be a signal: it gets
    verdict REGISTER only when it would otherwise be SIGNAL, so a "!" declared but never used is
    NEVER on any card. `register` is set for every marker, whatever its verdict.
    """
    side_of: dict[str, str] = {}
    for label in ("positive", "negative"):
        for w in declared.get(label, ()):
            w = w.strip().lower()
            if w and w not in side_of:
                side_of[w] = label
    n_pos = dict.fromkeys(side_of, 0)
    n_neg = dict.fromkeys(side_of, 0)
    pairs = dict.fromkeys(side_of, 0)
    for fp, fn in found:
        for e in fp:
            if e in n_pos:
                n_pos[e] += 1
        for e in fn:
            if e in n_neg:
                n_neg[e] += 1
        for e in fp | fn:
            if e in pairs:
                pairs[e] += 1
    out = []
    for entry, label in side_of.items():
        mine, theirs = (n_pos[entry], n_neg[entry]) if label == "positive" else (n_neg[entry], n_pos[entry])
        kind = register_kind(entry)
        if mine + theirs == 0:
            verdict = NEVER
        elif pairs[entry] < min_pairs:
            verdict = RARE
        elif mine / (mine + theirs) < min_side_share:
            verdict = BOTH_SIDES
        elif kind is not None:
            verdict = REGISTER  # a signal, but a register marker: takes effect on style cards only
        else:
            verdict = SIGNAL
        out.append(DeclaredEntry(entry, label, mine, theirs, pairs[entry], verdict, kind, register_allowed=style))
    return out


def effective_words(entries: Iterable[DeclaredEntry]) -> dict[str, list[str]]:
    """The declarations that take effect, per side (what the leak audits exempt)."""
    out: dict[str, list[str]] = {"positive": [], "negative": []}
    for e in entries:
        if e.effective:
            out[e.side].append(e.entry)
    return out
