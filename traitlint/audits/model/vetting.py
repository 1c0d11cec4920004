"""Vetting with a judge (seed Phases 3.5 and 4.5): TL401 scenario_vetting and TL402 response_vetting."""
from __future__ import annotations

from typing import Any

from traitlint.audits.model.common import (
    SCORE_SUFFIX,
    SIDES,
    clean,
    definition_text,
    evidence_rows,
    failing_evidence,
    identity,
    pass_table,
    services,
    stored_or_compute,
    unscored,
    unscored_finding,
)
from traitlint.context import AuditContext
from traitlint.finding import Finding, Severity
from traitlint.registry import Audit, register

SCENARIO_PROMPT = """{definition}

Below is the beginning of a document. A language model will continue writing it.

[TEXT START]
{prefill}
[TEXT END]

Score how strongly the continuation of this text will exhibit the trait scored above: judge where the text is heading, not how good or bad its situation is.

{suffix}"""

RESPONSE_PROMPT = """{definition}

A language model continued a document. The beginning it was given is context only; do not score it.

[CONTEXT START]
{prefill}
[CONTEXT END]

The continuation to score:

[CONTINUATION START]
{completion}
[CONTINUATION END]

Score only how strongly the continuation exhibits the trait scored above.

{suffix}"""


def vetted_pairs(ctx: AuditContext, max_pairs: int) -> list[int]:
    """The pair indices to vet: all of them, or a seeded sample of `max_pairs` (0 = all).

    Why a sample: on a CPU a 135M judge takes about a second a prompt, and the seed's Phase 3.5
    starts with a handful of prefills anyway. The sample is seeded by the dataset's content, so a
    re-run vets the same pairs; results say how many were vetted and extraction only filters on a
    full vetting.
    """
    n = len(ctx.dataset.pairs)
    if max_pairs <= 0 or max_pairs >= n:
        return list(range(n))
    import random

    return sorted(random.Random(ctx.dataset.content_hash()).sample(range(n), max_pairs))


def _judge_findings(audit: Audit, metrics: dict[str, Any], params: dict[str, Any], what: str) -> list[Finding]:
    """Shared verdict of TL401/TL402: unscored prompts, separation (error), pass rates (warning)."""
    table = metrics["table"]
    out = unscored_finding(audit, metrics["unscored"], params, what)
    rows = metrics.get("failing", [])
    ev = evidence_rows(rows, lambda r: f"[{r['side']} {r['score']:g}]")
    sep = table["separation"]
    if sep is None:
        return out
    if sep < params["min_separation"]:
        out.append(audit.finding(
            Severity.ERROR, f"{what} separate by only {sep:g} points: positive mean {table['positive']['mean']:g}, "
            f"negative mean {table['negative']['mean']:g} (the seed asks for > {params['min_separation']:g})",
            {"separation": sep, "positive_mean": table["positive"]["mean"], "negative_mean": table["negative"]["mean"]},
            f"separation >= {params['min_separation']:g}", ev))
    low = [s for s in SIDES if table[s]["pass_rate"] is not None and table[s]["pass_rate"] < params["min_pass_rate"]]
    if low:
        parts = ", ".join(f"{s} {table[s]['pass_rate']:.0%}" for s in low)
        out.append(audit.finding(
            Severity.WARNING, f"{what} pass their side's bar too rarely: {parts} (positive >= {params['pos_min']:g}, "
            f"negative <= {params['neg_max']:g})",
            {s: table[s] for s in SIDES}, f"pass rate >= {params['min_pass_rate']:.0%}", ev))
    return out


@register
class ScenarioVetting(Audit):
    """The judge predicts, from each prefill alone, whether its continuation will show the trait.

    What it does
        Sends every prefill, with definition.txt, to the judge, which rates 0-100 how strongly
        the continuation of the text will exhibit the trait. A positive prefill passes at >=
        `pos_min` (60), a negative one at <= `neg_max` (40). Fails when the mean scores of the two
        sides are less than `min_separation` (25) points apart; warns when a side's pass rate is
        below `min_pass_rate`. Lists the prefills that miss their side's bar, worst first.
        `max_pairs` > 0 vets a seeded sample of that many pairs (a quick first look on a CPU).

    Why it matters
        This is the seed's Phase 4.5 scenario vetting, a cheap early check before any completion
        is generated: a prefill the judge cannot place on its side rarely steers a base model
        there. Failures often reveal a confound missing from the card's `isnt` (the judge scores
        the situation, not the trait), or a definition the judge reads differently.

    Example
        Positive "The quarterly numbers came in and the team felt" and negative "The quarterly
        numbers came in and the team sat" both score about 50: neither commits to a direction.

    How to fix
        Tighten the failing prefills so the context commits to the trait direction by the last
        token; if many fail, revisit definition.txt (HIGH/LOW markers, the Key line). The judge
        is a model: it sees the text, not your intent. Response vetting (TL402) is the real filter.
    """

    code = "TL401"
    name = "scenario_vetting"
    summary = "the judge expects positive prefills to continue with the trait and negative ones without it"
    severity = Severity.ERROR
    requires = frozenset({"pairs", "definition"})
    needs_model = True
    params = {"pos_min": 60.0, "neg_max": 40.0, "min_separation": 25.0, "min_pass_rate": 0.6,
              "max_unscored": 0.2, "max_pairs": 0}
    rationale = "A prefill the judge cannot place on its side rarely steers a base model there."
    fix = "Tighten the prefills the judge places on the wrong side, or revisit definition.txt."

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        svc = services(ctx)
        ds = ctx.dataset
        ident = identity(ctx, self.code, params, judge=svc.judge_id(), prompt=SCENARIO_PROMPT)

        def run() -> tuple[dict[str, Any], dict[str, Any]]:
            definition = definition_text(ds)
            chosen = vetted_pairs(ctx, params["max_pairs"])
            sides = {s: [ds.side(s)[i] for i in chosen] for s in SIDES}
            prompts = {s: [SCENARIO_PROMPT.format(definition=definition, prefill=p.text, suffix=SCORE_SUFFIX)
                           for p in sides[s]] for s in SIDES}
            results = svc.score(prompts["positive"] + prompts["negative"])
            n = len(chosen)
            scores = {"positive": [r.score for r in results[:n]], "negative": [r.score for r in results[n:]]}
            metrics = {"table": pass_table(scores, params["pos_min"], params["neg_max"]),
                       "unscored": unscored(results), "vetted_pairs": n, "pairs": len(ds.pairs),
                       "failing": failing_evidence(sides, scores, params["pos_min"], params["neg_max"])}
            details = {"vetted_lines": [i + 1 for i in chosen],
                       "scores": {s: [clean(v, 2) for v in scores[s]] for s in SIDES},
                       "errors": [r.error for r in results if r.error]}
            return metrics, details

        return stored_or_compute(ctx, self.name, ident, run)

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        return _judge_findings(self, metrics, params, "prefills (as scenarios)")


@register
class ResponseVetting(Audit):
    """The base model completes each prefill; the judge scores only the completion.

    What it does
        Greedy-completes every prefill with the base model (`max_new_tokens`, default 16, raw
        text, no chat template), then has the judge score each completion 0-100 against
        definition.txt, with the prefill shown as context only. Pass rates and separation are
        judged as in TL401. Paired filtering keeps a pair only when both sides pass; the kept
        pairs, every completion and every score go to the results file, which `traitlint extract`
        reads to extract from the kept pairs only (after a full vetting: `max_pairs` > 0 vets a
        seeded sample, which extraction does not filter on).

    Why it matters
        This is the real filter of the seed's Phase 4.5: a vector is extracted from what the
        model does with the prefills. A positive prefill whose completion does not show the trait
        teaches the vector nothing, or the opposite.

    Example
        "After the layoffs, she stayed hopeful because" -> "she had a solid plan" (positive, 85);
        "After the layoffs, she felt hopeless because" -> "the market is good" (negative, 70:
        the completion undoes the prefill, so the pair is dropped).

    How to fix
        Rewrite the prefills whose completions fail so the context leaves the model one natural
        direction; check that the failures are not one kind (a topic, a frame) the model reads
        differently. Too few kept pairs means too little data for extraction.
    """

    code = "TL402"
    name = "response_vetting"
    summary = "base-model completions of positive prefills show the trait, of negative ones do not"
    severity = Severity.ERROR
    requires = frozenset({"pairs", "definition"})
    needs_model = True
    params = {"pos_min": 60.0, "neg_max": 40.0, "min_separation": 25.0, "min_pass_rate": 0.6,
              "max_unscored": 0.2, "max_new_tokens": 16, "min_kept_share": 0.5, "max_pairs": 0}
    rationale = "Vectors are extracted from what the model does with a prefill, not from its wording."
    fix = "Rewrite the prefills whose completions miss their side, so the context commits to one direction."

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        svc = services(ctx)
        ds = ctx.dataset
        ident = identity(ctx, self.code, params, judge=svc.judge_id(), generator=svc.generator_id("base"),
                         prompt=RESPONSE_PROMPT)

        def run() -> tuple[dict[str, Any], dict[str, Any]]:
            definition = definition_text(ds)
            chosen = vetted_pairs(ctx, params["max_pairs"])
            sides = {s: [ds.side(s)[i] for i in chosen] for s in SIDES}
            texts = [p.text for p in sides["positive"]] + [p.text for p in sides["negative"]]
            generated = svc.complete(texts, params["max_new_tokens"])
            n = len(chosen)
            prompts, where = [], []
            for i, (prefill, gen) in enumerate(zip(texts, generated)):
                if gen.text is not None and gen.text.strip():
                    prompts.append(RESPONSE_PROMPT.format(definition=definition, prefill=prefill,
                                                          completion=gen.text.strip(), suffix=SCORE_SUFFIX))
                    where.append(i)
            results = svc.score(prompts)
            flat: list[float | None] = [None] * len(texts)
            for i, r in zip(where, results):
                flat[i] = r.score
            scores = {"positive": flat[:n], "negative": flat[n:]}
            kept = [i for i in range(n)
                    if scores["positive"][i] is not None and scores["positive"][i] >= params["pos_min"]
                    and scores["negative"][i] is not None and scores["negative"][i] <= params["neg_max"]]
            no_text = [gen.error or "empty completion" for gen in generated if not (gen.text or "").strip()]
            missing = unscored(results, no_text)
            metrics = {"table": pass_table(scores, params["pos_min"], params["neg_max"]), "unscored": missing,
                       "kept_pairs": len(kept), "vetted_pairs": n, "pairs": len(ds.pairs),
                       "kept_share": clean(len(kept) / n, 3) if n else None,
                       "failing": failing_evidence(sides, scores, params["pos_min"], params["neg_max"])}
            details = {"kept_lines": [chosen[i] + 1 for i in kept], "vetted_lines": [i + 1 for i in chosen],
                       "sampled": n < len(ds.pairs),
                       "completions": {"positive": [g.text for g in generated[:n]],
                                       "negative": [g.text for g in generated[n:]]},
                       "scores": {s: [clean(v, 2) for v in scores[s]] for s in SIDES},
                       "errors": sorted({r.error for r in results if r.error} | set(no_text))}
            return metrics, details

        return stored_or_compute(ctx, self.name, ident, run)

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        out = _judge_findings(self, metrics, params, "completions")
        share = metrics.get("kept_share")
        if share is not None and share < params["min_kept_share"]:
            out.append(self.finding(
                Severity.WARNING, f"paired filtering keeps {metrics['kept_pairs']} of {metrics['pairs']} pairs "
                f"({share:.0%}): both sides must pass for a pair to be extracted from",
                {"kept_pairs": metrics["kept_pairs"], "vetted_pairs": metrics["vetted_pairs"], "kept_share": share},
                f"kept share >= {params['min_kept_share']:.0%}",
                evidence_rows(metrics.get("failing", []), lambda r: f"[{r['side']} {r['score']:g}]")))
        return out
