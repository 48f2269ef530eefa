"""A real HTTP webhook receiver for tests, in a thread of the test process: it checks signatures,
records every accepted event, and can be told to fail or to stall, as receivers do."""

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

from notifier.receiver import EventHandler
from points.ports import free_port
from points.webhooks import SIGNATURE_HEADER, verify_signature


@dataclass
class Behaviour:
    """What the receiver does with the next requests: `fail` answers 500, `stall` waits that many
    seconds before answering (longer than the notifier waits), `delay` slows every answer."""

    fail: int = 0
    stall: float = 0.0
    stall_count: int = 0
    delay: float = 0.0


@dataclass
class Received:
    secret: str
    behaviour: Behaviour = field(default_factory=Behaviour)
    # Accepted events in arrival order, duplicates included.
    events: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    failed: int = 0
    stalled: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self) -> set[str]:
        with self.lock:
            return {event["id"] for event in self.events}

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        with self.lock:
            return [event for event in self.events if event["type"] == event_type]

    def wait_for(self, condition: Callable[["Received"], bool], timeout: float = 90.0) -> None:
        """Waits until `condition` holds; fails after `timeout` seconds in which nothing arrived (a
        loaded machine delivers slowly, a broken notifier not at all)."""
        deadline = time.monotonic() + timeout
        seen = self._progress()
        while not condition(self):
            if (progress := self._progress()) != seen:
                seen, deadline = progress, time.monotonic() + timeout
            if time.monotonic() > deadline:
                raise AssertionError(f"the receiver got nothing more for {timeout:.0f} s: "
                                     f"{len(self.events)} events, {self.failed} failed, {self.stalled} stalled")
            time.sleep(0.05)

    def _progress(self) -> tuple[int, int, int, int]:
        with self.lock:
            return len(self.events), self.refused, self.failed, self.stalled


class _Handler(EventHandler):
    received: Received

    def do_POST(self) -> None:
        received = self.received
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if not verify_signature(received.secret, body, self.headers.get(SIGNATURE_HEADER)):
            with received.lock:
                received.refused += 1
            self._answer(401)
            return
        with received.lock:
            behaviour = received.behaviour
            failing = behaviour.fail > 0
            stalling = not failing and behaviour.stall_count > 0
            if failing:
                behaviour.fail -= 1
                received.failed += 1
            elif stalling:
                behaviour.stall_count -= 1
                received.stalled += 1
        if failing:
            self._answer(500)
            return
        if stalling:
            time.sleep(behaviour.stall)
            return
        if behaviour.delay:
            time.sleep(behaviour.delay)
        with received.lock:
            received.events.append(json.loads(body))
        self._answer(204)


@contextmanager
def webhook_receiver(secret: str) -> Iterator[tuple[str, Received]]:
    """Serves a receiver; yields its URL and what it received."""
    received = Received(secret)
    handler = type("Handler", (_Handler,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks", received
    finally:
        server.shutdown()
        server.server_close()
