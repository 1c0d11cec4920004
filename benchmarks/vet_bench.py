"""Judge throughput against the loopback OpenAI-compatible server, and the cache's payoff.

Measures, in one run on one machine (so the ratios compare even on a noisy host):
- judge calls per second at concurrency 1 and at concurrency 16, with a fixed server latency
  standing in for a remote API's round trip (the ratio should approach min(16, n) when the
  client, not the server, is the bottleneck);
- the wall time of a fully cached re-run against the first (uncached) run.

Usage: python benchmarks/vet_bench.py [--prompts 200] [--latency 0.02] [--concurrency 16]
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.model.openai_server import OpenAIServer  # noqa: E402
from traitlint.model.judges import OpenAIJudge  # noqa: E402
from traitlint.model.remote import RetryPolicy  # noqa: E402


def timed_run(server: OpenAIServer, prompts: list[str], concurrency: int, cache_dir: Path | None) -> tuple[float, int]:
    judge = OpenAIJudge(base_url=server.base_url, cache_dir=cache_dir, concurrency=concurrency,
                        retry=RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05))
    before = server.requests_total
    started = time.perf_counter()
    results = judge.score_many(prompts)
    elapsed = time.perf_counter() - started
    failed = [r.error for r in results if r.error]
    if failed:
        raise SystemExit(f"benchmark run had {len(failed)} failures, e.g. {failed[0]}")
    return elapsed, server.requests_total - before


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.02, help="server seconds per request")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    os.environ.setdefault("OPENAI_API_KEY", "sk-benchmark-placeholder")
    os.environ.pop("OPENAI_BASE_URL", None)

    with OpenAIServer(latency=args.latency) as server, tempfile.TemporaryDirectory() as tmp:
        # Warm-up: SDK import, connection set-up; not timed.
        timed_run(server, [f"warm-up {i}" for i in range(4)], 2, None)

        serial_prompts = [f"serial prompt {i}: rate this text" for i in range(args.prompts)]
        parallel_prompts = [f"parallel prompt {i}: rate this text" for i in range(args.prompts)]
        t1, n1 = timed_run(server, serial_prompts, 1, None)
        tc, nc = timed_run(server, parallel_prompts, args.concurrency, Path(tmp))
        t_cached, n_cached = timed_run(server, parallel_prompts, args.concurrency, Path(tmp))

    rate1, rate_c = n1 / t1, nc / tc
    print(f"prompts: {args.prompts}, server latency: {args.latency * 1000:.0f} ms, cpu cores: {os.cpu_count()}")
    print(f"concurrency 1:  {rate1:8.1f} calls/s  ({t1:.2f} s for {n1} requests)")
    print(f"concurrency {args.concurrency}: {rate_c:8.1f} calls/s  ({tc:.2f} s for {nc} requests)")
    print(f"speed-up {args.concurrency} vs 1: {rate_c / rate1:.1f}x")
    print(f"cached re-run: {t_cached:.3f} s, {n_cached} requests; {t_cached / tc:.3f}x the first run "
          f"({tc / t_cached:.0f}x faster)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
