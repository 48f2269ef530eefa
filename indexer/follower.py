"""The indexing loop: backfill from the deployment, then follow the head, surviving reorgs.

Each iteration reads a range of blocks, projects its logs and commits the result with the
checkpoint in one database transaction. Near the head every block's header is read so that a
parent hash that no longer matches reveals a reorganisation: the orphaned batches are undone and
indexing resumes from the common ancestor.

A head at or below the checkpoint gets one more look per poll, because a chain that went back
(`anvil_rollback`, a fail-over to a node on another branch) may hold fewer blocks than are indexed:
a remembered block whose hash the node no longer has is rolled back at once, while a node that
merely lacks the indexed blocks is behind, and is waited for.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby, pairwise
from operator import attrgetter

from chain.programs import NotAProgram, read_settings
from chain.rpc import BlockHeader, RpcClient
from indexer.outbox import OutboxWriter
from indexer.projector import ProgramParams, Projector
from indexer.reader import Fetched, LogBlock, LogReader
from indexer.state import TrackedState
from indexer.store import REORG_WINDOW_BLOCKS, BatchWrite, Store
from indexer.writer import BatchWriter
from points.errors import PointsError
from points.manifest import Manifest

log = logging.getLogger("indexer")

MIN_RANGE_BLOCKS = 1
INITIAL_RANGE_BLOCKS = 2
MAX_RANGE_BLOCKS = 10_000
# How much of the densest logs-per-block figure survives each batch.
DENSITY_MEMORY = 0.95
NEAR_HEAD_RANGE_BLOCKS = 200
# Each batch rewrites the pages of the randomly keyed indexes (balances, epoch groups, accounts'
# movements) it touches, nearly all of them on a busy program: fewer, larger batches write the
# WAL less. Memory bounds them: a backfill's peak memory grows with the logs per range, and this
# target keeps it under the benchmark's bound.
TARGET_LOGS_PER_RANGE = 20_000
# Ranges asked of the reader beyond the one being applied: the node serves one while the reader
# decodes another, and a third waits in the pipe for the indexer.
READ_AHEAD_RANGES = 3


@dataclass
class Progress:
    """What the loop reports after each committed batch."""

    indexed_block: int
    chain_head: int
    events: int
    seconds: float


class Follower:
    # Set by `start` (and again by `_load` after a rollback).
    state: TrackedState
    projector: Projector
    hashes: dict[int, str]

    def __init__(
        self,
        manifest: Manifest,
        rpc: RpcClient,
        store: Store,
        reader: LogReader,
        *,
        confirmations: int = 0,
        poll_seconds: float = 0.25,
        on_batch: Callable[[Progress], None] | None = None,
        outbox: OutboxWriter | None = None,
    ) -> None:
        """`reader` reads the deployment's contracts' logs; the caller starts it as early as it can,
        so that it loads its modules meanwhile, and the follower closes it. No I/O here: `start`
        does the start-up's."""
        self.manifest = manifest
        self.rpc = rpc
        self.store = store
        self.reader = reader
        self.confirmations = confirmations
        self.poll_seconds = poll_seconds
        self.on_batch = on_batch
        self.outbox = outbox
        self.range_blocks = INITIAL_RANGE_BLOCKS
        self._density = 0.0
        # `start` checks that the node serves this chain.
        self.chain_id = manifest.chain_id
        self.writer = BatchWriter(store, self.chain_id)
        self.next_block = manifest.start_block
        self.deferred_indexes: list[str] = []
        self.params: list[ProgramParams] = []
        # The head the checkpoint holds (or will, once the writer commits), so that a head seen
        # while idle is written only when it changed.
        self.chain_head: int | None = None

    def start(self) -> None:
        """Checks the node's chain, prepares the database, asks the reader for the first ranges,
        reads the programs' settings and loads the indexed state. Closes the reader if it fails."""
        try:
            served = self.rpc.chain_id()
            if served != self.chain_id:
                raise PointsError(
                    f"the manifest is for chain {self.chain_id} but the RPC at {self.rpc.url} serves chain {served}"
                )
            checkpoint = self.store.prepare(self.chain_id)
            if checkpoint is None:
                self.store.defer_indexes()
            # Missing too where a first backfill stopped before it caught up: it goes on without them.
            self.deferred_indexes = self.store.deferred_indexes()
            if checkpoint is not None:
                self.next_block = checkpoint.indexed_block + 1
                self.chain_head = checkpoint.chain_head
            self._read_ahead(self.next_block, self.rpc.block_number() - self.confirmations)
            self.params = self._program_params()
            self._load()
        except BaseException:
            self.reader.close()
            raise

    def _request(self, first: int, target: int) -> int:
        """Asks the reader for the range from `first`; returns its last block."""
        near_head = _near_head(first, target)
        last = min(target, first + self._span(near_head) - 1)
        self.reader.request(first, last, near_head)
        return last

    def _program_params(self) -> list[ProgramParams]:
        """Each program's settings, read at its deployment block (they never change)."""
        programs = []
        for key, record in self.manifest.programs.items():
            try:
                settings = read_settings(self.rpc, record.address, record.block)
            except NotAProgram:
                raise PointsError(f"program {key!r} at {record.address} is not a PointsToken") from None
            programs.append(ProgramParams(
                address=record.address, key=key, name=record.name, symbol=record.symbol,
                epoch_start=settings.epoch_start, epoch_length=settings.epoch_length, validity=settings.validity,
                cap_period=settings.cap_period, deployed_block=record.block, transferable=settings.transferable,
            ))
        return programs

    def _load(self) -> None:
        """(Re)builds the in-memory state from the database, as after a restart or a rollback."""
        self.writer.wait()
        self.state = TrackedState(self.store.load_state())
        self.projector = Projector(self.state, self.params, self.manifest.exchange.address)
        self.hashes = self.store.recent_hashes()

    def run(self, follow: bool) -> None:
        """Indexes up to the head (less `confirmations`); with `follow`, keeps going until stopped."""
        while True:
            head = self.rpc.block_number()
            target = head - self.confirmations
            if self.next_block > target:
                self.writer.wait()
                if self._left_the_chain(head):
                    continue
                if self.deferred_indexes:
                    self._build_deferred_indexes()
                self._record_head(head)
                if not follow:
                    return
                time.sleep(self.poll_seconds)
                continue
            self.step(head, target)

    def _left_the_chain(self, head: int) -> bool:
        """Whether the indexed blocks left the node's chain, in which case they are rolled back now.

        Until the head passes the checkpoint no range is read, so no parent hash is compared: the
        newest remembered block at or below the head is. A node that lacks it is behind, not on
        another branch. A different hash is looked at twice, since an endpoint behind a load
        balancer may answer one look from another node.
        """
        remembered = [number for number in self.hashes if number <= min(head, self.next_block - 1)]
        if not remembered:
            return False
        number = max(remembered)
        if self._still_indexed(number) or self._still_indexed(number):
            return False
        self._roll_back(number)
        return True

    def _still_indexed(self, number: int) -> bool:
        """Whether the node's block `number` is the indexed one, or the node lacks it (it is behind)."""
        header = _header_if_any(self.rpc, number)
        return header is None or header.hash == self.hashes[number]

    def _record_head(self, head: int) -> None:
        """Writes the head to the checkpoint when it changed without a batch: a node that went back
        below the indexed block then shows in `/v1/health` as a negative lag."""
        if head != self.chain_head:
            self.store.set_chain_head(head)
            self.chain_head = head

    def _build_deferred_indexes(self) -> None:
        started = time.perf_counter()
        self.store.build_deferred_indexes()
        log.info("event=indexes_built indexes=%s seconds=%.3f", ",".join(self.deferred_indexes),
                 time.perf_counter() - started)
        self.deferred_indexes = []

    def _read(self, first: int, target: int) -> Fetched:
        """The range from `first`, read ahead: while one range is projected and written, the reader
        process downloads and decodes the next ones. Near the head a range read ahead is as good
        as one read now, because its headers are checked against the indexed chain when it is
        applied, not when it is read."""
        near_head = _near_head(first, target)
        fetched = None
        while fetched is None and self.reader.outstanding is not None:
            ahead = self.reader.take()
            # After a rollback or a range that changed while read, the ranges read ahead are not
            # the next ones; if the head went back, they may reach past the target, or need every
            # header where they were read deep.
            if ahead.first == first and ahead.last <= target and (ahead.near_head or not near_head):
                fetched = ahead
        if fetched is None:
            self._request(first, target)
            fetched = self.reader.take()
        self._read_ahead(fetched.last + 1, target)
        return fetched

    def _read_ahead(self, following: int, target: int) -> None:
        """Asks the reader for up to READ_AHEAD_RANGES ranges beyond those asked already, from
        `following` if none are outstanding."""
        newest = self.reader.newest
        following = following if newest is None else newest + 1
        while self.reader.requested < READ_AHEAD_RANGES and following <= target:
            following = self._request(following, target) + 1

    def _span(self, near_head: bool) -> int:
        # Near the head every header is fetched, so ranges there stay short.
        return min(NEAR_HEAD_RANGE_BLOCKS, self.range_blocks) if near_head else self.range_blocks

    def close(self) -> None:
        try:
            self.writer.close()
        finally:
            self.reader.close()

    def step(self, head: int, target: int) -> None:
        """Reads, projects and hands the writer one batch: a range, joined in a backfill by the
        ranges read ahead after it while the batch holds few logs."""
        started = time.perf_counter()
        first = self.next_block
        fetched = self._read(first, target)
        near_head = fetched.near_head
        if near_head and not self._continues(fetched.headers):
            self._roll_back(first - 1)
            return
        headers: list[BlockHeader] = []
        events = 0
        while self._project(fetched):
            headers += fetched.headers
            events += len(fetched.logs)
            self._adapt_range(len(fetched.logs), fetched.last - fetched.first + 1)
            if not self._worth_joining(fetched, events, target):
                break
            try:
                fetched = self._read(fetched.last + 1, target)
            except BaseException:
                # The node went away, or the indexer is stopped: what is projected is written first.
                self._submit(first, headers, events, head, near_head, started)
                raise
        if headers:
            self._submit(first, headers, events, head, near_head, started)

    def _submit(self, first: int, headers: list[BlockHeader], events: int, head: int, near_head: bool,
                started: float) -> None:
        """Hands the writer the batch of blocks `first` to `headers[-1]`, projected already."""
        last = headers[-1].number
        facts = self.projector.take_facts()
        if self.outbox is not None:
            facts["outbox"] = self.outbox.rows(facts, self.state.tables["reward"])
        created, updated, deletes, undo = self.state.drain()
        progress = Progress(last, head, events, 0.0)

        def committed() -> None:
            if self.on_batch:
                progress.seconds = time.perf_counter() - started
                self.on_batch(progress)

        self.writer.submit(
            BatchWrite(
                first_block=first, last=headers[-1], chain_head=head, headers=headers,
                facts=facts, created=created, updates=updated, deletes=deletes,
                undo=undo if near_head else None,
            ),
            committed,
        )
        for header in headers:
            self.hashes[header.number] = header.hash
        for number in [n for n in self.hashes if n < last - REORG_WINDOW_BLOCKS]:
            del self.hashes[number]
        self.next_block = last + 1
        self.chain_head = head

    def _project(self, fetched: Fetched) -> bool:
        """Applies a range's logs to the state; False, with nothing applied, where a block changed
        while the range was read (the next step reads it again)."""
        known = {header.number: header for header in fetched.headers}
        if _changed_meanwhile(fetched.log_blocks, known):
            log.warning("blocks %d-%d changed while being read; reading them again", fetched.first, fetched.last)
            return False
        timestamps = self._timestamps(fetched.log_blocks, known)
        try:
            for block, block_logs in groupby(fetched.logs, key=attrgetter("block")):
                self.projector.advance_to(block, timestamps[block])
                for _, tx_logs in groupby(block_logs, key=attrgetter("tx_hash")):
                    self.projector.apply_transaction(list(tx_logs), timestamps[block])
            self.projector.advance_to(fetched.last, fetched.headers[-1].timestamp)
        except Exception:
            # The in-memory state is half-way through the batch: rebuild it from the database.
            self._load()
            raise
        return True

    def _worth_joining(self, fetched: Fetched, events: int, target: int) -> bool:
        """Whether the batch should take the range read ahead after `fetched` as well.

        A backfill starts with short ranges, since the logs' density is unknown, and each batch
        commits, and rewrites the index pages its rows touch, however few rows it holds: joined
        until they hold half the target, the first ranges commit as one or two batches, not a dozen.
        Only deep ranges join (near the head every range is checked against the indexed chain),
        and only one already asked of the reader, so a batch never waits for a range it asks for.
        """
        following = self.reader.outstanding
        return (
            not fetched.near_head
            and events < TARGET_LOGS_PER_RANGE // 2
            and following is not None
            and following[0] == fetched.last + 1
            and following[1] <= target
            and not _near_head(following[0], target)
        )

    def _continues(self, headers: list[BlockHeader]) -> bool:
        """Whether the fetched headers chain onto what is indexed (and onto each other)."""
        previous = self.hashes.get(headers[0].number - 1)
        if previous is not None and headers[0].parent_hash != previous:
            return False
        return all(child.parent_hash == parent.hash for parent, child in pairwise(headers))

    def _roll_back(self, indexed: int) -> None:
        """Finds the newest indexed block still on the chain, from `indexed` down, and undoes
        everything above it."""
        self.writer.wait()
        ancestor = None
        for number in sorted((n for n in self.hashes if n <= indexed), reverse=True):
            header = _header_if_any(self.rpc, number)
            if header is not None and header.hash == self.hashes[number]:
                ancestor = number
                break
        if ancestor is None:
            raise PointsError("a reorganisation deeper than the remembered blocks: re-index into a new database")
        if ancestor == indexed:
            # The node answers with the indexed chain again (a look served by another node, or a
            # branch that switched back): nothing to undo; the next poll looks anew.
            return
        restart = self.store.rollback(ancestor, self.manifest.start_block)
        log.warning("event=reorg ancestor=%d resumed_from=%d", ancestor, restart + 1)
        self.next_block = restart + 1
        self._load()

    def _timestamps(self, log_blocks: list[LogBlock], known: dict[int, BlockHeader]) -> dict[int, int]:
        """Block timestamps for the logs: from the logs themselves where the node includes them."""
        timestamps = {number: header.timestamp for number, header in known.items()}
        missing = set()
        for block in log_blocks:
            if block.number in timestamps:
                continue
            if block.timestamp is not None:
                timestamps[block.number] = block.timestamp
            else:
                missing.add(block.number)
        for header in self.rpc.headers(sorted(missing)) if missing else []:
            timestamps[header.number] = header.timestamp
        return timestamps

    def _adapt_range(self, log_count: int, blocks: int) -> None:
        """Sizes the next range for about TARGET_LOGS_PER_RANGE logs, so that memory stays flat.

        The size follows the densest stretch seen lately (forgotten slowly), not the last range
        alone: after a run of empty blocks, a range sized for emptiness would fetch millions of
        logs at once when the dense blocks return.
        """
        self._density = max(log_count / blocks, self._density * DENSITY_MEMORY)
        fitting = int(TARGET_LOGS_PER_RANGE / self._density) if self._density else MAX_RANGE_BLOCKS
        self.range_blocks = max(MIN_RANGE_BLOCKS, min(fitting, self.range_blocks * 2, MAX_RANGE_BLOCKS))


def _near_head(first: int, target: int) -> bool:
    """Whether a range from `first` lies within the reorganisation window of `target`: its every
    header is read and checked, and its batch journaled for undo."""
    return target - first < REORG_WINDOW_BLOCKS


def _header_if_any(rpc: RpcClient, number: int) -> BlockHeader | None:
    """Block `number`'s header, or None where the node does not have the block (`RpcClient.header`
    raises there, as a backfill must not read past the head; here it means the node is behind)."""
    block = rpc.call("eth_getBlockByNumber", (hex(number), False))
    if block is None:
        return None
    return BlockHeader(int(block["number"], 16), block["hash"], block["parentHash"], int(block["timestamp"], 16))


def _changed_meanwhile(log_blocks: list[LogBlock], known: dict[int, BlockHeader]) -> bool:
    """Whether a log comes from another block than the header read for its number (a reorg in between)."""
    for block in log_blocks:
        header = known.get(block.number)
        if header is not None and header.hash != block.hash:
            return True
    return False
