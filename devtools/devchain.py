"""A local development chain (Anvil): what only such a node does, over a `chain.rpc` client.

The activity generator sends each day's reads and transactions as one JSON-RPC batch, lets
Anvil sign for any sender (impersonation) and mines each day's transactions into one block at
the day's timestamp.
"""

import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from chain.rpc import RpcClient, answers
from points.errors import PointsError


class DevChain:
    def __init__(self, url: str, timeout: float = 120.0) -> None:
        self.url = url
        # One attempt per request: a local node answers at once or is gone, and a retried
        # `eth_sendTransaction` (which the node signs and numbers itself) could send twice.
        self.rpc = RpcClient(url, timeout=timeout, max_attempts=1)

    def close(self) -> None:
        self.rpc.close()

    def mine(self, timestamp: int | None = None) -> None:
        self.rpc.call("evm_mine", [] if timestamp is None else [timestamp])

    @contextmanager
    def day_blocks(self) -> Iterator[None]:
        """Transactions wait in the pool until `mine` and any sender is accepted unsigned.

        Both are Anvil-wide switches, so they are put back however the block ends.
        """
        self.rpc.batch([("evm_setAutomine", (False,)), ("anvil_autoImpersonateAccount", (True,))])
        try:
            yield
        finally:
            self.rpc.batch([("anvil_autoImpersonateAccount", (False,)), ("evm_setAutomine", (True,))])

    def send(self, transactions: Sequence[dict[str, Any]]) -> list[str]:
        """Sends unsigned transactions, which the node signs for its unlocked or impersonated senders."""
        return self.rpc.batch([("eth_sendTransaction", (transaction,)) for transaction in transactions])

    # Shorthands for driving the node by hand: the demo, the benchmarks' history, the tests.

    def request(self, method: str, *params: Any) -> Any:
        return self.rpc.call(method, params)

    def block_number(self) -> int:
        return self.rpc.block_number()

    def head_timestamp(self) -> int:
        return self.rpc.head_timestamp()

    def calls(self, calls: Sequence[tuple[str, str]]) -> list[list[int]]:
        return self.rpc.calls(calls)

    def logs(self, address: str, topics: Sequence[str | None], from_block: int) -> list[dict[str, Any]]:
        """The logs of `address` that match `topics`, from `from_block` to the head."""
        return [log for chunk in self.rpc.logs([address], from_block, self.rpc.block_number(), topics)
                for log in chunk]


def wait_until_answering(url: str, anvil: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    """Returns once the Anvil just started as `anvil` answers at `url`; raises if it exits or
    stays silent for `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not answers(url):
        if anvil.poll() is not None:
            raise PointsError(f"anvil exited with code {anvil.returncode}")
        if time.monotonic() > deadline:
            raise PointsError(f"anvil did not answer on {url} within {timeout:.0f} s")
        time.sleep(0.1)
