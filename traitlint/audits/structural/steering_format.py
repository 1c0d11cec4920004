"""TL006 steering_format: steering.json holds usable steering questions and a well-formed judge prompt."""
from __future__ import annotations

import json
import re
from typing import Any

from traitlint.audits.structural.definition_format import PLACEHOLDER
from traitlint.audits.structural.text import TokenIndex, normalize, tokens
from traitlint.context import AuditContext
from traitlint.dataset import TextFile
from traitlint.finding import Evidence, Finding, Severity
from traitlint.registry import Audit, register

KNOWN_KEYS = ("questions", "eval_prompt", "adversarial_prefix", "direction")
#: "0-100", "0 to 100", "between 0 and 100", "entre 0 (très décontracté) à 100", "0（非常随意）到100".
_SCALE = re.compile(r"(?<![\d.])0(?![\d.])[^\n]{0,160}?(?<!\d)100(?!\d|%|\.\d)")


def question_text(item: Any) -> str | None:
    """The question of one `questions` item: a string, or an object's string "question" field."""
    if isinstance(item, str):
        return item
    if isinstance(item, dict) and isinstance(item.get("question"), str):
        return item["question"]
    return None


def json_line(tf: TextFile | None, value: str) -> int | None:
    """1-based line of steering.json holding `value` (searched as JSON-escaped and as raw text)."""
    if tf is None or not value:
        return None
    for needle in (json.dumps(value, ensure_ascii=False)[1:-1], json.dumps(value)[1:-1], value):
        line = tf.find(needle[:80])
        if line:
            return line
    return None


def format_error(template: str) -> str | None:
    """Why `template.format(question=..., answer=...)` fails, or None when it formats cleanly."""
    try:
        template.format(question="Q", answer="A")
    except KeyError as exc:
        return f"unknown placeholder {{{exc.args[0]}}} (only {{question}} and {{answer}} are filled in)"
    except (ValueError, IndexError, AttributeError) as exc:
        return f"{type(exc).__name__}: {exc} (escape literal braces as {{{{ and }}}})"
    return None


@register
class SteeringFormat(Audit):
    """What it does
    Checks `steering.json`: a JSON object whose `questions` is a list of unique, non-empty strings
    (`min_questions`-`max_questions`, seed: 15-20), none equal to or a near-copy of an extraction
    prefill; `eval_prompt`, if present, contains `{question}` and `{answer}`, formats cleanly with
    only those two keys (stray braces raise), and asks for a number from 0 to 100;
    `adversarial_prefix`, if present, appears in every question; `direction`, if present, is
    `positive` or `negative`. Unknown keys are listed as info. No questions at all, and an
    eval prompt still holding a template placeholder (`TODO`, as `traitlint init` writes it), are
    errors.

    Why it matters
    Steering is the causal test of the vector. A prompt that crashes `str.format` or that the judge
    cannot score breaks the evaluation; a question copied from the extraction data measures
    memorised context, not steering; an adversarial prefix stored but not embedded in the
    questions has no effect, so the "adversarial" evaluation silently is not one.

    Example
    `"adversarial_prefix": "Give thorough answers."` while no question contains that text.

    How to fix
    Embed the prefix in every question (or remove the key), escape literal braces in the eval
    prompt as `{{` `}}`, end it with "Respond with a number between 0 and 100", and write
    questions from scenarios not used in extraction.
    """

    code = "TL006"
    name = "steering_format"
    summary = "steering.json: unique questions (15-20), a formattable 0-100 eval_prompt, embedded adversarial_prefix."
    rationale = "A malformed steering file breaks or silently weakens the causal test of the vector."
    fix = "Follow the seed format: questions list, eval_prompt with {question}/{answer} asking for 0-100."
    severity = Severity.ERROR
    params = {"min_questions": 15, "max_questions": 20, "near_duplicate": 0.8}
    requires = frozenset({"steering"})

    def compute(self, ctx: AuditContext, params: dict[str, Any]) -> dict[str, Any]:
        ds = ctx.dataset
        data = ds.steering
        if not isinstance(data, dict):
            return {"type": type(data).__name__}
        m: dict[str, Any] = {"type": "object", "keys": sorted(map(str, data)),
                             "unknown_keys": sorted(str(k) for k in data if k not in KNOWN_KEYS)}
        questions = data.get("questions")
        m["questions_type"] = type(questions).__name__ if "questions" in data else None
        prefix = data.get("adversarial_prefix")
        m["prefix_type"] = type(prefix).__name__ if "adversarial_prefix" in data else None
        if isinstance(questions, list):
            m["questions"] = len(questions)
            m["bad_items"] = [[i, type(q).__name__] for i, q in enumerate(questions)
                              if not (question_text(q) or "").strip()]
            m["object_items"] = [i for i, q in enumerate(questions) if isinstance(q, dict) and question_text(q)]
            texts = [(i, question_text(q)) for i, q in enumerate(questions) if (question_text(q) or "").strip()]
            seen: dict[str, int] = {}
            m["duplicates"] = []
            for i, q in texts:
                key = normalize(q)
                if key in seen:
                    m["duplicates"].append([seen[key], i])
                else:
                    seen[key] = i
            if isinstance(prefix, str) and prefix.strip():
                m["prefix_missing"] = [i for i, q in texts if prefix.strip() not in q]
            m["prefill_copies"] = self._prefill_copies(ctx, texts, prefix, params["near_duplicate"])
        prompt = data.get("eval_prompt")
        if "eval_prompt" in data:
            m["eval_prompt_type"] = type(prompt).__name__
            if isinstance(prompt, str):
                m["placeholders_missing"] = [p for p in ("{question}", "{answer}") if p not in prompt]
                m["format_error"] = format_error(prompt)
                m["asks_0_100"] = bool(_SCALE.search(prompt))
                m["placeholder"] = bool(PLACEHOLDER.search(prompt))
        if "direction" in data:
            m["direction"] = data["direction"] if isinstance(data["direction"], (str, int, float, bool)) else repr(data["direction"])
        return m

    @staticmethod
    def _prefill_copies(ctx: AuditContext, texts: list[tuple[int, str]], prefix: Any,
                        threshold: float) -> list[dict[str, Any]]:
        """Questions equal to (normalised) or near-copies (token Jaccard >= threshold) of a prefill."""
        prompts = [*ctx.dataset.positive, *ctx.dataset.negative]
        if not prompts or not texts:
            return []
        exact = {normalize(p.text): p for p in prompts}
        sets = [tokens(p.text) for p in prompts]
        index = TokenIndex(sets)
        out = []
        for i, q in texts:
            if isinstance(prefix, str) and prefix.strip():
                q = q.replace(prefix.strip(), " ")
            hit = exact.get(normalize(q))
            sim = 1.0
            if hit is None:
                qs = tokens(q)
                j, sim = index.best(qs)
                hit = prompts[j] if j is not None and sim >= threshold else None
            if hit is not None:
                out.append({"question": i, "file": hit.file, "line": hit.line, "similarity": round(sim, 3)})
        return out

    def judge(self, metrics: dict[str, Any], params: dict[str, Any], ctx: AuditContext) -> list[Finding]:
        ds = ctx.dataset
        tf = ds.raw.get("steering.json")
        name = "steering.json"
        data = ds.steering

        def at(needle: str) -> Evidence:
            line = json_line(tf, needle)
            return Evidence(name, line, tf.line(line).strip() if tf and line else "")

        def q_ev(i: int) -> Evidence:
            q = question_text(data["questions"][i])
            return at(q) if q and q.strip() else Evidence(name, None, f"questions[{i}] = {data['questions'][i]!r}"[:200])

        if metrics["type"] != "object":
            return [self.finding(Severity.ERROR, f"steering.json must be a JSON object, found {metrics['type']}",
                                 metrics, None, [Evidence(name, 1, tf.line(1) if tf else "")],
                                 'Write {"questions": [...], "eval_prompt": "..."}.')]
        out = []
        if metrics["questions_type"] != "list":
            found = "missing" if metrics["questions_type"] is None else f"a {metrics['questions_type']}"
            out.append(self.finding(Severity.ERROR, f"\"questions\" must be a list of strings, found {found}",
                                    {"questions_type": metrics["questions_type"]}, None, [at('"questions"')]))
        else:
            n, lo, hi = metrics["questions"], params["min_questions"], params["max_questions"]
            if metrics["bad_items"]:
                out.append(self.finding(
                    Severity.ERROR, f"{len(metrics['bad_items'])} question(s) are not non-empty strings: "
                    + ", ".join(f"questions[{i}] ({t})" for i, t in metrics["bad_items"][:5]),
                    {"bad_items": metrics["bad_items"]}, None,
                    [q_ev(i) for i, _ in metrics["bad_items"]],
                    'Each question is a non-empty string (or an object with a string "question").'))
            if metrics["object_items"]:
                k = len(metrics["object_items"])
                out.append(self.finding(
                    Severity.WARNING, f"{k} question(s) are objects, not strings: the seed format is a list of "
                    "strings; a steering runner expecting strings will not read them (their \"question\" field is checked here)",
                    {"object_items": k}, None, [q_ev(i) for i in metrics["object_items"][:5]],
                    'Keep "questions" a list of strings; move rubrics (high_trait/low_trait) to definition.txt.'))
            if n == 0:
                out.append(self.finding(
                    Severity.ERROR, "no steering questions: the steering evaluation has nothing to ask",
                    {"questions": 0}, lo, [at('"questions"')], f"Write {lo}-{hi} questions across different domains."))
            elif n < lo:
                out.append(self.finding(
                    Severity.WARNING, f"{n} steering questions, fewer than {lo}: the steered score is noisy",
                    {"questions": n}, lo, [at('"questions"')], f"Write {lo}-{hi} questions across different domains."))
            elif n > hi:
                out.append(self.finding(
                    Severity.INFO, f"{n} steering questions, more than {hi}: each costs judge calls",
                    {"questions": n}, hi, [at('"questions"')], "Fine if intended; the seed uses 15-20."))
            if metrics["duplicates"]:
                out.append(self.finding(
                    Severity.WARNING, f"{len(metrics['duplicates'])} duplicate question(s): "
                    + ", ".join(f"questions[{b}] repeats questions[{a}]" for a, b in metrics["duplicates"][:5]),
                    {"duplicates": metrics["duplicates"]}, 0, [q_ev(b) for _, b in metrics["duplicates"]],
                    "Replace the repeats with new questions."))
            copies = metrics.get("prefill_copies") or []
            if copies:
                out.append(self.finding(
                    Severity.WARNING, f"{len(copies)} question(s) copy an extraction prefill: "
                    + ", ".join(f"questions[{c['question']}] ~ {c['file']}:{c['line']} ({c['similarity']:.2f})" for c in copies[:5]),
                    {"prefill_copies": copies}, params["near_duplicate"],
                    [(q_ev(c["question"]), Evidence(c["file"], c["line"], "")) for c in copies[:3]],
                    "Steering questions must come from scenarios not used in extraction."))
            missing = metrics.get("prefix_missing") or []
            if missing:
                out.append(self.finding(
                    Severity.ERROR, f"adversarial_prefix is not embedded in {len(missing)} of {n} questions: "
                    "a prefix stored but not in the question has no effect",
                    {"prefix_missing": missing[:50], "questions": n}, 0,
                    [at('"adversarial_prefix"'), *[q_ev(i) for i in missing[:4]]],
                    "Prepend the adversarial_prefix text to every question (or delete the key)."))
        if metrics["prefix_type"] not in (None, "str"):
            out.append(self.finding(Severity.ERROR, f"\"adversarial_prefix\" must be a string, found {metrics['prefix_type']}",
                                    {}, None, [at('"adversarial_prefix"')]))
        if "eval_prompt_type" in metrics:
            if metrics["eval_prompt_type"] != "str":
                out.append(self.finding(Severity.ERROR, f"\"eval_prompt\" must be a string, found {metrics['eval_prompt_type']}",
                                        {}, None, [at('"eval_prompt"')]))
            else:
                ev = [at('"eval_prompt"')]
                if metrics["placeholders_missing"]:
                    out.append(self.finding(
                        Severity.ERROR, "eval_prompt lacks " + " and ".join(metrics["placeholders_missing"]),
                        {"missing": metrics["placeholders_missing"]}, None, ev,
                        "The judge must see the question and the answer: include {question} and {answer}."))
                if metrics["format_error"]:
                    out.append(self.finding(
                        Severity.ERROR, f"eval_prompt does not format with question and answer: {metrics['format_error']}",
                        {"format_error": metrics["format_error"]}, None, ev,
                        "Escape literal braces as {{ and }}; use only {question} and {answer}."))
                if metrics.get("placeholder"):
                    out.append(self.finding(
                        Severity.ERROR, "eval_prompt still holds template placeholder text (TODO): the judge "
                        "would be told to look for nothing in particular",
                        {"placeholder": True}, None, ev,
                        "Replace the TODO with what a response showing the trait looks like."))
                if not metrics["asks_0_100"]:
                    out.append(self.finding(
                        Severity.WARNING, "eval_prompt does not ask for a number from 0 to 100",
                        {"asks_0_100": False}, None, ev,
                        'End with "Respond with a number between 0 and 100. Don\'t say anything else, just the number."'))
        if "direction" in metrics and metrics["direction"] not in ("positive", "negative"):
            out.append(self.finding(Severity.ERROR, f"\"direction\" must be \"positive\" or \"negative\", found {metrics['direction']!r}",
                                    {"direction": metrics["direction"]}, None, [at('"direction"')]))
        if metrics["unknown_keys"]:
            out.append(self.finding(Severity.INFO, "unknown key(s) in steering.json: " + ", ".join(metrics["unknown_keys"]),
                                    {"unknown_keys": metrics["unknown_keys"]}, None,
                                    [at(f'"{k}"') for k in metrics["unknown_keys"]],
                                    "Known keys: " + ", ".join(KNOWN_KEYS) + " (unknown keys are ignored)."))
        return out
