"""Makes a large event history fast: merchants' campaign mints over many days.

The history goes to an Anvil of its own, started without ape-foundry's step tracing (which
would keep every 256-recipient batch's trace in memory), and transactions go straight to its
JSON-RPC, many per HTTP request (its development accounts are unlocked). Each `mint_batch` of
256 recipients logs 512 events (a `Transfer` and an `Issued` each) in a block of its own, and a
day of chain time passes every 40 batches, so points expire while the history grows and the
indexer records expiries too.
"""

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi import encode
from eth_utils import keccak, to_checksum_address

from chain.calldata import calldata
from devtools.devchain import DevChain, wait_until_answering
from points.manifest import ContractRecord, Manifest, ProgramRecord
from points.ports import free_port

RECIPIENTS_PER_BATCH = 256
EVENTS_PER_BATCH = 2 * RECIPIENTS_PER_BATCH
BATCHES_PER_DAY = 40
REQUESTS_PER_POST = 20
# A 256-recipient batch to new holders uses about 8 M gas.
BATCH_GAS = 12_000_000
# Blocks hold one campaign transaction each: mined by hand, a block takes every transaction that
# fits, and 100 M gas packed the 204,803-event history into 43 blocks, all of it within the
# indexer's reorganisation window (journaled), unlike a chain's history.
BLOCK_GAS_LIMIT = BATCH_GAS
# Such blocks are over half full, EIP-1559's target, so each raises the base fee by about 4 %: from
# Anvil's default, within 60 blocks a post's last transactions, priced when they arrived, could no
# longer pay it and were dropped. From zero the base fee grows by a wei a block.
BASE_FEE_WEI = 0
SECONDS_PER_DAY = 86_400
# The node counts as idle below this share of a core over the window.
IDLE_CPU_SHARE = 0.05
IDLE_WINDOW_SECONDS = 1.0
# Anvil's first two development accounts (mnemonic "test test ... junk").
OWNER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
MERCHANT = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
MERCHANT_NAME = "Campaign desk"
TOKEN_CONSTRUCTOR = ["string", "string", "uint256", "uint256", "uint256", "bool", "address"]


def holder(index: int) -> str:
    return to_checksum_address(keccak(text=f"benchmarks:holder:{index}")[-20:])



@dataclass(frozen=True)
class HistoryNode:
    """The history's Anvil: its RPC URL and its process."""

    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """The CPU time the node has used so far (Linux's /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def wait_until_idle(self, timeout: float = 600) -> float:
        """Returns once the node has used under a twentieth of a core for a second; returns the
        seconds that took.

        After a long run of blocks Anvil keeps a core busy by itself: 30-40 s after 200,000 events. A
        backfill measured meanwhile shares the two cores with it: 17,356 events/s in `make bench`
        against 19,000-25,000 on the same history once the node was idle.
        """
        started = time.monotonic()
        while True:
            before = self.cpu_seconds()
            time.sleep(IDLE_WINDOW_SECONDS)
            if self.cpu_seconds() - before < IDLE_CPU_SHARE * IDLE_WINDOW_SECONDS:
                return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"the benchmark's Anvil stayed busy for {timeout:.0f} s")


@contextmanager
def history_chain(*anvil_arguments: str) -> Iterator[HistoryNode]:
    """A fresh Anvil for the history (with `anvil_arguments` added); yields it and stops it afterwards."""
    port = free_port()
    # Anvil spills old states under $HOME/.foundry/anvil/tmp and leaves them there when stopped:
    # gigabytes for a long history. A home of its own goes away with it.
    home = tempfile.TemporaryDirectory(prefix="points-anvil-")
    anvil = subprocess.Popen([str(Path(sys.prefix) / "bin" / "anvil"), "--port", str(port), "--silent",
                              "--gas-limit", str(BLOCK_GAS_LIMIT), "--block-base-fee-per-gas", str(BASE_FEE_WEI),
                              *anvil_arguments],
                             env=os.environ | {"HOME": home.name})
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(url, anvil)
        yield HistoryNode(url, anvil.pid)
    finally:
        anvil.terminate()
        anvil.wait(timeout=30)
        home.cleanup()


class HistoryWriter:
    """Deploys a program and appends mint batches (and the days' clock ticks) to its history."""

    def __init__(self, rpc_url: str, token_bytecode: str, exchange_bytecode: str, holders: int) -> None:
        self.chain = DevChain(rpc_url, timeout=300)
        self.holders = [holder(index) for index in range(holders)]
        self.batches = 0
        self._nonces: dict[str, int] = {}
        self.sync_nonces()
        self.chain_id = self.chain.rpc.chain_id()
        self.exchange, self.exchange_block = self._deploy(exchange_bytecode)
        arguments = encode(TOKEN_CONSTRUCTOR, ["Indexer Benchmark", "IDX", SECONDS_PER_DAY, 8, SECONDS_PER_DAY,
                                               True, OWNER]).hex()
        self.token, self.token_block = self._deploy(token_bytecode + arguments)
        self.chain.rpc.batch([self.transaction(OWNER, self.token,
                                            calldata("set_merchant(address,uint256,string)", MERCHANT, 2**95,
                                                     MERCHANT_NAME))])

    def sync_nonces(self) -> None:
        """Reads the senders' nonces from the chain: Anvil numbers a batch's transactions from the
        same nonce unless told otherwise, and a rollback takes back the nonces of its blocks."""
        self._nonces = {account: int(self.chain.request("eth_getTransactionCount", account, "pending"), 16)
                        for account in (OWNER, MERCHANT)}

    def transaction(self, sender: str, to: str | None, data: str) -> tuple[str, tuple[Any, ...]]:
        transaction = {"from": sender, "data": data, "gas": hex(BATCH_GAS), "nonce": hex(self._nonces[sender])}
        if to is not None:
            transaction["to"] = to
        self._nonces[sender] += 1
        return "eth_sendTransaction", (transaction,)

    def _deploy(self, bytecode: str) -> tuple[str, int]:
        (tx_hash,) = self.chain.rpc.batch([self.transaction(OWNER, None, bytecode)])
        deadline = time.monotonic() + 30
        while (receipt := self.chain.rpc.receipts([tx_hash])[0]) is None:
            if time.monotonic() > deadline:
                raise RuntimeError("the benchmark's Anvil did not mine a deployment")
            time.sleep(0.05)
        return to_checksum_address(receipt["contractAddress"]), int(receipt["blockNumber"], 16)

    def _mint_call(self) -> tuple[str, tuple[Any, ...]]:
        start = (self.batches * RECIPIENTS_PER_BATCH) % len(self.holders)
        recipients = [self.holders[(start + i) % len(self.holders)] for i in range(RECIPIENTS_PER_BATCH)]
        amounts = [10 + (self.batches + i) % 90 for i in range(RECIPIENTS_PER_BATCH)]
        data = calldata("mint_batch(address[],uint256[],bytes32)", recipients, amounts,
                        keccak(text=f"campaign:{self.batches}"))
        self.batches += 1
        return self.transaction(MERCHANT, self.token, data)

    def grow_to(self, events: int) -> int:
        """Mints until the history holds at least `events` events; returns how many it holds."""
        with self._manual_mining():
            while self.batches * EVENTS_PER_BATCH < events:
                calls = [self._mint_call() for _ in range(REQUESTS_PER_POST)]
                if self.batches % BATCHES_PER_DAY < REQUESTS_PER_POST:
                    calls.append(("evm_increaseTime", (SECONDS_PER_DAY,)))
                self.chain.rpc.batch(calls)
                # A pool that only grows loses transactions; keep it short.
                self._wait_until_mined()
        return self.batches * EVENTS_PER_BATCH

    @contextmanager
    def _manual_mining(self) -> Iterator[None]:
        """Turns automining off while a post's transactions arrive, if it was on.

        Anvil handles a batch's calls concurrently, so a post's transactions reach its pool out of
        nonce order; with automining on, a block mined between two arrivals can leave the later
        ones waiting for ever (foundry-rs/foundry#10122; on CI, 15 stuck in `queued`). Mined by
        hand, each block starts from a pool that already holds the whole post.
        """
        if not self.chain.request("anvil_getAutomine"):
            yield
            return
        self.chain.request("evm_setAutomine", False)
        try:
            yield
        finally:
            self.chain.request("evm_setAutomine", True)

    def _wait_until_mined(self) -> None:
        """Mines until the pool is empty: Anvil answers a batch before mining it, and what does not
        fit the block that an arrival triggers waits for the next block."""
        deadline = time.monotonic() + 600
        while True:
            pool = self.chain.request("txpool_status")
            pending, queued = int(pool["pending"], 16), int(pool["queued"], 16)
            if pending == 0 and queued == 0:
                return
            if pending == 0 or time.monotonic() > deadline:
                raise RuntimeError(f"the benchmark's Anvil still has transactions waiting: {pool}")
            self.chain.request("evm_mine")

    def mint_one_batch(self) -> None:
        """One more campaign transaction, in a block of its own and no other block: with automining
        on, the transaction could be mined between two looks at the pool, and the look that still
        saw it pending would mine an empty block after it."""
        with self._manual_mining():
            self.chain.rpc.batch([self._mint_call()])
            self._wait_until_mined()

    def reorganise(self, depth: int) -> None:
        """Replaces the newest `depth` blocks with as many blocks whose last holds another campaign."""
        _, (transaction,) = self._mint_call()
        del transaction["nonce"]
        self.chain.request("anvil_reorg", depth, [[transaction, depth - 1]])
        self.sync_nonces()

    def manifest(self) -> Manifest:
        first = min(self.exchange_block, self.token_block)
        return Manifest(
            chain_id=self.chain_id,
            network="local",
            start_block=first,
            exchange=ContractRecord(address=self.exchange, block=self.exchange_block),
            programs={"bench": ProgramRecord(address=self.token, block=self.token_block,
                                             name="Indexer Benchmark", symbol="IDX")},
        )
