"""The live feed's one poll per API process, fanned out to every `/v1/stream` subscriber.

One task polls the database for the movements after the last one it saw (three statements per
poll, whatever the number of subscribers) while anyone listens, and hands each movement, encoded
once as a server-sent event, to the subscribers whose filters it matches, through a bounded queue
of their own. Nothing waits for a subscriber: one whose queue is full is marked behind and catches
up with reads of its own from its last event, as does a subscriber that resumes from an earlier
event, then takes the shared feed again. Events are deduplicated by their position in the chain,
so the overlap of the two is never sent twice.

The indexer commits whole batches, so a poll never sees half a block. When a reorganisation
removes movements a subscriber was sent, it gets a `reorg` event naming the first block to
forget, and the canonical chain's movements from there. The poller tells a reorganisation by the
indexed block falling below what it sent, or, when the indexer has already indexed the new
branch past it between two polls, by the hash of the last block it sent no longer being the
indexed one.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from functools import partial
from typing import Any

import orjson
from sqlalchemy.exc import SQLAlchemyError

from api.database import Database, NotIndexed, Reader
from api.models import Movement
from api.movements import CURSOR_LIST, movement_item, movement_key
from api.pagination import encode_cursor
from api.queries import BLOCK_HASHES_FROM, INDEXED_BLOCK, MOVEMENT_KEY, latest_movement_query, movements_after_query

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2
HEARTBEAT_SECONDS = 15.0
BATCH_ROWS = 500
# Events a subscriber may have waiting; beyond, it catches up by reading for itself.
QUEUE_EVENTS = 2_000
Key = tuple[int, int, int]
# A position after every movement of block n: where a feed resumes after a rollback to block n.
END_OF_BLOCK = 2**31
# Blocks whose hashes the poller keeps, as the indexer does: no deeper reorganisation is followed.
REMEMBERED_BLOCKS = 256
NOTHING: Key = (-1, -1, -1)


@dataclass(frozen=True)
class Reorg:
    """The indexer rolled back to `indexed`: what was sent from later blocks is void."""

    indexed: int


@dataclass(frozen=True)
class Event:
    key: Key
    encoded: bytes


def encode_movement(row: dict[str, Any]) -> Event:
    """A movement row (as the API shows it) as a server-sent event; its id is a history cursor."""
    row.pop("block_hash", None)
    key = movement_key(row)
    return Event(key, b"id: " + encode_cursor(CURSOR_LIST, key).encode() + b"\nevent: movement\ndata: "
                 + orjson.dumps(Movement.model_validate(row).model_dump(mode="json")) + b"\n\n")


def reorg_event(indexed: int) -> bytes:
    return b"event: reorg\ndata: " + orjson.dumps({"from_block": indexed + 1}) + b"\n\n"


def movements_after(reader: Reader, last: Key, filters: dict[str, str]) -> tuple[int | None, list[dict[str, Any]]]:
    """The indexed block and up to BATCH_ROWS movements after `last` that pass `filters`, oldest
    first, each with its block's hash as `block_hash` (null beyond the indexer's recent blocks)."""
    indexed = reader.rows(INDEXED_BLOCK, {})
    query = movements_after_query("program" in filters, "account" in filters)
    rows = reader.dicts(query, {**filters, **dict(zip(MOVEMENT_KEY, last, strict=True)), "limit": BATCH_ROWS})
    return (indexed[0][0] if indexed else None), [movement_item(row) for row in rows]


def _start(reader: Reader) -> tuple[Key, dict[int, str]]:
    """The newest movement's key, and its block's hash where the indexer remembers it."""
    latest = latest_movement(reader, {})
    hashes: dict[int, str] = dict(reader.rows(BLOCK_HASHES_FROM, {"number": latest[0]}))
    return latest, {latest[0]: hashes[latest[0]]} if latest[0] in hashes else {}


def _poll(reader: Reader, last: Key, sent: dict[int, str]) -> tuple[int | None, list[dict[str, Any]], int | None]:
    """The indexed block, the movements after `last`, and, when the block of `last` has another hash
    now than in `sent` (the hashes of the blocks whose movements went out), the newest of those
    blocks that kept its hash, or the block before them all: the feed goes back to there."""
    if sent and last[0] in sent:
        hashes: dict[int, str] = dict(reader.rows(BLOCK_HASHES_FROM, {"number": last[0]}))
        if hashes.get(last[0], sent[last[0]]) != sent[last[0]]:
            hashes = dict(reader.rows(BLOCK_HASHES_FROM, {"number": min(sent)}))
            kept = [number for number, block_hash in sent.items() if hashes.get(number, block_hash) == block_hash]
            return None, [], max(kept, default=min(sent) - 1)
    indexed, rows = movements_after(reader, last, {})
    return indexed, rows, None


def latest_movement(reader: Reader, filters: dict[str, str]) -> Key:
    """The newest movement's key among those that pass `filters`; NOTHING when there is none."""
    rows = reader.rows(latest_movement_query("program" in filters, "account" in filters), filters)
    return (rows[0][0], rows[0][1], rows[0][2]) if rows else NOTHING


class Subscriber:
    """One `/v1/stream` connection: its filters, its queue, and the last movement it was sent."""

    def __init__(self, filters: dict[str, str], last: Key) -> None:
        self.filters = filters
        self.last = last
        self.queue: asyncio.Queue[Event | Reorg] = asyncio.Queue(QUEUE_EVENTS)
        # Until it has read from `last` up to the present itself, the shared feed skips it.
        self.behind = True

    def offer(self, item: Event | Reorg) -> None:
        if self.behind:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.behind = True

    def passes(self, row: dict[str, Any]) -> bool:
        return all(row[column] == value for column, value in self.filters.items())


EVERYONE = ("", "")


def _group_of(subscriber: Subscriber) -> tuple[str, str]:
    for column in ("account", "program"):
        if column in subscriber.filters:
            return column, subscriber.filters[column]
    return EVERYONE


class LiveFeed:
    """The process's poller and its subscribers. `start` and `stop` run in the app's lifespan."""

    def __init__(self, database: Database) -> None:
        self.database = database
        # Subscribers by ("account", address) when they filter by account, else by ("program",
        # address), else under EVERYONE: a movement is offered to three groups, not to everyone.
        self._groups: dict[tuple[str, str], set[Subscriber]] = {}
        self._count = 0
        # The last movement the poller saw; None while nobody listens, and the poller idles.
        self._position: Key | None = None
        # The hashes of the recent blocks whose movements it sent, to tell when they left the chain.
        self._sent: dict[int, str] = {}
        self._ready = asyncio.Event()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._poll_forever(), name="live-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def events(self, subscriber: Subscriber) -> AsyncGenerator[bytes, None]:
        """The subscriber's server-sent events, for as long as it listens."""
        self._add(subscriber)
        try:
            await self._ready.wait()
            while True:
                if subscriber.behind:
                    async for chunk in self._catch_up(subscriber):
                        yield chunk
                    continue
                try:
                    item = await asyncio.wait_for(subscriber.queue.get(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield b": heartbeat\n\n"
                    continue
                if isinstance(item, Reorg):
                    if subscriber.last[0] > item.indexed:
                        subscriber.last = (item.indexed, END_OF_BLOCK, END_OF_BLOCK)
                        yield reorg_event(item.indexed)
                elif item.key > subscriber.last:
                    subscriber.last = item.key
                    yield item.encoded
        finally:
            self._remove(subscriber)

    async def _catch_up(self, subscriber: Subscriber) -> AsyncIterator[bytes]:
        """Reads the subscriber's movements from its last one to the present. What the feed queued
        meanwhile is then sent or skipped by its position, so nothing falls between the two."""
        while not subscriber.queue.empty():
            subscriber.queue.get_nowait()
        subscriber.behind = False
        while True:
            indexed, rows = await self.database.read(
                partial(movements_after, last=subscriber.last, filters=subscriber.filters))
            if indexed is not None and subscriber.last[0] > indexed:
                subscriber.last = (indexed, END_OF_BLOCK, END_OF_BLOCK)
                yield reorg_event(indexed)
                continue
            for row in rows:
                event = encode_movement(row)
                subscriber.last = event.key
                yield event.encoded
            if len(rows) < BATCH_ROWS:
                return

    def _add(self, subscriber: Subscriber) -> None:
        self._groups.setdefault(_group_of(subscriber), set()).add(subscriber)
        self._count += 1
        self._wake.set()

    def _remove(self, subscriber: Subscriber) -> None:
        group = _group_of(subscriber)
        self._groups[group].discard(subscriber)
        if not self._groups[group]:
            del self._groups[group]
        self._count -= 1

    def _fan_out(self, item: Event | Reorg, row: dict[str, Any] | None) -> None:
        """Offers `item` to the subscribers of `row`'s account and program, or to all without a row."""
        if row is None:
            for group in self._groups.values():
                for subscriber in group:
                    subscriber.offer(item)
            return
        for subscriber in self._groups.get(EVERYONE, ()):
            subscriber.offer(item)
        for subscriber in self._groups.get(("program", row["program"]), ()):
            subscriber.offer(item)
        for subscriber in self._groups.get(("account", row["account"]), ()):
            if subscriber.passes(row):
                subscriber.offer(item)

    async def _poll_forever(self) -> None:
        while True:
            if not self._count:
                self._position = None
                self._sent.clear()
                self._ready.clear()
                self._wake.clear()
                await self._wake.wait()
                continue
            try:
                more = await self._poll()
            except (NotIndexed, SQLAlchemyError) as error:
                # Each subscriber got its first answer from the database; it will be back.
                log.warning("live feed: %s", error)
                more = False
            if not more:
                await asyncio.sleep(POLL_SECONDS)

    async def _poll(self) -> bool:
        """One poll; whether there may be more to read at once."""
        position = self._position
        if position is None:
            start, self._sent = await self.database.read(_start)
            position = self._position = start
            self._ready.set()
        indexed, rows, ancestor = await self.database.read(partial(_poll, last=position, sent=self._sent))
        if ancestor is None and indexed is not None and position[0] > indexed:
            ancestor = indexed
        if ancestor is not None:
            self._position = (ancestor, END_OF_BLOCK, END_OF_BLOCK)
            self._sent = {number: block_hash for number, block_hash in self._sent.items() if number <= ancestor}
            self._fan_out(Reorg(ancestor), None)
            return True
        for row in rows:
            if row["block_hash"] is not None:
                self._sent[row["block"]] = row["block_hash"]
            event = encode_movement(row)
            position = event.key
            self._fan_out(event, row)
        self._position = position
        for number in [number for number in self._sent if number <= position[0] - REMEMBERED_BLOCKS]:
            del self._sent[number]
        return len(rows) == BATCH_ROWS
