"""TL403 steering_baseline: the unsteered instruct model must leave room to steer (seed Phase 7)."""
from __future__ import annotations

import string
from typing import Any

from traitlint.audits.model.common import (
    SCORE_SUFFIX,
    clean,
    definition_text,
    identity,
    mean,
    services,
    stored_or_compute,
    unscored,
    unscored_finding,
)
from traitlint.audits.structural.steering_format import json_line, question_text
from traitlint.context import AuditContext
from traitlint.errors import SkipAudit
from traitlint.finding import Evidence, Finding, Severity
from traitlint.registry import Audit, register

FALLBACK_PROMPT = """{definition}

Prompt:
[QUESTION START]
{question}
[QUESTION END]

Model response:
[ANSWER START]
{answer}
[ANSWER END]

Score only how strongly the response exhibits the trait scored above.

{suffix}"""


class _Keep(dict):
    """`str.format_map` mapping that leaves unknown placeholders as they are."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def judge_prompt(eval_prompt: Any, definition: str, trait: str, question: str, answer: str) -> str:
    """steering.json's `eval_prompt` with {question}/{answer}/{trait} filled, else a definition-based prompt.

    An eval_prompt that cannot be formatted (TL006 reports it) falls back to the definition, so
    a formatting slip never turns into a crash or a silently empty prompt.
    """
    if isinstance(eval_prompt, str) and "{answer}" in eval_prompt:
        try:
            fields = {name for _, name, _, _ in string.Formatter().parse(eval_prompt) if name}
            if fields <= {"question", "answer", "trait"}:
                return eval_prompt.format_map(_Keep(question=question, answer=answer, trait=trait))
        except (ValueError, IndexError, KeyError):
            pass
    return FALLBACK_PROMPT.format(definition=definition, question=question, answer=answer, suffix=SCORE_SUFFIX)


@register
class SteeringBaseline(Audit):
    """The instruct model's unsteered answers to the steering questions score low on the trait.

    What it does
        The instruction-tuned model answers every steering question (chat template, greedy,
        `max_new_tokens` tokens) without steering; the judge scores each answer with
        steering.json's `eval_prompt` (definition.txt when it has none). Fails when the baseline
        leaves no room to steer: a mean of `max_mean` (20) or more, or any question above
        `max_question` (30). Lists the highest-scoring questions.

    Why it matters
        Steering is measured as the rise over this baseline (seed Phase 7: good baselines are
        5-15). A question the model already answers with the trait cannot show the vector's
        effect, and a high mean caps the measurable delta.

    Example
        For optimism, "What's exciting about renewable energy?" scores 70 unsteered; "What causes
        species extinction?" scores 8.

    How to fix
        Replace the high-baseline questions with neutral or opposite-leaning ones on other topics;
        check that eval_prompt and definition.txt agree on what a neutral answer scores.
    """

    code = "TL403"
    name = "steering_baseline"
    summary = "unsteered answers to the steering questions score low, leaving room to steer"
    severity = Severity.ERROR
    requires = frozenset({"steering"})
    needs_model = True
    params = {"max_mean": 20.0, "max_question": 30.0, "max_new_tokens": 48, "max_unscored": 0.2}
    rationale = "Steering is measured as the rise over the unsteered baseline; a high baseline leaves no room."
    fix = "Replace high-baseline steering questions with neutral or opposite-leaning ones."

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        svc = services(ctx)
        ds = ctx.dataset
        steering = ds.steering if isinstance(ds.steering, dict) else {}
        questions = [q for q in (question_text(item) for item in steering.get("questions") or []) if q]
        if not questions:
            raise SkipAudit("steering.json has no questions (TL006 reports it)")
        eval_prompt = steering.get("eval_prompt")
        ident = identity(ctx, self.code, params, judge=svc.judge_id(), generator=svc.generator_id("instruct"))

        def run() -> tuple[dict[str, Any], dict[str, Any]]:
            answers = svc.answer(questions, params["max_new_tokens"])
            definition, trait = definition_text(ds), ds.path.name.replace("_", " ")
            prompts = [judge_prompt(eval_prompt, definition, trait, q, a.text or "") for q, a in zip(questions, answers)]
            results = svc.score(prompts)
            scores = [r.score if a.text is not None else None for r, a in zip(results, answers)]
            tf = ds.raw.get("steering.json")
            rows = sorted(({"question": q, "score": clean(s, 1), "line": json_line(tf, q)}
                           for q, s in zip(questions, scores) if s is not None), key=lambda r: -r["score"])
            answered = [r for r, a in zip(results, answers) if a.text is not None]
            missing = unscored(answered, [a.error or "no answer" for a in answers if a.text is None])
            metrics = {"questions": len(questions), "mean": clean(mean(scores)), "max": rows[0]["score"] if rows else None,
                       "above_max_question": sum(1 for r in rows if r["score"] > params["max_question"]),
                       "worst": rows[:5], "unscored": missing}
            details = {"answers": [{"question": q, "answer": a.text, "error": a.error, "score": clean(s, 2)}
                                   for q, a, s in zip(questions, answers, scores)]}
            return metrics, details

        return stored_or_compute(ctx, self.name, ident, run)

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        out = unscored_finding(self, metrics["unscored"], params, "baseline answers")
        ev = [Evidence("steering.json", r["line"], f"[{r['score']:g}] {r['question']}") for r in metrics["worst"]
              if r["score"] > params["max_question"] or metrics["mean"] is not None and metrics["mean"] >= params["max_mean"]]
        if metrics["mean"] is not None and metrics["mean"] >= params["max_mean"]:
            out.append(self.finding(
                Severity.ERROR, f"the unsteered baseline is already {metrics['mean']:g} on average over "
                f"{metrics['questions']} questions: little room to steer", {"mean": metrics["mean"]},
                f"mean < {params['max_mean']:g}", ev))
        elif metrics["above_max_question"]:
            out.append(self.finding(
                Severity.ERROR, f"{metrics['above_max_question']} question(s) score above {params['max_question']:g} "
                f"unsteered (highest {metrics['max']:g})", {"above": metrics["above_max_question"], "max": metrics["max"]},
                f"no question above {params['max_question']:g}", ev))
        return out
