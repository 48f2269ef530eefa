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
from contextlib import AbstractContextManager
from typing import Any

from tests.support.rpc_proxy import RpcProxy, running

BLOCK_TAGS = ("latest", "pending", "safe", "finalized")
FOREIGN_HASH = "0x" + "f0" * 32


class LaggingRpc(RpcProxy):
    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        # The head served while lagging; None: Anvil's own.
        self.head: int | None = None
        # The block whose next header is answered with FOREIGN_HASH, and how many were.
        self._disguised: int | None = None
        self.disguised = 0

    def lag_at(self, head: int | None) -> None:
        """Serves the chain as of `head` from now on; None catches up with Anvil again."""
        self.head = head

    def disguise_once(self, number: int) -> None:
        """Answers the next look at block `number` with FOREIGN_HASH."""
        self._disguised = number

    def answer(self, body: bytes) -> tuple[int, bytes]:
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
            response = self.forward(json.dumps(forwarded).encode())
            answers |= {item["id"]: item for item in response.json()}
        ordered = [self._disguise(call, answers[call["id"]]) for call in calls]
        return 200, json.dumps(ordered if isinstance(payload, list) else ordered[0]).encode()


    def _disguise(self, call: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        block = answer.get("result")
        if (call["method"] == "eth_getBlockByNumber" and isinstance(block, dict)
                and int(block["number"], 16) == self._disguised):
            self._disguised = None
            self.disguised += 1
            return answer | {"result": block | {"hash": FOREIGN_HASH}}
        return answer


def lagging_rpc(upstream: str) -> AbstractContextManager[LaggingRpc]:
    return running(LaggingRpc(upstream))


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
