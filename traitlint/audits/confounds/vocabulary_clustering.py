"""TL102 vocabulary_clustering: uncommon non-trait vocabulary repeated in the shared context of many pairs."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import cache
from typing import Any

from traitlint.audits.confounds.view import (
    OTHER,
    SIDES,
    FolderView,
    TextView,
    clean,
    folder_view,
)
from traitlint.context import AuditContext
from traitlint.finding import Evidence, Finding, Severity
from traitlint.nlp.language import is_latin
from traitlint.nlp.lexicon import CONTENT_POS, FUNCTION_WORDS, SYNONYMS
from traitlint.registry import Audit, SkipAudit, register

#: A word form: letters, with inner apostrophes or hyphens ("clocktower", "o'clock"); not clitics
#: ("n't", "'s"), numbers or punctuation.
_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
#: Longest verbatim phrase (in tokens) looked for around a repeated uncommon word.
MAX_PHRASE = 10
#: A word is uncommon when it is uncommon in each of these languages (wordfreq's lists; those of
#: `nlp/language.py`): French, Spanish... folders are judged by their own language's frequencies.
LANGUAGES = ("en", "es", "fr", "de", "it", "pt", "nl")


@register
class VocabularyClustering(Audit):
    """What it does
    Finds uncommon words repeated verbatim in the shared context of many pairs: a word form (not a
    declared trait word) that both texts of a pair contain, in more than `max_share` of the pairs
    (and at least `min_count` pairs), whose frequency is below `max_zipf` on the Zipf scale of the
    `wordfreq` package (log10 of uses per billion words; 3.5 is about 3 per million: "lantern" 3.6,
    "turquoise" 3.3, "flickered" 2.4, "coworker" 3.3, against "feel" 5.7, "think" 6.1) in English
    and in each of Spanish, French, German, Italian, Portuguese and Dutch, so that a French folder's
    "je" (English 3.6, French 6.9) is common. Each is reported with the longest verbatim phrase
    (up to 10 tokens) around it that the same pairs share ("the lantern flickered ."), the words
    of one repeated phrase together, and both lines of a pair that has it. That is a warning.

    Words that lean to one side (in more than `max_share` of one side's texts, the net excess
    (b - c) / pairs of pairs where only that side has them at least `min_excess`, the other side at
    most `max_other_ratio` times as often) are info: one-sided words are TL101's job, judged there
    with paired statistics and the trait card; most of them are undeclared trait words. Common
    content words repeated on both sides and declared trait words are info too.

    Why it matters
    The seed's "same word > 10%" rule. A vector is read from activations at the trait tokens, which
    carry their context: pairs that keep telling the same scene ("The lantern flickered.") teach a
    trait-in-that-scene direction, and where the sides are not matched word for word the repeated
    text does not cancel in the difference. An uncommon word repeated in many pairs is a template
    or a habit of the author, not what varied English looks like; a common word ("feel", "go",
    "team") recurring in 3 of 16 texts is ordinary English and is not reported.

    Example
    "Somewhere a kettle whistled." in both texts of 6 of 20 pairs: a warning naming the phrase
    "somewhere a kettle whistled ." in 6 of 20 pairs (30%), with both lines of one of them.

    Measured (benchmarks/accuracy_tl102.py, the 76 folders of others' trait data that can be paired)
    "The lantern flickered.", "Somewhere a kettle whistled." and "The old clocktower chimed twice."
    prepended to both texts of 30% of the pairs are found in 100% of the folders (76 of 76 each), at 20% in
    100% too (the committed audit: 0%, it called shared words info). Unchanged, 7 folders warn
    (before: 72): "scrolling" in 3 of 15 pairs of emotions/deflection ("I kept scrolling through",
    an authoring habit) and "my coworker" opening 3 of 15-20 pairs of four small folders and 6 of
    57-58 of two larger ones: real repetitions, "coworker" the weakest (an everyday word whose
    written frequency wordfreq splits with "co-worker"). `max_zipf` = 3.5: at 4.0, 9 unchanged
    folders warn, also on everyday words ("engineered", "confronted", "roommate", "colleague"); at
    3.0 none does and the three sentences are still found (each has a word below 3.0), but a rare
    noun repeated alone ("turquoise" 3.5 at most, "ox" 3.5, "lantern" 3.6) passes unseen. Synthetic set
    (tests/test_confound_power.py): "turquoise" in both texts of 20% of the pairs is found at
    n = 20, 50 and 150, 10% is not (the share rule decides, whatever n).

    What it cannot see
    A phrase of common words repeated verbatim ("the door opened"), a scene repeated in different
    words, a word rarer in general use than in the trait's domain (the lists know general language
    only, and a word common in any of the seven languages counts as common: Spanish "quince"),
    words in other scripts (Chinese, Cyrillic: not judged), and words wordfreq does not know
    (treated as uncommon: Zipf 0, so a repeated made-up name is reported). Topic domains are TL301's.

    Licence
    wordfreq's code is Apache-2.0; its word lists are CC-BY-SA 4.0, built from SUBTLEX, Google Books
    Ngrams, Wikipedia, OpenSubtitles, the Leeds Internet Corpus, Reddit, Twitter and others (see
    wordfreq's README for the attributions). traitlint ships none of that data: it looks words up
    at run time through the installed package (a dependency in pyproject.toml), imported only when
    this audit runs. Without it the audit is skipped with that reason, never passed.

    How to fix
    Vary the repeated context: tell most pairs' scene in their own words, or drop the repeated
    sentence. If the word is the trait's signal, declare it in `[trait.words]`.
    """

    code = "TL102"
    name = "vocabulary_clustering"
    summary = "No uncommon non-trait word or phrase is repeated in the shared context of more than 10% of pairs."
    rationale = "A repeated context becomes part of the vector."
    fix = "Vary the repeated context or drop it; declare genuine trait words in trait.toml [trait.words]."
    severity = Severity.WARNING
    params = {"max_share": 0.10, "min_count": 3, "max_zipf": 3.5, "min_excess": 0.05, "max_other_ratio": 0.5}
    requires = frozenset({"pairs"})

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        zipf = _zipf_lookup()
        view = folder_view(ctx)
        sets = lemma_sets(view)
        count = {s: Counter(l for st in sets[s] for l in st) for s in SIDES}
        declared = {s: Counter(e for tv in view.side(s) for e in tv.found) for s in SIDES}
        n = view.n
        rows = []
        for s in SIDES:
            o = OTHER[s]
            for lemma, k in count[s].items():
                share = k / n
                if k < params["min_count"] or share <= params["max_share"]:
                    continue
                only_mine = sum(1 for a, b in zip(sets[s], sets[o]) if lemma in a and lemma not in b)
                only_theirs = sum(1 for a, b in zip(sets[s], sets[o]) if lemma not in a and lemma in b)
                excess = (only_mine - only_theirs) / n
                other = count[o][lemma] / n
                rows.append({"lemma": lemma, "side": s, "count": k, "share": clean(share),
                             "other_share": clean(other), "excess": clean(excess),
                             "leaning": excess >= params["min_excess"] and other <= params["max_other_ratio"] * share})
        rows.sort(key=lambda r: (not r["leaning"], -r["share"], r["side"], r["lemma"]))
        info_declared = [{"entry": e, "side": s, "count": k, "share": clean(k / n)}
                         for s in SIDES for e, k in sorted(declared[s].items()) if k / n > params["max_share"]]
        repeated = repeated_uncommon(view, zipf, params)
        return {"pairs": n, "lemmas": rows, "declared": info_declared, "repeated": repeated}

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        view = folder_view(ctx)
        out: list[Finding] = []
        thr = {"max_share": params["max_share"], "min_count": params["min_count"], "max_zipf": params["max_zipf"]}
        n = metrics["pairs"]
        repeated = metrics.get("repeated", [])
        if repeated:
            listed = ", ".join(f'"{r["phrase"]}" in {r["pairs"]} of {n} pairs ({_pct(r["share"])})' for r in repeated[:12])
            more = f" and {len(repeated) - 12} more" if len(repeated) > 12 else ""
            ev = _repeated_evidence(view, repeated)
            out.append(self.finding(Severity.WARNING, f"{len(repeated)} uncommon word(s) or phrase(s) repeated in the "
                                    f"shared context of more than {params['max_share']:.0%} of pairs: {listed}{more}",
                                    {"repeated": repeated, "pairs": n}, thr, ev,
                                    hint="Tell most of these pairs' context in their own words, or drop the repeated "
                                         "text; declare genuine trait words in trait.toml [trait.words].",
                                    features=list(dict.fromkeys(w for r in repeated for w in r["words"]))))
        for s in SIDES:
            rows = [r for r in metrics["lemmas"] if r["side"] == s and r["leaning"]]
            if not rows:
                continue
            listed = ", ".join(f'"{r["lemma"]}" {r["share"]:.0%} (other side {r["other_share"]:.0%})' for r in rows[:12])
            more = f" and {len(rows) - 12} more" if len(rows) > 12 else ""
            syn = [f'{r["lemma"]} -> {", ".join(SYNONYMS[r["lemma"]][:3])}' for r in rows if r["lemma"] in SYNONYMS][:4]
            hint = ("TL101 judges one-sided words with paired statistics. If one is not the trait, vary it"
                    + (f" ({'; '.join(syn)})" if syn else "") + "; if it is, declare it in trait.toml [trait.words].")
            ev = [e for r in rows[:5] for e in _lemma_evidence(view, r, 1)]
            out.append(self.finding(Severity.INFO, f"{len(rows)} content word(s) recur in more than "
                                    f"{params['max_share']:.0%} of {s} texts and lean {s} (one-sided words are "
                                    f"TL101's to judge): {listed}{more}",
                                    {"side": s, "lemmas": rows, "pairs": n}, thr, ev, hint=hint,
                                    features=list(dict.fromkeys(r["lemma"] for r in rows))))
        shared = [r for r in metrics["lemmas"] if not r["leaning"]]
        if shared:
            names = sorted({r["lemma"] for r in shared})
            out.append(self.finding(Severity.INFO, f"{len(names)} content word(s) recur in more than "
                                    f"{params['max_share']:.0%} of texts on both sides alike (cancels in the "
                                    f"difference, but narrows diversity): " + ", ".join(names[:15]),
                                    {"lemmas": shared}, thr, [], hint="Optional: vary the shared context too."))
        if metrics["declared"]:
            listed = ", ".join(f'"{r["entry"]}" {r["share"]:.0%} of {r["side"]}' for r in metrics["declared"][:12])
            out.append(self.finding(Severity.INFO, f"declared trait words recur as intended: {listed}",
                                    {"declared": metrics["declared"]}, thr, [],
                                    hint="Nothing to do; using several synonyms still makes a more general vector."))
        return out


def _pct(share: float) -> str:
    """A share as a percentage with at most one decimal: 6 of 58 is "10.3%", not a rounded "10%"."""
    return f"{share * 100:.1f}".rstrip("0").rstrip(".") + "%"


def _zipf_lookup() -> Any:
    """wordfreq's English Zipf frequency, imported here so linting without TL102 never loads it."""
    try:
        from wordfreq import zipf_frequency
    except ImportError as exc:
        raise SkipAudit("TL102 needs the wordfreq package to tell uncommon words from common ones "
                        f"({exc}); install it: pip install wordfreq") from exc
    return _cached_zipf(zipf_frequency)


def _cached_zipf(lookup: Any) -> Any:
    """The word's highest Zipf frequency over `LANGUAGES` (English first: the other lists are read
    only for words uncommon in English, i.e. almost only in non-English folders)."""
    @cache
    def english(word: str) -> float:
        return float(lookup(word, "en"))

    @cache
    def others(word: str) -> float:
        return max(float(lookup(word, lang)) for lang in LANGUAGES[1:])

    def zipf(word: str, below: float | None = None) -> float:
        """With `below`: stop at English when the word already reaches it (common either way)."""
        en = english(word)
        return en if below is not None and en >= below else max(en, others(word))
    return zipf


def _word_forms(tv: TextView) -> set[str]:
    """The text's word forms outside declared trait words (lower case)."""
    return {low for low, trait in zip(tv.lower, tv.trait)
            if not trait and len(low) >= 2 and low not in FUNCTION_WORDS and _WORD.fullmatch(low) and is_latin(low)}


def _ngrams_with(tokens: list[str], word: str) -> set[tuple[str, ...]]:
    """Every run of up to MAX_PHRASE tokens that contains `word`."""
    out = set()
    for i, t in enumerate(tokens):
        if t != word:
            continue
        for a in range(max(0, i - MAX_PHRASE + 1), i + 1):
            for b in range(i + 1, min(len(tokens), a + MAX_PHRASE) + 1):
                out.add(tuple(tokens[a:b]))
    return out


def _phrase(view: FolderView, word: str, pairs: list[int], need: int) -> tuple[str, ...]:
    """The longest verbatim run of tokens around `word` that both texts of at least `need` of its
    pairs contain (ties: more pairs, then alphabetical): symmetric in the sides, free of line order."""
    counts: Counter = Counter()
    for i in pairs:
        p, q = view.positive[i], view.negative[i]
        counts.update(_ngrams_with(p.lower, word) & _ngrams_with(q.lower, word))
    good = [(g, k) for g, k in counts.items() if k >= need]
    if not good:
        return (word,)
    return min(good, key=lambda gk: (-len(gk[0]), -gk[1], gk[0]))[0]


def repeated_uncommon(view: FolderView, zipf: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Uncommon word forms in both texts of more than `max_share` of the pairs, grouped into the
    verbatim phrases they are repeated in. Each item: phrase, its uncommon words (with Zipf
    frequencies), the number and share of pairs that have the word in both texts."""
    n = view.n
    if n == 0:
        return []
    where: dict[str, list[int]] = defaultdict(list)
    for i in range(n):
        for w in _word_forms(view.positive[i]) & _word_forms(view.negative[i]):
            where[w].append(i)
    need = max(params["min_count"], int(params["max_share"] * n) + 1)
    hits = {w: ps for w, ps in where.items() if len(ps) >= need and len(ps) / n > params["max_share"]
            and zipf(w, params["max_zipf"]) < params["max_zipf"]}
    items: list[dict[str, Any]] = []
    taken: set[str] = set()
    for w in sorted(hits, key=lambda w: (-len(hits[w]), w)):
        if w in taken:
            continue
        phrase = _phrase(view, w, hits[w], need)
        words = sorted((x for x in set(phrase) if x in hits and x not in taken), key=lambda x: (-len(hits[x]), x))
        taken.update(words)
        pairs = sorted(set().union(*(hits[x] for x in words)))
        items.append({"phrase": " ".join(phrase), "words": words, "zipf": {x: clean(zipf(x), 2) for x in words},
                      "pairs": len(pairs), "share": clean(len(pairs) / n)})
    items.sort(key=lambda r: (-r["pairs"], r["phrase"]))
    return items


def _repeated_evidence(view: FolderView, repeated: list[dict[str, Any]], k: int = 4) -> list[Evidence]:
    """Both lines of one pair per repeated item (up to `k` lines), a pair that has its first word."""
    out: list[Evidence] = []
    seen: set[int] = set()
    for r in repeated:
        if len(out) + 2 > k:
            break
        word = r["words"][0]
        cands = [i for i in range(view.n) if i not in seen
                 and word in view.positive[i].lower and word in view.negative[i].lower]
        for i in view.pick(cands, k=1):
            seen.add(i)
            out += [view.positive[i].evidence(), view.negative[i].evidence()]
    return out


def _token_reading(low: str, lem: str, pos: str) -> str | None:
    """The content lemma a token counts as, or None for function words, punctuation and the like."""
    if pos not in CONTENT_POS or low in FUNCTION_WORDS or lem in FUNCTION_WORDS:
        return None
    if len(lem) < 2 or not any(ch.isalpha() for ch in lem):
        return None
    return lem


def _folder_readings(view: FolderView) -> dict[str, str | None]:
    """Each word form's majority reading over the whole folder (ties: the content lemma, then
    alphabetical). Why: the tagger reads the same word differently in different sentences ("the
    mood felt buoyant": felt/ADJ, "the mood felt deflated": feel/VERB), and a shared word must not
    count as one lemma on one side and another on the other."""
    seen: dict[str, Counter] = defaultdict(Counter)
    for s in SIDES:
        for tv in view.side(s):
            for low, lem, pos, trait in zip(tv.lower, tv.lemmas, tv.pos, tv.trait):
                if not trait:
                    seen[low][_token_reading(low, lem, pos)] += 1
    return {low: min(c.items(), key=lambda kv: (-kv[1], kv[0] is None, kv[0] or ""))[0] for low, c in seen.items()}


def _content_lemmas(tv: TextView, readings: dict[str, str | None]) -> set[str]:
    out = set()
    for low, trait in zip(tv.lower, tv.trait):
        if trait:
            continue
        lem = readings.get(low)
        if lem is not None:
            out.add(lem)
    return out


def lemma_sets(view: FolderView) -> dict[str, list[set[str]]]:
    """Content lemmas of every text, per side (cached on the view)."""
    def build() -> dict[str, list[set[str]]]:
        readings = _folder_readings(view)
        return {s: [_content_lemmas(tv, readings) for tv in view.side(s)] for s in SIDES}
    return view.memo("lemma_sets", build)


def _lemma_evidence(view: FolderView, r: dict[str, Any], k: int) -> list[Evidence]:
    sets = lemma_sets(view)
    mine, theirs = sets[r["side"]], sets[OTHER[r["side"]]]
    cands = [i for i in range(view.n) if r["lemma"] in mine[i] and r["lemma"] not in theirs[i]]
    return [view.side(r["side"])[i].evidence() for i in view.pick(cands, k=k)]
