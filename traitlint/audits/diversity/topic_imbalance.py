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
    Assigns each pair a topic - the `topic` label of annotations.jsonl when present, otherwise an
    unsupervised topic: TF-IDF over the pair's nouns, factorised with NMF (sqrt(n) topics, 5-10,
    fixed seed, canonical order). Warns when one topic holds more than `max_share` of the pairs
    (seed: "One topic >25%"), showing its top words and example lines. Where the trait.toml
    `[plan]` sets a share for an annotated topic, that share (plus TL205's tolerance, `abs_tol`
    or two binomial standard errors) is the limit instead: a plan that asks for 40% healthcare is
    not overridden by the 25% rule, and a plan of 10% per topic is held to 10%. Unsupervised
    topics cannot be matched to planned names, so for them the plan can only raise the cap to its
    largest planned share. Unsupervised topics that
    two refits from random starts do not reproduce are reported as info only; the model's
    stability (adjusted Rand index) is in the metrics. Then cross-tabulates topic by class
    (each side projected on the topics) and fails when topic predicts the label (p < `alpha`).

    Why it matters
    A vector from pairs mostly about hospitals partly encodes "hospital"; a topic that appears
    mostly on one side is a label leak (seed, Phase 6: "Could a classifier predict
    positive/negative from topic alone?").

    Example
    45 of 100 pairs mention a hospital ward: topic "patient, ward, nurse" in 45% of pairs -> warning.

    How to fix
    Add pairs on other topics (or rewrite some); keep both sides of a pair on the same topic.
    """

    code = "TL301"
    name = "topic_imbalance"
    summary = "No topic above 25% of the pairs (or its [plan] share), and topic does not predict the label."
    rationale = "A one-topic dataset yields a topic vector; a one-sided topic leaks the label."
    fix = "Add pairs on other topics; keep both sides of each pair on the same topic."
    severity = Severity.WARNING
    params = {"max_share": 0.25, "alpha": 0.01, "min_stability": 0.3, "min_pairs": 8, "min_discordant": 8,
              "min_coherence": 0.5}
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
        # Fitted on the texts of both sides (2n documents): a pair's topics are those of either side,
        # and words that only one side uses stay visible to the class cross-tabulation.
        model = topics.fit(pos_docs + neg_docs, k=topics.choose_k(n))
        if model is None:
            raise SkipAudit("too few shared nouns to find topics")
        pos_m, neg_m = model.members_[:n], model.members_[n:]
        pair_m = [x | y for x, y in zip(pos_m, neg_m)]
        pair_docs = [p + q for p, q in zip(pos_docs, neg_docs)]
        shares = [sum(1 for m in pair_m if t in m) / n for t in range(model.k)]
        if max(shares) > params["max_share"]:
            topics.check_stability(model)
        rows = []
        for t in range(model.k):
            members = [i for i, m in enumerate(pair_m) if t in m]
            words = set(model.top_words_[t][:2])
            rows.append({"topic": t, "top_words": model.top_words_[t], "share": round(len(members) / n, 4),
                         "pairs": len(members), "reproduced": model.reproduced_[t] if model.reproduced_ else None,
                         "coherence": round(sum(1 for i in members if words & set(pair_docs[i])) / len(members), 4)
                         if members else 0.0,
                         "examples": members[:3]})
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
        return {"source": "nmf", "pairs": n, "k": model.k, "stability": model.stability_,
                "non_english_texts": {"positive": pos_en.count(False), "negative": neg_en.count(False)},
                "unassigned": round(sum(1 for m in pair_m if not m) / n, 4), "topics": rows,
                "same_topics_within_pair": round(sum(1 for x, y in zip(pos_m, neg_m) if x == y) / n, 4),
                "by_class": tests, "trait_type": card_type(ds)}

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        ds = ctx.dataset
        out = []
        nmf = metrics["source"] == "nmf"
        limit_of = _limits(ds, params, metrics["pairs"], nmf)
        for row in metrics["topics"]:
            limit, why = limit_of(str(row["topic"]))
            if row["share"] <= limit or row["pairs"] < params["min_pairs"]:
                continue
            name = ", ".join(row["top_words"]) if nmf else str(row["topic"])
            stable = not nmf or (bool(row["reproduced"]) and (metrics["stability"] or 0) >= params["min_stability"]
                                 and row["coherence"] >= params["min_coherence"])
            note = "" if stable else (" (an uncertain topic: refits do not reproduce it or its members do not share "
                                      "its top words; shown for information)")
            out.append(self.finding(
                Severity.WARNING if stable else Severity.INFO,
                f"topic [{name}] covers {pct(row['share'])} of pairs (limit {pct(limit)}{why}){note}",
                {"topic": name, "share": row["share"], "pairs": row["pairs"],
                 **({"stability": metrics["stability"], "coherence": row["coherence"]} if nmf else {})}, limit, evidence(ds, row["examples"])))
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
