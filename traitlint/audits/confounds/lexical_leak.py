"""TL101 lexical_label_leak: words, bigrams, openers, closers or punctuation on (almost) only one side."""
from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from traitlint.audits.confounds.view import OTHER, SIDES, FolderView, TextView, clean, fmt_p, folder_view
from traitlint.context import AuditContext
from traitlint.finding import Evidence, Finding, Severity
from traitlint.nlp.lexicon import FUNCTION_POS, FUNCTION_WORDS, PUNCTUATION, is_function_word, is_punct
from traitlint.nlp.stats import bh_adjust, sign_test_pvalues
from traitlint.registry import Audit, register

KIND_LABEL = {"word": "word", "bigram": "bigram", "opener": "sentence opener", "closer": "closer",
              "punct": "punctuation"}


def _text_features(tv: TextView, style: bool = False) -> set[str]:
    """TL101 features of one text: "kind\tvalue" strings. Declared trait tokens take no part in words,
    bigrams and two-token openers/closers; the single opening and closing token is a feature whatever
    is declared, except on style cards (a one-sided "Hopefully," opener or a prefill that always ends
    on the trait word is a position the vector learns, not only a word; "worried about" ending both
    ways is fine: "about" is the closer)."""
    feats: set[str] = set()
    low, punct = tv.lower, tv.punct
    trait = tv.trait
    edge = trait if style else [False] * len(trait)
    n = len(low)
    words = [i for i in range(n) if not punct[i]]
    for i in words:
        if not trait[i]:
            feats.add(f"word\t{low[i]}")
    for a, b in zip(words, words[1:]):
        if b == a + 1 and not trait[a] and not trait[b]:
            feats.add(f"bigram\t{low[a]} {low[b]}")
    for s in tv.sent_starts:
        j = s
        while j < n and punct[j]:  # skip an opening quote or dash
            j += 1
        if j < n and not edge[j]:
            feats.add(f"opener\t{low[j]}")
            if j + 1 < n and not trait[j] and not trait[j + 1]:
                feats.add(f"opener\t{low[j]} {low[j + 1]}")
    if n:
        if not edge[-1]:
            feats.add(f"closer\t{low[-1]}")
            if n >= 2 and not trait[-1] and not trait[-2]:
                feats.add(f"closer\t{low[-2]} {low[-1]}")
    text = tv.prompt.text
    chars = set(text)
    any_trait = any(trait)
    for name, marks in PUNCTUATION.items():
        if any((m in chars) if len(m) == 1 else (m in text) for m in marks):
            if not (any_trait and _punct_declared(tv, marks)):
                feats.add(f"punct\t{name}")
    for entry in tv.found:
        feats.add(f"declared\t{entry}")
    return feats


def _punct_declared(tv: TextView, marks: tuple[str, ...]) -> bool:
    """True when every occurrence of these punctuation marks is part of a declared trait entry."""
    hits = [i for i, w in enumerate(tv.words) if any(m.strip() and m.strip() in w for m in marks)]
    return bool(hits) and all(tv.trait[i] for i in hits)


def _is_function_feature(kind: str, value: str, pos_of: dict[str, str]) -> bool:
    tokens = value.split()
    return all(t in FUNCTION_WORDS or is_punct(t) or is_function_word(t, pos_of.get(t, "")) for t in tokens)


def leak_table(view: FolderView) -> dict[str, Any]:
    """Counts per feature: texts per side (n_pos, n_neg) and discordant pairs (b, c)."""
    def build() -> dict[str, Any]:
        n_side = {s: Counter() for s in SIDES}
        disc = {s: Counter() for s in SIDES}
        pos_of: dict[str, Counter] = defaultdict(Counter)
        sets: dict[str, list[set[str]]] = {s: [] for s in SIDES}
        for p, q in zip(view.positive, view.negative):
            fp, fq = _text_features(p, view.style), _text_features(q, view.style)
            sets["positive"].append(fp)
            sets["negative"].append(fq)
            n_side["positive"].update(fp)
            n_side["negative"].update(fq)
            disc["positive"].update(fp - fq)
            disc["negative"].update(fq - fp)
            for tv in (p, q):
                for w, t in zip(tv.lower, tv.pos):
                    if w not in FUNCTION_WORDS:
                        pos_of[w][t] += 1
        majority = {w: _majority_tag(c) for w, c in pos_of.items()}
        return {"n": n_side, "disc": disc, "pos_of": majority, "sets": sets}
    return view.memo("leak_table", build)


def _majority_tag(tags: Counter) -> str:
    """A word's most frequent POS tag. Ties go to a content tag (the milder verdict: a warning, not an
    error), then alphabetically: never to whichever tag the line order happened to count first."""
    return min(tags.items(), key=lambda kv: (-kv[1], kv[0] in FUNCTION_POS, kv[0]))[0]


def find_leaks(view: FolderView, params: dict[str, Any]) -> tuple[int, list[dict[str, Any]]]:
    """The tested family's size and the leaks in it (strongest first), for one view of a folder."""
    table = leak_table(view)
    n_pos, n_neg = table["n"]["positive"], table["n"]["negative"]
    b_c, c_c = table["disc"]["positive"], table["disc"]["negative"]
    alpha = float(params["alpha"])
    # Tested family: enough support, and enough discordant pairs that significance is attainable
    # (a one-sided split of d pairs can reach at best p = 2 * 0.5**d). Both filters ignore the
    # direction of the split, so the BH family stays valid.
    keys = []
    for key in sorted(set(n_pos) | set(n_neg)):
        if key.startswith("declared\t"):
            continue
        d = b_c[key] + c_c[key]
        if 2 * 0.5 ** d <= alpha and view.n - _both_absent(view, key, table) >= params["min_support"]:
            keys.append(key)
    pvals = sign_test_pvalues([b_c[k] for k in keys], [c_c[k] for k in keys])
    qvals = bh_adjust(pvals)
    leaks = []
    for key, p, q in zip(keys, pvals, qvals):
        kind, value = key.split("\t", 1)
        tot = n_pos[key] + n_neg[key]
        share = n_pos[key] / tot
        if q <= alpha and max(share, 1 - share) > params["max_share"]:
            label = "positive" if share > 0.5 else "negative"
            function = kind in ("opener", "closer", "punct") or _is_function_feature(kind, value, table["pos_of"])
            leaks.append({"feature": value, "kind": kind, "side": label, "n_pos": n_pos[key], "n_neg": n_neg[key],
                          "b": b_c[key], "c": c_c[key], "share": clean(max(share, 1 - share)),
                          "p": clean(p, 8), "q": clean(q, 8),
                          "severity": "error" if function else "warning"})
    leaks = _drop_subsumed(leaks)
    leaks.sort(key=lambda r: (r["severity"] != "error", r["q"], -r["share"], r["kind"], r["feature"]))
    return len(keys), leaks


def hidden_leaks(bare: FolderView, reported: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
    """What the declarations hide: the leaks a run without any declaration reports and this one does
    not (same feature, kind and side), strongest first. Why: declaring must never make a folder
    pass silently; every run says what the exemption costs."""
    _, bare_leaks = find_leaks(bare, params)
    seen = {(r["kind"], r["feature"], r["side"]) for r in reported}
    hidden = [r for r in bare_leaks if (r["kind"], r["feature"], r["side"]) not in seen]
    return {"count": len(hidden), "errors": sum(r["severity"] == "error" for r in hidden),
            "strongest": hidden[:HIDDEN_SHOWN]}


#: how many hidden leaks the info finding and the text report list
HIDDEN_SHOWN = 5


@register
class LexicalLabelLeak(Audit):
    """What it does
    Finds words, bigrams, sentence openers, closers (last 1-2 tokens) and punctuation patterns that
    appear almost only on one side. A feature is a leak when it occurs in at least `min_support`
    pairs, more than `max_share` of the texts containing it are on one side, and the exact sign test
    on discordant pairs (b = only the positive has it, c = only the negative) is significant after
    Benjamini-Hochberg correction over every feature tested (q <= `alpha`).

    Function words, openers, closers and punctuation are errors (the seed's critical case); content
    words are warnings listed with their statistics, because in matched pairs the words that differ
    are usually the trait's own words: declare them in `trait.toml` `[trait.words]` and they are
    reported as info instead. Declared entries cover their inflections and -ly/-ness forms
    ("hopeful" covers "hopefully"; "worried" covers "worry"), never another derivation ("hopeless").
    Declarations that the data do not bear out take no effect (TL105 says which and why): entries on
    both sides alike, and, unless the card is `type = "style"`, function words, negators,
    contractions and punctuation. Off style cards a declared word is still tested as a sentence's
    first token or a text's last one: a one-sided "Hopefully," opener is a confound whatever the
    card says. Every run reports, as info (and a line in the text report), the findings the
    declarations hide: what this audit reports with `[trait.words]` emptied and not with it.

    Why it matters
    A difference-of-means vector learns whatever separates the sides. If 95% of positives say "but"
    and 95% of negatives say "and", the vector is a "but" detector.

    Example
    POS "The launch slipped, but I think we can" / NEG "The launch slipped, and I think we can't":
    error `word "but" in 19 positives vs 1 negative`.

    Detection power (benchmarks/power_table.py, the test suite's synthetic set)
    A one-sided "Still," opener in a share of the pairs reaches this audit's verdict from 30% of
    pairs at n = 20, 20% at n = 50 and 10% at n = 150; it grows with n: the paired test and its
    q-value decide.

    How to fix
    Use the word on both sides (or in neither), restructure the sentences so that no opener, closer
    or punctuation mark marks one side, or declare genuine trait words in `[trait.words]`.
    """

    code = "TL101"
    name = "lexical_label_leak"
    summary = "No word, opener, closer or punctuation pattern appears (almost) only on one side."
    rationale = "The vector learns any token that separates the sides instead of the trait."
    fix = "Use the word on both sides or neither, vary openers/closers/punctuation, or declare trait words in trait.toml."
    severity = Severity.ERROR
    params = {"min_support": 5, "max_share": 0.8, "alpha": 0.05, "max_findings": 10}
    requires = frozenset({"pairs"})

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        view = folder_view(ctx)
        table = leak_table(view)
        n_pos, n_neg = table["n"]["positive"], table["n"]["negative"]
        b_c, c_c = table["disc"]["positive"], table["disc"]["negative"]
        tested, leaks = find_leaks(view, params)
        info = []
        for key in sorted(k for k in set(n_pos) | set(n_neg) if k.startswith("declared\t")):
            value = key.split("\t", 1)[1]
            tot = n_pos[key] + n_neg[key]
            info.append({"feature": value, "n_pos": n_pos[key], "n_neg": n_neg[key], "b": b_c[key], "c": c_c[key],
                         "share_pos": clean(n_pos[key] / tot if tot else 0.5)})
        metrics: dict[str, Any] = {"pairs": view.n, "tested": tested, "leaks": leaks, "declared": info}
        if view.declarations:
            metrics["hidden_by_declarations"] = hidden_leaks(folder_view(ctx, declarations=False), leaks, params)
        return metrics

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        view = folder_view(ctx)
        threshold = {"max_share": params["max_share"], "alpha": params["alpha"], "min_support": params["min_support"]}
        out: list[Finding] = []
        errors = [r for r in metrics["leaks"] if r["severity"] == "error"]
        cap = int(params["max_findings"])
        for r in errors[:cap]:
            out.append(self.finding(Severity.ERROR, _describe(r, metrics["pairs"]), {**r, "pairs": metrics["pairs"],
                                    "tested": metrics["tested"]}, threshold, _leak_evidence(view, r),
                                    features=[r["feature"]]))
        if len(errors) > cap:
            rest = errors[cap:]
            out.append(self.finding(Severity.ERROR, f"{len(rest)} more one-sided function words/openers/closers: "
                                    + ", ".join(f'"{r["feature"]}" ({r["side"]})' for r in rest[:15]),
                                    {"leaks": rest}, threshold, _leak_evidence(view, rest[0]),
                                    features=_features(rest)))
        warns = [r for r in metrics["leaks"] if r["severity"] == "warning"]
        if warns:
            listed = "; ".join(f'"{r["feature"]}" {r["side"]} {r["n_pos"]}:{r["n_neg"]} (q={fmt_p(r["q"])})'
                               for r in warns[:12])
            more = f" and {len(warns) - 12} more" if len(warns) > 12 else ""
            out.append(self.finding(
                Severity.WARNING, f"{len(warns)} content word(s)/bigram(s) not declared as trait words appear "
                f"almost only on one side (positive:negative texts): {listed}{more}",
                {"leaks": warns, "pairs": metrics["pairs"], "tested": metrics["tested"]}, threshold,
                [e for r in warns[:5] for e in _leak_evidence(view, r, 1)],
                hint="If these are the trait's own words, declare them in trait.toml [trait.words]; otherwise "
                     "use them on both sides or vary the wording.", features=_features(warns)))
        shown = [r for r in metrics["declared"] if r["n_pos"] + r["n_neg"]]
        if shown:
            listed = ", ".join(f'"{r["feature"]}" {r["n_pos"]}:{r["n_neg"]}' for r in shown[:20])
            out.append(self.finding(Severity.INFO, f"declared trait words separate the sides as intended "
                                    f"(positive:negative texts): {listed}", {"declared": shown}, None, [],
                                    hint="Nothing to do: declared words are the trait signal."))
        hidden = metrics.get("hidden_by_declarations")
        if hidden is not None:
            out.append(self.finding(Severity.INFO, hidden_message(hidden), {"hidden_by_declarations": hidden}, None,
                                    [e for r in hidden["strongest"][:3] for e in _leak_evidence(view, r, 1)],
                                    hint="Check that each is a genuine trait word; `traitlint check` with "
                                         "[trait.words] emptied lists them all.",
                                    features=_features(hidden["strongest"])))
        return out


def hidden_message(hidden: dict[str, Any]) -> str:
    """`declared trait words hide 12 TL101 findings (0 errors): "hopeful" positive 40:2 (q=1e-9), ...`"""
    if not hidden["count"]:
        return "declared trait words hide no TL101 finding: without them this audit reports the same"
    listed = "; ".join(f'{KIND_LABEL[r["kind"]]} "{r["feature"]}" {r["side"]} {r["n_pos"]}:{r["n_neg"]} '
                       f'(q={fmt_p(r["q"])})' for r in hidden["strongest"])
    more = f" and {hidden['count'] - len(hidden['strongest'])} more" if hidden["count"] > len(hidden["strongest"]) else ""
    return (f"declared trait words hide {hidden['count']} TL101 finding(s) ({hidden['errors']} would be errors), "
            f"strongest (positive:negative texts): {listed}{more}")


def _features(rows: list[dict[str, Any]]) -> list[str]:
    """The features a finding lists, once each, in its order: what `[[traitlint.suppress]]` matches."""
    return list(dict.fromkeys(r["feature"] for r in rows))


def _both_absent(view: FolderView, key: str, table: dict[str, Any]) -> int:
    """Pairs where neither side has the feature (from counts: n_pos + n_neg - both = present pairs)."""
    n_pos = table["n"]["positive"][key]
    b, c = table["disc"]["positive"][key], table["disc"]["negative"][key]
    both = n_pos - b  # pairs where the positive has it and so does the negative
    present = both + b + c
    return view.n - present


def _drop_subsumed(leaks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop features explained by another flagged one: 2-token features by a flagged 1-token feature of
    the same kind family and side, and a content word by the opener/closer error it always is."""
    flagged = {(r["side"], r["feature"]) for r in leaks if " " not in r["feature"] and r["kind"] in ("word", "opener", "closer")}
    openers = {(r["side"], r["feature"]) for r in leaks if r["kind"] == "opener" and " " not in r["feature"]}
    closers = {(r["side"], r["feature"]) for r in leaks if r["kind"] == "closer" and " " not in r["feature"]}
    # A content word flagged as an opener/closer error is the same defect: don't list it twice
    # (once as an error, once as a content-word warning) unless the word also occurs elsewhere.
    edge = {(r["side"], r["feature"]): r for r in leaks if r["kind"] in ("opener", "closer") and r["severity"] == "error"}
    out = []
    for r in leaks:
        twin = edge.get((r["side"], r["feature"])) if r["kind"] == "word" and r["severity"] == "warning" else None
        if twin is not None and (twin["n_pos"], twin["n_neg"]) == (r["n_pos"], r["n_neg"]):
            continue
        parts = r["feature"].split()
        if len(parts) == 2:
            if r["kind"] == "bigram" and any((r["side"], t) in flagged for t in parts):
                continue
            if r["kind"] == "opener" and (r["side"], parts[0]) in openers:
                continue
            if r["kind"] == "closer" and (r["side"], parts[1]) in closers:
                continue
        out.append(r)
    return out


def _describe(r: dict[str, Any], pairs: int) -> str:
    kind = KIND_LABEL[r["kind"]]
    if r["kind"] == "word" or r["kind"] == "bigram":
        kind = "function " + kind
    side, other = r["side"], OTHER[r["side"]]
    mine, theirs = (r["n_pos"], r["n_neg"]) if side == "positive" else (r["n_neg"], r["n_pos"])
    only_mine, only_theirs = (r["b"], r["c"]) if side == "positive" else (r["c"], r["b"])
    return (f'{kind} "{r["feature"]}" marks the {side} side: in {mine} {side} vs {theirs} {other} texts '
            f"({r['share']:.0%} {side}); only one side has it in {only_mine} pairs ({side}) vs {only_theirs} "
            f"({other}), sign test p={fmt_p(r['p'])}, q={fmt_p(r['q'])}")


def _leak_evidence(view: FolderView, r: dict[str, Any], k: int = 5) -> list[Evidence]:
    """Texts on the leak's side that have the feature while their partner does not."""
    key = f"{r['kind']}\t{r['feature']}"
    sets = leak_table(view)["sets"]
    mine, theirs = sets[r["side"]], sets[OTHER[r["side"]]]
    cands = [i for i in range(view.n) if key in mine[i] and key not in theirs[i]]
    return [view.side(r["side"])[i].evidence() for i in view.pick(cands, k=k)]
