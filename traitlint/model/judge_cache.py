"""On-disk cache of model calls (judge scores, remote generations): one small JSON file per call.

Why one file per entry, written the moment its call returns: judge runs are long and paid for; a
run killed midway (Ctrl-C, OOM, a dropped SSH session) must keep every finished answer, and an
append-only or whole-file cache would either tear or lose the tail. Each file is written with
`atomic_write_text`, so a reader sees a whole entry or none, and concurrent workers never share a
file.

Layout: ``<cache_dir>/<namespace>/<key[:2]>/<key>.json`` where key = sha256 of the call kind, the
model id, the full prompt and the call's parameters. Entries are human-readable JSON: kind, model
id, prompt sha256 and a short preview, parameters, the result fields, token usage and a UTC
timestamp. Never the API key, never request headers, never the base URL.

Policy (enforced by the callers): a response that came back is cached (a score, a None score from
low integer mass, "server returned no logprobs"); a call that failed after its retries is not,
so the next run retries it. A corrupt or mismatching entry reads as missing.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from traitlint.atomic import atomic_write_text

CACHE_FORMAT = 1
_PREVIEW_CHARS = 80


def prompt_sha256(prompt: str) -> str:
    return hashlib.sha256(prompt.encode("utf-8", "surrogatepass")).hexdigest()


def call_key(kind: str, model_id: str, prompt: str, params: Mapping[str, Any] | None = None) -> str:
    """sha256 over everything the answer depends on; JSON-encoded so no two tuples collide."""
    payload = json.dumps({"format": CACHE_FORMAT, "kind": kind, "model": model_id,
                          "prompt": prompt, "params": dict(params or {})},
                         sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class CacheEntry:
    """A stored answer: `result` holds the call's own fields (score/mass/error, or text/error)."""

    result: dict[str, Any]
    prompt_tokens: int = 0
    completion_tokens: int = 0


class CallCache:
    """Cache of one kind of call for one model. `cache_dir=None` disables it (every get misses)."""

    def __init__(self, cache_dir: Path | None, *, kind: str, model_id: str,
                 params: Mapping[str, Any] | None = None, namespace: str = "judge") -> None:
        self.kind = kind
        self.model_id = model_id
        self.params = dict(params or {})
        self.dir = Path(cache_dir) / namespace if cache_dir is not None else None

    def __repr__(self) -> str:
        return f"CallCache(kind={self.kind!r}, model_id={self.model_id!r}, dir={str(self.dir)!r})"

    def key(self, prompt: str) -> str:
        return call_key(self.kind, self.model_id, prompt, self.params)

    def path(self, prompt: str) -> Path | None:
        if self.dir is None:
            return None
        key = self.key(prompt)
        return self.dir / key[:2] / f"{key}.json"

    def get(self, prompt: str) -> CacheEntry | None:
        """The stored entry for `prompt`, or None when absent, unreadable, corrupt or not ours."""
        path = self.path(prompt)
        if path is None:
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not (isinstance(data, dict) and data.get("format") == CACHE_FORMAT
                and data.get("kind") == self.kind and data.get("model") == self.model_id
                and data.get("prompt_sha256") == prompt_sha256(prompt)
                and isinstance(data.get("result"), dict)):
            return None
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        return CacheEntry(data["result"], _int(usage.get("prompt_tokens")), _int(usage.get("completion_tokens")))

    def put(self, prompt: str, result: Mapping[str, Any], *, prompt_tokens: int = 0,
            completion_tokens: int = 0) -> None:
        """Write the entry for `prompt` atomically (a no-op when the cache is disabled)."""
        path = self.path(prompt)
        if path is None:
            return
        entry = {
            "format": CACHE_FORMAT,
            "kind": self.kind,
            "model": self.model_id,
            "params": self.params,
            "prompt_sha256": prompt_sha256(prompt),
            "prompt_preview": prompt[:_PREVIEW_CHARS],
            "result": dict(result),
            "usage": {"prompt_tokens": int(prompt_tokens), "completion_tokens": int(completion_tokens)},
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        atomic_write_text(path, json.dumps(entry, indent=1, ensure_ascii=False, allow_nan=False) + "\n")

    def split_texts(self, prompts: Sequence[str]) -> tuple[dict[str, str], list[str]]:
        """For generation caches: (prompt -> cached text, the distinct prompts still to generate)."""
        done: dict[str, str] = {}
        for prompt in dict.fromkeys(prompts):
            entry = self.get(prompt)
            if entry is not None and isinstance(entry.result.get("text"), str):
                done[prompt] = entry.result["text"]
        return done, [p for p in dict.fromkeys(prompts) if p not in done]

    def entries(self) -> list[Path]:
        """Every entry file of this cache's namespace (all kinds and models), for inspection."""
        if self.dir is None or not self.dir.is_dir():
            return []
        return sorted(self.dir.glob("*/*.json"))


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
