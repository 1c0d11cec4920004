"""A loopback OpenAI-compatible HTTP server for tests and benchmarks (stdlib only).

Why a real server and not a mocked client: the retry, timeout and malformed-body handling must be
exercised through the real `openai` SDK and its HTTP stack, which is where such failures surface
in production (vLLM behind a proxy, a rate-limited OpenAI account).

Responses are deterministic functions of the prompt:
- chat with logprobs: a prompt containing ``SCORE=NN`` puts most mass on "NN" (see
  `distribution_for`); any other prompt gets a score hashed from the prompt; ``LOWMASS`` makes
  the integers hold ~10% of the mass; ``NOLOGPROBS`` omits logprobs.
- completions / chat without logprobs: text from `completion_text` / `chat_text`.

Faults are scripted with `add_fault(Fault(...), match=substring, times=N)` (per-prompt rules) or
`queue_faults(...)` (the next requests, whatever their prompt). Kinds: "status" (any HTTP status,
optional Retry-After), "sleep" (delay, then answer normally), "invalid_json", "no_choices",
"no_logprobs", "low_mass", "echo_auth" (a 400 whose body repeats the Authorization header).

Use as a context manager (``with OpenAIServer() as srv: srv.base_url``) or run
``python -m tests.model.openai_server --port-file F [--latency S]`` for a separate process.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import re
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

_SCORE = re.compile(r"SCORE=(\d{1,3})")


@dataclass(frozen=True)
class Fault:
    kind: str
    status: int = 500
    retry_after: str | None = None
    seconds: float = 0.0


@dataclass
class _Rule:
    fault: Fault
    match: str | None
    times: int | None  # None: forever


def hashed_score(prompt: str) -> int:
    return int(hashlib.sha256(prompt.encode()).hexdigest(), 16) % 101


def distribution_for(prompt: str) -> list[tuple[str, float]]:
    """(token, probability) of the first answer token, a pure function of the prompt.

    SCORE=NN (or the hashed score): 0.6 on "NN", 0.2 on its successor, 0.1 on its predecessor
    (clamped to 0..100), 0.1 on "The" — so the judge's weighted mean is not simply NN.
    """
    low = "LOWMASS" in prompt
    m = _SCORE.search(prompt)
    s = int(m.group(1)) if m else hashed_score(prompt)
    s = max(0, min(100, s))
    up, down = min(100, s + 1), max(0, s - 1)
    if low:
        return [("The", 0.5), ("I", 0.3), ("Sorry", 0.1), (str(s), 0.06), (str(up), 0.04)]
    dist: dict[str, float] = {}
    for token, p in ((str(s), 0.6), (str(up), 0.2), (str(down), 0.1), ("The", 0.1)):
        dist[token] = dist.get(token, 0.0) + p
    return list(dist.items())


def completion_text(prompt: str, max_tokens: int) -> str:
    return f" continuation-{hashlib.sha256(prompt.encode()).hexdigest()[:8]}-{max_tokens}"


def chat_text(prompt: str, max_tokens: int) -> str:
    return f"answer-{hashlib.sha256(prompt.encode()).hexdigest()[:8]}-{max_tokens}"


class OpenAIServer:
    """The server plus its scripted faults and request counters (all guarded by one lock)."""

    def __init__(self, *, latency: float = 0.0, host: str = "127.0.0.1", port: int = 0) -> None:
        self.latency = latency
        self._lock = threading.Lock()
        self._rules: list[_Rule] = []
        self._queue: list[Fault] = []
        self.requests_total = 0
        self.per_prompt: Counter[str] = Counter()
        self.times: dict[str, list[float]] = {}
        self.responses_sent = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.auth_headers: list[str] = []
        self._httpd = ThreadingHTTPServer((host, port), _make_handler(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- life cycle
    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> OpenAIServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name="openai-test-server")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- scripting
    def add_fault(self, fault: Fault, *, match: str | None = None, times: int | None = 1) -> None:
        """Apply `fault` to requests whose prompt contains `match` (every request when None),
        `times` times (forever when None). Rules are checked in the order added."""
        with self._lock:
            self._rules.append(_Rule(fault, match, times))

    def queue_faults(self, *faults: Fault) -> None:
        """The next len(faults) requests get these faults in order, whatever their prompt."""
        with self._lock:
            self._queue.extend(faults)

    def reset_counts(self) -> None:
        with self._lock:
            self.requests_total = 0
            self.responses_sent = 0
            self.per_prompt.clear()
            self.times.clear()
            self.max_in_flight = 0

    def _take_fault(self, prompt: str) -> Fault | None:
        with self._lock:
            if self._queue:
                return self._queue.pop(0)
            for rule in self._rules:
                if rule.times != 0 and (rule.match is None or rule.match in prompt):
                    if rule.times is not None:
                        rule.times -= 1
                    return rule.fault
        return None

    def _enter(self, prompt: str, auth: str) -> None:
        with self._lock:
            self.requests_total += 1
            self.per_prompt[prompt] += 1
            self.times.setdefault(prompt, []).append(time.monotonic())
            self.auth_headers.append(auth)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self, answered: bool) -> None:
        with self._lock:
            self.in_flight -= 1
            self.responses_sent += int(answered)


def _make_handler(server: OpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

        def log_message(self, format: str, *args: Any) -> None:  # quiet test output
            pass

        def do_POST(self) -> None:  # http.server API
            length = int(self.headers.get("content-length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self._send(400, {"error": {"message": "bad request body"}})
                return
            if self.path.rstrip("/") == "/v1/chat/completions":
                messages = body.get("messages") or [{}]
                prompt, kind = str(messages[-1].get("content", "")), "chat"
            elif self.path.rstrip("/") == "/v1/completions":
                prompt, kind = str(body.get("prompt", "")), "completion"
            else:
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            server._enter(prompt, self.headers.get("authorization", ""))
            answered = False
            try:
                self._answer(kind, prompt, body)
                self.wfile.flush()
                answered = True
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and went away
            finally:
                server._leave(answered)

        def _answer(self, kind: str, prompt: str, body: dict[str, Any]) -> None:
            if server.latency:
                time.sleep(server.latency)
            fault = server._take_fault(prompt)
            if fault is not None:
                if fault.kind == "status":
                    headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                    self._send(fault.status, {"error": {"message": f"injected {fault.status}"}}, headers)
                    return
                if fault.kind == "sleep":
                    time.sleep(fault.seconds)
                elif fault.kind == "invalid_json":
                    self._send_raw(200, b'{"id": "x", "choices": [ this is not json', "application/json")
                    return
                elif fault.kind == "no_choices":
                    self._send(200, {"id": "x", "object": "chat.completion", "model": body.get("model")})
                    return
                elif fault.kind == "echo_auth":
                    auth = self.headers.get("authorization", "")
                    self._send(400, {"error": {"message": f"Invalid header {auth}; key {auth[7:]}"}})
                    return
            max_tokens = int(body.get("max_tokens") or body.get("max_completion_tokens") or 16)
            usage = {"prompt_tokens": len(prompt.split()) + 8, "completion_tokens": 1 if kind == "chat" else max_tokens}
            usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
            if kind == "completion":
                choice: dict[str, Any] = {"index": 0, "text": completion_text(prompt, max_tokens),
                                          "finish_reason": "length", "logprobs": None}
                self._send(200, {"id": "cmpl-test", "object": "text_completion", "created": int(time.time()),
                                 "model": body.get("model"), "choices": [choice], "usage": usage})
                return
            want_logprobs = bool(body.get("logprobs")) and "NOLOGPROBS" not in prompt \
                and not (fault is not None and fault.kind == "no_logprobs")
            if fault is not None and fault.kind == "low_mass":
                prompt = prompt + " LOWMASS"
            if want_logprobs:
                dist = distribution_for(prompt)
                top = [{"token": t, "logprob": math.log(p), "bytes": list(t.encode())} for t, p in dist]
                top = top[: int(body.get("top_logprobs") or 0) or len(top)]
                first = top[0]
                text = first["token"]
                logprobs: dict[str, Any] | None = {"content": [dict(first, top_logprobs=top)], "refusal": None}
            else:
                text, logprobs = chat_text(prompt, max_tokens), None
            choice = {"index": 0, "message": {"role": "assistant", "content": text, "refusal": None},
                      "logprobs": logprobs, "finish_reason": "length"}
            self._send(200, {"id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()),
                             "model": body.get("model"), "choices": [choice], "usage": usage})

        def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            self._send_raw(status, json.dumps(payload).encode(), "application/json", headers)

        def _send_raw(self, status: int, data: bytes, ctype: str, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port-file", type=Path, required=True, help="write the port here once listening")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every request")
    args = parser.parse_args(argv)
    server = OpenAIServer(latency=args.latency)
    tmp = args.port_file.with_name(args.port_file.name + ".tmp")
    tmp.write_text(str(server.port))
    os.replace(tmp, args.port_file)
    print(f"listening on {server.base_url}", file=sys.stderr, flush=True)
    try:
        server._httpd.serve_forever(poll_interval=0.05)
    except KeyboardInterrupt:
        pass
    finally:
        server._httpd.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
