"""Webhooks end to end: campaigns minted on a real Anvil, `python -m indexer run --follow` writing
the outbox, `python -m notifier run` delivering to real HTTP receivers in this process.

The module shares one chain and one following indexer; each test starts a notifier of its own
with subscriptions of its own (each has its own cursor in the shared database), and stops it.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from ape import project
from fastapi.testclient import TestClient

from api.app import create_app
from benchmarks.indexer_data import HistoryWriter, history_chain, holder
from chain.calldata import calldata
from chain.rpc import RpcClient
from points.settings import Settings
from tests.support.webhook_receiver import webhook_receiver

SECRET = "s3cret-for-the-tests-only"
OTHER_SECRET = "another-secret-of-the-tests"
DAY = 86_400
HOLDERS = 12
# Token settings of benchmarks.indexer_data.HistoryWriter: epochs of a day, points valid 8 of them.
VALIDITY = 8


@dataclass
class Chain:
    rpc: RpcClient
    writer: HistoryWriter
    database: Path
    directory: Path

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.database}"

    def indexed_block(self) -> int:
        try:
            with sqlite3.connect(self.database) as connection:
                row = connection.execute("SELECT indexed_block FROM checkpoint").fetchone()
        except sqlite3.OperationalError:
            return -1
        return row[0] if row else -1

    def wait_indexed(self, block: int | None = None) -> None:
        target = self.rpc.block_number() if block is None else block
        _wait(lambda: self.indexed_block() >= target, "the indexer to catch up")

    def mine(self, blocks: int) -> None:
        for _ in range(blocks):
            self.rpc.call("evm_mine", [])

    def outbox(self, event_type: str) -> int:
        with sqlite3.connect(self.database) as connection:
            return connection.execute("SELECT COUNT(*) FROM outbox WHERE type = ?", (event_type,)).fetchone()[0]


def _wait(condition: Any, what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> Iterator[Chain]:
    directory = tmp_path_factory.mktemp("webhooks")
    with history_chain() as node:
        writer = HistoryWriter(node.url, project.PointsToken.contract_type.deployment_bytecode.bytecode,
                               project.PartnerExchange.contract_type.deployment_bytecode.bytecode, holders=HOLDERS)
        writer.mint_one_batch()
        manifest = directory / "manifest.json"
        writer.manifest().save(manifest)
        database = directory / "points.db"
        follower = subprocess.Popen(
            [sys.executable, "-m", "indexer", "run", "--follow", "--manifest", str(manifest),
             "--db", f"sqlite:///{database}", "--rpc", node.url],
            stdout=subprocess.DEVNULL, stderr=(directory / "indexer.log").open("w"))
        rpc = RpcClient(node.url)
        try:
            indexed = Chain(rpc, writer, database, directory)
            indexed.wait_indexed()
            yield indexed
        finally:
            follower.terminate()
            follower.wait(timeout=30)
            rpc.close()


@contextmanager
def notifier(chain: Chain, subscriptions: dict[str, dict[str, Any]], name: str) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m notifier run` with these subscriptions in its file, quick to retry."""
    config = chain.directory / f"{name}.yaml"
    config.write_text(yaml.safe_dump({"subscriptions": subscriptions}))
    environment = os.environ | {
        "POINTS_DATABASE_URL": chain.database_url, "POINTS_WEBHOOKS_FILE": str(config),
        "POINTS_NOTIFIER_POLL_SECONDS": "0.05", "POINTS_WEBHOOK_MAX_BACKOFF": "0.3",
        "TEST_WEBHOOK_SECRET": SECRET,
    }
    process = subprocess.Popen([sys.executable, "-m", "notifier", "run"], env=environment,
                               stdout=subprocess.DEVNULL, stderr=(chain.directory / f"{name}.log").open("a"))
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)


def subscription(url: str, **settings: Any) -> dict[str, Any]:
    return {"url": url, "secret_env": "TEST_WEBHOOK_SECRET", "timeout_seconds": 1, "max_attempts": 50} | settings


def in_order_per_account(events: list[dict[str, Any]]) -> bool:
    """Whether each account's events first arrived in chain order."""
    seen: set[str] = set()
    last: dict[str, tuple[int, int]] = {}
    for event in events:
        if event["id"] in seen:
            continue
        seen.add(event["id"])
        data = event["data"]
        position = (data["block"], data["log_index"])
        if position < last.get(data["account"], (-1, -2)):
            return False
        last[data["account"]] = position
    return True


def test_events_arrive_signed_in_order_through_failures_and_timeouts(chain):
    with webhook_receiver(SECRET) as (url, received), webhook_receiver(SECRET) as (slow_url, slow):
        received.behaviour.fail, received.behaviour.stall, received.behaviour.stall_count = 40, 3.0, 3
        slow.behaviour.stall, slow.behaviour.stall_count = 3.0, 10**6
        first = chain.rpc.block_number() + 1
        with notifier(chain, {"main": subscription(url, types=["points.issued"], confirmations=2, from_block=first),
                              "slow": subscription(slow_url, confirmations=0, from_block=first)}, "first"):
            for _ in range(3):
                chain.writer.mint_one_batch()
            head = chain.rpc.block_number()
            chain.wait_indexed(head)
            time.sleep(1)
            # Nothing is sent before it is two blocks deep.
            assert all(event["data"]["block"] <= head - 2 for event in received.events)
            chain.mine(2)
            expected = 3 * 256
            received.wait_for(lambda r: len(r.ids()) == expected)
            assert slow.events == [], "a receiver that never answers in time has nothing accepted"
            # Amounts are decimal strings, as in the read API.
            assert all(event["data"]["amount"] == str(int(event["data"]["amount"])) for event in received.events)
            assert received.failed == 40 and received.stalled == 3 and received.refused == 0
            assert all(event["type"] == "points.issued" and event["program"] == chain.writer.token
                       for event in received.events)
            assert in_order_per_account(received.events)

            client = TestClient(create_app(Settings(database_url=chain.database_url)))
            states = {item["subscription"]: item for item in client.get("/v1/webhooks").json()["items"]}
            assert states["main"]["delivered"] == len(received.events) and states["main"]["pending"] == 0
            assert states["slow"]["delivered"] == 0 and states["slow"]["pending"] > 0
            assert "no answer within 1 s" in states["slow"]["last_error"]


def test_kill_9_mid_batch_loses_nothing(chain):
    with webhook_receiver(SECRET) as (url, received):
        received.behaviour.delay = 0.01
        first = chain.rpc.block_number() + 1
        settings = {"killed": subscription(url, types=["points.issued"], confirmations=0, from_block=first)}
        for _ in range(4):
            chain.writer.mint_one_batch()
        chain.wait_indexed()
        expected = 4 * 256
        with notifier(chain, settings, "killed") as process:
            received.wait_for(lambda r: len(r.events) >= 200)
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        before_restart = len(received.ids())
        assert before_restart < expected
        with notifier(chain, settings, "killed"):
            received.wait_for(lambda r: len(r.ids()) == expected)
            time.sleep(0.5)
        duplicates = len(received.events) - len(received.ids())
        # At least once: what was in flight when the notifier died is sent again, with the same id.
        assert duplicates <= 16 * 4
        assert in_order_per_account(received.events)


def test_a_reorg_before_the_confirmation_depth_sends_nothing_of_the_orphaned_block(chain):
    with webhook_receiver(SECRET) as (url, received):
        first = chain.rpc.block_number() + 1
        with notifier(chain, {"deep": subscription(url, types=["points.issued"], confirmations=3,
                                                   from_block=first)}, "deep"):
            chain.writer.mint_one_batch()
            orphaned, orphaned_tx = _last_campaign(chain)
            depth = chain.rpc.block_number() - orphaned + 2
            chain.mine(1)
            chain.wait_indexed()
            assert chain.outbox("points.issued") > 0
            # Less than three blocks deep: indexed, in the outbox, not sent; then replaced.
            chain.writer.reorganise(depth)
            _, replacement = _last_campaign(chain)
            chain.mine(3)
            received.wait_for(lambda r: any(event["data"]["tx_hash"] == replacement for event in r.events))
            time.sleep(1)
            sent = {event["data"]["tx_hash"] for event in received.events}
            assert orphaned_tx not in sent and sent == {replacement}

            # Past the depth: sent, and a deeper reorganisation cannot take it back; its
            # replacement is sent too, once confirmed, under ids of its own.
            chain.writer.mint_one_batch()
            confirmed, confirmed_tx = _last_campaign(chain)
            chain.mine(3)
            received.wait_for(lambda r: any(event["data"]["tx_hash"] == confirmed_tx for event in r.events))
            chain.writer.reorganise(chain.rpc.block_number() - confirmed + 2)
            _, again = _last_campaign(chain)
            chain.mine(3)
            received.wait_for(lambda r: len(r.ids()) == 3 * 256)
            time.sleep(0.5)
            assert len(received.events) == 3 * 256
            assert {event["data"]["tx_hash"] for event in received.events} == {replacement, confirmed_tx, again}


def _cli(chain: Chain, config: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = os.environ | {"POINTS_DATABASE_URL": chain.database_url, "POINTS_WEBHOOKS_FILE": str(config),
                                "TEST_WEBHOOK_SECRET": SECRET}
    return subprocess.run([sys.executable, "-m", "notifier", "webhooks", *arguments], capture_output=True,
                          text=True, env=environment, timeout=120, check=False)


def _dead(chain: Chain, name: str) -> int:
    with sqlite3.connect(chain.database) as connection:
        return connection.execute("SELECT COUNT(*) FROM webhook_delivery WHERE subscription = ? AND state = 'dead'",
                                  (name,)).fetchone()[0]


def test_dead_letters_replay_and_the_operators_commands(chain):
    with webhook_receiver(SECRET) as (url, received):
        received.behaviour.fail = 10**6
        # One attempt each: the first failure makes a delivery dead (test_events_... covers retries).
        settings = {"ops": subscription(url, types=["points.issued"], confirmations=0, max_attempts=1,
                                        from_block=chain.rpc.block_number() + 1)}
        with notifier(chain, settings, "ops"):
            chain.writer.mint_one_batch()
            _wait(lambda: _dead(chain, "ops") == 256, "every delivery to go dead")
            # One attempt each. The receiver counts those that reached it: on a loaded machine an
            # attempt can time out before it does (CI: 255 of 256).
            with sqlite3.connect(chain.database) as connection:
                attempts = set(connection.execute("SELECT attempts FROM webhook_delivery WHERE subscription = 'ops'"))
            assert attempts == {(1,)}
            assert received.events == [] and received.failed <= 256
            config = chain.directory / "ops.yaml"

            listed = _cli(chain, config, "list")
            assert listed.returncode == 0, listed.stderr
            assert "ops" in listed.stdout and "256" in listed.stdout and SECRET not in listed.stdout + listed.stderr

            received.behaviour.fail = 0
            tested = _cli(chain, config, "test", "ops")
            assert tested.returncode == 0 and "delivered a signed webhook.test" in tested.stderr, tested.stderr
            assert [event["type"] for event in received.events] == ["webhook.test"]

            replayed = _cli(chain, config, "replay", "ops")
            assert replayed.returncode == 0 and "256 dead deliveries of ops are queued again" in replayed.stderr
            received.wait_for(lambda r: len(r.of_type("points.issued")) == 256)
            assert in_order_per_account(received.of_type("points.issued"))

        refused = _cli(chain, config, "add", "files", "--url", "file:///etc/passwd", "--secret-env",
                       "TEST_WEBHOOK_SECRET")
        assert refused.returncode == 2 and "is not an http(s) URL" in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
        added = _cli(chain, config, "add", "kept", "--url", url, "--secret-env", "TEST_WEBHOOK_SECRET",
                     "--type", "points.expired", "--lead-days", "3")
        assert added.returncode == 0, added.stderr
        assert "kept" in _cli(chain, config, "list").stdout
        assert _cli(chain, config, "remove", "kept").returncode == 0
        missing = _cli(chain, config, "test", "nobody")
        assert missing.returncode == 2 and "no subscription named 'nobody'" in missing.stderr


def _last_campaign(chain: Chain) -> tuple[int, str]:
    """The newest block with a transaction, and that transaction's hash."""
    number = chain.rpc.block_number()
    while not (transactions := chain.rpc.call("eth_getBlockByNumber", [hex(number), False])["transactions"]):
        number -= 1
    return number, transactions[0]


def _send_as(chain: Chain, sender: str, data: str) -> None:
    chain.rpc.batch([("anvil_impersonateAccount", (sender,)), ("anvil_setBalance", (sender, hex(10**18)))])
    chain.rpc.call("eth_sendTransaction", [{"from": sender, "to": chain.writer.token, "data": data}])
    chain.rpc.call("anvil_stopImpersonatingAccount", [sender])


def test_points_expiring_once_before_the_epoch_boundary_and_not_when_spent(chain):
    with webhook_receiver(SECRET) as (url, received):
        spender = holder(0)
        with notifier(chain, {"expiry": subscription(url, types=["points.expiring", "points.expired"],
                                                     confirmations=0, lead_days=2)}, "expiry"):
            chain.writer.mint_one_batch()
            chain.wait_indexed()
            time.sleep(1)
            assert received.events == [], "points eight days from expiry are not announced two days ahead"
            balance = int(chain.rpc.call("eth_call", [{"to": chain.writer.token,
                                                      "data": calldata("balanceOf(address)", spender)}, "latest"]), 16)
            _send_as(chain, spender, calldata("burn(uint256)", balance))
            chain.rpc.batch([("evm_increaseTime", ((VALIDITY - 1) * DAY,)), ("evm_mine", ())])
            chain.wait_indexed()
            expiring_holders = HOLDERS - 1
            received.wait_for(lambda r: len({e["data"]["account"] for e in r.of_type("points.expiring")})
                              >= expiring_holders)
            # Later scans at later blocks announce nothing again.
            chain.mine(2)
            chain.wait_indexed()
            time.sleep(1.5)
            notices = received.of_type("points.expiring")
            keys = [(event["program"], event["data"]["account"], event["data"]["expires_at"]) for event in notices]
            assert len(keys) == len(set(keys)), "one notice per account, program and expiry date"
            assert spender not in {event["data"]["account"] for event in notices}

            chain.rpc.batch([("evm_increaseTime", (3 * DAY,)), ("evm_mine", ())])
            chain.wait_indexed()
            received.wait_for(lambda r: {e["data"]["account"] for e in r.of_type("points.expired")}
                              >= {e["data"]["account"] for e in r.of_type("points.expiring")})
            assert received.refused == 0
