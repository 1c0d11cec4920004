"""Shared groundwork for the confound audits: one cached, order-free view of a folder's pairs.

Every confound audit needs the same things: lower-cased tokens without whitespace tokens, which
tokens are declared trait words, the shared/differing split of each pair, a canonical pair order
(so results never depend on line order). Building them once per folder
(memoised on the run's `Corpus`) keeps the seven audits inside their time budget.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from traitlint.context import AuditContext
from traitlint.dataset import Prompt
from traitlint.finding import Evidence
from traitlint.nlp.declarations import DeclaredEntry, effective_words, review
from traitlint.nlp.features import TextFeatures
from traitlint.nlp.lexicon import TraitWords, is_punct
from traitlint.nlp.pairdiff import PairDiff, diff_tokens

SIDES = ("positive", "negative")
OTHER = {"positive": "negative", "negative": "positive"}


@dataclass
class TextView:
    """One prefill with the token annotations the confound audits use (whitespace tokens dropped)."""

    prompt: Prompt
    words: list[str]  # original case
    lower: list[str]
    lemmas: list[str]
    pos: list[str]
    person: list[str]
    in_quote: list[bool]
    sent_starts: list[int]  # indices into `words`
    trait: list[bool]  # token belongs to a declared trait word
    found: frozenset[str]  # declared entries present
    punct: list[bool]  # token is only punctuation

    def __len__(self) -> int:
        return len(self.words)

    def evidence(self) -> Evidence:
        return self.prompt.evidence()


@dataclass
class FolderView:
    positive: list[TextView]
    negative: list[TextView]
    traits: TraitWords
    order: list[int]  # pair indices in canonical (content) order
    style: bool = False  # the card is type = "style": register markers may be the trait
    declarations: list[DeclaredEntry] = field(default_factory=list)  # every entry and its verdict
    _diffs: list[PairDiff] | None = field(default=None, repr=False)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def side(self, label: str) -> list[TextView]:
        return self.positive if label == "positive" else self.negative

    @property
    def n(self) -> int:
        return len(self.positive)

    def diffs(self) -> list[PairDiff]:
        """Shared/differing token split of every pair (computed on first use)."""
        if self._diffs is None:
            self._diffs = [diff_tokens(p.lower, q.lower) for p, q in zip(self.positive, self.negative)]
        return self._diffs

    def memo(self, key: str, build: Any) -> Any:
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]

    def pick(self, candidates: Iterable[int], score: Any = None, k: int = 5) -> list[int]:
        """Up to `k` pair indices, strongest `score` first, ties in canonical order (order-free)."""
        rank = {i: r for r, i in enumerate(self.order)}
        cands = list(candidates)
        if score is None:
            return sorted(cands, key=lambda i: rank[i])[:k]
        return sorted(cands, key=lambda i: (-score(i), rank[i]))[:k]


def _kept(tf: TextFeatures) -> list[int]:
    """Token indices the confound audits read: whitespace tokens dropped."""
    return [i for i, p in enumerate(tf.pos) if p != "SPACE" and tf.words[i].strip()]


def _text_view(prompt: Prompt, tf: TextFeatures, traits: TraitWords) -> TextView:
    keep = _kept(tf)
    words = [tf.words[i] for i in keep]
    lemmas = [tf.lemmas[i] for i in keep]
    match = traits.match(prompt.text, words, lemmas)
    index = {old: new for new, old in enumerate(keep)}
    starts = sorted({index[s] for s in tf.sent_starts if s in index} | ({0} if keep else set()))
    lower = [w.lower() for w in words]
    return TextView(prompt, words, lower, lemmas, [tf.pos[i] for i in keep], [tf.person[i] for i in keep],
                    [tf.in_quote[i] for i in keep], starts, match.mask, match.found, [is_punct(w) for w in lower])


def pair_key(positive: str, negative: str) -> str:
    """Symmetric content key of a pair: unchanged by swapping the sides."""
    a, b = sorted((positive, negative))
    return f"{a}\x00{b}"


def is_style_card(ctx: AuditContext) -> bool:
    return ctx.dataset.card_word("type") == "style"


def folder_view(ctx: AuditContext, declarations: bool = True) -> FolderView:
    """The cached view of `ctx.dataset` (needs spaCy: raises SkipAudit without a pipeline).

    Only the declarations the data bear out take effect (`nlp/declarations.py`); with
    `declarations=False` none do (TL101 uses that view to say what the declarations hide).
    """
    ds = ctx.dataset
    words = ds.trait_words
    style = is_style_card(ctx)

    def build() -> FolderView:
        feats = ctx.features()
        declared = TraitWords(words["positive"], words["negative"])
        found = [(_found(p, f, declared), _found(q, g, declared))
                 for p, f, q, g in zip(ds.positive, feats.positive, ds.negative, feats.negative)]
        entries = review(words, found, style) if declared else []
        kept = effective_words(entries) if declarations else {"positive": [], "negative": []}
        traits = TraitWords(kept["positive"], kept["negative"])
        pos = [_text_view(p, f, traits) for p, f in zip(ds.positive, feats.positive)]
        neg = [_text_view(p, f, traits) for p, f in zip(ds.negative, feats.negative)]
        keys = [pair_key(p.text, q.text) for p, q in zip(ds.positive, ds.negative)]
        order = sorted(range(len(keys)), key=lambda i: (keys[i], i))
        return FolderView(pos, neg, traits, order, style, entries)

    key = (f"confounds-view:{id(ds)}:{ds.content_hash()}:{sorted(words['positive'])}:{sorted(words['negative'])}"
           f":{style}:{declarations}")
    return ctx.corpus.memo(key, build)


def _found(prompt: Prompt, tf: TextFeatures, traits: TraitWords) -> frozenset[str]:
    """The declared entries one text contains (whitespace tokens dropped, as in `_text_view`)."""
    if not traits:
        return frozenset()
    keep = _kept(tf)
    return traits.match(prompt.text, [tf.words[i] for i in keep], [tf.lemmas[i] for i in keep]).found


def fmt_p(p: float) -> str:
    """p/q values for messages: 3 significant digits, scientific below 0.001."""
    return f"{p:.2g}" if p < 0.001 else f"{p:.3f}"


def clean(value: float, digits: int = 4) -> float:
    """A JSON-safe rounded float (NaN/inf become 0.0)."""
    if value != value or value in (float("inf"), float("-inf")):
        return 0.0
    return round(float(value), digits)


def interleave_evidence(view: FolderView, pairs: list[int], first: str | None = None, k: int = 5) -> list[Evidence]:
    """Evidence lines for `pairs`: both texts of each pair in turn, at most `k` lines.

    Evidence must mirror when positive.txt and negative.txt are swapped. With `first` (the side a
    finding is about) each pair shows that side's text first, so a pair cut short by `k` keeps the
    flagged side's text, which is the same text after a swap. Without it, only whole pairs are shown
    (a cut pair would keep whichever file happens to be called positive).
    """
    out: list[Evidence] = []
    sides = (first, OTHER[first]) if first else SIDES
    for i in pairs:
        if first is None and len(out) + len(sides) > k:
            break
        for s in sides:
            out.append(view.side(s)[i].evidence())
            if len(out) >= k:
                return out
    return out
