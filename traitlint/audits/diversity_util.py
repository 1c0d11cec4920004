"""Helpers shared by the diversity audits: evidence lines, plan and annotation access, label tables."""
from __future__ import annotations

import math
import re
from typing import Any, Callable, Iterable, Sequence

from traitlint.context import AuditContext
from traitlint.dataset import TraitDataset
from traitlint.finding import Evidence
from traitlint.registry import SkipAudit

SIDES = ("positive", "negative")
BEHAVIOURAL_TYPES = frozenset({"action", "want"})


def norm(value: Any) -> str:
    """Label normal form: case, spaces, hyphens and underscores do not matter ("Explicit decline" == "explicit_decline")."""
    return re.sub(r"[\s\-_]+", "_", str(value).strip().lower())


def evidence(ds: TraitDataset, indices: Iterable[int], side: str = "positive", limit: int = 3) -> list[Evidence]:
    """Evidence lines for pair indices (0-based) on one side, in line order."""
    prompts = ds.side(side)
    out = []
    for i in sorted(set(indices))[:limit]:
        if 0 <= i < len(prompts):
            out.append(prompts[i].evidence())
    return out


def card_type(ds: TraitDataset) -> str | None:
    trait = (ds.card or {}).get("trait")
    t = trait.get("type") if isinstance(trait, dict) else None
    return t.strip().lower() if isinstance(t, str) else None


def plan_of(ds: TraitDataset) -> tuple[dict[str, dict[str, float]], list[str]]:
    """The [plan] table as axis -> {normalised value: target share}, plus problems found reading it."""
    raw = (ds.card or {}).get("plan")
    problems: list[str] = []
    if raw is None:
        return {}, problems
    if not isinstance(raw, dict):
        return {}, ["[plan] must be a table of axis = { value = share, ... }"]
    out: dict[str, dict[str, float]] = {}
    for axis, values in raw.items():
        if isinstance(values, list) and all(isinstance(v, str) for v in values) and values:
            out[norm(axis)] = {norm(v): 1.0 / len(values) for v in values}  # a list means equal shares
            continue
        if not isinstance(values, dict) or not values:
            problems.append(f"[plan] {axis} must map values to target shares, e.g. {{ a = 0.5, b = 0.5 }}")
            continue
        shares: dict[str, float] = {}
        for value, share in values.items():
            if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1 or math.isnan(share):
                problems.append(f"[plan] {axis}.{value}: target share must be a number in [0, 1], got {share!r}")
                continue
            shares[norm(value)] = float(share)
        total = sum(shares.values())
        if shares and not 0.9 <= total <= 1.1:
            problems.append(f"[plan] {axis}: target shares sum to {total:.2f}, not 1")
        if shares:
            out[norm(axis)] = shares
    return out, problems


def side_values(ds: TraitDataset, axis: str) -> list[tuple[str | None, str | None]] | None:
    """Per pair, the (positive, negative) label of `axis` from annotations.jsonl; None without annotations.

    A plain value labels both sides (pairs share their situation, topic, voice...); an object
    ``{"positive": "first", "negative": "third"}`` labels the sides separately.
    """
    if ds.annotations is None:
        return None
    out: list[tuple[str | None, str | None]] = []
    for row in ds.annotations:
        value = _lookup(row, axis)
        if isinstance(value, dict):
            pos, neg = value.get("positive"), value.get("negative")
            out.append((_scalar(pos), _scalar(neg)))
        else:
            v = _scalar(value)
            out.append((v, v))
    return out


def _lookup(row: dict[str, Any], axis: str) -> Any:
    if axis in row:
        return row[axis]
    for key, value in row.items():
        if norm(key) == axis:
            return value
    return None


def _scalar(value: Any) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = norm(value)
    return text or None


def annotated_axes(ds: TraitDataset) -> list[str]:
    """Normalised axis names used in annotations.jsonl, sorted."""
    return sorted({norm(k) for row in ds.annotations or [] for k in row})


def label_table(values: Sequence[tuple[str | None, str | None]]) -> tuple[list[str], list[list[int]]]:
    """Value x class contingency table (rows: values sorted; columns: positive, negative)."""
    keys = sorted({v for pair in values for v in pair if v is not None})
    table = [[sum(1 for p, _ in values if p == k), sum(1 for _, n in values if n == k)] for k in keys]
    return keys, table


def share_tolerance(target: float, n: int, abs_tol: float) -> float:
    """How far an observed share may stray from its target: `abs_tol` or two binomial standard errors."""
    if n <= 0:
        return 1.0
    return max(abs_tol, 2 * math.sqrt(max(target * (1 - target), 0.0) / n))


def memo(ctx: AuditContext, what: str, build: Callable[[], Any]) -> Any:
    """Compute a per-folder value once per run (frames are shared by TL201 and TL202, and so on)."""
    return ctx.corpus.memo(f"diversity:{what}:{ctx.dataset.path.as_posix()}:{ctx.dataset.content_hash()}", build)


def english_share(ctx: AuditContext) -> float:
    from traitlint.frames import english_share as share

    ff = ctx.features()
    return memo(ctx, "english", lambda: share([*ff.positive, *ff.negative]))


def require_english(share: float, min_share: float = 0.5) -> None:
    if share < min_share:
        raise SkipAudit(f"only {share:.0%} of the prefills look like English; frames and topics need an English parse")


def pct(x: float) -> str:
    return f"{x:.0%}"
