"""Exactly once in effect: the relayer killed with SIGKILL at each stage of a request, a stuck
transaction, the key used outside the relayer, and a reorganisation that drops a mined redemption.

Each stage is reached by controlling the chain (mining off, a node that loses a broadcast's answer)
and observed in the relayer's database, never by timing."""

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path
from typing import Any

from eth_utils import keccak

from relayer.keys import load_key
from tests.relayer.conftest import COFFEE_NAME, DOWNTOWN, ESPRESSO, ESPRESSO_PRICE, HOUR, Alliance
from tests.support.relayer import Customer, Relayer, start_relayer
from tests.support.rpc_proxy import RpcProxy, running
from tests.support.services import Node

WAIT_SECONDS = 60.0


class LosesBroadcasts(RpcProxy):
    """Forwards every call but `eth_sendRawTransaction`, whose connection it drops: after handing the
    transaction to the node (`forward`), as when a crash or an outage loses the answer, or before."""

    def __init__(self, upstream: str, forward: bool) -> None:
        super().__init__(upstream)
        self.forward_broadcasts = forward
        # The hashes of the transactions broadcast so far (and handed to the node, when forwarded): the
        # relayer stores a transaction as signed before it broadcasts it, so the row alone comes too
        # early, and a restarted relayer first broadcasts again what an earlier one left signed.
        self.broadcast: set[str] = set()
        self.broadcast_changed = threading.Condition()

    def answer(self, body: bytes) -> tuple[int, bytes] | None:
        calls = json.loads(body)
        raw = [call["params"][0] for call in (calls if isinstance(calls, list) else [calls])
               if call["method"] == "eth_sendRawTransaction"]
        if raw:
            if self.forward_broadcasts:
                self.forward(body)
            with self.broadcast_changed:
                self.broadcast.update("0x" + keccak(hexstr=transaction).hex() for transaction in raw)
                self.broadcast_changed.notify_all()
            return None
        response = self.forward(body)
        return response.status_code, response.content

    def wait_for_broadcast(self, tx_hash: str) -> bool:
        with self.broadcast_changed:
            return self.broadcast_changed.wait_for(lambda: tx_hash in self.broadcast, WAIT_SECONDS)


class WithoutAccessLists(RpcProxy):
    """A node that does not know `eth_createAccessList`: JSON-RPC's "method not found" for it, every
    other call forwarded."""

    def __init__(self, upstream: str) -> None:
        super().__init__(upstream)
        self.methods: list[str] = []

    def answer(self, body: bytes) -> tuple[int, bytes] | None:
        decoded = json.loads(body)
        calls = decoded if isinstance(decoded, list) else [decoded]
        self.methods += [call["method"] for call in calls]
        known = [call for call in calls if call["method"] != "eth_createAccessList"]
        answers = json.loads(self.forward(json.dumps(known).encode()).content) if known else []
        answers += [{"jsonrpc": "2.0", "id": call["id"], "error": {"code": -32601, "message": "method not found"}}
                    for call in calls if call["method"] == "eth_createAccessList"]
        return 200, json.dumps(answers if isinstance(decoded, list) else answers[0]).encode()


def _rows(database: Path, query: str, *parameters: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(database) as connection:
        return connection.execute(query, parameters).fetchall()


def _wait_for_row(database: Path, query: str, *parameters: Any) -> list[tuple[Any, ...]]:
    deadline = time.monotonic() + WAIT_SECONDS
    while not (rows := _rows(database, query, *parameters)):
        assert time.monotonic() < deadline, f"no row for {query} {parameters}"
        time.sleep(0.05)
    return rows


@contextmanager
def mining_paused(node: Node) -> Iterator[None]:
    node.chain.request("evm_setAutomine", False)
    try:
        yield
    finally:
        node.chain.request("evm_setAutomine", True)


def _redeem(alliance: Alliance, relayer: Relayer, customer: Customer) -> str:
    body = customer.redemption(alliance.coffee, COFFEE_NAME, ESPRESSO, 1, ESPRESSO_PRICE,
                               alliance.chain_time() + HOUR)
    accepted = relayer.post("/v1/redemptions", body)
    assert accepted.status_code == 202, accepted.text
    return str(accepted.json()["id"])


def _done_once(alliance: Alliance, customer: Customer, points: int = 5_000) -> None:
    assert alliance.redeemed_events(customer.address) == 1
    assert alliance.node.read(alliance.coffee, "balanceOf(address)", customer.address) == points - ESPRESSO_PRICE
    assert customer.nonce(alliance.coffee) == 1


def test_killed_before_sending(alliance: Alliance, tmp_path: Path):
    database = tmp_path / "queue.db"
    customer = alliance.customer()
    relayer = start_relayer(alliance.node, alliance.manifest_file, database, "--no-worker")
    request_id = _redeem(alliance, relayer, customer)
    relayer.kill()
    assert _rows(database, "SELECT status FROM relay_request WHERE id = ?", request_id) == [("queued",)]
    relayer = start_relayer(alliance.node, alliance.manifest_file, database)
    try:
        relayer.wait_for("redemptions", request_id, "mined", "confirmed")
    finally:
        relayer.stop()
    _done_once(alliance, customer)


def test_killed_around_broadcasts_whose_answers_were_lost(alliance: Alliance, tmp_path: Path):
    """A signed transaction the node never got, then one the node took but whose answer was lost
    (an outage, or a crash right after sending): each process is killed with the transaction stored
    as signed, and a restart sends each once."""
    database = tmp_path / "queue.db"
    never_got, took = alliance.customer(), alliance.customer()
    nonce_before = alliance.relayer_nonce()
    hashes = {}
    for customer, forward in ((never_got, False), (took, True)):
        lossy = LosesBroadcasts(alliance.node.url, forward)
        with running(lossy) as proxy:
            relayer = start_relayer(Node(proxy.url, alliance.node.chain), alliance.manifest_file, database,
                                    POINTS_RPC_ATTEMPTS="1")
            request_id = _redeem(alliance, relayer, customer)
            hashes[request_id] = _wait_for_row(
                database, "SELECT tx_hash FROM relay_request WHERE id = ? AND status = 'signed'", request_id)[0][0]
            assert lossy.wait_for_broadcast(hashes[request_id]), "the relayer never broadcast the transaction"
            relayer.kill()
        # Known to the node, mined or pending: a restarted relayer may broadcast its new transaction
        # before it sends again the one an earlier relayer left signed, whose nonce comes first.
        assert (alliance.node.chain.request("eth_getTransactionByHash", hashes[request_id]) is not None) == forward
    relayer = start_relayer(alliance.node, alliance.manifest_file, database)
    try:
        for request_id, tx_hash in hashes.items():
            assert relayer.wait_for("redemptions", request_id, "mined", "confirmed")["tx_hash"] == tx_hash
    finally:
        relayer.stop()
    assert alliance.relayer_nonce() == nonce_before + 2
    for customer in (never_got, took):
        _done_once(alliance, customer)


def test_killed_after_sending_and_after_mining(alliance: Alliance, tmp_path: Path):
    database = tmp_path / "queue.db"
    customer = alliance.customer()
    nonce_before = alliance.relayer_nonce()
    with mining_paused(alliance.node):
        relayer = start_relayer(alliance.node, alliance.manifest_file, database, POINTS_RELAYER_CONFIRMATIONS="3")
        request_id = _redeem(alliance, relayer, customer)
        relayer.wait_for("redemptions", request_id, "sent")
        relayer.kill()
        alliance.node.chain.mine()
    relayer = start_relayer(alliance.node, alliance.manifest_file, database, POINTS_RELAYER_CONFIRMATIONS="3")
    relayer.wait_for("redemptions", request_id, "mined")
    relayer.kill()
    alliance.node.chain.request("anvil_mine", "0x3")
    relayer = start_relayer(alliance.node, alliance.manifest_file, database, POINTS_RELAYER_CONFIRMATIONS="3")
    try:
        relayer.wait_for("redemptions", request_id, "confirmed")
    finally:
        relayer.stop()
    assert alliance.relayer_nonce() == nonce_before + 1
    assert _rows(database, "SELECT COUNT(*) FROM attempt WHERE request_id = ?", request_id) == [(1,)]
    _done_once(alliance, customer)


def test_a_stuck_transaction_is_replaced_with_a_higher_fee(alliance: Alliance, tmp_path: Path):
    database = tmp_path / "queue.db"
    customer = alliance.customer()
    with mining_paused(alliance.node):
        relayer = start_relayer(alliance.node, alliance.manifest_file, database, POINTS_RELAYER_RESEND_SECONDS="1")
        try:
            request_id = _redeem(alliance, relayer, customer)
            _wait_for_row(database, "SELECT 1 FROM attempt WHERE request_id = ? GROUP BY request_id "
                                    "HAVING COUNT(*) >= 3", request_id)
            alliance.node.chain.mine()
            mined = relayer.wait_for("redemptions", request_id, "mined", "confirmed")
        finally:
            relayer.stop()
    attempts = _rows(database, "SELECT nonce, max_fee_wei, priority_fee_wei, tx_hash FROM attempt "
                               "WHERE request_id = ? ORDER BY id", request_id)
    assert len({nonce for nonce, *_ in attempts}) == 1
    fees = [(int(max_fee), int(tip)) for _, max_fee, tip, _ in attempts]
    assert all(later[0] > earlier[0] and later[1] > earlier[1] for earlier, later in pairwise(fees))
    assert mined["tx_hash"] in {tx_hash for *_, tx_hash in attempts}
    _done_once(alliance, customer)


def test_a_node_without_access_lists_simulates_with_estimate_gas(alliance: Alliance, tmp_path: Path):
    customer = alliance.customer()
    with running(WithoutAccessLists(alliance.node.url)) as node:
        relayer = start_relayer(Node(node.url, alliance.node.chain), alliance.manifest_file, tmp_path / "queue.db")
        try:
            relayer.wait_for("redemptions", _redeem(alliance, relayer, customer), "mined", "confirmed")
        finally:
            relayer.stop()
    assert node.methods.count("eth_createAccessList") == 1 and "eth_estimateGas" in node.methods
    _done_once(alliance, customer)


def test_the_key_used_outside_the_relayer(alliance: Alliance, tmp_path: Path):
    """Two transactions of the key sent elsewhere while the relayer runs, then one that replaces the
    relayer's own pending transaction: each request is re-sent with a fresh nonce, once."""
    database = tmp_path / "queue.db"
    first, second = alliance.customer(), alliance.customer()
    relayer = start_relayer(alliance.node, alliance.manifest_file, database)
    try:
        relayer.wait_for("redemptions", _redeem(alliance, relayer, first), "mined", "confirmed")
        for _ in range(2):
            alliance.node.transact(DOWNTOWN, DOWNTOWN)
        request_id = _redeem(alliance, relayer, second)
        relayer.wait_for("redemptions", request_id, "mined", "confirmed")
        nonces = _rows(database, "SELECT nonce FROM attempt WHERE request_id = ? ORDER BY id", request_id)
        assert nonces[-1][0] == alliance.relayer_nonce() - 1

        third = alliance.customer()
        with mining_paused(alliance.node):
            request_id = _redeem(alliance, relayer, third)
            relayer.wait_for("redemptions", request_id, "sent")
            (taken,) = _rows(database, "SELECT tx_nonce FROM relay_request WHERE id = ?", request_id)[0]
            replacement, _ = load_key("TEST::1").sign_transaction({
                "type": 2, "chainId": alliance.manifest.chain_id, "nonce": taken, "to": DOWNTOWN, "value": 0,
                "gas": 21_000, "maxFeePerGas": 10**12, "maxPriorityFeePerGas": 10**11})
            alliance.node.chain.request("eth_sendRawTransaction", replacement)
            alliance.node.chain.mine()
        mined = relayer.wait_for("redemptions", request_id, "mined", "confirmed")
    finally:
        relayer.stop()
    assert _rows(database, "SELECT tx_nonce FROM relay_request WHERE id = ?", request_id)[0][0] > taken
    assert mined["tx_hash"]
    for customer in (first, second, third):
        _done_once(alliance, customer)


def test_a_reorganisation_drops_a_mined_redemption(alliance: Alliance, tmp_path: Path):
    database = tmp_path / "queue.db"
    customer = alliance.customer()
    relayer = start_relayer(alliance.node, alliance.manifest_file, database, POINTS_RELAYER_CONFIRMATIONS="4")
    try:
        request_id = _redeem(alliance, relayer, customer)
        mined = relayer.wait_for("redemptions", request_id, "mined")
        depth = alliance.node.block_number() - mined["block_number"] + 1
        with mining_paused(alliance.node):
            alliance.node.chain.request("anvil_reorg", depth, [])
            assert alliance.node.chain.request("eth_getTransactionReceipt", mined["tx_hash"]) is None
            relayer.wait_for("redemptions", request_id, "sent")
            alliance.node.chain.mine()
        again = relayer.wait_for("redemptions", request_id, "mined")
        alliance.node.chain.request("anvil_mine", "0x4")
        relayer.wait_for("redemptions", request_id, "confirmed")
    finally:
        relayer.stop()
    assert again["tx_hash"] == mined["tx_hash"]
    _done_once(alliance, customer)
