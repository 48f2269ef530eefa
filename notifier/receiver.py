"""`python -m notifier.receiver`: the demo's webhook receiver, a real HTTP server that checks each
event's signature, drops duplicates by id, and logs one line per event.

It is also the example of a receiver (README, "Receiving webhooks"): check the signature over the
raw body with a constant-time comparison before trusting anything in it, answer 2xx quickly, and
treat the event `id` as the key for de-duplication, since delivery is at least once.

    POINTS_WEBHOOK_SECRET=... python -m notifier.receiver [--host H] [--port P]
"""

import argparse
import json
import logging
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from points.webhooks import SIGNATURE_HEADER, verify_signature

log = logging.getLogger("receiver")
MAX_BODY_BYTES = 1 << 20


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], secret: str) -> None:
        super().__init__(address, _Handler)
        self.secret = secret
        self.seen: set[str] = set()
        self.lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A sender that hangs up mid-request (a notifier stopped or restarted) is no error of the
        receiver's: socketserver would print its traceback into the log."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class EventHandler(BaseHTTPRequestHandler):
    """What a webhook receiver's handler shares: keep-alive connections, empty answers, and no
    access log (events are logged instead)."""

    protocol_version = "HTTP/1.1"

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Requests are logged as events, not as access lines."""


class _Handler(EventHandler):
    server: Receiver

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._answer(413)
            return
        body = self.rfile.read(length)
        if not verify_signature(self.server.secret, body, self.headers.get(SIGNATURE_HEADER)):
            log.warning("refused: bad signature from %s", self.client_address[0])
            self._answer(401)
            return
        event = json.loads(body)
        with self.server.lock:
            duplicate = event["id"] in self.server.seen
            self.server.seen.add(event["id"])
        data = event.get("data") or {}
        log.info("%s %s %s program=%s account=%s amount=%s%s", event["created_at"], event["type"], event["id"],
                 event.get("program"), data.get("account"), data.get("amount"), " (duplicate, dropped)" * duplicate)
        self._answer(204)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m notifier.receiver", description="A demo webhook receiver.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--secret-env", default="POINTS_WEBHOOK_SECRET",
                        help="environment variable holding the subscription's secret")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    secret = os.environ.get(arguments.secret_env)
    if not secret:
        print(f"error: the environment variable {arguments.secret_env} is not set", file=sys.stderr)
        return 2
    server = Receiver((arguments.host, arguments.port), secret)
    log.info("listening on http://%s:%d/", arguments.host, arguments.port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
