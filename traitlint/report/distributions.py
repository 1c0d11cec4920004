"""The numbers behind the report's dataset plots: from audit metrics where they hold them, else
recomputed from the dataset with the same helpers the audits use.

Why recompute rather than widen the audits' metrics: metrics are what JSON output and the result
cache carry for every run; a per-text length or valence list for every folder would bloat both for
the one consumer that draws them. The helpers are the audits' own (`folder_view`, `situations`,
`span_intensity`, `leak_table`, `divergences`), so a plot shows exactly what the audit measured.
Everything here is plain data (lists, dataclasses); plotting is `plots.py`'s business.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from traitlint.errors import SkipAudit, Unavailable

SIDES = ("positive", "negative")
TOP_FEATURES = 12
TOP_FRAMES = 10
TOP_TOPICS = 12


@dataclass
class SkewedFeature:
    """A TL101 feature (word, bigram, opener, closer, punctuation) and how many texts per side have it."""

    kind: str
    feature: str
    n_pos: int
    n_neg: int
    b: int  # pairs where only the positive text has it
    c: int  # pairs where only the negative text has it
    flagged: bool = False  # TL101 reported it as a leak


@dataclass
class SideShare:
    """One category (a frame, a topic, a grammatical person) with its share or count per side."""

    label: str
    positive: float
    negative: float


@dataclass
class DivergenceData:
    positions: list[float]  # first differing token / shorter length, per differing pair
    kinds: list[str]  # late / mid / early, aligned with positions
    late_from: float
    early_before: float
    identical: int


@dataclass
class Distributions:
    """Raw data for each dataset plot; None or empty when it could not be computed (see `notes`)."""

    lengths: dict[str, list[int]] | None = None
    length_unit: str = "tokens"
    valence: dict[str, list[float]] | None = None
    intensity: dict[str, list[float]] | None = None
    skewed: list[SkewedFeature] = field(default_factory=list)
    frames: list[SideShare] = field(default_factory=list)
    topics: list[SideShare] = field(default_factory=list)
    topic_source: str = ""
    divergence: DivergenceData | None = None
    person: list[SideShare] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # "valence: not computed (no spaCy pipeline ...)"


def _metrics(results: list[Any], code: str) -> dict[str, Any]:
    found = next((r for r in results if r.code == code), None)
    return found.metrics if found is not None and isinstance(found.metrics, dict) else {}


def compute(ctx: Any, results: list[Any], config: Any) -> Distributions:
    """All plot data for one folder. `ctx` is the session's `AuditContext`, `results` its `AuditResult`s."""
    ds = ctx.dataset
    out = Distributions()
    out.frames = frame_shares(_metrics(results, "TL201"))
    out.topics, out.topic_source = topic_counts(_metrics(results, "TL301"))
    out.person = person_shares(_metrics(results, "TL303"))
    if not ds.pairable:
        out.notes.append(f"pair plots not drawn: {ds.unpairable_reason}")
        return out
    out.divergence = divergence(ds, config)
    try:
        view = _view(ctx)
    except (SkipAudit, Unavailable) as exc:
        out.notes.append(f"token-level plots (valence, intensity, skewed features) not drawn: {exc}")
        out.lengths, out.length_unit = _regex_lengths(ds), "words"
        return out
    out.lengths = {"positive": [len(tv.words) for tv in view.positive],
                   "negative": [len(tv.words) for tv in view.negative]}
    out.valence = valence(view, config)
    out.intensity = intensity(view, config)
    flagged = {(r.get("kind"), r.get("feature")) for r in _metrics(results, "TL101").get("leaks") or []}
    out.skewed = skewed_features(view, flagged)
    return out


def _view(ctx: Any) -> Any:
    from traitlint.audits.confounds.view import folder_view

    return folder_view(ctx)


def _regex_lengths(ds: Any) -> dict[str, list[int]]:
    from traitlint.nlp.frames import words_of

    return {s: [sum(1 for w in words_of(p.text) if w[0].isalnum() or w[0] == "_") for p in ds.side(s)]
            for s in SIDES}


def _params(config: Any, code: str) -> dict[str, Any]:
    from traitlint.registry import get

    audit = get(code)
    return config.params_for(audit) if audit is not None else {}


def valence(view: Any, config: Any) -> dict[str, list[float]]:
    """Situation valence per text (VADER compound, trait words removed), as TL302 scores it."""
    from traitlint.audits.confounds.valence import situations

    ratio = float(_params(config, "TL302").get("matched_ratio", 0.5))
    sit = situations(view, ratio)
    return {s: [float(v) for v in sit["valence"][s]] for s in SIDES}


def intensity(view: Any, config: Any) -> dict[str, list[float]]:
    """Intensity of the words that differ within each pair, as TL305 scores them."""
    from traitlint.audits.confounds.intensity import span_intensity

    weight = float(_params(config, "TL305").get("valence_weight", 0.5))
    out: dict[str, list[float]] = {s: [] for s in SIDES}
    for p, q, d in zip(view.positive, view.negative, view.diffs()):
        out["positive"].append(span_intensity(p, d.positive_diff, weight)["score"])
        out["negative"].append(span_intensity(q, d.negative_diff, weight)["score"])
    return out


def skewed_features(view: Any, flagged: set[tuple[Any, Any]], top: int = TOP_FEATURES,
                    min_texts: int = 3) -> list[SkewedFeature]:
    """The features most unevenly split between the sides (by discordant pairs), trait words left out.

    Shown whether or not TL101 flagged them: a passing folder's most skewed features are what a
    reviewer checks first ("is 'but' 9:2 a problem?"). Declared trait words are excluded: they
    separate the sides by design.
    """
    from traitlint.audits.confounds.lexical_leak import leak_table

    table = leak_table(view)
    n_pos, n_neg = table["n"]["positive"], table["n"]["negative"]
    b, c = table["disc"]["positive"], table["disc"]["negative"]
    rows = []
    for key in set(n_pos) | set(n_neg):
        kind, value = key.split("\t", 1)
        if kind == "declared" or n_pos[key] + n_neg[key] < min_texts or b[key] == c[key]:
            continue
        rows.append(SkewedFeature(kind, value, n_pos[key], n_neg[key], b[key], c[key], (kind, value) in flagged))
    rows.sort(key=lambda r: (-abs(r.b - r.c), -(r.n_pos + r.n_neg), r.kind, r.feature))
    return rows[:top]


def divergence(ds: Any, config: Any) -> DivergenceData:
    """Where each pair's texts part (TL203's classification under the configured parameters)."""
    from traitlint.audits.diversity.divergence import divergences

    params = _params(config, "TL203")
    found = divergences(ds, params)
    differing = [d for d in found if d.kind != "same"]
    return DivergenceData([round(d.position, 4) for d in differing], [d.kind for d in differing],
                          float(params["late_from"]), float(params["early_before"]), len(found) - len(differing))


def frame_shares(metrics: dict[str, Any], top: int = TOP_FRAMES) -> list[SideShare]:
    """TL201's most common syntactic frames with their share of each side's texts."""
    rows = []
    for row in (metrics.get("frames") or [])[:top]:
        if isinstance(row, dict) and "frame" in row:
            rows.append(SideShare(str(row["frame"]), float(row.get("positive") or 0), float(row.get("negative") or 0)))
    return rows


def topic_counts(metrics: dict[str, Any], top: int = TOP_TOPICS) -> tuple[list[SideShare], str]:
    """Pairs per topic and class: annotated topics (by_class table) or TF-IDF+NMF topics (TL301)."""
    source = str(metrics.get("source") or "")
    if source == "annotations":
        by_class = metrics.get("by_class") or {}
        keys, table = by_class.get("rows") or [], by_class.get("table") or []
        rows = [SideShare(str(k), float(t[0]), float(t[1])) for k, t in zip(keys, table)
                if isinstance(t, (list, tuple)) and len(t) >= 2]
        rows.sort(key=lambda r: (-(r.positive + r.negative), r.label))
        return rows[:top], "annotations.jsonl topic labels"
    if source == "nmf":
        tests = {t.get("topic"): t for t in metrics.get("by_class") or [] if isinstance(t, dict)}
        rows = []
        for row in metrics.get("topics") or []:
            test = tests.get(row.get("topic"), {})
            pairs = int(row.get("pairs") or 0)
            # A pair is on a topic when either text is: the positive text is on it unless only the negative is.
            label = ", ".join((row.get("top_words") or [])[:3]) or f"topic {row.get('topic')}"
            rows.append(SideShare(label, float(pairs - int(test.get("negative_only") or 0)),
                                  float(pairs - int(test.get("positive_only") or 0))))
        return rows[:top], "topics found by TF-IDF + NMF (top words)"
    return [], source


def person_shares(metrics: dict[str, Any]) -> list[SideShare]:
    """TL303: share of each side's texts narrated in / quoting the 1st, 2nd and 3rd person."""
    ordinal = {1: "1st", 2: "2nd", 3: "3rd"}
    rows = []
    for row in metrics.get("features") or []:
        if isinstance(row, dict) and row.get("person") in ordinal:
            scope = "narration" if row.get("scope") == "narration" else "quoted"
            rows.append(SideShare(f"{ordinal[row['person']]} person, {scope}", float(row.get("share_positive") or 0),
                                  float(row.get("share_negative") or 0)))
    return rows


__all__ = ["Distributions", "DivergenceData", "SideShare", "SkewedFeature", "compute"]
