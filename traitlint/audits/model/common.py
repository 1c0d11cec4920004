"""Shared groundwork of the model-backed audits: results files, positions, judge prompts, pass rates.

The audits never import torch: they reach the model layer only through ``ctx.model`` (a
`traitlint.model.services.ModelServices`, present when model checks are on) and work on plain
lists and numpy arrays. Each audit's results are stored in a JSON file keyed by everything they
depend on (dataset content, definition, steering questions, models, judge, parameters), so a
re-run with nothing changed loads no model at all.
"""
from __future__ import annotations

import hashlib
import math
from typing import Any, Callable, Sequence

from traitlint import __version__
from traitlint.audits.diversity.common import card_type
from traitlint.context import AuditContext
from traitlint.dataset import Prompt, TraitDataset
from traitlint.errors import SkipAudit
from traitlint.finding import Evidence, Finding, Severity

SIDES = ("positive", "negative")
SCORE_SUFFIX = "Respond with a number between 0 and 100. Don't say anything else, just the number."

#: Seed taxonomy: which position carries the trait (hum = the whole prefill, chirp = the decision).
MEAN_TYPES = ("state", "mode", "style")
LAST_TYPES = ("belief", "want")


def card_extraction(ds: TraitDataset) -> str | None:
    return ds.card_word("extraction")


def position_for(ds: TraitDataset) -> str:
    """`mean`, `last` or `response` for this trait: the card's extraction, else its type.

    prefill-mean -> mean; last-token -> last; generated -> response. Without either, states,
    modes and styles use the mean over the prefill, beliefs and wants the last token, actions
    the generated tokens; a folder without a card uses the last token.
    """
    extraction = card_extraction(ds)
    if extraction in ("prefill-mean", "mean"):
        return "mean"
    if extraction in ("last-token", "last"):
        return "last"
    if extraction in ("generated", "response"):
        return "response"
    kind = card_type(ds)
    if kind in MEAN_TYPES:
        return "mean"
    if kind == "action":
        return "response"
    return "last"


def services(ctx: AuditContext) -> Any:
    if ctx.model is None:  # the runner skips model audits first; a direct call gets the same reason
        raise SkipAudit("model checks are off")
    return ctx.model


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def definition_text(ds: TraitDataset) -> str:
    return "\n".join(ds.definition.lines).strip() if ds.definition is not None else ""


def identity(ctx: AuditContext, code: str, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Everything an audit's model results depend on: the results file is keyed by its hash."""
    ds = ctx.dataset
    steering = ds.raw.get("steering.json")
    return {"audit": code, "traitlint": __version__, "dataset": ds.content_hash(),
            "definition": _sha(definition_text(ds)),
            "steering": _sha("\n".join(steering.lines)) if steering is not None else None,
            "models": ctx.model.describe(), "params": params, **extra}


def stored_or_compute(ctx: AuditContext, audit_name: str, ident: dict[str, Any],
                      compute: Callable[[], tuple[dict[str, Any], dict[str, Any]]]) -> dict[str, Any]:
    """The audit's metrics from its results file when it matches `ident`, else computed and stored.

    `compute` returns (metrics, details): metrics are what `judge` reads and JSON output shows;
    details (every score, every completion) go only into the results file.
    """
    svc = services(ctx)
    path = svc.results_path(ctx.dataset.path, audit_name, ident)
    stored = svc.load_results(path)
    if stored is not None and stored.get("identity") == ident:
        return {**stored["metrics"], "results_file": str(path), "from_results_file": True}
    metrics, details = compute()
    svc.store_results(path, ident, metrics, details)
    return {**metrics, "results_file": str(path), "from_results_file": False}


def require_pairs(ds: TraitDataset, minimum: int) -> None:
    if len(ds.pairs) < minimum:
        raise SkipAudit(f"needs at least {minimum} pairs (the folder has {len(ds.pairs)})")


def clean(value: float | None, digits: int = 2) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


def mean(values: Sequence[float | None]) -> float | None:
    got = [v for v in values if v is not None]
    return sum(got) / len(got) if got else None


def pass_table(scores: dict[str, list[float | None]], pos_min: float, neg_max: float) -> dict[str, Any]:
    """Pass rates per side (positive >= pos_min, negative <= neg_max) and the mean separation."""
    out: dict[str, Any] = {}
    for side in SIDES:
        got = [s for s in scores[side] if s is not None]
        passed = [s >= pos_min if side == "positive" else s <= neg_max for s in got]
        out[side] = {"n": len(scores[side]), "scored": len(got), "mean": clean(mean(got)),
                     "pass_rate": clean(sum(passed) / len(got), 3) if got else None}
    mp, mn = out["positive"]["mean"], out["negative"]["mean"]
    out["separation"] = clean(mp - mn) if mp is not None and mn is not None else None
    return out


def failing_evidence(prompts: dict[str, list[Prompt]], scores: dict[str, list[float | None]],
                     pos_min: float, neg_max: float, limit: int = 5) -> list[dict[str, Any]]:
    """The prompts that fail their side's bar, worst first (JSON rows: file, line, side, score, text)."""
    rows = []
    for side in SIDES:
        for prompt, score in zip(prompts[side], scores[side]):
            if score is None:
                continue
            miss = pos_min - score if side == "positive" else score - neg_max
            if miss > 0:
                rows.append((miss, {"file": prompt.file, "line": prompt.line, "side": side,
                                    "score": clean(score, 1), "text": prompt.text}))
    rows.sort(key=lambda r: (-r[0], r[1]["line"], r[1]["side"]))
    return [r for _, r in rows[:limit]]


def evidence_rows(rows: Sequence[dict[str, Any]], label: Callable[[dict[str, Any]], str] | None = None) -> list[Evidence]:
    return [Evidence(r["file"], r.get("line"), (label(r) + "  " if label else "") + str(r.get("text", "")))
            for r in rows]


def unscored(results: Sequence[Any], not_generated: Sequence[str] = ()) -> dict[str, Any]:
    """How many items got no score, and the distinct reasons.

    `results` are the judge's (errors, or None from low integer mass); `not_generated` are the
    reasons of items that never reached the judge (a failed or empty generation): each counts as
    an error, so a run whose generator failed is never scored as if it had fewer items.
    """
    errors = [r.error for r in results if r.error] + list(not_generated)
    low_mass = sum(1 for r in results if r.score is None and not r.error)
    return {"n": len(results) + len(not_generated), "errors": len(errors), "low_mass": low_mass,
            "reasons": sorted(set(errors))[:3]}


def unscored_finding(audit: Any, missing: dict[str, Any], params: dict[str, Any], what: str) -> list[Finding]:
    """The error when more than `max_unscored` of the items got no score: a check that could not run."""
    lost = missing["errors"] + missing["low_mass"]
    if not missing["n"] or lost / missing["n"] <= params["max_unscored"]:
        return []
    reasons = "; ".join(missing["reasons"]) or "the integer tokens held < 0.25 of the judge's probability"
    return [audit.finding(
        Severity.ERROR, f"the judge gave no score for {lost} of {missing['n']} {what} "
        f"({missing['errors']} failed calls, {missing['low_mass']} without a numeric answer): {reasons}",
        missing, f"<= {params['max_unscored']:.0%} unscored",
        hint="Check the judge and generator (OPENAI_BASE_URL / OPENAI_API_KEY, a model that returns logprobs) "
             "and re-run: finished generations and scores are cached, only the missing ones are asked again.")]
