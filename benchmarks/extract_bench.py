"""`traitlint extract` against bare batched forward passes of the same model over the same texts.

Measures, in one run on one machine, alternating the two so that a noisy host slows both alike:
- bare: the dataset's texts (both sides of every pair), batched the way extraction batches
  them (by length, ``--batch-size``), each batch one plain ``model(**inputs, use_cache=False)``
  under ``inference_mode`` and nothing else: the least any extractor must spend on the model;
- extract: the whole command minus the model load, through the CLI's own ``extract_paths``: the
  static-audit gate, capture of every layer (mean over the prefill, the optimism card's
  position), the three methods at every layer, baselines, confound projections, and the files,
  into a fresh output folder each time (so nothing is skipped as up to date).

The model is loaded once, before timing (both sides would pay the same ~25 s). The target is
extract <= 1.15x bare. Extraction's capture stops after the deepest requested block and never
runs the LM head, which pays for the evaluation and the gate.

Usage: python benchmarks/extract_bench.py [--dataset datasets/traits/mental_state/optimism]
       [--model embedded] [--rounds 3] [--batch-size 16] [--layers all]
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from traitlint.dataset import load as load_dataset  # noqa: E402
from traitlint.extract_command import extract_paths  # noqa: E402
from traitlint.model.loading import ModelSpec, length_batches, load_model  # noqa: E402


def bare(loaded, texts: list[str], batch_size: int) -> float:
    import torch

    started = time.perf_counter()
    ids = loaded.encode(texts)
    for group in length_batches([len(row) for row in ids], batch_size):
        batch = loaded.batch([ids[i] for i in group])
        with torch.inference_mode():
            loaded.model(**batch.model_inputs(), use_cache=False)
    return time.perf_counter() - started


def extract(loaded, dataset: Path, batch_size: int, layers: str, cache_dir: Path) -> float:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        report = extract_paths([dataset], out=out, model=loaded, batch_size=batch_size, layers=layers,
                               progress=False, cache_dir=cache_dir, stdout=io.StringIO())
        elapsed = time.perf_counter() - started
    if report.exit_code != 0 or [d.status for d in report.done] != ["extracted"]:
        raise SystemExit(f"extraction did not run: refused={len(report.refused)} errors={report.errors}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default=str(ROOT / "datasets" / "traits" / "mental_state" / "optimism"))
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--layers", default="all")
    args = parser.parse_args(argv)

    loaded = load_model(ModelSpec(name=args.model))
    ds = load_dataset(args.dataset)
    texts = [p.full_text for p in ds.positive] + [p.full_text for p in ds.negative]
    n_tokens = sum(len(row) for row in loaded.encode(texts))
    with tempfile.TemporaryDirectory() as cache:
        cache_dir = Path(cache)
        # Warm-up, not timed: first-call allocations, the spaCy parse into the feature cache (a
        # re-run of `traitlint extract` finds it there, as a re-run of `traitlint check` does).
        bare(loaded, texts[:args.batch_size], args.batch_size)
        extract_paths([args.dataset], out=str(cache_dir / "warm"), model=loaded, layers="0", methods="mean_diff",
                      progress=False, cache_dir=cache_dir, stdout=io.StringIO())
        times: dict[str, list[float]] = {"bare": [], "extract": []}
        for round_no in range(args.rounds):
            order = ("bare", "extract") if round_no % 2 == 0 else ("extract", "bare")
            for name in order:
                t = (bare(loaded, texts, args.batch_size) if name == "bare"
                     else extract(loaded, Path(args.dataset), args.batch_size, args.layers, cache_dir))
                times[name].append(t)
                print(f"round {round_no + 1} {name:7s} {t:7.2f} s", flush=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    low = {k: min(v) for k, v in times.items()}
    print(f"\nmodel {loaded.name} ({loaded.n_layers} layers, {loaded.device}, {loaded.dtype}); "
          f"{len(texts)} texts, {n_tokens} tokens, batch size {args.batch_size}, layers {args.layers}")
    print(f"bare forward passes: median {med['bare']:.2f} s, min {low['bare']:.2f} s")
    print(f"traitlint extract:   median {med['extract']:.2f} s, min {low['extract']:.2f} s")
    ratio_med, ratio_min = med["extract"] / med["bare"], low["extract"] / low["bare"]
    print(f"ratio extract / bare: {ratio_med:.3f} (medians), {ratio_min:.3f} (minima); target <= 1.15 "
          f"{'met' if ratio_med <= 1.15 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
