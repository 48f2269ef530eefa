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
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from tests.support.rpc_proxy import RpcProxy, running

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


class FlakyRpc(RpcProxy):
    def __init__(self, upstream: str, faults: Faults) -> None:
        super().__init__(upstream)
        self.faults = faults
        self.injected: Counter[str] = Counter()
        self._requests = 0
        self._occurrences: Counter[str] = Counter()
        self._streaks: Counter[str] = Counter()
        self._lock = threading.Lock()

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
        response = self.forward(body)
        return response.status_code, response.content


def flaky_rpc(upstream: str, faults: Faults) -> AbstractContextManager[FlakyRpc]:
    return running(FlakyRpc(upstream, faults))


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
