"""The report's plots: matplotlib figures rendered to SVG strings, each with a title and alt text.

Why these choices: figures are built from `matplotlib.figure.Figure` directly (no pyplot, so no
global backend switch and no window); SVG with text kept as text (``svg.fonttype = none``) is a
few kilobytes, sharp at any zoom and searchable; colours are the Okabe-Ito palette (blue for the
positive side, orange for the negative, distinguishable with every common colour-vision
deficiency), and every bar or line has a legend entry and both axes are labelled. Each function
returns None when there is nothing to draw, so the page never shows an empty frame.
"""
from __future__ import annotations

import functools
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

POSITIVE = "#0072B2"  # Okabe-Ito blue
NEGATIVE = "#E69F00"  # Okabe-Ito orange
GREEN, PURPLE, SKY, VERMILLION, GREY = "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#666666"
SERIES = (POSITIVE, VERMILLION, GREEN, PURPLE, SKY, NEGATIVE)
KIND_COLOURS = {"late": VERMILLION, "mid": SKY, "early": GREEN}
WIDTH, HEIGHT = 6.4, 3.3
LABEL_CHARS = 44


@dataclass
class Plot:
    """One rendered figure. `key` is stable per kind ("lengths", "vetting-TL401-0"), for tests and anchors."""

    key: str
    title: str
    alt: str
    svg: str


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


#: Text stays text (no glyph paths), dataset words are never read as mathtext ("$5 or $10" is not a
#: formula), one font size for every plot.
STYLE = {"svg.fonttype": "none", "text.parse_math": False, "font.size": 8.5, "axes.titlesize": 9.5,
         "font.family": "sans-serif", "svg.hashsalt": None}


def styled(fn: Any) -> Any:
    """Run a plot function under `STYLE` (fonts are fixed when artists are created, not when saved)."""
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import matplotlib

        with matplotlib.rc_context(STYLE):
            return fn(*args, **kwargs)
    return wrapper


def _figure(height: float = HEIGHT, width: float = WIDTH, left: float | None = None) -> Any:
    """A figure; with `left` (inches for the y tick labels) fixed margins, else constrained layout.

    Why fixed margins where they suffice: constrained layout draws every figure twice to measure
    it, and the dataset plots (eight per folder, hundreds per corpus) have predictable labels.
    """
    from matplotlib.figure import Figure

    if left is None:
        return Figure(figsize=(width, height), layout="constrained")
    fig = Figure(figsize=(width, height))
    fig.subplots_adjust(left=left / width, right=1 - 0.15 / width, bottom=0.52 / height, top=1 - 0.3 / height)
    return fig


def _label_inches(labels: Sequence[str]) -> float:
    """Room for y tick labels at the plot font size (about 0.062 in per character)."""
    return min(3.2, 0.3 + 0.062 * max((len(label) for label in labels), default=4))


_IDS = re.compile(r'<g id="(?:figure|axes|patch|line2d|text|xtick|ytick|matplotlib\.axis|legend|PolyCollection|'
                  r'PathCollection|BarContainer|LineCollection|QuadMesh|FillBetweenPolyCollection)_?[0-9]*">')
_DECIMALS = re.compile(r"(\d\.\d)\d+")
_GEOMETRY = re.compile(r'( (?:d|x|y|x1|x2|y1|y2|width|height|transform|points)=")([^"]*)"')


def minify(svg: str) -> str:
    """Matplotlib's SVG, smaller: no metadata, no unused group ids, 0.1 pt precision, one font list.

    Why: a trait page holds a dozen plots and a corpus report seventy pages; coordinates to a
    millionth of a point and a twelve-font fallback list on every label are two thirds of the bytes.
    """
    start = svg.find("<svg")
    svg = svg[start:] if start >= 0 else svg
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)
    svg = re.sub(r"font-family: [^;\"]+", "font-family: sans-serif", svg)
    svg = re.sub(r' transform="rotate\(-0 [^"]*\)"', "", svg)
    svg = _IDS.sub("<g>", svg)
    svg = _GEOMETRY.sub(lambda m: m.group(1) + _DECIMALS.sub(r"\1", m.group(2)) + '"', svg)  # never in text
    svg = re.sub(r"\s*\n\s*", " ", svg)
    return svg.replace("> <", "><").strip()


def _render(fig: Any) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return minify(buffer.getvalue())


_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _short(label: str, limit: int = LABEL_CHARS) -> str:
    """A tick label from dataset text: control and bidi characters shown as <U+XXXX> (a right-to-left
    override would flip the rest of the label), cut to `limit` characters. Matplotlib escapes markup."""
    label = _UNSAFE.sub(lambda m: f"<U+{ord(m.group()):04X}>", str(label))
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _mean(values: Sequence[float]) -> float | None:
    got = [v for v in values if v is not None and math.isfinite(v)]
    return sum(got) / len(got) if got else None


def _fmt(value: float | None, spec: str = ".2f") -> str:
    return "n/a" if value is None else format(value, spec)


def _finish(ax: Any, xlabel: str, ylabel: str, legend: bool = True) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3, linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, frameon=False)


def _side_histogram(key: str, title: str, values: dict[str, list[float]], xlabel: str, bins: Any,
                    what: str, digits: str = ".2f", marks: Sequence[tuple[float, str]] = ()) -> Plot | None:
    pos, neg = [v for v in values.get("positive", []) if v is not None], [v for v in values.get("negative", []) if v is not None]
    if not pos and not neg:
        return None
    import numpy as np

    fig = _figure(left=0.62)
    ax = fig.add_subplot()
    edges = np.histogram_bin_edges(pos + neg, bins=bins)
    for side, data, colour in (("positive", pos, POSITIVE), ("negative", neg, NEGATIVE)):
        counts, _ = np.histogram(data, bins=edges)
        # one filled outline per side (not a rectangle per bin): overlaps stay visible, the SVG small
        if side == "positive":  # filled; the negative side is a dashed outline over it (no blended colour)
            ax.stairs(counts, edges, fill=True, color=colour, alpha=0.25, linewidth=0)
        ax.stairs(counts, edges, color=colour, linewidth=1.6, label=f"{side} (n={len(data)})",
                  linestyle="-" if side == "positive" else (0, (4, 1.5)))
    ax.set_ylim(bottom=0)
    for x, label in marks:
        ax.axvline(x, color=GREY, linestyle="--", linewidth=1, label=label)
    _finish(ax, xlabel, "texts")
    ax.set_title(title)
    alt = (f"Histogram of {what} by class: positive mean {_fmt(_mean(pos), digits)} (n={len(pos)}), "
           f"negative mean {_fmt(_mean(neg), digits)} (n={len(neg)}).")
    return Plot(key, title, alt, _render(fig))


def _int_bins(values: dict[str, list[int]]) -> Any:
    every = [v for side in values.values() for v in side]
    if not every:
        return 10
    low, high = min(every), max(every)
    step = max(1, math.ceil((high - low + 1) / 40))
    return [low - 0.5 + step * i for i in range(math.ceil((high - low + 1) / step) + 1)]


# dataset plots --------------------------------------------------------------------------------------
@styled
def lengths(values: dict[str, list[int]] | None, unit: str = "tokens") -> Plot | None:
    if not values:
        return None
    return _side_histogram("lengths", f"Prefill length ({unit}), positive vs negative", values,
                           f"length ({unit})", _int_bins(values), f"prefill length in {unit}", ".1f")


@styled
def valence(values: dict[str, list[float]] | None) -> Plot | None:
    if not values:
        return None
    bins = [-1 + i * 0.1 for i in range(21)]
    return _side_histogram("valence", "Situation valence (VADER, trait words removed)", values,
                           "VADER compound score (-1 bad news ... +1 good news)", bins, "situation valence")


@styled
def intensity(values: dict[str, list[float]] | None) -> Plot | None:
    if not values:
        return None
    every = [v for side in values.values() for v in side]
    high = max(every, default=1.0)
    low = min(every, default=0.0)
    span = max(high - low, 1.0)
    bins = [low + span * i / 20 for i in range(21)]
    return _side_histogram("intensity", "Intensity of the words that differ within each pair", values,
                           "intensity score (boosters - dampeners + ! + CAPS + 0.5 x |valence|)", bins,
                           "the intensity of each pair's differing words")


def _paired_barh(key: str, title: str, labels: list[str], pos: list[float], neg: list[float], xlabel: str,
                 alt: str, percent: bool = False, ylabel: str = "") -> Plot:
    height = max(2.2, 0.3 * len(labels) + 1.4)
    shown = [_short(label) for label in labels]
    fig = _figure(height, left=_label_inches(shown) + (0.2 if ylabel else 0.0))
    ax = fig.add_subplot()
    ys = list(range(len(labels)))
    ax.barh([y - 0.2 for y in ys], pos, height=0.4, color=POSITIVE, label="positive")
    ax.barh([y + 0.2 for y in ys], neg, height=0.4, color=NEGATIVE, label="negative")
    ax.set_yticks(ys, shown)
    ax.set_ylim(len(labels) + 0.4, -0.6)  # top to bottom, with a free row at the bottom for the legend
    if percent:
        from matplotlib.ticker import PercentFormatter

        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    _finish(ax, xlabel, ylabel, legend=False)
    ax.legend(loc="lower right", ncol=2, fontsize=8, frameon=False)
    ax.set_title(title)
    return Plot(key, title, alt, _render(fig))


@styled
def skewed(features: Sequence[Any]) -> Plot | None:
    if not features:
        return None
    labels = [f"{f.kind}: {f.feature}" + (" (TL101 leak)" if f.flagged else "") for f in features]
    top = ", ".join(f'{f.kind} "{f.feature}" {f.n_pos}:{f.n_neg}' for f in features[:5])
    alt = (f"Horizontal bars of the {len(features)} features most unevenly split between the classes, texts per "
           f"class (positive:negative): {top}.")
    return _paired_barh("skewed", "Most class-skewed features (declared trait words left out)", labels,
                        [f.n_pos for f in features], [f.n_neg for f in features], "texts containing the feature", alt,
                        ylabel="feature (kind: value)")


@styled
def frames(rows: Sequence[Any]) -> Plot | None:
    if not rows:
        return None
    top = "; ".join(f"{r.label} {r.positive:.0%} / {r.negative:.0%}" for r in rows[:3])
    alt = (f"Horizontal bars of the {len(rows)} most common syntactic frames, share of positive and of negative "
           f"texts: {top}.")
    return _paired_barh("frames", "Syntactic frame shares by class (TL201)", [r.label for r in rows],
                        [r.positive for r in rows], [r.negative for r in rows], "share of the side's texts", alt,
                        percent=True, ylabel="syntactic frame")


@styled
def topics(rows: Sequence[Any], source: str) -> Plot | None:
    if not rows:
        return None
    top = "; ".join(f"{r.label} {r.positive:g}:{r.negative:g}" for r in rows[:4])
    alt = f"Horizontal bars of pairs per topic and class ({source}): {top}."
    return _paired_barh("topics", f"Topic by class ({source})", [r.label for r in rows], [r.positive for r in rows],
                        [r.negative for r in rows], "texts on the topic", alt, ylabel="topic")


@styled
def person(rows: Sequence[Any]) -> Plot | None:
    if not rows:
        return None
    top = "; ".join(f"{r.label} {r.positive:.0%} / {r.negative:.0%}" for r in rows[:3])
    alt = f"Horizontal bars of the share of texts per grammatical person and class (TL303): {top}."
    return _paired_barh("person", "Grammatical person balance (TL303)", [r.label for r in rows],
                        [r.positive for r in rows], [r.negative for r in rows], "share of the side's texts", alt,
                        percent=True, ylabel="person and scope")


@styled
def divergence(data: Any) -> Plot | None:
    if data is None or not data.positions:
        return None
    import numpy as np

    fig = _figure(left=0.62)
    ax = fig.add_subplot()
    edges = np.linspace(0.0, 1.0, 21)
    kinds = [k for k in ("early", "mid", "late") if k in data.kinds]
    groups = [[p for p, k in zip(data.positions, data.kinds) if k == kind] for kind in kinds]
    below = np.zeros(len(edges) - 1)
    for kind, group in zip(kinds, groups):
        counts, _ = np.histogram(group, bins=edges)
        ax.stairs(below + counts, edges, baseline=below, fill=True, color=KIND_COLOURS[kind],
                  label=f"{kind} ({len(group)})")
        below = below + counts
    ax.axvline(data.early_before, color=GREY, linestyle=":", linewidth=1, label=f"early before {data.early_before:g}")
    ax.axvline(data.late_from, color=GREY, linestyle="--", linewidth=1, label=f"late from {data.late_from:g}")
    ax.set_xlim(0, 1.0)
    _finish(ax, "first differing token / length of the shorter text", "pairs")
    title = "Divergence spectrum: where each pair's texts part (TL203)"
    ax.set_title(title)
    n = len(data.positions)
    shares = ", ".join(f"{k} {len(g) / n:.0%}" for k, g in zip(kinds, groups))
    alt = (f"Stacked histogram of the position where the two texts of each pair first differ, {n} pairs: {shares}"
           + (f"; {data.identical} identical pairs left out." if data.identical else "."))
    return Plot("divergence", title, alt, _render(fig))


# model plots ------------------------------------------------------------------------------------------
@styled
def vetting(stored: Any, index: int = 0) -> Plot | None:
    """TL401/TL402 judge scores per class, with the pass bars."""
    scores = stored.details.get("scores") if isinstance(stored.details.get("scores"), dict) else None
    if not scores:
        return None
    values = {s: [float(v) for v in scores.get(s) or [] if isinstance(v, (int, float))] for s in ("positive", "negative")}
    pos_min, neg_max = stored.params.get("pos_min", 60.0), stored.params.get("neg_max", 40.0)
    what = "scenario (prefill) scores" if stored.code == "TL401" else "completion scores"
    plot = _side_histogram(f"vetting-{stored.code}-{index}", f"{stored.code} {stored.name}: judge {what} by class",
                           values, "judge score (0-100)", [i * 5 for i in range(21)], f"judge {what}", ".1f",
                           marks=[(neg_max, f"negative pass <= {neg_max:g}"), (pos_min, f"positive pass >= {pos_min:g}")])
    if plot is not None:
        plot.alt += f" Model {stored.model}, judge {stored.judge or 'n/a'}."
    return plot


@styled
def probe(stored: Any, index: int = 0) -> Plot | None:
    """TL404 held-out probe accuracy per layer."""
    accs = stored.metrics.get("accuracy_by_layer")
    if not isinstance(accs, list) or not accs:
        return None
    fig = _figure()
    ax = fig.add_subplot()
    layers = list(range(len(accs)))
    ax.plot(layers, [math.nan if a is None else a for a in accs], marker="o", markersize=3, color=POSITIVE,
            label="held-out probe accuracy")
    bar = stored.params.get("min_accuracy", 0.8)
    ax.axhline(bar, color=VERMILLION, linestyle="--", linewidth=1, label=f"required {bar:g}")
    ax.axhline(0.5, color=GREY, linestyle=":", linewidth=1, label="chance 0.5")
    ax.set_ylim(0.4, 1.02)
    _finish(ax, "layer (output of decoder block L)", "accuracy")
    title = f"TL404 probe accuracy per layer ({stored.model})"
    ax.set_title(title)
    best = stored.metrics.get("best_layer")
    alt = (f"Line plot of held-out logistic-probe accuracy for {len(accs)} layers of {stored.model}: best "
           f"{_fmt(stored.metrics.get('best_accuracy'))} at layer {best}; required {bar:g}.")
    return Plot(f"probe-{index}", title, alt, _render(fig))


@styled
def fluency(stored: Any, index: int = 0) -> Plot | None:
    """TL405: per-pair gap in total log-probability (positive - negative)."""
    total = stored.details.get("total_logprob")
    if not isinstance(total, dict):
        return None
    gaps = [a - b for a, b in zip(total.get("positive") or [], total.get("negative") or [])
            if isinstance(a, (int, float)) and isinstance(b, (int, float))]
    if not gaps:
        return None
    fig = _figure()
    ax = fig.add_subplot()
    ax.hist(gaps, bins=20, color=GREEN, edgecolor="white", linewidth=0.4, label=f"pairs (n={len(gaps)})")
    ax.axvline(0, color=GREY, linestyle=":", linewidth=1, label="equally likely")
    _finish(ax, "log-probability gap, positive - negative (nats)", "pairs")
    title = f"TL405 fluency gap per pair ({stored.model})"
    ax.set_title(title)
    flagged = len(stored.metrics.get("flagged") or [])
    alt = (f"Histogram of the per-pair difference in total log-probability under {stored.model}: median "
           f"{_fmt(stored.metrics.get('median_gap'))} nats, {flagged} outlier pair(s) flagged.")
    return Plot(f"fluency-{index}", title, alt, _render(fig))


@styled
def steering_baseline(stored: Any, index: int = 0) -> Plot | None:
    """TL403: the unsteered score of each steering question."""
    answers = [a for a in stored.details.get("answers") or [] if isinstance(a, dict)]
    scores = [a.get("score") for a in answers]
    if not any(isinstance(s, (int, float)) for s in scores):
        return None
    fig = _figure(max(2.4, 0.3 * len(answers) + 1.0))
    ax = fig.add_subplot()
    ys = list(range(len(answers)))
    ax.barh(ys, [s if isinstance(s, (int, float)) else 0 for s in scores], color=POSITIVE, label="unsteered score")
    ax.set_yticks(ys, [_short(str(a.get("question") or ""), 40) for a in answers])
    ax.invert_yaxis()
    cap = stored.params.get("max_question", 30.0)
    ax.axvline(cap, color=VERMILLION, linestyle="--", linewidth=1, label=f"max per question {cap:g}")
    ax.set_xlim(0, 100)
    _finish(ax, "judge trait score (0-100)", "steering question")
    title = f"TL403 unsteered baseline per steering question ({stored.model})"
    ax.set_title(title)
    alt = (f"Horizontal bars of the unsteered trait score of each of {len(answers)} steering questions: mean "
           f"{_fmt(stored.metrics.get('mean'), '.1f')}, highest {_fmt(stored.metrics.get('max'), '.1f')}.")
    return Plot(f"steering-baseline-{index}", title, alt, _render(fig))


@styled
def extraction(ext: Any, index: int = 0) -> Plot | None:
    """AUROC and accuracy per layer for each method, with the random and shuffled baselines."""
    methods = {m: r for m, r in ext.methods.items() if isinstance(r.get("per_layer"), list) and r["per_layer"]}
    if not methods:
        return None
    fig = _figure(4.0, 7.2)
    ax_auc, ax_acc = fig.subplots(1, 2, sharex=True)
    notes = []
    for colour, (method, result) in zip(SERIES * 3, methods.items()):
        rows = sorted((r for r in result["per_layer"] if isinstance(r, dict) and "layer" in r), key=lambda r: r["layer"])
        layers = [r["layer"] for r in rows]
        for ax, name in ((ax_auc, "auroc"), (ax_acc, "accuracy")):
            ax.plot(layers, [math.nan if r.get(name) is None else r[name] for r in rows], marker="o", markersize=3,
                    color=colour, label=method)
        base = result.get("baselines") or {}
        best = result.get("best_layer")
        for marker, name in (("v", "random"), ("s", "shuffled")):
            value = (base.get(name) or {}).get("auroc")
            if value is not None and best is not None:
                ax_auc.scatter([best], [value], marker=marker, color=colour, edgecolors="black", linewidths=0.5,
                               zorder=3)
        notes.append(f"{method}: best layer {best}, AUROC {_fmt((result.get('best') or {}).get('auroc'))} vs random "
                     f"{_fmt((base.get('random') or {}).get('auroc'))}, shuffled {_fmt((base.get('shuffled') or {}).get('auroc'))}")
    for ax, name in ((ax_auc, "held-out AUROC"), (ax_acc, "held-out accuracy")):
        ax.axhline(0.5, color=GREY, linestyle=":", linewidth=1)
        ax.set_ylim(0.3, 1.02)
        _finish(ax, "layer", name, legend=False)
    from matplotlib.lines import Line2D

    handles, labels = ax_auc.get_legend_handles_labels()
    for marker, name in (("v", "random-direction baseline at the best layer"), ("s", "shuffled-label baseline at the best layer")):
        handles.append(Line2D([], [], linestyle="none", marker=marker, color="white", markeredgecolor="black"))
        labels.append(name)
    fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=7.5, frameon=False)
    title = f"Extraction evaluation per layer and method ({ext.model})"
    fig.suptitle(title, fontsize=10)
    alt = f"Two line plots, held-out AUROC and accuracy per layer for each extraction method on {ext.model}; " + "; ".join(notes) + "."
    return Plot(f"extraction-{index}", title, alt, _render(fig))


@styled
def confounds(ext: Any, index: int = 0) -> Plot | None:
    """|r| of held-out projections with each confound (within class) against |r_trait|, per method."""
    methods = {m: r.get("confounds_at_best_layer") for m, r in ext.methods.items()
               if isinstance(r.get("confounds_at_best_layer"), dict) and r.get("confounds_at_best_layer")}
    if not methods:
        return None
    features = sorted({f for rows in methods.values() for f in rows})
    fig = _figure(max(2.6, 0.5 * len(features) + 1.2) + 0.15 * (len(methods) + 1))
    ax = fig.add_subplot()
    width = 0.8 / len(methods)
    verdicts = []
    for k, (colour, (method, rows)) in enumerate(zip(SERIES * 3, methods.items())):
        ys = [i - 0.4 + width * (k + 0.5) for i in range(len(features))]
        values = [abs((rows.get(f) or {}).get("r_within") or 0.0) for f in features]
        ax.barh(ys, values, height=width, color=colour, label=f"{method} |r| within class")
        r_trait = next((abs(r.get("r_trait")) for r in rows.values() if isinstance(r.get("r_trait"), (int, float))), None)
        if r_trait is not None:
            ax.axvline(r_trait, color=colour, linestyle="--", linewidth=1, label=f"{method} |r_trait| {r_trait:.2f}")
        verdicts += [f"{method} {f} {(rows.get(f) or {}).get('verdict', 'n/a')}" for f in features]
    ax.axvline(0.3, color=GREY, linestyle=":", linewidth=1, label="0.3 (dominated if above |r_trait|)")
    ax.set_yticks(range(len(features)), [_short(f, 30) for f in features])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    _finish(ax, "|Pearson r| of held-out projections with the feature", "confound feature", legend=False)
    fig.legend(loc="outside lower center", ncol=2, fontsize=7.5, frameon=False)
    title = f"Confound projections at the best layer ({ext.model})"
    ax.set_title(title)
    alt = ("Horizontal bars of how strongly each method's held-out projections follow each confound within class, "
           "with each method's trait correlation as a dashed line: " + "; ".join(verdicts) + ".")
    return Plot(f"confounds-{index}", title, alt, _render(fig))


@styled
def steering(run: Any, index: int = 0) -> Plot | None:
    """Dose-response: trait score and coherence against the perturbation ratio, one line per layer."""
    if not run.runs:
        return None
    fig = _figure(3.6, 7.2)
    ax_trait, ax_coh = fig.subplots(1, 2, sharex=True)
    layers = sorted({r.get("layer") for r in run.runs if r.get("layer") is not None})
    for colour, layer in zip(SERIES * 5, layers):
        rows = sorted((r for r in run.runs if r.get("layer") == layer), key=lambda r: r["ratio"])
        ratios = [r["ratio"] for r in rows]
        for ax, name in ((ax_trait, "trait_mean"), (ax_coh, "coherence_mean")):
            ax.plot(ratios, [math.nan if r.get(name) is None else r[name] for r in rows], marker="o", markersize=4,
                    color=colour, label=f"layer {layer}")
    base = run.baseline or {}
    if base.get("trait_mean") is not None:
        ax_trait.axhline(base["trait_mean"], color=GREY, linestyle="--", linewidth=1, label="unsteered")
    if base.get("coherence_mean") is not None:
        ax_coh.axhline(base["coherence_mean"], color=GREY, linestyle="--", linewidth=1, label="unsteered")
    if run.threshold is not None:
        ax_coh.axhline(run.threshold, color=VERMILLION, linestyle=":", linewidth=1, label=f"threshold {run.threshold:g}")
    if run.best is not None and run.best.get("trait_mean") is not None:
        ax_trait.scatter([run.best["ratio"]], [run.best["trait_mean"]], s=140, facecolors="none", edgecolors="black",
                         zorder=3, label="best run")
    coherence = "coherence (judge)" if run.coherence == "judge" else "coherence (proxy)"
    for ax, name in ((ax_trait, "trait score (judge, 0-100)"), (ax_coh, coherence)):
        ax.set_ylim(-2, 102)
        _finish(ax, "perturbation ratio (x mean residual norm)", name)
    title = f"Steering dose-response ({run.model}, {run.method or 'vector'})"
    fig.suptitle(title, fontsize=10)
    best = run.best
    said = (f"best run layer {best.get('layer')}, ratio {best.get('ratio')}: trait {_fmt(best.get('trait_mean'), '.1f')} "
            f"(delta {_fmt(best.get('delta'), '+.1f')}), coherence {_fmt(best.get('coherence_mean'), '.1f')}"
            if best else f"no coherent run ({run.best_reason or 'none qualified'})")
    alt = (f"Two line plots of the steered trait score and coherence against the perturbation ratio for "
           f"{len(run.runs)} runs on layers {', '.join(map(str, layers))}; unsteered trait "
           f"{_fmt(base.get('trait_mean'), '.1f')}; {said}.")
    return Plot(f"steering-{index}", title, alt, _render(fig))


@styled
def overview(rows: Sequence[tuple[str, dict[str, int]]]) -> Plot | None:
    """Index page: for each audit, how many folders it failed, warned or errored on."""
    shown = [(label, counts) for label, counts in rows
             if counts.get("failed", 0) + counts.get("warned", 0) + counts.get("error", 0)]
    if not shown:
        return None
    fig = _figure(max(2.0, 0.26 * len(shown) + 1.0))
    ax = fig.add_subplot()
    ys = list(range(len(shown)))
    left = [0] * len(shown)
    for status, colour in (("failed", VERMILLION), ("error", PURPLE), ("warned", NEGATIVE)):
        values = [counts.get(status, 0) for _, counts in shown]
        if not any(values):
            continue
        ax.barh(ys, values, left=left, color=colour, label=status, height=0.7)
        left = [a + b for a, b in zip(left, values)]
    ax.set_yticks(ys, [_short(label, 36) for label, _ in shown])
    ax.invert_yaxis()
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    _finish(ax, "trait folders", "audit", legend=False)
    fig.legend(loc="outside lower center", ncol=3, fontsize=8, frameon=False)
    title = "Audits that failed, errored or warned, by number of folders"
    ax.set_title(title)
    worst = sorted(shown, key=lambda r: -(r[1].get("failed", 0) + r[1].get("error", 0)))[:4]
    alt = (f"Stacked horizontal bars for {len(shown)} audits: folders failed, errored and warned per audit; most "
           "failed: " + "; ".join(f"{label} {c.get('failed', 0)} failed, {c.get('warned', 0)} warned"
                                    for label, c in worst) + ".")
    return Plot("overview", title, alt, _render(fig))


def dataset_plots(dist: Any) -> list[Plot]:
    """The dataset plots of one folder, in reading order."""
    made = [lengths(dist.lengths, dist.length_unit), skewed(dist.skewed), frames(dist.frames),
            topics(dist.topics, dist.topic_source), divergence(dist.divergence), valence(dist.valence),
            intensity(dist.intensity), person(dist.person)]
    return [p for p in made if p is not None]


__all__ = [
    "Plot",
    "available",
    "confounds",
    "dataset_plots",
    "divergence",
    "extraction",
    "fluency",
    "frames",
    "intensity",
    "lengths",
    "overview",
    "person",
    "probe",
    "skewed",
    "steering",
    "steering_baseline",
    "topics",
    "valence",
    "vetting",
]
