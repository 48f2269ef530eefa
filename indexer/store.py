"""The indexer's database access: one transaction per batch of blocks, and rollback for reorgs.

A batch's facts, state changes, undo journal, block hashes and checkpoint are committed
together, so a crash at any moment leaves the database at the end of the last whole batch, and a
restart resumes from its checkpoint without losing or repeating a row.
"""

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from itertools import chain
from operator import attrgetter, itemgetter
from typing import Any

import orjson
from sqlalchemy import (
    Column,
    Connection,
    Engine,
    Index,
    Table,
    create_engine,
    delete,
    event,
    insert,
    inspect,
    select,
    update,
)
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlmodel import SQLModel

from chain.rpc import BlockHeader
from database.schema import (
    FACT_TABLES,
    POSTGRESQL_DEFERRED_INDEXES,
    POSTGRESQL_DEFERRED_PRIMARY_KEYS,
    STATE_TABLES,
    Batch,
    BlockRecord,
    Checkpoint,
    Uint256,
    Undo,
    deferred_indexes,
    primary_key_name,
    table_of,
)
from database.versions import current_revision, head_revision, stamp_head, upgrade_to_head
from indexer import postgres_bulk
from indexer.lock import hold_indexer_lock, release_indexer_lock
from indexer.wal_checkpoint import WalCheckpointer
from points.errors import PointsError

Row = dict[str, Any]
Key = tuple[Any, ...]
# A fact table's row: its values in the table's column order.
Fact = tuple[Any, ...]

# Block hashes kept for finding a common ancestor; deeper reorganisations are not followed.
REORG_WINDOW_BLOCKS = 256
# Deferred indexes PostgreSQL builds at once (Store.build_deferred_indexes).
PARALLEL_INDEX_BUILDS = 2
ROWS_PER_STATEMENT = 1024
# SQLite's default bound on a statement's parameters (SQLITE_MAX_VARIABLE_NUMBER) since 3.32.
SQLITE_MAX_PARAMETERS = 32_766

CHECKPOINT = table_of(Checkpoint)
BLOCKS = table_of(BlockRecord)
BATCHES = table_of(Batch)
UNDO = table_of(Undo)
STATE_BY_NAME: dict[str, Table] = {table.name: table for table in map(table_of, STATE_TABLES)}
FACTS_BY_NAME: dict[str, Table] = {table.name: table for table in map(table_of, FACT_TABLES)}
# Fact tables only ever appended to in a backfill (block hashes are deleted behind it).
INSERT_ONLY = [table for table in FACTS_BY_NAME.values() if table is not BLOCKS]
# Every index a first backfill may leave out; a store defers its dialect's (schema.deferred_indexes).
DEFERRABLE: list[Index] = sorted((index for table in SQLModel.metadata.tables.values() for index in table.indexes
                                  if index.name in POSTGRESQL_DEFERRED_INDEXES), key=attrgetter("name"))


def primary_key(table: Table) -> list[str]:
    return [column.name for column in table.primary_key.columns]


@dataclass
class BatchWrite:
    """Everything one batch of blocks changes."""

    first_block: int
    last: BlockHeader
    chain_head: int
    headers: list[BlockHeader] = field(default_factory=list)
    facts: dict[str, list[Fact]] = field(default_factory=dict)
    # State rows the batch created (absent from the database) and rows it changed.
    created: dict[str, list[Row]] = field(default_factory=dict)
    updates: dict[str, list[Row]] = field(default_factory=dict)
    deletes: dict[str, list[Key]] = field(default_factory=dict)
    # Per table, the changed keys and their rows before (None: absent); None when the batch is
    # too deep to be reorganised.
    undo: dict[str, tuple[list[Key], list[Row | None]]] | None = None


@dataclass
class EncodedBatch:
    """A batch as the database's parameters, in the order of each table's columns."""

    first_block: int
    last: BlockHeader
    chain_head: int
    # Facts, then the state rows the batch created.
    inserts: list[tuple[Table, list[tuple[Any, ...]]]]
    deletes: list[tuple[Table, list[Key]]]
    updates: list[tuple[Table, list[tuple[Any, ...]]]]
    # Per table: its name, the changed keys and their rows before the batch, both as JSON; None
    # when the batch is too deep to be reorganised.
    undo: list[tuple[str, str, str]] | None


class SchemaMismatch(PointsError):
    pass


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        try:
            self.engine: Engine = create_engine(url, future=True)
        except (SQLAlchemyError, ValueError, ImportError) as error:
            raise PointsError(f"cannot use database {url!r}: {error}") from None
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        # The indexes a first backfill leaves out (schema.deferred_indexes), and their tables.
        self._deferred = [index for index in DEFERRABLE if index.name in deferred_indexes(self.engine.dialect.name)]
        self._deferred_tables = sorted({index.table.name for index in self._deferred if index.table is not None})
        # Fact tables whose primary key a first backfill leaves out (PostgreSQL only).
        self._deferred_keys = [] if self.is_sqlite else [FACTS_BY_NAME[name]
                                                         for name in POSTGRESQL_DEFERRED_PRIMARY_KEYS]
        self._lock: Connection | None = None
        # Whether PostgreSQL compresses the undo journal with lz4; asked at the first journal.
        self._lz4: bool | None = None
        # A bulk statement that fails fails its whole batch's transaction, so SQLite need not be
        # able to undo the statement alone: with OR FAIL it keeps no statement journal (a copy of
        # each page a multi-row statement changes), which a backfill would pay for on every statement.
        self._insert_into = "INSERT INTO"
        self._checkpointer: WalCheckpointer | None = None
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            self._insert_into = "INSERT OR FAIL INTO"
            if self.engine.url.database not in (None, "", ":memory:"):
                self._checkpointer = WalCheckpointer(self.engine.url.database)

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.close()
        if self._lock is not None:
            release_indexer_lock(self._lock)
            self._lock = None
        self.engine.dispose()

    def _committed(self) -> None:
        """After a large commit: SQLite's log is copied into the file in the background."""
        if self._checkpointer is not None:
            self._checkpointer.request()

    def prepare(self, chain_id: int) -> Checkpoint | None:
        """Creates the schema in an empty database; refuses one of another version or chain, and
        a PostgreSQL database that another indexer writes to."""
        try:
            if not self.is_sqlite and self._lock is None:
                self._lock = hold_indexer_lock(self.engine)
            with self.engine.begin() as connection:
                revision = current_revision(connection)
                if revision is None and not inspect(connection).get_table_names():
                    SQLModel.metadata.create_all(connection)
                    stamp_head(connection)
                    revision = head_revision()
                row = connection.execute(select(CHECKPOINT)).mappings().first()
        except OperationalError as error:
            raise PointsError(f"cannot open database {self.url!r}: {error.orig}") from None
        if revision != head_revision():
            raise SchemaMismatch(
                f"the database has schema revision {revision} but this indexer writes revision {head_revision()}: "
                "migrate it with `python -m indexer migrate` or index into a new database"
            )
        if row is None:
            return None
        checkpoint = Checkpoint(**row)
        if checkpoint.chain_id != chain_id:
            raise SchemaMismatch(
                f"the database indexes chain {checkpoint.chain_id} but the RPC serves chain {chain_id}: "
                "use another database"
            )
        return checkpoint

    def migrate(self) -> tuple[str | None, str]:
        """Upgrades the schema to the newest revision; returns the revisions before and after."""
        if not self.is_sqlite and self._lock is None:
            self._lock = hold_indexer_lock(self.engine)
        with self.engine.begin() as connection:
            before = current_revision(connection)
            upgrade_to_head(connection)
        return before, head_revision()

    def defer_indexes(self) -> None:
        """Drops the indexes that a first backfill builds once it has caught up (schema.deferred_indexes);
        in PostgreSQL, sets the backfill's storage parameters too (postgres_bulk.BACKFILL_STORAGE)."""
        with self.engine.begin() as connection:
            for index in self._deferred:
                index.drop(connection, checkfirst=True)
            for table in self._deferred_keys:
                postgres_bulk.drop_primary_key(connection, table)
            if not self.is_sqlite:
                postgres_bulk.set_backfill_storage(connection, INSERT_ONLY)

    def deferred_indexes(self) -> list[str]:
        """The deferred indexes missing from the database: a first backfill has not caught up yet."""
        with self.engine.connect() as connection:
            inspector = inspect(connection)
            present = {found["name"] for table in self._deferred_tables for found in inspector.get_indexes(table)}
            present |= {primary_key_name(table.name) for table in self._deferred_keys
                        if _has_primary_key(inspector, table)}
            return [name for name in sorted(deferred_indexes(self.engine.dialect.name)) if name not in present]

    def build_deferred_indexes(self) -> None:
        """Builds the deferred indexes that are missing, each from its whole table at once.

        PostgreSQL builds them two at a time, each in a transaction of its own, on two of the
        server's cores: nothing else runs at that point of a backfill; the deferred primary keys
        are added the same way. An index built is kept if the indexer stops before the others; the
        next run builds those still missing. SQLite writes one statement at a time.
        """
        if self.is_sqlite:
            with self.engine.begin() as connection:
                for index in self._deferred:
                    index.create(connection, checkfirst=True)
            self._committed()
            return
        # First: a run that stops after the indexes are built sees no backfill left to finish.
        with self.engine.begin() as connection:
            postgres_bulk.reset_backfill_storage(connection, INSERT_ONLY)
        builds = [partial(self._build_index, index) for index in self._deferred]
        builds += [partial(self._add_primary_key, table) for table in self._deferred_keys]
        with ThreadPoolExecutor(max_workers=PARALLEL_INDEX_BUILDS, thread_name_prefix="indexer-index") as builders:
            list(builders.map(lambda build: build(), builds))

    def _build_index(self, index: Index) -> None:
        with self.engine.begin() as connection:
            index.create(connection, checkfirst=True)

    def _add_primary_key(self, table: Table) -> None:
        with self.engine.begin() as connection:
            if not _has_primary_key(inspect(connection), table):
                postgres_bulk.add_primary_key(connection, table, primary_key(table))

    def checkpoint(self) -> Checkpoint | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(CHECKPOINT)).mappings().first()
        return Checkpoint(**row) if row else None

    def load_state(self) -> dict[str, dict[Key, Row]]:
        """Every state row, keyed by primary key: the projector works on these in memory."""
        state: dict[str, dict[Key, Row]] = {}
        with self.engine.connect() as connection:
            for name, table in STATE_BY_NAME.items():
                key_columns = primary_key(table)
                rows = connection.execute(select(table)).mappings()
                state[name] = {tuple(row[column] for column in key_columns): dict(row) for row in rows}
        return state

    def recent_hashes(self) -> dict[int, str]:
        with self.engine.connect() as connection:
            return dict(connection.execute(select(BLOCKS.c.number, BLOCKS.c.hash)).all())

    def encode(self, batch: BatchWrite) -> EncodedBatch:
        """The batch as parameters: it no longer refers to the projector's rows, which may change
        while it is written."""
        inserts = [(FACTS_BY_NAME[name], rows) for name, rows in batch.facts.items() if rows]
        inserts.append((BLOCKS, [
            (h.number, h.hash, h.parent_hash, h.timestamp) for h in batch.headers
        ]))
        # State rows sorted by holder: the projector changes holders in no order, and SQLite walks
        # an index's pages in turn rather than at random when the keys come sorted.
        inserts += [(STATE_BY_NAME[name], _rows_in_order(STATE_BY_NAME[name], rows))
                    for name, rows in batch.created.items()]
        return EncodedBatch(
            first_block=batch.first_block, last=batch.last, chain_head=batch.chain_head,
            inserts=[(table, rows) for table, rows in inserts if rows],
            deletes=[(STATE_BY_NAME[name], _keys_in_order(STATE_BY_NAME[name], keys))
                     for name, keys in batch.deletes.items() if keys],
            updates=[(STATE_BY_NAME[name], _rows_in_order(STATE_BY_NAME[name], rows))
                     for name, rows in batch.updates.items() if rows],
            undo=None if batch.undo is None else _undo_journal(batch.undo),
        )

    def write(self, batch: EncodedBatch, chain_id: int) -> None:
        """Commits one batch atomically."""
        with self.engine.begin() as connection:
            if batch.undo is None and not self.is_sqlite:
                postgres_bulk.commit_lazily(connection)
            if batch.undo is not None and not self.is_sqlite:
                if self._lz4 is None:
                    self._lz4 = postgres_bulk.has_lz4(connection)
                if self._lz4:
                    postgres_bulk.compress_quickly(connection)
            if batch.undo is not None:
                inserted = connection.execute(
                    insert(BATCHES).values(first_block=batch.first_block, last_block=batch.last.number)
                ).inserted_primary_key
                if inserted is None:
                    raise PointsError("the database gave no id to a new batch")
                self._insert(connection, UNDO, [
                    {"batch_id": inserted[0], "table_name": name, "key": keys, "old": olds}
                    for name, keys, olds in batch.undo
                ])
            for table, parameters in batch.inserts:
                self._insert_parameters(connection, table, parameters)
            for table, keys in batch.deletes:
                self._delete_keys(connection, table, keys)
            for table, parameters in batch.updates:
                self._update(connection, table, parameters)
            horizon = batch.last.number - REORG_WINDOW_BLOCKS
            connection.execute(delete(BLOCKS).where(BLOCKS.c.number < horizon))
            stale = select(BATCHES.c.id).where(BATCHES.c.last_block < horizon)
            connection.execute(delete(UNDO).where(UNDO.c.batch_id.in_(stale)))
            connection.execute(delete(BATCHES).where(BATCHES.c.last_block < horizon))
            self._save_checkpoint(connection, batch, chain_id)
        self._committed()

    def rollback(self, ancestor: int, start_block: int) -> int:
        """Undoes every batch that wrote a block above `ancestor`; returns the new indexed block.

        Batches are undone whole, so the result may lie below `ancestor`: re-indexing from there
        is correct, only a little more work. Undoing the very first batch empties the database,
        which then indexes again from `start_block`.
        """
        with self.engine.begin() as connection:
            batches = connection.execute(
                select(BATCHES.c.id, BATCHES.c.first_block)
                .where(BATCHES.c.last_block > ancestor)
                .order_by(BATCHES.c.id.desc())
            ).all()
            if not batches:
                raise PointsError(
                    f"a reorganisation deeper than the undo journal (block {ancestor}) cannot be rolled back: "
                    "re-index into a new database"
                )
            for batch_id, _ in batches:
                undo_rows = connection.execute(
                    select(UNDO.c.table_name, UNDO.c.key, UNDO.c.old)
                    .where(UNDO.c.batch_id == batch_id)
                    .order_by(UNDO.c.id.desc())
                ).all()
                for name, keys_json, olds_json in undo_rows:
                    table = STATE_BY_NAME[name]
                    olds = json.loads(olds_json)
                    self._delete_keys(connection, table, [tuple(key) for key in json.loads(keys_json)])
                    self._insert(connection, table, [old for old in olds if old is not None])
            restart = min(first for _, first in batches) - 1
            ids = [batch_id for batch_id, _ in batches]
            connection.execute(delete(UNDO).where(UNDO.c.batch_id.in_(ids)))
            connection.execute(delete(BATCHES).where(BATCHES.c.id.in_(ids)))
            for table in FACTS_BY_NAME.values():
                block_column = table.c.block if "block" in table.c else table.c.number
                connection.execute(delete(table).where(block_column > restart))
            if restart < start_block:
                connection.execute(delete(CHECKPOINT))
                return restart
            header = connection.execute(
                select(BLOCKS.c.hash, BLOCKS.c.timestamp).where(BLOCKS.c.number == restart)
            ).first()
            if header is None:
                raise PointsError(f"block {restart} is not in the database's recent blocks: "
                                  "re-index into a new database")
            connection.execute(
                update(CHECKPOINT).values(
                    indexed_block=restart, indexed_hash=header.hash, indexed_timestamp=header.timestamp
                )
            )
        return restart

    def _save_checkpoint(self, connection: Any, batch: EncodedBatch, chain_id: int) -> None:
        values = {
            "chain_id": chain_id,
            "indexed_block": batch.last.number,
            "indexed_hash": batch.last.hash,
            "indexed_timestamp": batch.last.timestamp,
            "chain_head": batch.chain_head,
        }
        if connection.execute(update(CHECKPOINT).where(CHECKPOINT.c.id == 1).values(**values)).rowcount == 0:
            connection.execute(insert(CHECKPOINT).values(id=1, **values))

    def set_chain_head(self, head: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(update(CHECKPOINT).values(chain_head=head))

    # Bulk writes go straight to the driver: SQLAlchemy's per-row parameter processing would
    # cost more than the database itself on a backfill. PostgreSQL's are in postgres_bulk.

    @staticmethod
    def _parameters(columns: list[Column[Any]], rows: Iterable[Row]) -> list[tuple[Any, ...]]:
        return list(map(_row_encoder(tuple(columns)), rows))

    def _insert(self, connection: Any, table: Table, rows: list[Row]) -> None:
        if rows:
            self._insert_parameters(connection, table, self._parameters(_inserted_columns(table), rows))

    def _insert_parameters(self, connection: Any, table: Table, parameters: list[tuple[Any, ...]]) -> None:
        if not self.is_sqlite:
            postgres_bulk.copy_rows(connection, table, _inserted_columns(table), parameters)
            return
        names = ", ".join(column.name for column in _inserted_columns(table))
        self._bulk(connection, f"{self._insert_into} {table.name} ({names})", "", parameters)

    def _delete_keys(self, connection: Any, table: Table, keys: Sequence[Key]) -> None:
        if not keys:
            return
        columns = primary_key(table)
        if not self.is_sqlite:
            postgres_bulk.delete_keys(connection, table, columns, keys)
            return
        # A join, because SQLite scans the whole table for `(columns) IN (VALUES ...)`. Only
        # state tables come here, and each has a rowid (migration 0004 says why).
        row_marks = "(" + ", ".join("?" * len(columns)) + ")"
        matches = " AND ".join(f"t.{column} = k.column{index}" for index, column in enumerate(columns, 1))
        for size, parameters in _statements(keys, len(columns)):
            connection.exec_driver_sql(
                f"DELETE FROM {table.name} WHERE rowid IN (SELECT t.rowid FROM "
                f"(VALUES {', '.join([row_marks] * size)}) AS k JOIN {table.name} AS t ON {matches})", parameters)

    def _update(self, connection: Any, table: Table, parameters: list[tuple[Any, ...]]) -> None:
        """Replaces existing rows: SQLite with an upsert, the cheapest way to change many rows
        by key in one statement there."""
        if not self.is_sqlite:
            postgres_bulk.update(connection, table, primary_key(table), parameters)
            return
        columns = [column.name for column in table.c]
        keys = primary_key(table)
        updates = ", ".join(f"{column} = excluded.{column}" for column in columns if column not in keys)
        self._bulk(connection, f"{self._insert_into} {table.name} ({', '.join(columns)})",
                   f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}", parameters)

    @staticmethod
    def _bulk(connection: Any, head: str, tail: str, parameters: list[tuple[Any, ...]]) -> None:
        """Runs `head VALUES (...) tail` for each tuple of parameters, in SQLite.

        Many rows per statement: one statement of a few hundred rows costs SQLite a good deal less
        than as many executions of a one-row statement, and the driver lets go of the interpreter
        lock once per statement, not once per row, so the projector (on another thread) rarely
        holds up the writer.
        """
        row_marks = "(" + ", ".join("?" * len(parameters[0])) + ")"
        for size, flat in _statements(parameters, len(parameters[0])):
            connection.exec_driver_sql(f"{head} VALUES {', '.join([row_marks] * size)}{tail}", flat)


def _has_primary_key(inspector: Any, table: Table) -> bool:
    return bool(inspector.get_pk_constraint(table.name)["constrained_columns"])


def _statements(rows: Sequence[tuple[Any, ...]], width: int) -> Iterator[tuple[int, tuple[Any, ...]]]:
    """Splits rows for multi-row SQLite statements: as many as fit one statement, then the rest in
    falling powers of two, so that the driver's statement cache sees a few sizes per table, not
    every size. Yields each statement's row count and its parameters, flattened."""
    most = min(ROWS_PER_STATEMENT, SQLITE_MAX_PARAMETERS // width)
    start = 0
    while start < len(rows):
        left = len(rows) - start
        size = most if left >= most else 1 << (left.bit_length() - 1)
        yield size, tuple(chain.from_iterable(rows[start : start + size]))
        start += size


def _sorting_column(table: Table) -> str:
    """The key column a state table's rows are written in the order of: the second (the holder,
    merchant or day) where the key has one, because the first is the program, which most rows of a
    batch share. Sorting by the whole key is much slower (tuples compared, not strings)."""
    key = primary_key(table)
    return key[1] if len(key) > 1 else key[0]


def _keys_in_order(table: Table, keys: list[Key]) -> list[Key]:
    return sorted(keys, key=itemgetter(primary_key(table).index(_sorting_column(table))))


def _rows_in_order(table: Table, rows: Iterable[Row]) -> list[tuple[Any, ...]]:
    """A state table's rows as parameters in column order, sorted."""
    columns = list(table.c)
    parameters = Store._parameters(columns, rows)
    parameters.sort(key=itemgetter([column.name for column in columns].index(_sorting_column(table))))
    return parameters


def _inserted_columns(table: Table) -> list[Column[Any]]:
    """The columns an insert names: a table's surrogate `id` is left to the database."""
    return [column for column in table.c if column.name != "id"]


def _row_encoder(columns: tuple[Column[Any], ...]) -> Callable[[Row], tuple[Any, ...]]:
    """A row's parameters in column order; uint256 columns as decimal text."""
    # Keyed by names: SQLAlchemy columns compare into SQL expressions, not booleans.
    key = (columns[0].table.name, *(column.name for column in columns))
    encoder = _ENCODERS.get(key)
    if encoder is None:
        encoder = _ENCODERS[key] = _make_row_encoder(columns)
    return encoder


_ENCODERS: dict[tuple[str, ...], Callable[[Row], tuple[Any, ...]]] = {}


def _make_row_encoder(columns: tuple[Column[Any], ...]) -> Callable[[Row], tuple[Any, ...]]:
    names = [column.name for column in columns]
    as_text = [isinstance(column.type, Uint256) for column in columns]
    if not any(as_text):
        getter = itemgetter(*names)
        return getter if len(names) > 1 else lambda row: (getter(row),)
    return lambda row: tuple(
        str(row[name]) if text and row[name] is not None else row[name]
        for name, text in zip(names, as_text, strict=True)
    )


def _dumps(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson stops at 64-bit integers; the standard library does not
        return json.dumps(value, separators=(",", ":"))


def _undo_journal(undo: dict[str, tuple[list[Key], list[Row | None]]]) -> list[tuple[str, str, str]]:
    """The journal of one batch: per table, its keys and their previous rows (null where a row
    did not exist), in two JSON arrays of the same order. A row per changed key would cost a
    backfill near the head more than the changes themselves."""
    return [(name, _dumps(keys), _dumps(olds)) for name, (keys, olds) in undo.items()]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # For a new database only (an existing one keeps its pages): 16 KiB pages make the indexes'
    # B-trees shallower, which saves a backfill much of SQLite's time.
    cursor.execute("PRAGMA page_size=16384")
    # WAL lets the API's readers work while the indexer writes; NORMAL keeps every commit
    # atomic and durable against a process crash.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Balances, epoch groups and the account index take holders in no order: a cache that holds
    # their pages saves most of a backfill's reads and CPU in SQLite (it grows only as used).
    cursor.execute("PRAGMA cache_size=-65536")
    # Checkpoints copy the WAL into the database and sync it; less often than SQLite's default
    # (every 1,000 pages), a page that many batches touch is copied fewer times. A thread copies
    # most of it meanwhile (indexer/wal_checkpoint.py), so the commit that checkpoints copies little.
    cursor.execute("PRAGMA wal_autocheckpoint=2500")
    # A multi-row insert or upsert keeps a statement journal (each page it changes, as it was) to
    # undo itself alone on a constraint error; in temporary files those journals were a large share
    # of a backfill's writes. A statement's journal is a few megabytes.
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()
