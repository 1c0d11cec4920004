"""TL205 plan_coverage: the annotations cover the `[plan]` and no annotated axis predicts the label."""
from __future__ import annotations

from collections import Counter
from typing import Any

from traitlint.audits.diversity.common import (
    annotated_axes,
    annotation_problems,
    evidence,
    label_table,
    pct,
    plan_line,
    plan_of,
    share_tolerance,
    side_values,
)
from traitlint.context import AuditContext
from traitlint.finding import Evidence, Finding, Severity
from traitlint.nlp.stats import bh_adjust, chi2_contingency_p
from traitlint.registry import Audit, SkipAudit, register


def _toml_evidence(ds: Any, line: int | None) -> Evidence:
    """Evidence pointing at a trait.toml line, with the line's text."""
    tf = ds.raw.get("trait.toml")
    return Evidence("trait.toml", line, tf.line(line).strip()[:160] if tf and line else "")


def _jsonl_evidence(ds: Any, line: int) -> Evidence:
    tf = ds.raw.get("annotations.jsonl")
    return Evidence("annotations.jsonl", line, tf.line(line)[:160] if tf else "")


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
    from traitlint.audits.diversity.divergence import DivergenceSpectrum, divergences

    tl203 = {**DivergenceSpectrum.params, **(params.get("TL203") or {})}
    return [None if d.kind == "same" else d.kind for d in divergences(ds, tl203)]
