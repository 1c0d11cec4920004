"""Steered batched generation against the same generation without the hook.

Measures, in one run on one machine, alternating the two so that a noisy host slows both alike:
- plain: greedy chat answers to a trait's steering questions (chat template, batched, KV cache),
  through the one generation path every command uses (`generate.chat_answers`);
- steered: the same call inside the steering context (`steering.steered_answers`), with the hook
  adding ``coef * v`` at one block on every forward, prompt and each cached step.

Both sides must produce the same number of tokens for the ratio to measure the hook and not the
answers' lengths, so the steer is small (ratio 0.01 of the layer's residual norm: the hook runs on
every step, the greedy path stays the same) and the token counts are printed and checked. A second
line reports a real steer (ratio 0.3) with its own token count, for information. The target is
steered <= 1.1x plain.

Usage: python benchmarks/steer_bench.py [--trait datasets/traits/mental_state/optimism]
       [--model embedded] [--rounds 3] [--questions 16] [--max-new-tokens 48] [--layer 12]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from traitlint.model.loading import ModelSpec, load_model  # noqa: E402


def timed(fn) -> tuple[float, list[str]]:
    started = time.perf_counter()
    out = fn()
    return time.perf_counter() - started, out


def tokens(loaded, texts: list[str]) -> int:
    return sum(len(row) for row in loaded.encode(texts, add_special_tokens=False))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trait", default=str(ROOT / "datasets" / "traits" / "mental_state" / "optimism"))
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--questions", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--layer", type=int, default=12)
    args = parser.parse_args()

    from traitlint.model.generate import chat_answers
    from traitlint.model.steering import prompt_norms, steered_answers

    loaded = load_model(ModelSpec(name=args.model))
    questions = json.loads((Path(args.trait) / "steering.json").read_text())["questions"][: args.questions]
    rng = np.random.default_rng(0)
    vector = rng.standard_normal(loaded.hidden_size).astype(np.float32)
    vector /= np.linalg.norm(vector)
    norm = prompt_norms(loaded, questions, [args.layer])[0]
    settings = {"max_new_tokens": args.max_new_tokens, "batch_size": args.batch_size}

    def plain() -> list[str]:
        return chat_answers(loaded, questions, **settings)

    def steered(ratio: float) -> list[str]:
        return steered_answers(loaded, questions, vector, args.layer, ratio * norm, **settings)

    plain()  # warm-up: first-call allocations and thread start-up count on neither side
    plain_s, steered_s = [], []
    for _ in range(args.rounds):
        t, plain_out = timed(plain)
        plain_s.append(t)
        t, steered_out = timed(lambda: steered(0.01))
        steered_s.append(t)
    n_plain, n_steered = tokens(loaded, plain_out), tokens(loaded, steered_out)
    p, s = statistics.median(plain_s), statistics.median(steered_s)
    print(f"model {loaded.name}, {len(questions)} questions, batch {args.batch_size}, "
          f"{args.max_new_tokens} new tokens max, layer {args.layer} (norm {norm:.1f}), {args.rounds} rounds")
    print(f"plain    median {p:6.2f} s  ({n_plain} answer tokens)")
    print(f"steered  median {s:6.2f} s  ({n_steered} answer tokens; ratio 0.01: the hook on every step)")
    print(f"ratio steered / plain: {s / p:.3f}x  (target <= 1.1x)"
          + ("" if n_plain == n_steered else "  WARNING: token counts differ, the ratio includes length"))
    t, strong = timed(lambda: steered(0.3))
    n_strong = tokens(loaded, strong)
    print(f"for information, a real steer (ratio 0.3): {t:.2f} s for {n_strong} tokens = "
          f"{(t / max(n_strong, 1)) / (p / max(n_plain, 1)):.3f}x plain per token")


if __name__ == "__main__":
    main()
