"""The JSON-RPC client, which never skips data: one POST per call or batch, retried through
transient faults.

Timeouts, dropped connections, HTTP 429 and 5xx and JSON-RPC rate limits are retried with
exponential back-off (jittered, so that the indexer and its log reader do not retry in step);
only a node that stays unreachable raises `RpcUnavailable`, with one clear line. An
`eth_getLogs` range the node refuses as too large is split in halves until it passes.

The indexer's log reader imports this module at its start, so it imports nothing heavy.
"""

import logging
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from http.client import InvalidURL
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import orjson

from chain.calldata import words
from chain.http import TRANSPORT_ERRORS, Poster, RetryLater
from points.errors import PointsError

if TYPE_CHECKING:  # pydantic's settings would slow every start of the log reader
    from points.settings import Settings

log = logging.getLogger(__name__)

_RATE_LIMIT_CODES = {-32005, 429}
# Phrases with which nodes (geth, erigon, anvil, hosted providers) refuse a too-large log query.
_TOO_MANY_RESULTS = (
    "too many",
    "query returned more than",
    "range too large",
    "block range",
    "limit exceeded",
    "response size",
    "exceed maximum block range",
    "query timeout",
)

Request = tuple[str, Sequence[Any]]
Block = int | str
"""A block number, or a tag such as "latest"."""


class RpcError(PointsError):
    """The node answered with a JSON-RPC error that retrying does not cure."""

    def __init__(self, method: str, error: dict[str, Any]) -> None:
        self.method = method
        self.code = error.get("code")
        self.message = str(error.get("message", ""))
        super().__init__(f"{method} failed: {self.message} (code {self.code})")

    @property
    def is_range_too_large(self) -> bool:
        text = self.message.lower()
        return any(phrase in text for phrase in _TOO_MANY_RESULTS)


class RpcUnavailable(PointsError):
    pass


@dataclass(frozen=True, slots=True)
class BlockHeader:
    number: int
    hash: str
    parent_hash: str
    timestamp: int


class RpcClient:
    def __init__(
        self,
        url: str,
        *,
        timeout: float = 30.0,
        max_attempts: int = 8,
        first_backoff: float = 0.2,
        max_backoff: float = 10.0,
    ) -> None:
        self.url = url
        self._poster = Poster(url, timeout)
        self.max_attempts = max_attempts
        self._first_backoff = first_backoff
        self.max_backoff = max_backoff
        self._next_id = 0

    @classmethod
    def from_settings(cls, settings: "Settings") -> "RpcClient":
        return cls(settings.rpc_url, max_attempts=settings.rpc_attempts, max_backoff=settings.rpc_max_backoff)

    def close(self) -> None:
        self._poster.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def _post(self, payload: Any) -> Any:
        """Posts with retries; returns the decoded JSON body."""
        delay = self._first_backoff
        for attempt in range(1, self.max_attempts + 1):
            try:
                body = orjson.loads(self._poster.post(orjson.dumps(payload)))
                if not _rate_limited(body):
                    return body
                reason = "rate limited"
            except InvalidURL as error:
                raise RpcUnavailable(f"cannot reach the node: {error}") from None
            except (*TRANSPORT_ERRORS, RetryLater, orjson.JSONDecodeError) as error:
                reason = str(error) or type(error).__name__
            if attempt == self.max_attempts:
                break
            log.warning("rpc retry %d/%d after %s (%s)", attempt, self.max_attempts - 1, f"{delay:.1f}s", reason)
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, self.max_backoff)
        attempts = f"{self.max_attempts} attempt{'s' if self.max_attempts != 1 else ''}"
        raise RpcUnavailable(f"the node at {self.url} did not answer after {attempts} ({reason})")

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """The result of one call of `method`."""
        self._next_id += 1
        body = self._post({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params})
        if "error" in body:
            raise RpcError(method, body["error"])
        return body["result"]

    def batch(self, requests: Sequence[Request]) -> list[Any]:
        """Sends several calls in one request; results come back in the calls' order."""
        results = self.batch_outcomes(requests)
        for outcome in results:
            if isinstance(outcome, RpcError):
                raise outcome
        return results

    def batch_outcomes(self, requests: Sequence[Request]) -> list[Any]:
        """Like `batch`, but a call the node refuses (a reverting `eth_call`, a rejected transaction)
        gives its `RpcError` in its place instead of raising."""
        if not requests:
            return []
        first_id = self._next_id + 1
        self._next_id += len(requests)
        payload = [
            {"jsonrpc": "2.0", "id": first_id + offset, "method": method, "params": params}
            for offset, (method, params) in enumerate(requests)
        ]
        body = self._post(payload)
        if isinstance(body, dict):  # some nodes answer a whole batch with one error object
            raise RpcError("batch", body.get("error", {"message": str(body)}))
        by_id = {item["id"]: item for item in body}
        results = []
        for offset, (method, _) in enumerate(requests):
            item = by_id[first_id + offset]
            results.append(RpcError(method, item["error"]) if "error" in item else item["result"])
        return results

    def chain_id(self) -> int:
        return int(self.call("eth_chainId"), 16)

    def block_number(self) -> int:
        return int(self.call("eth_blockNumber"), 16)

    def head_timestamp(self) -> int:
        return int(self.call("eth_getBlockByNumber", ("latest", False))["timestamp"], 16)

    def headers(self, numbers: list[int]) -> list[BlockHeader]:
        blocks = self.batch([("eth_getBlockByNumber", (hex(number), False)) for number in numbers])
        headers = []
        for number, block in zip(numbers, blocks, strict=True):
            if block is None:
                raise RpcUnavailable(f"the node does not have block {number} (yet)")
            headers.append(
                BlockHeader(int(block["number"], 16), block["hash"], block["parentHash"], int(block["timestamp"], 16))
            )
        return headers

    def header(self, number: int) -> BlockHeader:
        return self.headers([number])[0]

    def calls(self, calls: Sequence[tuple[str, str]], block: Block = "latest") -> list[list[int]]:
        """Each `(contract, calldata)` read at `block`, as its return data's 32-byte words."""
        at = hex(block) if isinstance(block, int) else block
        results = self.batch([("eth_call", ({"to": to, "data": data}, at)) for to, data in calls])
        return [words(result) for result in results]

    def logs(self, addresses: Sequence[str], first: int, last: int,
             topics: Sequence[str | None] | None = None) -> Iterator[list[dict[str, Any]]]:
        """Yields the logs of `addresses` in `first..last` (filtered by `topics` when given) in block
        order, one chunk per request, splitting ranges the node refuses."""
        pending = [(first, last)]
        while pending:
            start, end = pending.pop()
            query: dict[str, Any] = {"address": addresses, "fromBlock": hex(start), "toBlock": hex(end)}
            if topics is not None:
                query["topics"] = topics
            try:
                result = self.call("eth_getLogs", (query,))
            except RpcError as error:
                if not error.is_range_too_large or start == end:
                    raise
                middle = (start + end) // 2
                log.info("splitting eth_getLogs %d-%d: %s", start, end, error.message)
                pending.append((middle + 1, end))
                pending.append((start, middle))
                continue
            yield result

    def receipts(self, hashes: Sequence[str]) -> list[dict[str, Any] | None]:
        """Each transaction's receipt, None for one not mined yet."""
        return self.batch([("eth_getTransactionReceipt", (tx_hash,)) for tx_hash in hashes])


def answers(url: str, timeout: float = 1.0) -> bool:
    """Whether a node at `url` answers `eth_chainId` at once (no retries)."""
    with RpcClient(url, timeout=timeout, max_attempts=1) as rpc:
        try:
            rpc.chain_id()
        except PointsError:
            return False
    return True


def _rate_limited(body: Any) -> bool:
    items = body if isinstance(body, list) else [body]
    return any(
        isinstance(item, dict) and isinstance(item.get("error"), dict)
        and item["error"].get("code") in _RATE_LIMIT_CODES
        and "rate" in str(item["error"].get("message", "")).lower()
        for item in items
    )
