"""What the tests' misbehaving nodes share: a real HTTP server on a free loopback port that hands
each JSON-RPC request to `answer` and sends back what it returns, forwarding to Anvil as told."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import httpx


class RpcProxy:
    """Subclasses decide each answer: `(status, body)`, or None to drop the connection."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
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
        raise NotImplementedError

    def forward(self, body: bytes) -> httpx.Response:
        return self._client.post(self.upstream, content=body, headers={"content-type": "application/json"})


Proxy = TypeVar("Proxy", bound=RpcProxy)


@contextmanager
def running(proxy: Proxy) -> Iterator[Proxy]:
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: RpcProxy


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
        """Quiet: each test checks what the indexer made of the node."""
