"""Raw JSON-RPC to a local development chain (Anvil), lean enough to drive thousands of transactions.

web3.py spends milliseconds of Python per call; the activity generator instead sends each day's
reads and transactions as one JSON-RPC batch, lets Anvil sign for any sender (impersonation) and
mines each day's transactions into one block at the day's timestamp.
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import httpx
from eth_abi import encode
from eth_utils import keccak

from points.errors import PointsError

Request = tuple[str, Sequence[Any]]


def calldata(signature: str, *args: Any) -> str:
    """ABI-encoded call of `signature` (e.g. `mint(address,uint256,bytes32)`); no tuple types."""
    types = signature[signature.index("(") + 1:-1]
    selector = keccak(text=signature)[:4]
    return "0x" + (selector + encode(types.split(",") if types else [], list(args))).hex()


def words(result: str) -> list[int]:
    """The 32-byte words of a call's return data, as integers (every value read here is static)."""
    data = bytes.fromhex(result.removeprefix("0x"))
    return [int.from_bytes(data[start:start + 32], "big") for start in range(0, len(data), 32)]


def as_address(word: int) -> str:
    return "0x" + word.to_bytes(32, "big")[12:].hex()


class DevChain:
    def __init__(self, url: str, timeout: float = 120.0) -> None:
        self.url = url
        self._http = httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, *params: Any) -> Any:
        return self.batch([(method, params)])[0]

    def batch(self, requests: Sequence[Request]) -> list[Any]:
        if not requests:
            return []
        payload = [
            {"jsonrpc": "2.0", "id": index, "method": method, "params": list(params)}
            for index, (method, params) in enumerate(requests)
        ]
        try:
            answers = self._http.post(self.url, json=payload).json()
        except httpx.HTTPError as error:
            raise PointsError(f"the chain at {self.url} did not answer: {error}") from None
        results: list[Any] = [None] * len(requests)
        for answer in answers:
            if "error" in answer:
                method = requests[answer["id"]][0]
                raise PointsError(f"{method} failed on {self.url}: {answer['error'].get('message')}")
            results[answer["id"]] = answer["result"]
        return results

    def calls(self, calls: Sequence[tuple[str, str]]) -> list[list[int]]:
        """Each `(contract, calldata)` read at the latest block, as return words."""
        results = self.batch([("eth_call", ({"to": to, "data": data}, "latest")) for to, data in calls])
        return [words(result) for result in results]

    def head_timestamp(self) -> int:
        return int(self.request("eth_getBlockByNumber", "latest", False)["timestamp"], 16)

    def block_number(self) -> int:
        return int(self.request("eth_blockNumber"), 16)

    def mine(self, timestamp: int | None = None) -> None:
        self.request("evm_mine", *([] if timestamp is None else [timestamp]))

    @contextmanager
    def day_blocks(self) -> Iterator[None]:
        """Transactions wait in the pool until `mine` and any sender is accepted unsigned.

        Both are Anvil-wide switches, so they are put back however the block ends.
        """
        self.batch([("evm_setAutomine", (False,)), ("anvil_autoImpersonateAccount", (True,))])
        try:
            yield
        finally:
            self.batch([("anvil_autoImpersonateAccount", (False,)), ("evm_setAutomine", (True,))])

    def send(self, transactions: Sequence[dict[str, Any]]) -> list[str]:
        return self.batch([("eth_sendTransaction", (transaction,)) for transaction in transactions])

    def receipts(self, hashes: Sequence[str]) -> list[dict[str, Any] | None]:
        return self.batch([("eth_getTransactionReceipt", (tx_hash,)) for tx_hash in hashes])

    def logs(self, address: str, topics: Sequence[str | None], from_block: int) -> list[dict[str, Any]]:
        query = {"address": address, "topics": list(topics), "fromBlock": hex(from_block), "toBlock": "latest"}
        return self.request("eth_getLogs", query)
