"""A node that is behind, for tests: a real HTTP server in front of Anvil that, while told to,
answers as of an older head, as a node does that a load balancer or a fail-over put behind the one
the indexer read before.

While lagging, `eth_blockNumber` is the old head, `"latest"` is that block, and blocks above it do
not exist: `eth_getBlockByNumber` answers null, and `eth_call` and `eth_getLogs` refuse them with
Anvil's own words. Every other call, and every call while not lagging, goes to Anvil unchanged.

It can also answer one look at a block with another hash, as an endpoint behind a load balancer
does when one request reaches a node on another branch.
"""

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

BLOCK_TAGS = ("latest", "pending", "safe", "finalized")
FOREIGN_HASH = "0x" + "f0" * 32


class LaggingRpc:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        # The head served while lagging; None: Anvil's own.
        self.head: int | None = None
        # The block whose next header is answered with FOREIGN_HASH, and how many were.
        self._disguised: int | None = None
        self.disguised = 0
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

    def lag_at(self, head: int | None) -> None:
        """Serves the chain as of `head` from now on; None catches up with Anvil again."""
        self.head = head

    def disguise_once(self, number: int) -> None:
        """Answers the next look at block `number` with FOREIGN_HASH."""
        self._disguised = number

    def answer(self, body: bytes) -> bytes:
        payload = json.loads(body)
        calls = payload if isinstance(payload, list) else [payload]
        head = self.head
        answers = {}
        forwarded = []
        for call in calls:
            local = None if head is None else _as_of(call, head)
            if local is None:
                forwarded.append(call)
            else:
                answers[call["id"]] = local
        if forwarded:
            response = self._client.post(self.upstream, content=json.dumps(forwarded),
                                         headers={"content-type": "application/json"})
            answers |= {item["id"]: item for item in response.json()}
        ordered = [self._disguise(call, answers[call["id"]]) for call in calls]
        return json.dumps(ordered if isinstance(payload, list) else ordered[0]).encode()


    def _disguise(self, call: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        block = answer.get("result")
        if (call["method"] == "eth_getBlockByNumber" and isinstance(block, dict)
                and int(block["number"], 16) == self._disguised):
            self._disguised = None
            self.disguised += 1
            return answer | {"result": block | {"hash": FOREIGN_HASH}}
        return answer


@contextmanager
def lagging_rpc(upstream: str) -> Iterator[LaggingRpc]:
    proxy = LaggingRpc(upstream)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


def _as_of(call: dict[str, Any], head: int) -> dict[str, Any] | None:
    """The answer of a node whose head is `head`, for the calls that depend on it; None for the
    others, which Anvil answers. A call for a tagged block is rewritten to `head` in place."""
    method, params = call["method"], call["params"]
    if method == "eth_blockNumber":
        return _result(call, hex(head))
    if method in ("eth_getBlockByNumber", "eth_call"):
        position = 0 if method == "eth_getBlockByNumber" else 1
        number = _block(params[position], head)
        if number > head:
            return _result(call, None) if method == "eth_getBlockByNumber" else _too_high(call, head, number)
        params[position] = hex(number)
    if method == "eth_getLogs":
        number = _block(params[0].get("toBlock", "latest"), head)
        if number > head:
            return _too_high(call, head, number)
    return None


def _block(tag: str, head: int) -> int:
    return head if tag in BLOCK_TAGS else int(tag, 16)


def _result(call: dict[str, Any], result: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": call["id"], "result": result}


def _too_high(call: dict[str, Any], head: int, number: int) -> dict[str, Any]:
    message = f"block height is {head} but requested was {number}"
    return {"jsonrpc": "2.0", "id": call["id"], "error": {"code": -32000, "message": message}}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: LaggingRpc


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_POST(self) -> None:
        body = self.server.proxy.answer(self.rfile.read(int(self.headers["content-length"])))
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test checks what the indexer made of it."""
