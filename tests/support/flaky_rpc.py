"""A flaky JSON-RPC node for tests: a real HTTP server in front of Anvil that fails the way hosted
providers do.

It drops connections, delays answers and refuses requests (HTTP 429, HTTP 503, JSON-RPC rate
limits) at random, and refuses `eth_getLogs` over a wide range as too many results. Every
decision is drawn from the seed and the request itself (its calls, and how many times the same
calls came before), not from the order of arrival: the indexer and its reader process both call the node, and a
seed must replay the same faults however they interleave.
"""

import json
import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

# Transient faults, each as likely as the others.
FAULTS = ("dropped", "http 429", "http 503", "rate limited")
RATE_LIMITED = {"code": -32005, "message": "daily request count exceeded, request rate limited"}
TOO_MANY_RESULTS = {"code": -32005, "message": "query returned more than 10000 results"}


@dataclass(frozen=True)
class Faults:
    seed: int
    # Share of requests that fail with one of FAULTS.
    rate: float = 0.3
    # Share of requests answered late, by up to `max_delay` seconds.
    delay_rate: float = 0.2
    max_delay: float = 0.3
    # A flaky node rather than a dead one: the same calls fail at most this many times in a row,
    # fewer than the indexer's attempts, so a run that gives up has a bug rather than bad luck.
    max_streak: int = 3
    # `eth_getLogs` over more blocks is refused, as providers refuse more than so many results.
    max_log_blocks: int = 100
    # After this many requests the node stops answering for good (None: never).
    answers: int | None = None


class FlakyRpc:
    def __init__(self, upstream: str, faults: Faults) -> None:
        self.upstream = upstream
        self.faults = faults
        self.injected: Counter[str] = Counter()
        self._requests = 0
        self._occurrences: Counter[str] = Counter()
        self._streaks: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._client = httpx.Client(timeout=30.0)
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.proxy = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()

    def answer(self, body: bytes) -> tuple[int, bytes] | None:
        """The status and body to send back for a request, or None to drop the connection."""
        payload = json.loads(body)
        calls = payload if isinstance(payload, list) else [payload]
        key = json.dumps([[call["method"], call["params"]] for call in calls], sort_keys=True)
        with self._lock:
            self._requests += 1
            draw = random.Random(f"{self.faults.seed}:{key}:{self._occurrences[key]}")
            self._occurrences[key] += 1
            fault = None
            if self.faults.answers is not None and self._requests > self.faults.answers:
                fault = "dropped"
            elif self._streaks[key] < self.faults.max_streak and draw.random() < self.faults.rate:
                fault = draw.choice(FAULTS)
            elif _log_blocks(calls) > self.faults.max_log_blocks:
                fault = "too many results"
            self._streaks[key] = self._streaks[key] + 1 if fault in FAULTS else 0
            delay = draw.uniform(0, self.faults.max_delay) if draw.random() < self.faults.delay_rate else 0.0
            self.injected[fault or "answered"] += 1
            if delay:
                self.injected["delayed"] += 1
        time.sleep(delay)
        match fault:
            case "dropped":
                return None
            case "http 429":
                return 429, b"Too Many Requests"
            case "http 503":
                return 503, b"Service Unavailable"
            case "rate limited":
                return 200, _errors(payload, RATE_LIMITED)
            case "too many results":
                return 200, _errors(payload, TOO_MANY_RESULTS)
        response = self._client.post(self.upstream, content=body, headers={"content-type": "application/json"})
        return response.status_code, response.content


@contextmanager
def flaky_rpc(upstream: str, faults: Faults) -> Iterator[FlakyRpc]:
    proxy = FlakyRpc(upstream, faults)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: FlakyRpc


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive, as real nodes serve it: a dropped connection then surprises a pooled client.
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        answer = self.server.proxy.answer(self.rfile.read(int(self.headers["content-length"])))
        if answer is None:
            self.close_connection = True
            return
        status, body = answer
        self.send_response(status)
        self.send_header("content-type", "application/json" if status == 200 else "text/plain")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reports what was injected."""


def _log_blocks(calls: list[dict[str, Any]]) -> int:
    """How many blocks an `eth_getLogs` request spans (0 for any other request)."""
    if len(calls) != 1 or calls[0]["method"] != "eth_getLogs":
        return 0
    query = calls[0]["params"][0]
    return int(query["toBlock"], 16) - int(query["fromBlock"], 16) + 1


def _errors(payload: Any, error: dict[str, Any]) -> bytes:
    """`error` as the answer to every call of the request (a batch gets one per call)."""
    if isinstance(payload, list):
        return json.dumps([{"jsonrpc": "2.0", "id": call["id"], "error": error} for call in payload]).encode()
    return json.dumps({"jsonrpc": "2.0", "id": payload["id"], "error": error}).encode()
