"""A steering run directory: ``results.jsonl``, ``responses.jsonl``, the plot, read back to resume.

Layout of ``RUN_DIR``
    ``results.jsonl``: line 1 ``{"type": "header", ...}`` (vector provenance, model, judge,
    questions, norms, settings, identity); line 2 ``{"type": "baseline", ...}``; then one
    ``{"type": "run", ...}`` per (layer, ratio): layer, ratio, coefficient, trait mean/std,
    coherence mean, delta, n, unscored, the proxies' means; last ``{"type": "best", ...}``.
    ``responses.jsonl``: one line per answer: the run's layer/ratio/coefficient, the question, the
    answer, its trait and coherence scores, proxies and errors.
    ``steering.png``: trait score and coherence against ratio, one line per layer.

Both JSONL files are rewritten whole and atomically after every run (they are small), so an
interrupted run leaves the files of the last finished run, never half a line. On the next start
the runs whose header ``identity`` matches (same vector, model, judge, prompts, questions,
generation length) are read back and not repeated; generations and judge calls of an unfinished
run come back from the call cache.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from traitlint.atomic import atomic_write_bytes, atomic_write_text
from traitlint.model.steer_search import Answer, Run, best_run, coherent, run_key

RESULTS = "results.jsonl"
RESPONSES = "responses.jsonl"
PLOT = "steering.png"
FORMAT = 1


class RunDirError(ValueError):
    """A run directory cannot be read (the message names the file and line)."""


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False, sort_keys=False)


def write_run_dir(run_dir: Path, header: dict[str, Any], baseline: Run, runs: Sequence[Run],
                  direction: int, threshold: float) -> dict[str, Any]:
    """Write results.jsonl and responses.jsonl atomically; return the results' summary lines."""
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    base = baseline.summary(None)
    base_mean = base["trait_mean"]
    summaries = [r.summary(base_mean) for r in runs]
    best = best_run(summaries, direction, threshold)
    lines = [{"type": "header", "format": FORMAT, **header},
             {"type": "baseline", **{k: v for k, v in base.items() if k not in ("layer", "ratio", "coefficient",
                                                                                  "delta")}}]
    lines += [{"type": "run", **s, "coherent": coherent(s, threshold)} for s in summaries]
    lines.append({"type": "best", "run": best,
                  "reason": None if best else f"no run reached mean coherence {threshold:g} with a trait score"})
    atomic_write_text(run_dir / RESULTS, "".join(_dumps(line) + "\n" for line in lines))
    responses = []
    for run in [baseline, *runs]:
        where = {"layer": run.layer, "ratio": run.ratio, "coefficient": round(run.coefficient, 4)}
        responses.extend({**where, **answer.to_json()} for answer in run.answers)
    atomic_write_text(run_dir / RESPONSES, "".join(_dumps(line) + "\n" for line in responses))
    source = str((header.get("settings") or {}).get("coherence") or "judge")
    return {"baseline": base, "runs": summaries, "best": best, "coherence_source": source}


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RunDirError(f"{path}: cannot read ({exc.strerror or exc})") from None
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            raise RunDirError(f"{path}:{number}: not JSON ({exc})") from None
        if not isinstance(item, dict):
            raise RunDirError(f"{path}:{number}: expected a JSON object")
        out.append(item)
    return out


def read_header(run_dir: Path) -> dict[str, Any]:
    lines = _read_jsonl(Path(run_dir) / RESULTS)
    if not lines or lines[0].get("type") != "header":
        raise RunDirError(f"{Path(run_dir) / RESULTS}:1: no header line: not a traitlint steer results file")
    return lines[0]


def read_runs(run_dir: Path) -> tuple[Run, list[Run]]:
    """The baseline and the runs saved in ``responses.jsonl``, in file order (scores included)."""
    path = Path(run_dir) / RESPONSES
    grouped: dict[tuple[int | None, float], Run] = {}
    for number, line in enumerate(_read_jsonl(path), 1):
        try:
            layer = None if line.get("layer") is None else int(line["layer"])
            ratio = float(line.get("ratio") or 0.0)
            key = run_key(layer, ratio)
            run = grouped.setdefault(key, Run(layer, key[1], float(line.get("coefficient") or 0.0), []))
            text = line.get("answer")
            run.answers.append(Answer(
                str(line["question"]), text if isinstance(text, str) else None, trait=_num(line.get("trait")),
                coherence=_num(line.get("coherence")),
                proxies={k: float(line[k]) for k in ("repeated_3gram_rate", "compression_ratio") if k in line},
                errors=[str(e) for e in line.get("errors") or []]))
        except (KeyError, TypeError, ValueError) as exc:
            raise RunDirError(f"{path}:{number}: malformed response line ({type(exc).__name__}: {exc})") from None
    baseline = grouped.pop(run_key(None, 0.0), None)
    if baseline is None:
        raise RunDirError(f"{path}: no baseline answers (lines with \"layer\": null)")
    return baseline, list(grouped.values())


def resumable_runs(run_dir: Path, identity: dict[str, Any]) -> dict[tuple[int | None, float], Run]:
    """Finished runs from an earlier start with the same identity (empty when there are none)."""
    run_dir = Path(run_dir)
    if not (run_dir / RESULTS).is_file() or not (run_dir / RESPONSES).is_file():
        return {}
    try:
        if read_header(run_dir).get("identity") != identity:
            return {}
        baseline, runs = read_runs(run_dir)
    except RunDirError:
        return {}
    return {r.key: r for r in [baseline, *runs]}


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


# terminal -------------------------------------------------------------------------------------------
def _f(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_summary(trait: str, summary: dict[str, Any], threshold: float, out: TextIO, direction: int = 1) -> None:
    """The baseline, one row per run (best marked), and the best run in words."""
    base = summary["baseline"]
    best = summary["best"]
    source = summary.get("coherence_source", "judge")
    out.write(f"\n== {trait} (coherence from the {source}): baseline trait {_f(base['trait_mean'], '.1f')} "
              f"(std {_f(base['trait_std'], '.1f')}), coherence {_f(base['coherence_mean'], '.1f')}, "
              f"3-gram repeats {_f(base['repeated_3gram_rate'], '.3f')}, "
              f"zlib ratio {_f(base['compression_ratio'], '.3f')}, n={base['n']}\n")
    rows = [["LAYER", "RATIO", "COEF", "TRAIT", "STD", "DELTA", "COHERENCE", "3GRAM", "ZLIB", "N", "UNSCORED", ""]]
    for s in summary["runs"]:
        mark = "best" if best is not None and (s["layer"], s["ratio"]) == (best["layer"], best["ratio"]) else (
            "" if coherent(s, threshold) else f"coherence < {threshold:g}")
        rows.append([str(s["layer"]), f"{s['ratio']:+.3f}", f"{s['coefficient']:+.1f}", _f(s["trait_mean"], ".1f"),
                     _f(s["trait_std"], ".1f"), _f(s["delta"], "+.1f"), _f(s["coherence_mean"], ".1f"),
                     _f(s["repeated_3gram_rate"], ".3f"), _f(s["compression_ratio"], ".3f"), str(s["n"]),
                     str(s["unscored"]), mark])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        out.write("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
    if best is None:
        out.write(f"  best: none: no run kept mean coherence >= {threshold:g}\n")
    else:
        out.write(f"  best: layer {best['layer']}, ratio {best['ratio']:+.3f} "
                  f"(coefficient {best['coefficient']:+.1f}): trait {best['trait_mean']:.1f}, "
                  f"delta {best['delta']:+.1f}, coherence {best['coherence_mean']:.1f}\n")
        if best["delta"] * direction <= 0:
            out.write("  warning: no coherent run moved the trait score in the trait's direction; the vector shows "
                      "no steering effect at these settings\n")


# plot -------------------------------------------------------------------------------------------------
def plot(path: Path, trait: str, summary: dict[str, Any], threshold: float) -> Path:
    """Trait score and coherence against ratio, one line per layer; baseline and threshold marked."""
    import io

    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    base = summary["baseline"]
    fig, (ax_trait, ax_coh) = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    layers = sorted({s["layer"] for s in summary["runs"]})
    for layer in layers:
        rows = sorted((s for s in summary["runs"] if s["layer"] == layer), key=lambda s: s["ratio"])
        ratios = [s["ratio"] for s in rows]
        ax_trait.plot(ratios, [_nan(s["trait_mean"]) for s in rows], marker="o", label=f"layer {layer}")
        ax_coh.plot(ratios, [_nan(s["coherence_mean"]) for s in rows], marker="o", label=f"layer {layer}")
    if base["trait_mean"] is not None:
        ax_trait.axhline(base["trait_mean"], color="grey", linestyle="--", label="baseline")
    if base["coherence_mean"] is not None:
        ax_coh.axhline(base["coherence_mean"], color="grey", linestyle="--", label="baseline")
    ax_coh.axhline(threshold, color="red", linestyle=":", label=f"threshold {threshold:g}")
    best = summary["best"]
    if best is not None:
        ax_trait.scatter([best["ratio"]], [best["trait_mean"]], s=160, facecolors="none", edgecolors="black",
                         label="best", zorder=3)
    source = summary.get("coherence_source", "judge")
    coherence_label = ("coherence (judge, 0-100)" if source == "judge"
                       else "coherence (proxy: 100 x (1 - 3-gram repeats))")
    for ax, label in ((ax_trait, "trait score (judge, 0-100)"), (ax_coh, coherence_label)):
        ax.set_xlabel("perturbation ratio (x mean residual norm)")
        ax.set_ylabel(label)
        ax.set_ylim(-2, 102)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"traitlint steer: {trait}")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    atomic_write_bytes(Path(path), buffer.getvalue())
    return Path(path)


def _nan(value: float | None) -> float:
    return float("nan") if value is None else float(value)


__all__ = ["PLOT", "RESPONSES", "RESULTS", "RunDirError", "plot", "print_summary", "read_header", "read_runs",
           "resumable_runs", "write_run_dir"]
