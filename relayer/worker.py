"""The worker: sends queued requests with the paying key and follows them to `confirmed`.

Each cycle reads the chain once (head, the key's nonces, fees), then
1. watches what is in flight: a receipt makes it `mined`; a nonce the chain used without any of our
   attempts means the key was used elsewhere, so the request is queued again for a new nonce; a
   transaction not mined in `relayer_resend_seconds` is replaced (same nonce, higher fee);
2. confirms what is mined, or puts it back in flight when a reorganisation dropped its block;
3. simulates queued requests, gives the good ones nonces from the database sequence, stores their
   signed bytes, and only then broadcasts them.

Every side effect on the chain comes after the state that explains it is committed, and the node's
answers ("already known", "nonce too low", "replacement underpriced") are read as facts about that
state, never retried blindly. docs/architecture.md gives the argument for exactly-once.
"""

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from chain.calldata import calldata, words
from chain.rpc import Request, RpcClient, RpcError
from chain.transactions import Refusal, refusal, revert_reason
from points.errors import PointsError
from points.settings import Settings
from relayer.fees import Fees, bumped, first_fees
from relayer.keys import RelayerKey
from relayer.models import IN_FLIGHT, Status
from relayer.store import Signed, Store

log = logging.getLogger(__name__)

BATCH = 100
"""Queued requests taken per cycle."""
CREATE_ACCESS_LIST, ESTIMATE_GAS = "eth_createAccessList", "eth_estimateGas"
METHOD_NOT_FOUND = -32601
# A transaction's gas limit over the gas its simulation used: a quarter more covers the most a
# refund can have lowered `gasUsed` (a fifth of the gas spent, EIP-3529) and the 1/64 held back by
# each call to a wallet; the headroom, small changes of the state before it is mined.
GAS_MARGIN_NUMERATOR, GAS_MARGIN_DENOMINATOR = 5, 4
GAS_HEADROOM = 10_000
# A transaction the node refused for a reason of its own (funds, an outage) is offered again this often.
RETRY_SECONDS = 5.0
# After an error the worker pauses this long, doubling up to the most.
FIRST_PAUSE_SECONDS, MOST_PAUSE_SECONDS = 0.5, 15.0

Row = dict[str, Any]


@dataclass(frozen=True)
class ChainState:
    head: int
    head_hash: str
    mined_nonce: int
    """The key's nonce at the head: every lower nonce is used on chain."""
    pending_nonce: int
    fees: Fees


class Worker:
    def __init__(self, store: Store, rpc: RpcClient, key: RelayerKey, chain_id: int, settings: Settings) -> None:
        self.store = store
        self.rpc = rpc
        self.key = key
        self.chain_id = chain_id
        self.settings = settings
        self.wake = threading.Event()
        self.stop = threading.Event()
        self._reconciled = False
        # The head (by hash) at which the mined requests' receipts were last read: until the next block,
        # a cycle woken by a new request has nothing to confirm.
        self._confirmed_at = ""
        # How a queued request is simulated before it is sent: `eth_createAccessList`, one execution that
        # reports its gas, where `eth_estimateGas` searches for the least gas limit with several (0.45 ms
        # of Anvil's time against 2.8 ms); `eth_estimateGas` on a node without the former.
        self._simulate = CREATE_ACCESS_LIST

    def run(self) -> None:
        pause = FIRST_PAUSE_SECONDS
        while not self.stop.is_set():
            try:
                self.cycle()
                pause = FIRST_PAUSE_SECONDS
                self.wake.wait(self.settings.relayer_poll_seconds)
            except PointsError as error:
                log.warning("worker: %s; trying again in %.1f s", error, pause)
                self.stop.wait(pause)
                pause = min(pause * 2, MOST_PAUSE_SECONDS)
            self.wake.clear()

    def cycle(self) -> None:
        state = self._chain_state()
        if not self._reconciled:
            self._reconcile(state)
        self._watch(state)
        self._confirm(state)
        self._send(state)

    def _chain_state(self) -> ChainState:
        mined, pending, block, tip = self.rpc.batch([
            ("eth_getTransactionCount", (self.key.address, "latest")),
            ("eth_getTransactionCount", (self.key.address, "pending")),
            ("eth_getBlockByNumber", ("latest", False)),
            ("eth_maxPriorityFeePerGas", ()),
        ])
        settings = self.settings
        fees = first_fees(int(block.get("baseFeePerGas") or "0x0", 16), int(tip, 16),
                          settings.relayer_priority_fee_wei, settings.relayer_max_fee_wei)
        return ChainState(int(block["number"], 16), block["hash"], int(mined, 16), int(pending, 16), fees)

    def _reconcile(self, state: ChainState) -> None:
        """At start, and when the key was used elsewhere: the sequence meets the chain, whichever of the
        two is ahead."""
        before, after = self.store.resync_nonce(self.key.address, state.pending_nonce)
        if before != after:
            log.info("nonce sequence of %s: %s -> %d (the chain's pending nonce is %d)", self.key.address, before,
                     after, state.pending_nonce)
        self._reconciled = True

    # 1. In flight.

    def _watch(self, state: ChainState) -> None:
        in_flight = self.store.with_status(IN_FLIGHT)
        if not in_flight:
            return
        attempts = self.store.attempts([request["id"] for request in in_flight])
        # Only a transaction whose nonce the chain has used can have a receipt: the others were not mined
        # when the nonce was read, and the next cycle's nonce shows when they are.
        hashes = [attempt["tx_hash"] for request in in_flight if request["tx_nonce"] < state.mined_nonce
                  for attempt in attempts[request["id"]]]
        receipts = dict.fromkeys((attempt["tx_hash"] for tried in attempts.values() for attempt in tried), None)
        receipts.update(zip(hashes, self.rpc.receipts(hashes), strict=True))
        now = time.time()
        to_broadcast: list[tuple[Row, Row]] = []
        changes: list[tuple[str, dict[str, Any]]] = []
        for request in in_flight:
            tried = attempts[request["id"]]
            receipt = next((receipts[a["tx_hash"]] for a in tried if receipts[a["tx_hash"]] is not None), None)
            if receipt is not None:
                changes.append((request["id"], _mined(receipt, now)))
            elif request["tx_nonce"] < state.mined_nonce:
                # The chain used the nonce, and none of our attempts holds it: another transaction of the
                # key took it. Read after the nonce, the receipts would show an attempt of ours that did.
                log.warning("nonce %d of %s was used by a transaction the relayer did not send; request %s "
                            "goes back to the queue", request["tx_nonce"], self.key.address, request["id"])
                changes.append((request["id"], {"status": Status.QUEUED, "tx_nonce": None, "tx_hash": None,
                                                "broadcast_at": None, "max_cost_wei": None}))
            elif request["status"] == Status.SIGNED:
                if now - (request["broadcast_at"] or 0) >= RETRY_SECONDS:
                    to_broadcast.append((request, tried[-1]))
            elif now - (request["broadcast_at"] or 0) >= self.settings.relayer_resend_seconds:
                to_broadcast.append((request, self._replacement(request, tried[-1], state)))
        self.store.set_each(changes)
        if any(values["status"] == Status.QUEUED for _, values in changes):
            # Catch up with the key's use elsewhere at once, rather than one refused nonce at a time.
            self._reconcile(state)
        self._broadcast(to_broadcast)

    def _replacement(self, request: Row, latest: Row, state: ChainState) -> Row:
        """A higher-fee copy of `latest`, stored before it is sent; `latest` itself when the cap is reached
        (sent again, in case the node dropped it)."""
        fees = bumped(Fees(latest["max_fee_wei"], latest["priority_fee_wei"]), state.fees,
                      self.settings.relayer_max_fee_wei)
        if fees is None:
            log.warning("request %s: not mined after %.0f s and its fee is at the cap; sending it again as it is",
                        request["id"], self.settings.relayer_resend_seconds)
            return latest
        signed = self._sign(request, request["tx_nonce"], request["gas_limit"], fees)
        self.store.add_attempt(request, signed)
        log.info("request %s: not mined after %.0f s, replaced by %s (max fee %d -> %d wei)", request["id"],
                 self.settings.relayer_resend_seconds, signed.tx_hash, latest["max_fee_wei"], fees.max_fee)
        return {"tx_hash": signed.tx_hash, "raw": signed.raw}

    # 2. Mined.

    def _confirm(self, state: ChainState) -> None:
        """Once per head: the mined requests' receipts, for reorganisations and confirmations."""
        if state.head_hash == self._confirmed_at:
            return
        mined = self.store.with_status([Status.MINED])
        receipts = self.rpc.receipts([request["tx_hash"] for request in mined])
        changes: list[tuple[str, dict[str, Any]]] = []
        for request, receipt in zip(mined, receipts, strict=True):
            if receipt is None or receipt["blockHash"] != request["block_hash"]:
                log.warning("request %s: block %d no longer holds its transaction (a reorganisation); sending "
                            "it again", request["id"], request["block_number"])
                changes.append((request["id"], {"status": Status.SIGNED, "block_number": None, "block_hash": None,
                                                "gas_cost_wei": None, "mined_at": None, "broadcast_at": None}))
            elif state.head - request["block_number"] >= self.settings.relayer_confirmations:
                changes.append((request["id"], {"status": Status.CONFIRMED}))
        self.store.set_each(changes)
        self._confirmed_at = state.head_hash

    # 3. Queued.

    def _send(self, state: ChainState) -> None:
        queued = self.store.with_status([Status.QUEUED], limit=BATCH)
        if not queued:
            return
        checks: list[Request] = []
        for request in queued:
            nonce_call = {"to": request["contract"], "data": calldata("nonces(address)", request["signer"])}
            checks.append(("eth_call", (nonce_call, "latest")))
            transaction = {"from": self.key.address, "to": request["contract"], "data": request["calldata"]}
            checks.append((self._simulate, (transaction, "latest") if self._simulate == CREATE_ACCESS_LIST
                           else (transaction,)))
        outcomes = self.rpc.batch_outcomes(checks)
        if self._simulate == CREATE_ACCESS_LIST and any(
                isinstance(outcome, RpcError) and outcome.code == METHOD_NOT_FOUND for outcome in outcomes[1::2]):
            log.warning("the node has no eth_createAccessList: simulating with eth_estimateGas")
            self._simulate = ESTIMATE_GAS
            self._send(state)
            return
        ready: list[tuple[Row, int]] = []
        failed: list[tuple[str, dict[str, Any]]] = []
        for index, request in enumerate(queued):
            nonce_word, simulation = outcomes[2 * index], _simulation(outcomes[2 * index + 1])
            if isinstance(nonce_word, RpcError):
                raise nonce_word
            signer_nonce = words(nonce_word)[0]
            if signer_nonce > request["signer_nonce"]:
                failed.append((request["id"], {"status": Status.FAILED,
                                               "reason": "its signature was used on chain by another submitter"}))
            elif signer_nonce < request["signer_nonce"]:
                continue  # an earlier request of the same signer has to be mined first
            elif isinstance(simulation, RpcError):
                failed.append((request["id"], {"status": Status.FAILED, "reason": "the chain would refuse it now: "
                                                                                  f"{revert_reason(simulation)}"}))
            else:
                ready.append((request, simulation * GAS_MARGIN_NUMERATOR // GAS_MARGIN_DENOMINATOR + GAS_HEADROOM))
        self.store.set_each(failed)
        if not ready:
            return
        gas = {request["id"]: gas_limit for request, gas_limit in ready}
        assigned = self.store.assign(
            self.key.address, [request for request, _ in ready],
            lambda request, nonce: self._sign(request, nonce, gas[request["id"]], state.fees))
        self._broadcast([(request, {"tx_hash": signed.tx_hash, "raw": signed.raw}) for request, signed in assigned])

    def _sign(self, request: Row, nonce: int, gas_limit: int, fees: Fees) -> Signed:
        raw, tx_hash = self.key.sign_transaction({
            "type": 2, "chainId": self.chain_id, "nonce": nonce, "to": request["contract"], "value": 0,
            "data": request["calldata"], "gas": gas_limit, "maxFeePerGas": fees.max_fee,
            "maxPriorityFeePerGas": fees.priority_fee,
        })
        return Signed(raw, tx_hash, fees.max_fee, fees.priority_fee, gas_limit)

    def _broadcast(self, sends: Sequence[tuple[Row, Row]]) -> None:
        """Sends stored transactions in nonce order and records what the node made of each."""
        if not sends:
            return
        now = time.time()
        try:
            answers = self.rpc.batch_outcomes([("eth_sendRawTransaction", (attempt["raw"],)) for _, attempt in sends])
        except PointsError as error:
            # Sent or not, the node did not say: the stored bytes are offered again later, and the chain's
            # receipts and nonce settle which it was.
            log.warning("broadcast of %d transactions unanswered (%s); offering them again in %.0f s", len(sends),
                        error, RETRY_SECONDS)
            self.store.set_many([request["id"] for request, _ in sends], broadcast_at=now)
            return
        sent: list[str] = []
        refused: list[str] = []
        for (request, attempt), answer in zip(sends, answers, strict=True):
            if not isinstance(answer, RpcError):
                sent.append(request["id"])
                continue
            match refusal(answer):
                case Refusal.ALREADY_KNOWN:
                    sent.append(request["id"])
                case Refusal.NONCE_TOO_LOW:
                    # Either this transaction is mined already, or another of the key took the nonce: the
                    # next cycle's receipts and nonce tell which.
                    log.info("request %s: %s says nonce too low; reconciling with the chain", request["id"],
                             attempt["tx_hash"])
                    sent.append(request["id"])
                case Refusal.UNDERPRICED | Refusal.FEE_BELOW_BASE_FEE:
                    # Another transaction with our nonce pays more, or the base fee rose: the next cycle
                    # replaces this one with a higher fee.
                    log.info("request %s: %s (%s); raising its fee", request["id"], attempt["tx_hash"], answer.message)
                    self.store.set(request["id"], status=Status.SENT,
                                   broadcast_at=now - self.settings.relayer_resend_seconds + RETRY_SECONDS)
                case Refusal.INSUFFICIENT_FUNDS:
                    log.error("the relayer's balance cannot pay for request %s: fund %s", request["id"],
                              self.key.address)
                    refused.append(request["id"])
                case _:
                    log.error("request %s: the node refused %s: %s", request["id"], attempt["tx_hash"],
                              answer.message)
                    refused.append(request["id"])
        self.store.set_many(sent, status=Status.SENT, broadcast_at=now)
        # Stored and signed, so still holding their nonces: offered again after RETRY_SECONDS.
        self.store.set_many(refused, broadcast_at=now)



def _mined(receipt: dict[str, Any], now: float) -> dict[str, Any]:
    """A request's new values from its transaction's receipt: `mined`, or `failed` if it reverted."""
    block = int(receipt["blockNumber"], 16)
    cost = int(receipt["gasUsed"], 16) * int(receipt.get("effectiveGasPrice") or "0x0", 16)
    values: dict[str, Any] = {"tx_hash": receipt["transactionHash"], "block_number": block,
                              "block_hash": receipt["blockHash"], "gas_cost_wei": cost, "mined_at": now,
                              "status": Status.MINED}
    if int(receipt["status"], 16) != 1:
        values.update(status=Status.FAILED, reason=f"the transaction reverted in block {block}: the chain changed "
                                                   "after it was checked (stock, balance, prices)")
    return values


def _simulation(outcome: Any) -> int | RpcError:
    """The gas a simulation used (`eth_estimateGas`'s answer, or `gasUsed` in `eth_createAccessList`'s),
    or why it failed: an error answer, or the `error` geth and its kin put in `eth_createAccessList`'s."""
    if isinstance(outcome, RpcError):
        return outcome
    if isinstance(outcome, str):
        return int(outcome, 16)
    if outcome.get("error"):
        return RpcError(CREATE_ACCESS_LIST, {"message": outcome["error"]})
    return int(outcome["gasUsed"], 16)
