"""The live feed's fan-out (api/live.py) over a real SQLite database that the test writes as the
indexer would, a batch per transaction: subscribers get exactly their filters' movements, in order
and once; a subscriber that stops reading neither holds up the others nor loses an event; a
rollback sends a `reorg` event to those that saw the orphaned movements; and the database is
polled once for all subscribers."""

import asyncio
import sqlite3
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path

import orjson
import pytest

from api import live
from api.database import Database
from api.live import LiveFeed, Subscriber
from indexer.store import Store

PROGRAMS = ("0x" + "a1" * 20, "0x" + "b2" * 20)
ACCOUNTS = ("0x" + "c3" * 20, "0x" + "d4" * 20)
SECONDS = 30.0


class Chain:
    """Writes movements and the checkpoint into the indexed database, one batch per call."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.block = 0
        # Blocks of a branch have hashes of their own, as after a reorganisation.
        self.branch = 0

    def commit_block(self, *movements: tuple[str, str]) -> int:
        """A block of movements (program, account); returns its number."""
        self.block += 1
        with sqlite3.connect(self.database) as connection:
            connection.executemany(
                "INSERT INTO movement (block, log_index, seq, program, account, kind, amount, counterparty, epoch, "
                "reward_id, tx_hash, timestamp) VALUES (?, ?, 0, ?, ?, 'issued', ?, NULL, 1, NULL, ?, ?)",
                [(self.block, index, program, account, 10 + index, f"0x{self.block:064x}", 1_700_000_000 + self.block)
                 for index, (program, account) in enumerate(movements)])
            connection.execute("INSERT INTO block (number, hash, parent_hash, timestamp) VALUES (?, ?, '0x', 0)",
                               (self.block, f"0x{self.branch:02x}{self.block:062x}"))
            self._checkpoint(connection, self.block)
        return self.block

    def roll_back_to(self, block: int) -> None:
        """What the indexer's rollback commits: the rows above `block` go, the checkpoint goes back."""
        with sqlite3.connect(self.database) as connection:
            connection.execute("DELETE FROM movement WHERE block > ?", (block,))
            connection.execute("DELETE FROM block WHERE number > ?", (block,))
            self._checkpoint(connection, block)
        self.block = block
        self.branch += 1

    @staticmethod
    def _checkpoint(connection: sqlite3.Connection, block: int) -> None:
        connection.execute("INSERT OR REPLACE INTO checkpoint (id, chain_id, indexed_block, indexed_hash, "
                           "indexed_timestamp, chain_head) VALUES (1, 31337, ?, '0x', 0, ?)", (block, block))


@pytest.fixture
def chain(tmp_path) -> Iterator[Chain]:
    database = tmp_path / "points.db"
    store = Store(f"sqlite:///{database}")
    store.prepare(31337)
    store.close()
    chain = Chain(database)
    chain.commit_block((PROGRAMS[0], ACCOUNTS[0]))
    yield chain


class Listener:
    """A subscriber's events as they arrive, read by a task of its own."""

    def __init__(self, feed: LiveFeed, filters: dict[str, str], start: tuple[int, int, int]) -> None:
        self.events: list[tuple[str, dict]] = []
        self.reading = asyncio.Event()
        self.reading.set()
        self._stream: AsyncGenerator[bytes, None] = feed.events(Subscriber(filters, start))
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for chunk in self._stream:
            await self.reading.wait()
            fields = dict(line.split(": ", 1) for line in chunk.decode().splitlines()
                          if line and not line.startswith(":"))
            if "event" in fields:
                self.events.append((fields["event"], orjson.loads(fields["data"])))

    def movements(self) -> list[tuple[int, str, str]]:
        return [(data["block"], data["program"], data["account"]) for kind, data in self.events if kind == "movement"]

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(SECONDS):
            while len(self.events) < count:
                if self._task.done():
                    self._task.result()  # the reading failed: say why
                await asyncio.sleep(0.01)

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        await self._stream.aclose()


async def _running(chain: Chain) -> tuple[Database, LiveFeed]:
    database = Database(f"sqlite:///{chain.database}")
    feed = LiveFeed(database)
    feed.start()
    return database, feed


def test_each_subscriber_gets_its_filters_movements_once_and_in_order(chain):
    async def scenario() -> None:
        database, feed = await _running(chain)
        now = (chain.block, 2**31, 2**31)
        everyone = Listener(feed, {}, now)
        program = Listener(feed, {"program": PROGRAMS[1]}, now)
        account = Listener(feed, {"account": ACCOUNTS[1]}, now)
        both = Listener(feed, {"program": PROGRAMS[0], "account": ACCOUNTS[1]}, now)
        first = chain.commit_block((PROGRAMS[0], ACCOUNTS[0]), (PROGRAMS[1], ACCOUNTS[1]))
        second = chain.commit_block((PROGRAMS[0], ACCOUNTS[1]))
        try:
            await everyone.wait_for(3)
            await asyncio.gather(program.wait_for(1), account.wait_for(2), both.wait_for(1))
            await asyncio.sleep(3 * live.POLL_SECONDS)
        finally:
            for listener in (everyone, program, account, both):
                await listener.close()
            await feed.stop()
            database.close()

        assert everyone.movements() == [(first, PROGRAMS[0], ACCOUNTS[0]), (first, PROGRAMS[1], ACCOUNTS[1]),
                                        (second, PROGRAMS[0], ACCOUNTS[1])]
        assert program.movements() == [(first, PROGRAMS[1], ACCOUNTS[1])]
        assert account.movements() == [(first, PROGRAMS[1], ACCOUNTS[1]), (second, PROGRAMS[0], ACCOUNTS[1])]
        assert both.movements() == [(second, PROGRAMS[0], ACCOUNTS[1])]

    asyncio.run(scenario())


def test_a_stalled_subscriber_holds_up_nobody_and_loses_nothing(chain, monkeypatch):
    monkeypatch.setattr(live, "QUEUE_EVENTS", 2)

    async def scenario() -> None:
        database, feed = await _running(chain)
        now = (chain.block, 2**31, 2**31)
        stalled, reader = Listener(feed, {}, now), Listener(feed, {}, now)
        stalled.reading.clear()
        try:
            blocks = [chain.commit_block((PROGRAMS[0], ACCOUNTS[0]), (PROGRAMS[1], ACCOUNTS[1])) for _ in range(5)]
            await reader.wait_for(10)
            assert len(stalled.events) == 0
            stalled.reading.set()
            await stalled.wait_for(10)
            await asyncio.sleep(3 * live.POLL_SECONDS)
        finally:
            await stalled.close()
            await reader.close()
            await feed.stop()
            database.close()

        expected = [(block, program, account) for block in blocks
                    for program, account in ((PROGRAMS[0], ACCOUNTS[0]), (PROGRAMS[1], ACCOUNTS[1]))]
        assert reader.movements() == expected
        assert stalled.movements() == expected

    asyncio.run(scenario())


@pytest.mark.parametrize("between_polls", [True, False], ids=["new-branch-between-polls", "rollback-seen-first"])
def test_a_rollback_sends_reorg_to_those_that_saw_orphaned_movements(chain, between_polls):
    """Whether or not a poll sees the database between the rollback and the new branch's block."""
    async def scenario() -> None:
        database, feed = await _running(chain)
        now = (chain.block, 2**31, 2**31)
        saw, did_not = Listener(feed, {"account": ACCOUNTS[1]}, now), Listener(feed, {"account": ACCOUNTS[0]}, now)
        kept = chain.commit_block((PROGRAMS[0], ACCOUNTS[0]))
        chain.commit_block((PROGRAMS[0], ACCOUNTS[1]))
        try:
            await asyncio.gather(saw.wait_for(1), did_not.wait_for(1))
            chain.roll_back_to(kept)
            if not between_polls:
                await saw.wait_for(2)
            replaced = chain.commit_block((PROGRAMS[1], ACCOUNTS[1]))
            await saw.wait_for(3)
            await asyncio.sleep(3 * live.POLL_SECONDS)
        finally:
            await saw.close()
            await did_not.close()
            await feed.stop()
            database.close()

        assert [kind for kind, _ in saw.events] == ["movement", "reorg", "movement"]
        assert saw.events[1][1] == {"from_block": kept + 1}
        assert saw.movements()[-1] == (replaced, PROGRAMS[1], ACCOUNTS[1])
        assert [kind for kind, _ in did_not.events] == ["movement"]

    asyncio.run(scenario())


def test_one_poll_serves_every_subscriber(chain, monkeypatch):
    """The poller's reads per second do not grow with the number of subscribers."""
    reads = {"count": 0}
    original = live.movements_after

    def counted(*arguments, **keywords):
        reads["count"] += 1
        return original(*arguments, **keywords)

    monkeypatch.setattr(live, "movements_after", counted)

    async def polls_per_second(subscribers: int) -> float:
        database, feed = await _running(chain)
        now = (chain.block, 2**31, 2**31)
        listeners = [Listener(feed, {"account": ACCOUNTS[index % 2]}, now) for index in range(subscribers)]
        try:
            await asyncio.sleep(4 * live.POLL_SECONDS)  # each subscriber's own first read is done
            before = reads["count"]
            await asyncio.sleep(10 * live.POLL_SECONDS)
            return (reads["count"] - before) / (10 * live.POLL_SECONDS)
        finally:
            for listener in listeners:
                await listener.close()
            await feed.stop()
            database.close()

    one, many = asyncio.run(polls_per_second(1)), asyncio.run(polls_per_second(200))

    assert 0 < one <= 1 / live.POLL_SECONDS + 1
    assert many <= one + 1
