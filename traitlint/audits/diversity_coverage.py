"""Coverage audits (seed Phases 3 and 6): manifestation (TL204), plan coverage (TL205), topics (TL301)."""
from __future__ import annotations

from collections import Counter
from typing import Any

from traitlint import language, manifestation, topics
from traitlint.audits.diversity_util import (BEHAVIOURAL_TYPES, SIDES, annotated_axes, annotation_problems, card_type,
                                             english_share, evidence, label_table, pct, plan_line, plan_of,
                                             require_english, share_tolerance, side_values)
from traitlint.context import AuditContext
from traitlint.finding import Evidence, Finding, Severity
from traitlint.registry import Audit, SkipAudit, register
from traitlint.stats import bh_adjust, chi2_contingency_p, sign_test


@register
class ManifestationCoverage(Audit):
    """What it does
    Finds how the trait manifests in each pair: the `manifestation` label of annotations.jsonl
    when present, otherwise a transparent guess from the text where the pair diverges (document,
    quoted speech, reported speech, internal state, action; see `traitlint.manifestation`). For
    behavioural traits (trait.toml `type = "action"` or `"want"`, or a `[plan] manifestation`
    axis) it fails when one type holds more than `max_share` of the pairs and warns when a planned
    type holds less than `min_share` (or its planned share, if smaller) or is missing.

    The guess reads the positive text from the first word where it differs from its negative
    (the part carrying the trait); the first rule that fires wins:
    1. document - the text opens like one (header, "Dear", "Subject:", a list item, a line
       break) or a writing verb (write, email, post...) takes a document noun (email, report...);
    2. quoted_speech - half of those words, or at least three, are inside quotation marks;
    3. reported_speech - a speech verb (say, tell, admit, assure...) there or governing it;
    4. internal_state - a cognition/emotion verb (think, feel, hope) or adjective (afraid, sure);
    5. action - any other verb; 6. other - no verb to judge by.
    Label `manifestation` in annotations.jsonl to replace the guess with your own types.

    Without a trait card the audit cannot know whether the trait is behavioural and the guess is
    a heuristic, so it only reports the inferred distribution as info. For declared non-behavioural
    types (state, belief, mode, style) it reports nothing; the distribution is in the metrics.

    Why it matters
    A deception vector trained only on quoted lies may not fire on deceptive actions or documents
    (seed: "Each type should have ~15-25% of examples").

    Example
    `type = "action"`, 80 of 100 positive lines diverge inside a quotation -> error "quoted_speech
    in 80% of pairs".

    How to fix
    Write pairs where the trait shows in other forms (an action, a document, a thought, reported
    speech) and label them in annotations.jsonl (`"manifestation": "..."`).
    """

    code = "TL204"
    name = "manifestation_coverage"
    summary = "Behavioural traits manifest in several forms; no type above 50%, planned types >= 15%."
    rationale = "A vector from one manifestation (quoted speech) may not generalise to actions or documents."
    fix = "Add pairs where the trait shows as actions, documents, thoughts or reported speech; label them."
    severity = Severity.ERROR
    params = {"max_share": 0.5, "min_share": 0.15}
    requires = frozenset({"pairs"})

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        ds = ctx.dataset
        plan, _ = plan_of(ds)
        planned = plan.get("manifestation", {})
        kind = card_type(ds)
        labels = side_values(ds, "manifestation")
        labelled = [lab[0] for lab in labels] if labels is not None else []
        if labelled and any(v is not None for v in labelled):
            source, per_pair = "annotations", labelled
        else:
            ff = ctx.features()
            require_english(english_share(ctx))
            source = "inferred"
            per_pair = [manifestation.infer(p, n, pair.positive.text)
                        for p, n, pair in zip(ff.positive, ff.negative, ds.pairs)]
        known = [v for v in per_pair if v is not None]
        counts = Counter(known)
        total = len(known) or 1
        return {
            "source": source, "trait_type": kind, "behavioural": kind in BEHAVIOURAL_TYPES or bool(planned),
            "pairs": len(per_pair), "unlabelled": len(per_pair) - len(known),
            "distribution": {k: round(c / total, 4) for k, c in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))},
            "planned": planned,
            "examples": {k: [i for i, v in enumerate(per_pair) if v == k][:3] for k in sorted(counts)},
        }

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        ds = ctx.dataset
        dist = metrics["distribution"]
        shown = ", ".join(f"{k} {pct(v)}" for k, v in dist.items()) or "none"
        if not metrics["behavioural"]:
            if metrics["trait_type"] is None and dist:
                return [self.finding(Severity.INFO, f"{metrics['source']} manifestation forms: {shown} (no trait.toml "
                                     "type, so not judged; set type = \"action\" or \"want\" to check coverage)",
                                     {"distribution": dist}, None, [],
                                     "Declare the trait type in trait.toml; label manifestations in annotations.jsonl.")]
            return []
        out = []
        top, share = next(iter(dist.items()), (None, 0.0))
        if top is not None and share > params["max_share"]:
            how = ("annotations" if metrics["source"] == "annotations" else
                   "inferred from the words after each pair diverges; rules: `traitlint explain TL204`")
            out.append(self.finding(Severity.ERROR, f"{top} in {pct(share)} of pairs ({how}; limit "
                                    f"{pct(params['max_share'])}); distribution: {shown}",
                                    {"type": top, "share": share, "distribution": dist}, params["max_share"],
                                    evidence(ds, metrics["examples"].get(top, []))))
        planned = metrics["planned"]
        if planned and metrics["source"] == "inferred" and not set(planned) <= set(manifestation.KINDS):
            out.append(self.finding(Severity.INFO, f"planned manifestation types {', '.join(sorted(planned))} cannot "
                                    "be inferred from text; label them in annotations.jsonl to check coverage",
                                    {"planned": planned, "inferred": dist}, None,
                                    [_toml_evidence(ds, plan_line(ds, "manifestation"))]))
            return out
        for value, target in sorted(planned.items()):
            floor = min(params["min_share"], target)
            got = dist.get(value, 0.0)
            if got < floor:
                what = "missing" if got == 0 else f"only {pct(got)} of pairs"
                out.append(self.finding(Severity.WARNING, f"planned manifestation {value!r} is {what} (target "
                                        f"{pct(target)}, minimum {pct(floor)})",
                                        {"type": value, "share": got, "target": target}, floor,
                                        [_toml_evidence(ds, plan_line(ds, "manifestation"))]))
        if metrics["unlabelled"] and metrics["source"] == "annotations":
            out.append(self.finding(Severity.WARNING, f"{metrics['unlabelled']} pairs have no manifestation label",
                                    {"unlabelled": metrics["unlabelled"]}, 0, [Evidence("annotations.jsonl", None, "")],
                                    "Label every pair's manifestation in annotations.jsonl."))
        return out


def _toml_evidence(ds: Any, line: int | None) -> Evidence:
    """Evidence pointing at a trait.toml line, with the line's text."""
    tf = ds.raw.get("trait.toml")
    return Evidence("trait.toml", line, tf.line(line).strip()[:160] if tf and line else "")


def _jsonl_evidence(ds: Any, line: int) -> Evidence:
    tf = ds.raw.get("annotations.jsonl")
    return Evidence("annotations.jsonl", line, tf.line(line)[:160] if tf else "")


@register
class TopicImbalance(Audit):
    """What it does
    Assigns each pair a topic - the `topic` label of annotations.jsonl when present, otherwise an
    unsupervised topic: TF-IDF over the pair's nouns, factorised with NMF (sqrt(n) topics, 5-10,
    fixed seed, canonical order). Warns when one topic holds more than `max_share` of the pairs
    (seed: "One topic >25%"), showing its top words and example lines. Unsupervised topics that
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
    summary = "No topic above 25% of the pairs, and topic does not predict the label."
    rationale = "A one-topic dataset yields a topic vector; a one-sided topic leaks the label."
    fix = "Add pairs on other topics; keep both sides of each pair on the same topic."
    severity = Severity.WARNING
    params = {"max_share": 0.25, "alpha": 0.01, "min_stability": 0.3, "min_pairs": 8, "min_discordant": 8,
              "min_coherence": 0.5}
    requires = frozenset({"pairs"})

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
        limit = params["max_share"]
        nmf = metrics["source"] == "nmf"
        for row in metrics["topics"]:
            if row["share"] <= limit or row["pairs"] < params["min_pairs"]:
                continue
            name = ", ".join(row["top_words"]) if nmf else str(row["topic"])
            stable = not nmf or (bool(row["reproduced"]) and (metrics["stability"] or 0) >= params["min_stability"]
                                 and row["coherence"] >= params["min_coherence"])
            note = "" if stable else (" (an uncertain topic: refits do not reproduce it or its members do not share "
                                      "its top words; shown for information)")
            out.append(self.finding(
                Severity.WARNING if stable else Severity.INFO,
                f"topic [{name}] covers {pct(row['share'])} of pairs (limit {pct(limit)}){note}",
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


@register
class PlanCoverage(Audit):
    """What it does
    Checks annotations.jsonl against the `[plan]` of trait.toml (seed, Phase 3: axis -> value ->
    target share). For every planned axis: each planned value is present, and its share is within
    `abs_tol` (or two binomial standard errors) of its target; unplanned values are listed. A
    `divergence` axis missing from the annotations is computed from the text by TL203's rules,
    with TL203's configured parameters (`late_from`, `early_before`, `reconverge`). For
    every annotated axis (planned or not), a contingency test of value by class (Benjamini-Hochberg
    over axes) fails when the axis predicts the label. Pair-level labels (one value per pair) cannot
    predict the label by construction; label the sides separately with
    `{"voice": {"positive": "first", "negative": "third"}}` when they differ.

    Why it matters
    A plan written but not followed gives false confidence; an axis whose value tells the classes
    apart (all positive pairs in first person) is a confound the vector learns.

    Example
    `[plan] topic = { health = 0.2, finance = 0.2, ... }` but 45% of pairs are labelled `health`:
    warning "topic=health: 45% of pairs, planned 20%".

    How to fix
    Write or relabel pairs until each axis matches its plan (or update the plan to what you intend),
    and keep every axis balanced across the two sides.
    """

    code = "TL205"
    name = "plan_coverage"
    summary = "Annotations follow the trait.toml plan, and no annotated axis predicts the label."
    rationale = "An unfollowed plan gives false confidence; an axis that predicts the label is a confound."
    fix = "Write or relabel pairs until each axis matches its plan; balance every axis across the sides."
    severity = Severity.WARNING
    params = {"abs_tol": 0.05, "alpha": 0.01}
    requires = frozenset({"pairs"})
    reads_params_of = ("TL203",)  # unlabelled divergence is classified as TL203 is configured

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        ds = ctx.dataset
        plan, problems = plan_of(ds)
        if not plan and ds.annotations is None and not problems:
            raise SkipAudit("no [plan] in trait.toml and no annotations.jsonl")
        n = len(ds.pairs)
        axes: dict[str, Any] = {}
        for axis, targets in sorted(plan.items()):
            values = side_values(ds, axis)
            source = "annotations"
            if (values is None or all(p is None for p, _ in values)) and axis == "divergence":
                values = [(k, k) for k in _computed_divergence(ds, params)]
                source = "computed"
            if values is None or all(p is None for p, _ in values):
                axes[axis] = {"source": "none"}
                continue
            per_pair = [p for p, _ in values]
            labelled = [v for v in per_pair if v is not None]
            m = len(labelled)
            counts = Counter(labelled)
            coverage = []
            for value, target in sorted(targets.items()):
                share = counts.get(value, 0) / m
                coverage.append({"value": value, "target": target, "share": round(share, 4),
                                 "count": counts.get(value, 0), "tolerance": round(share_tolerance(target, m, params["abs_tol"]), 4),
                                 "examples": [i for i, v in enumerate(per_pair) if v == value][:3]})
            axes[axis] = {"source": source, "labelled": m, "unlabelled": n - m, "coverage": coverage,
                          "unplanned": {v: c for v, c in sorted(counts.items()) if v not in targets}}
        tests = []
        for axis in annotated_axes(ds):
            values = side_values(ds, axis) or []
            if all(p is None for p, _ in values):
                continue
            keys, table = label_table(values)
            shared = all(p == q for p, q in values)
            tests.append({"axis": axis, "rows": keys, "table": table, "shared": shared,
                          "p": 1.0 if shared else round(chi2_contingency_p(table), 6)})
        for t, q in zip(tests, bh_adjust([t["p"] for t in tests])):
            t["q"] = round(float(q), 6)
        return {"pairs": n, "plan_problems": [{"axis": p.axis, "message": p.message} for p in problems],
                "annotation_problems": annotation_problems(ds), "axes": axes, "label_tests": tests,
                "annotations": ds.annotations is not None}

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        ds = ctx.dataset
        toml = lambda axis=None, value=None: [_toml_evidence(ds, plan_line(ds, axis, value))]  # noqa: E731
        out = [self.finding(Severity.WARNING, f"trait.toml: {problem['message']}", {"axis": problem["axis"]}, None,
                            toml(problem["axis"]), "Fix the [plan] table in trait.toml: axis = { value = share, ... }, "
                            "shares in [0, 1] summing to 1 (or a list of values for equal shares).")
               for problem in metrics["plan_problems"]]
        for problem in metrics.get("annotation_problems", []):
            lines = ", ".join(map(str, problem["lines"])) + (", ..." if problem["count"] > len(problem["lines"]) else "")
            out.append(self.finding(
                Severity.WARNING, f"annotations.jsonl: {problem['axis']} is {problem['problem']} on {problem['count']} "
                f"line(s) ({lines}); those pairs count as unlabelled", {k: v for k, v in problem.items() if k != "lines"},
                None, [_jsonl_evidence(ds, n) for n in problem["lines"]],
                'Write each label as a string, or as {"positive": "...", "negative": "..."} when the sides differ.'))
        unchecked = [a for a, info in metrics["axes"].items() if info["source"] == "none"]
        if unchecked:
            why = "there is no annotations.jsonl" if not metrics["annotations"] else "annotations.jsonl has no labels for them"
            out.append(self.finding(Severity.INFO, f"planned axes {', '.join(unchecked)} not checked: {why}",
                                    {"axes": unchecked}, None, toml(unchecked[0]),
                                    "Label each pair's axes in annotations.jsonl, one JSON object per pair."))
        for axis, info in metrics["axes"].items():
            if info["source"] == "none":
                continue
            src = " (computed from the text by TL203's rules; see `traitlint explain TL203`)" if info["source"] == "computed" else ""
            for row in info["coverage"]:
                value, share, target, tol = row["value"], row["share"], row["target"], row["tolerance"]
                if row["count"] == 0 and target > 0:
                    out.append(self.finding(Severity.WARNING, f"{axis}={value} is planned at {pct(target)} but no pair "
                                            f"has it{src}", {"axis": axis, **_strip(row)}, target, toml(axis, value)))
                elif share > target + tol:
                    out.append(self.finding(Severity.WARNING, f"{axis}={value}: {pct(share)} of pairs, planned "
                                            f"{pct(target)}{src}", {"axis": axis, **_strip(row)}, round(target + tol, 4),
                                            evidence(ds, row["examples"])))
                elif share < target - tol:
                    out.append(self.finding(Severity.WARNING, f"{axis}={value}: only {pct(share)} of pairs, planned "
                                            f"{pct(target)}{src}", {"axis": axis, **_strip(row)}, round(target - tol, 4),
                                            evidence(ds, row["examples"])))
            if info["unplanned"]:
                shown = ", ".join(f"{v} ({c})" for v, c in info["unplanned"].items())
                out.append(self.finding(Severity.INFO, f"{axis} has values the plan does not list: {shown}",
                                        {"axis": axis, "unplanned": info["unplanned"]}, None, toml(axis)))
            if info["unlabelled"]:
                out.append(self.finding(Severity.WARNING, f"{info['unlabelled']} pairs have no {axis} label",
                                        {"axis": axis, "unlabelled": info["unlabelled"]}, 0,
                                        [Evidence("annotations.jsonl", None, "")],
                                        f"Label {axis} on every line of annotations.jsonl."))
        for t in metrics["label_tests"]:
            if not t["shared"] and t["q"] < params["alpha"]:
                shown = "; ".join(f"{r}: {a} positive / {b} negative" for r, (a, b) in zip(t["rows"], t["table"]))
                out.append(self.finding(Severity.ERROR, f"axis {t['axis']} predicts the label (q={t['q']:.2g}): {shown}",
                                        t, params["alpha"], [Evidence("annotations.jsonl", None, "")],
                                        f"Balance {t['axis']} across the two sides (add inversions)."))
        return out


def _strip(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "examples"}


def _computed_divergence(ds: Any, params: dict[str, Any]) -> list[str | None]:
    """Per pair, its divergence kind under TL203's configured parameters (None for identical texts).

    `params["TL203"]` is filled by `Config.params_for`; a direct call without it uses TL203's defaults.
    """
    from traitlint.audits.diversity import DivergenceSpectrum, divergences

    tl203 = {**DivergenceSpectrum.params, **(params.get("TL203") or {})}
    return [None if d.kind == "same" else d.kind for d in divergences(ds, tl203)]
