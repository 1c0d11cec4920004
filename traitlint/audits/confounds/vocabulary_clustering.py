"""TL102 vocabulary_clustering: non-trait content vocabulary repeated across a side."""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from traitlint.audits.confounds.view import OTHER, SIDES, FolderView, TextView, clean, folder_view
from traitlint.context import AuditContext
from traitlint.finding import Evidence, Finding, Severity
from traitlint.nlp.lexicon import CONTENT_POS, FUNCTION_WORDS, SYNONYMS
from traitlint.registry import Audit, register


@register
class VocabularyClustering(Audit):
    """What it does
    Counts the texts of each side that contain each content lemma (nouns, verbs, adjectives, adverbs,
    names; not declared trait words). A lemma in more than `max_share` of one side's texts (at least
    `min_count` texts) is reported. It is a warning when the lemma also leans to that side: the
    net excess of pairs where only that side has it, (b - c) / pairs, is at least `min_excess`, and
    the other side uses it at most `max_other_ratio` times as often; a difference-of-means vector
    picks such a word up. Lemmas repeated equally on both sides (shared context)
    cancel in the difference and are reported as info; declared trait words are info too.

    Why it matters
    The seed's "same word > 10%" rule: a vector built from texts that keep saying "genuinely" learns
    "genuinely" along with the trait, and fires on it anywhere.

    Example
    "genuinely" in 18 of 60 positives and 2 negatives: warning with the lines and synonyms
    ("truly", "sincerely", "really").

    Detection power (benchmarks/power_table.py, the test suite's synthetic set)
    A rare word ("turquoise") on one side in a share of the pairs reaches this audit's verdict from
    20% of pairs at n = 20, 20% at n = 50 and 20% at n = 150; the share rule decides, whatever n.

    How to fix
    Rewrite some of the texts with synonyms or different phrasings; if the word is the trait's
    signal, declare it in `[trait.words]`.
    """

    code = "TL102"
    name = "vocabulary_clustering"
    summary = "No content word (other than declared trait words) recurs in more than 10% of one side."
    rationale = "A recurring word becomes part of the vector."
    fix = "Use synonyms or rephrase; declare genuine trait words in trait.toml [trait.words]."
    severity = Severity.WARNING
    params = {"max_share": 0.10, "min_count": 3, "min_excess": 0.05, "max_other_ratio": 0.5}
    requires = frozenset({"pairs"})

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
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
        return {"pairs": n, "lemmas": rows, "declared": info_declared}

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        view = folder_view(ctx)
        out: list[Finding] = []
        thr = {"max_share": params["max_share"], "min_excess": params["min_excess"]}
        for s in SIDES:
            rows = [r for r in metrics["lemmas"] if r["side"] == s and r["leaning"]]
            if not rows:
                continue
            listed = ", ".join(f'"{r["lemma"]}" {r["share"]:.0%} (other side {r["other_share"]:.0%})' for r in rows[:12])
            more = f" and {len(rows) - 12} more" if len(rows) > 12 else ""
            syn = [f'{r["lemma"]} -> {", ".join(SYNONYMS[r["lemma"]][:3])}' for r in rows if r["lemma"] in SYNONYMS][:4]
            hint = ("Vary the wording with synonyms" + (f" ({'; '.join(syn)})" if syn else "")
                    + ", or declare genuine trait words in trait.toml [trait.words].")
            ev = [e for r in rows[:5] for e in _lemma_evidence(view, r, 1)]
            out.append(self.finding(Severity.WARNING, f"{len(rows)} content word(s) recur in more than "
                                    f"{params['max_share']:.0%} of {s} texts and lean {s}: {listed}{more}",
                                    {"side": s, "lemmas": rows, "pairs": metrics["pairs"]}, thr, ev, hint=hint,
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
