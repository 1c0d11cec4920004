"""TL301 topic_imbalance: no topic dominates, and topic does not predict the label (seed Phase 6)."""
from __future__ import annotations

from collections import Counter
from typing import Any

from traitlint.audits.diversity.common import (
    SIDES,
    card_type,
    english_share,
    evidence,
    label_table,
    norm,
    pct,
    plan_of,
    require_english,
    share_tolerance,
    side_values,
)
from traitlint.context import AuditContext
from traitlint.finding import Evidence, Finding, Severity
from traitlint.nlp import language, topics
from traitlint.nlp.stats import bh_adjust, chi2_contingency_p, sign_test
from traitlint.registry import Audit, SkipAudit, register


@register
class TopicImbalance(Audit):
    """What it does
    Assigns each pair a topic - the `topic` label of annotations.jsonl when present, otherwise a
    *domain* found from the nouns: per pair, the nouns (POS NOUN/PROPN lemmas, generic and count
    nouns left out) that both sides share; two nouns are linked when at least `min_cooccur` pairs
    share both; a connected group of linked nouns is a domain, and its pairs are those sharing any
    of its nouns. Warns when one domain (or annotated topic) holds more than `max_share` of the
    pairs (seed: "One topic >25%") and at least `min_pairs` pairs - for a domain, pairs that share
    two or more of its nouns, so a lone recurring noun ("My friend asked ...", a frame) or a chain
    of nouns each from a different story is not judged - showing its nouns (most pairs first)
    and the lines of the pairs that share the most of them. Where the trait.toml `[plan]` sets a share for an annotated
    topic, that share (plus TL205's tolerance, `abs_tol` or two binomial standard errors) is the
    limit instead: a plan that asks for 40% healthcare is not overridden by the 25% rule, and a
    plan of 10% per topic is held to 10%. Domains cannot be matched to planned names, so for them
    the plan can only raise the cap to its largest planned share.
    Then asks whether topic predicts the label: annotated topics by a chi-square test of topic by
    class; otherwise TF-IDF + NMF topics over each side's nouns (sqrt(n) topics, 5-10, fixed seed,
    canonical order), each side projected on the topics, an exact sign test per topic (pairs where
    only the positive side is on it vs only the negative), Benjamini-Hochberg over topics; reported
    as info, since unsupervised topics cannot tell a scenario from the trait's own content.

    Why it matters
    A vector from pairs mostly about hospitals partly encodes "hospital"; a topic that appears
    mostly on one side is a label leak (seed, Phase 6: "Could a classifier predict
    positive/negative from topic alone?"). The share is judged on domains, not NMF topics: NMF
    gives one topic per wording ("doctor, prescription" / "nurse, chart"), so a domain written six
    ways stays under 25% in every topic. Measured on the 77 corpus folders with a hospital or a
    courtroom sentence in six wordings (`benchmarks/accuracy_TL301.py`): NMF topics caught 8 of
    77 at 45% of pairs and 2-4 of 57 at 30%; domains catch 68-70 of 77 and 52 of 57 (the misses
    are mostly folders TL301 cannot read: not English, or not pairable).

    Example
    9 of 20 pairs open with a hospital sentence in one of six wordings ("The doctor adjusted the
    patient's prescription.", "Back in the recovery room the nurse checked the patient's chart.",
    ...): domain [patient, ward, doctor, nurse, prescription, chart, ...] in 45% of pairs -> warning,
    with the first three of those lines.

    How to fix
    Add pairs on other topics (or rewrite some); keep both sides of a pair on the same topic.

    What it cannot see
    Without word vectors (the small spaCy pipeline has none) nouns are linked only by appearing
    together: wordings of one domain that share no noun with each other ("The doctor adjusted the
    prescription." / "At the pharmacy the medication was ready." / "The surgeon scrubbed in.")
    stay separate domains, each under the limit (measured in the benchmark: 16% of such folders
    caught at 45%, 11% at 30%, through nouns a folder already uses). Texts that are not English are
    left out (the English tagger misreads them), so a French or Chinese folder is not checked. A link needs two
    pairs, so a domain whose every wording appears once and shares only single nouns with the
    others is missed in very small folders (13-14 pairs). One noun alone in many pairs is not a
    domain here (TL102 reads repeated vocabulary).
    Synonyms and inflections the lemmatiser does not merge ("pharmacy" / "pharmacist") are
    different nouns. Everyday nouns of a folder's real subject (sales: "commission, revenue,
    bonus") form a domain too; that is a real topic, and a warning there means the folder is
    mostly about it.
    """

    code = "TL301"
    name = "topic_imbalance"
    summary = "No topic domain above 25% of the pairs (or its [plan] share), and topic does not predict the label."
    rationale = "A one-topic dataset yields a topic vector; a one-sided topic leaks the label."
    fix = "Add pairs on other topics; keep both sides of each pair on the same topic."
    severity = Severity.WARNING
    # min_pairs 4: the smallest count above 25% of the smallest corpus folders (13 pairs). min_cooccur 2:
    # at 1, chance links join most of a folder's nouns (33 of the 77 unchanged corpus folders warn); at 2,
    # 3 do, each read and real; at 3 a domain needs each link three times, which 13-20-pair folders with
    # six wordings rarely give (benchmarks/accuracy_TL301.py).
    params = {"max_share": 0.25, "alpha": 0.01, "min_pairs": 4, "min_cooccur": 2, "min_discordant": 8}
    requires = frozenset({"pairs"})
    reads_params_of = ("TL205",)  # a planned share is held to TL205's tolerance around it

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        ds = ctx.dataset
        n = len(ds.pairs)
        labels = side_values(ds, "topic")
        if labels is not None and any(p is not None for p, _ in labels):
            shared = all(p == q for p, q in labels)
            per_pair = [p for p, _ in labels]
            counts = Counter(v for v in per_pair if v is not None)
            keys, table = label_table(labels)
            return {"source": "annotations", "pairs": n, "unlabelled": sum(v is None for v in per_pair),
                    "topics": [{"topic": k, "share": round(c / n, 4), "pairs": c,
                                "examples": [i for i, v in enumerate(per_pair) if v == k][:3]}
                               for k, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))],
                    "by_class": {"rows": keys, "table": table},
                    "label_p": 1.0 if shared else round(chi2_contingency_p(table), 6),
                    "label_note": "pairs share their topic label: topic cannot predict the label" if shared else ""}
        ff = ctx.features()
        require_english(english_share(ctx))
        words = ds.trait_words
        exclude = frozenset(w for side in SIDES for w in words[side])
        # Texts that are not English (one side of a language trait, a stray French line) are left
        # out: an English tagger reads their function words as nouns ("que, con, para").
        pos_en = [language.is_english(tf) for tf in ff.positive]
        neg_en = [language.is_english(tf) for tf in ff.negative]
        pos_docs = [topics.content_nouns(tf, exclude) if ok else [] for tf, ok in zip(ff.positive, pos_en)]
        neg_docs = [topics.content_nouns(tf, exclude) if ok else [] for tf, ok in zip(ff.negative, neg_en)]
        both_en = [a and b for a, b in zip(pos_en, neg_en)]
        shared = topics.shared_nouns(pos_docs, neg_docs)
        found = topics.domains(shared, int(params["min_cooccur"]))
        domain_rows = [{"domain": k, "words": list(d.words), "share": round(len(d.pairs) / n, 4),
                        "pairs": len(d.pairs), "links": d.links, "word_pairs": d.word_pairs,
                        # pairs that share two or more of its nouns: the ones that show it is a domain
                        "core_pairs": sum(1 for i in d.pairs if len(shared[i] & set(d.words)) >= 2),
                        # the pairs that share the most of its nouns show it best (shown in line order)
                        "examples": sorted(d.core[:3])} for k, d in enumerate(found[:20])]
        # Fitted on the texts of both sides (2n documents): a pair's topics are those of either side,
        # and words that only one side uses stay visible to the class cross-tabulation.
        model = topics.fit(pos_docs + neg_docs, k=topics.choose_k(n))
        if model is None:
            if not found:
                raise SkipAudit("too few shared nouns to find topics")
            return {"source": "nmf", "pairs": n, "k": 0, "domains": domain_rows, "topics": [], "by_class": [],
                    "non_english_texts": {"positive": pos_en.count(False), "negative": neg_en.count(False)},
                    "unassigned": 1.0, "same_topics_within_pair": 0.0, "trait_type": card_type(ds)}
        pos_m, neg_m = model.members_[:n], model.members_[n:]
        pair_m = [x | y for x, y in zip(pos_m, neg_m)]
        rows = []
        for t in range(model.k):
            members = [i for i, m in enumerate(pair_m) if t in m]
            rows.append({"topic": t, "top_words": model.top_words_[t], "share": round(len(members) / n, 4),
                         "pairs": len(members), "examples": members[:3]})
        rows.sort(key=lambda r: (-r["share"], r["topic"]))
        # Topic by class, paired: for each topic, pairs where only the positive side is on it (b) vs
        # only the negative side (c); an exact sign test per topic, Benjamini-Hochberg over topics.
        # Only pairs with both sides in English count: a side left out has no topics, which says
        # nothing about its topic.
        compared = [(i, x, y) for i, (x, y, ok) in enumerate(zip(pos_m, neg_m, both_en)) if ok]
        tests = []
        for t in range(model.k):
            b = sum(1 for _, x, y in compared if t in x and t not in y)
            c = sum(1 for _, x, y in compared if t in y and t not in x)
            tests.append({"topic": t, "top_words": model.top_words_[t], "positive_only": b, "negative_only": c,
                          "p": round(sign_test(b, c).p, 6),
                          "examples": [i for i, x, y in compared if (t in x) != (t in y)][:3]})
        for test, q in zip(tests, bh_adjust([t["p"] for t in tests])):
            test["q"] = round(float(q), 6)
        return {"source": "nmf", "pairs": n, "k": model.k, "domains": domain_rows,
                "non_english_texts": {"positive": pos_en.count(False), "negative": neg_en.count(False)},
                "unassigned": round(sum(1 for m in pair_m if not m) / n, 4), "topics": rows,
                "same_topics_within_pair": round(sum(1 for x, y in zip(pos_m, neg_m) if x == y) / n, 4),
                "by_class": tests, "trait_type": card_type(ds)}

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        ds = ctx.dataset
        out = []
        nmf = metrics["source"] == "nmf"
        limit_of = _limits(ds, params, metrics["pairs"], nmf)
        rows = metrics["domains"] if nmf else metrics["topics"]
        for row in rows:
            limit, why = limit_of(str(row.get("topic")))
            # the floor counts, for a domain, the pairs that share two or more of its nouns: a lone
            # recurring noun ("my friend asked ...") or a chain of nouns each from a different
            # story is not a domain
            if row["share"] <= limit or row.get("core_pairs", row["pairs"]) < params["min_pairs"]:
                continue
            if nmf:
                words = row["words"]
                name = ", ".join(words[:8]) + (f" and {len(words) - 8} more" if len(words) > 8 else "")
                message = (f"domain [{name}] is shared by both sides in {pct(row['share'])} of pairs "
                           f"({row['pairs']} of {metrics['pairs']}; limit {pct(limit)}{why})")
                metric = {"topic": ", ".join(words), "share": row["share"], "pairs": row["pairs"],
                          "core_pairs": row["core_pairs"], "nouns": len(words)}
            else:
                message = f"topic [{row['topic']}] covers {pct(row['share'])} of pairs (limit {pct(limit)}{why})"
                metric = {"topic": str(row["topic"]), "share": row["share"], "pairs": row["pairs"]}
            out.append(self.finding(Severity.WARNING, message, metric, limit, evidence(ds, row["examples"])))
        if not nmf:
            if metrics["label_p"] < params["alpha"]:
                rows, table = metrics["by_class"]["rows"], metrics["by_class"]["table"]
                shown = "; ".join(f"{r}: {a} positive / {b} negative" for r, (a, b) in zip(rows, table))
                out.append(self.finding(Severity.ERROR, f"annotated topic predicts the label (p={metrics['label_p']:.2g}): "
                                        f"{shown}", {"p": metrics["label_p"], "by_class": metrics["by_class"]},
                                        params["alpha"], [Evidence("annotations.jsonl", None, "")],
                                        "Keep both sides of every pair on the same topic; balance topics across classes."))
            return out
        if metrics["trait_type"] in ("style", "mode"):
            return out  # the trait changes vocabulary by design; side-specific nouns are not a topic leak
        for t in metrics["by_class"]:
            if t["q"] < params["alpha"] and t["positive_only"] + t["negative_only"] >= params["min_discordant"]:
                side = "positive" if t["positive_only"] > t["negative_only"] else "negative"
                out.append(self.finding(
                    Severity.INFO,
                    f"topic [{', '.join(t['top_words'])}] is on the positive side only in {t['positive_only']} pairs "
                    f"and on the negative side only in {t['negative_only']} (q={t['q']:.2g}): these nouns predict the label "
                    "(info: unsupervised topics cannot tell a scenario from the trait's own content)",
                    {k: v for k, v in t.items() if k != "examples"}, params["alpha"],
                    evidence(ds, t["examples"], side),
                    "Keep both sides of a pair on the same topic. If these nouns are the trait's own register "
                    "(a style trait), declare type = \"style\" in trait.toml."))
        return out


def _limits(ds: Any, params: dict[str, Any], n: int, nmf: bool) -> Any:
    """`topic -> (share limit, where it comes from)`: the `[plan]` share where the plan sets one.

    Why the plan wins: it is the author's written intent, checked against the annotations by
    TL205 with the same tolerance; a fixed 25% rule that contradicts it (a plan of 40% healthcare)
    only teaches people to ignore the audit.
    """
    default = params["max_share"]
    planned = plan_of(ds)[0].get("topic", {})
    tolerance = (params.get("TL205") or {}).get("abs_tol", 0.05)
    if not planned:
        return lambda topic: (default, "")
    if nmf:  # unsupervised topics have no names: the plan can only allow its largest topic
        top = max(planned.values())
        cap = top + share_tolerance(top, n, tolerance)
        why = f": the [plan]'s largest topic share is {pct(top)}"
        return lambda topic: (cap, why) if cap > default else (default, "")

    def limit(topic: str) -> tuple[float, str]:
        target = planned.get(norm(topic))
        if target is None:
            return default, ""
        return target + share_tolerance(target, n, tolerance), f": planned {pct(target)} in [plan]"

    return limit
