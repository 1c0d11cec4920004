"""Helpers shared by the diversity audits: evidence lines, plan and annotation access, label tables."""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
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
    return ds.card_word("type")


@dataclass(frozen=True)
class PlanProblem:
    """Something wrong in the `[plan]` table: the axis key as written (None for the table itself) and why."""

    axis: str | None
    message: str


def plan_of(ds: TraitDataset) -> tuple[dict[str, dict[str, float]], list[PlanProblem]]:
    """The [plan] table as axis -> {normalised value: target share}, plus problems found reading it."""
    raw = (ds.card or {}).get("plan")
    problems: list[PlanProblem] = []
    if raw is None:
        return {}, problems
    if not isinstance(raw, dict):
        return {}, [PlanProblem(None, f"[plan] must be a table of axis = {{ value = share, ... }}, got {_kind(raw)}")]
    out: dict[str, dict[str, float]] = {}
    for axis, values in raw.items():
        if isinstance(values, list) and all(isinstance(v, str) for v in values) and values:
            out[norm(axis)] = {norm(v): 1.0 / len(values) for v in values}  # a list means equal shares
            continue
        if not isinstance(values, dict) or not values:
            problems.append(PlanProblem(axis, f"[plan] {axis} must map values to target shares, e.g. "
                                              f"{axis} = {{ a = 0.5, b = 0.5 }}, got {_kind(values)}"))
            continue
        shares: dict[str, float] = {}
        for value, share in values.items():
            if isinstance(share, bool) or not isinstance(share, (int, float)) or not 0 <= share <= 1 or math.isnan(share):
                problems.append(PlanProblem(axis, f"[plan] {axis}.{value}: target share must be a number in [0, 1], "
                                                  f"got {share!r}"))
                continue
            shares[norm(value)] = float(share)
        total = sum(shares.values())
        if shares and not 0.9 <= total <= 1.1:
            problems.append(PlanProblem(axis, f"[plan] {axis}: target shares sum to {total:.2f}, not 1"))
        if shares:
            out[norm(axis)] = shares
    return out, problems


def _kind(value: Any) -> str:
    """A short description of a TOML value for messages: `a string ("health")`, `an empty table`..."""
    if isinstance(value, dict):
        return "an empty table" if not value else "a table"
    if isinstance(value, list):
        return "an empty list" if not value else f"a list {value!r}"[:80]
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, str):
        return f"a string ({value!r})"[:80]
    return f"{type(value).__name__} {value!r}"[:80]


_TOML_HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(?:#.*)?$")
_TOML_KEY = re.compile(r"""^\s*((?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_\-]+))*)\s*=""")


def _toml_parts(dotted: str) -> list[str]:
    return [norm(part.strip().strip("\"'")) for part in re.findall(r'"[^"]*"|\'[^\']*\'|[^.]+', dotted)]


def plan_line(ds: TraitDataset, axis: str | None = None, value: str | None = None) -> int | None:
    """1-based line in trait.toml of `[plan]`, of `axis` inside it, or of `value` under that axis.

    Why not a plain text search: the axis name usually appears earlier in the card too (`is = "...
    topic ..."`), and a finding must point at the plan line an author has to edit. Handles
    `axis = {...}` in `[plan]`, dotted keys (`topic.health = 0.2`) and `[plan.axis]` sub-tables;
    falls back to the nearest enclosing line found (the axis, then `[plan]`), or None.
    """
    tf = ds.raw.get("trait.toml")
    if tf is None:
        return None
    want_axis, want_value = (norm(axis) if axis else None), (norm(value) if value else None)
    plan_header = axis_line = value_line = None
    section: list[str] = []
    for number, text in enumerate(tf.lines, 1):
        header = _TOML_HEADER.match(text)
        if header and not text.lstrip().startswith("[["):
            section = _toml_parts(header.group(1))
            if section == ["plan"] and plan_header is None:
                plan_header = number
            elif want_axis and section == ["plan", want_axis] and axis_line is None:
                axis_line = number
            continue
        key = _TOML_KEY.match(text)
        if not key:
            continue
        path = section + _toml_parts(key.group(1))
        if path[:1] != ["plan"]:
            continue
        if plan_header is None:
            plan_header = number  # `plan = ...` or `plan.topic = ...` at the top level
        path = path[1:]
        if not want_axis:
            continue
        if path[:1] == [want_axis]:
            if axis_line is None:
                axis_line = number
            if want_value and value_line is None and (path[1:2] == [want_value] or _inline_has(text, want_value)):
                value_line = number
    return value_line or axis_line or plan_header


def _inline_has(text: str, value: str) -> bool:
    """True when an inline table or array on this line names `value` (as a key or a string)."""
    tail = text.split("=", 1)[1] if "=" in text else ""
    names = re.findall(r'([A-Za-z0-9_\-]+|"[^"]*"|\'[^\']*\')\s*(?:=|,|\]|\})', tail)
    return any(norm(n.strip("\"'")) == value for n in names)


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


def annotation_problems(ds: TraitDataset) -> list[dict[str, Any]]:
    """Per axis, the annotations.jsonl rows whose value is not a label, with 1-based line numbers.

    A label is a string, number or boolean (null means "not labelled"), or an object
    ``{"positive": label, "negative": label}``. Anything else (a list, an object with other keys,
    a nested object) used to count silently as "no label"; the author needs to see which line.
    """
    bad: dict[str, dict[str, Any]] = {}
    for number, row in enumerate(ds.annotations or [], 1):
        for key, value in row.items():
            why = _label_problem(value)
            if why:
                entry = bad.setdefault(key, {"axis": key, "count": 0, "lines": [], "problem": why})
                entry["count"] += 1
                if len(entry["lines"]) < 5:
                    entry["lines"].append(number)
    return [bad[k] for k in sorted(bad)]


def _label_problem(value: Any) -> str | None:
    if value is None or isinstance(value, (str, int, float, bool)):
        return None
    if isinstance(value, dict):
        extra = sorted(set(value) - set(SIDES))
        if extra or not value:
            return (f"an object with keys {', '.join(map(repr, sorted(value)))}" if value else "an empty object")
        for side, v in value.items():
            if not (v is None or isinstance(v, (str, int, float, bool))):
                return f"a {type(v).__name__} as its {side} label"
        return None
    return f"a {'list' if isinstance(value, list) else type(value).__name__}"


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
    """Share of the folder's texts that look English (see `traitlint.language`): frames and topics
    come from an English parser, so on other languages the audits that read them skip."""
    from traitlint.nlp.language import english_share as share

    ff = ctx.features()
    return memo(ctx, "english", lambda: share([*ff.positive, *ff.negative]))


def require_english(share: float, min_share: float = 0.5) -> None:
    if share < min_share:
        raise SkipAudit(f"only {share:.0%} of the prefills look like English; frames and topics need an English parse")


def pct(x: float) -> str:
    return f"{x:.0%}"
