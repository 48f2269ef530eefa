"""The relayer's durable state: requests, transaction attempts and the nonce sequence, in SQLite or
PostgreSQL. Every change the worker makes before a side effect on the chain is committed first."""

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from database.versions import Migrations, current_revision, head_revision, stamp_head, upgrade_to_head
from points.errors import PointsError
from relayer.models import ACTIVE, IN_FLIGHT, Attempt, NonceSequence, RelayerModel, RelayRequest, Status

MIGRATIONS = Migrations(Path(__file__).parent / "migrations", version_table="relayer_alembic_version")
REQUESTS = RelayRequest.__table__  # type: ignore[attr-defined]
ATTEMPTS = Attempt.__table__  # type: ignore[attr-defined]
SEQUENCES = NonceSequence.__table__  # type: ignore[attr-defined]
SECONDS_PER_DAY = 86_400


def _status_in(statuses: Iterable[Status]) -> ColumnElement[bool]:
    """`status IN (...)` with the statuses written into the SQL: a list bound as a parameter is
    expanded into the statement's text at every execution, which took longer than SQLite's query."""
    return REQUESTS.c.status.in_([literal_column(f"'{status.value}'") for status in statuses])


# Statements built once: SQLAlchemy spends longer building and keying a statement than SQLite running
# it, and the API and the worker run these for every request.
_UPDATE_REQUEST = update(REQUESTS).where(REQUESTS.c.id == bindparam("request_id"))
_STATUS = (select(REQUESTS.c.id, REQUESTS.c.kind, REQUESTS.c.status, REQUESTS.c.tx_hash, REQUESTS.c.block_number,
                  REQUESTS.c.reason).where(REQUESTS.c.id == bindparam("request_id")))
_PENDING_OF_SIGNER = (select(REQUESTS.c.contract, REQUESTS.c.signer_nonce, REQUESTS.c.spends_token, REQUESTS.c.points)
                      .where(REQUESTS.c.signer == bindparam("signer"), _status_in(ACTIVE)))
_PENDING_OF_CLIENT = (select(func.count()).select_from(REQUESTS)
                      .where(REQUESTS.c.client == bindparam("client"), _status_in(ACTIVE)))

Row = dict[str, Any]


class Duplicate(PointsError):
    """The signature is already held by a request that may still take effect."""

    def __init__(self, existing_id: str) -> None:
        self.existing_id = existing_id
        super().__init__(f"this signature was already accepted as request {existing_id}")


@dataclass(frozen=True)
class Signed:
    """A transaction ready to be stored: what `sign` returns for a nonce."""

    raw: str
    tx_hash: str
    max_fee_wei: int
    priority_fee_wei: int
    gas_limit: int


@dataclass
class _Insert:
    """A request row waiting for a commit, and what became of it."""

    row: Row
    settled: bool = False
    duplicate_of: str | None = None
    error: BaseException | None = None


class Store:
    def __init__(self, url: str) -> None:
        self.is_sqlite = url.startswith("sqlite")
        try:
            # A file needs no liveness check before each use (a round trip per connection taken from the pool).
            self.engine: Engine = create_engine(url, future=True, pool_pre_ping=not self.is_sqlite)
        except (SQLAlchemyError, ValueError, ImportError) as error:
            raise PointsError(f"cannot use database {url!r}: {error}") from None
        self.writer = self.engine
        self._write_lock = threading.Lock()
        self._inserts: list[_Insert] = []
        self._inserts_lock = threading.Lock()
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
            # A SQLite transaction that reads, then writes, fails at once (no busy wait) when another
            # connection wrote in between; writers therefore take the write lock when they begin.
            self.writer = create_engine(url, future=True)
            event.listen(self.writer, "connect", _sqlite_writer)
            event.listen(self.writer, "begin", lambda connection: connection.exec_driver_sql("BEGIN IMMEDIATE"))

    def close(self) -> None:
        self.engine.dispose()
        self.writer.dispose()

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction. The API's threads and the worker take turns here rather than in
        SQLite's busy handler, which sleeps up to 100 ms between tries."""
        with self._write_lock, self.writer.begin() as connection:
            yield connection

    def prepare(self) -> None:
        """Creates the tables in an empty database; refuses one of another schema revision."""
        try:
            with self._writing() as connection:
                revision = current_revision(connection, MIGRATIONS)
                if revision is None:
                    RelayerModel.metadata.create_all(connection)
                    stamp_head(connection, MIGRATIONS)
                    revision = head_revision(MIGRATIONS)
        except OperationalError as error:
            raise PointsError(f"cannot open the relayer's database: {error.orig}") from None
        if revision != head_revision(MIGRATIONS):
            raise PointsError(f"the relayer's database has schema revision {revision}, this relayer "
                              f"{head_revision(MIGRATIONS)}: run `python -m relayer migrate`")

    def migrate(self) -> tuple[str | None, str]:
        with self._writing() as connection:
            before = current_revision(connection, MIGRATIONS)
            upgrade_to_head(connection, MIGRATIONS)
        return before, head_revision(MIGRATIONS)

    # The API's side.

    def add(self, row: Row) -> None:
        """Queues a request, durably once this returns; `Duplicate` when its signature is already held
        by another.

        Requests posted at the same time share one commit (group commit): each thread adds its row to
        the waiting list, and whichever takes the write lock first commits every row waiting then,
        so one disk flush serves them all instead of one flush each, in turn.
        """
        waiting = _Insert(row)
        with self._inserts_lock:
            self._inserts.append(waiting)
        with self._write_lock:
            if not waiting.settled:
                with self._inserts_lock:
                    batch, self._inserts = self._inserts, []
                self._insert_all(batch)
        if waiting.error is not None:
            raise waiting.error
        if waiting.duplicate_of is not None:
            raise Duplicate(waiting.duplicate_of)

    def _insert_all(self, batch: list[_Insert]) -> None:
        """Commits `batch` in one transaction; when a row's signature is already held, each row on
        its own savepoint, so that the others still commit. Holds the write lock."""
        try:
            try:
                with self.writer.begin() as connection:
                    connection.execute(insert(REQUESTS), [waiting.row for waiting in batch])
            except IntegrityError:
                with self.writer.begin() as connection:
                    for waiting in batch:
                        try:
                            with connection.begin_nested():
                                connection.execute(insert(REQUESTS), [waiting.row])
                        except IntegrityError as error:
                            existing = connection.execute(select(REQUESTS.c.id).where(
                                REQUESTS.c.claim == waiting.row["claim"])).scalar()
                            if existing is None:
                                waiting.error = error
                            waiting.duplicate_of = existing
        except BaseException as error:
            # Every row of the batch fails with it: none may be answered 202 unless committed.
            for waiting in batch:
                waiting.error = error
            if not isinstance(error, SQLAlchemyError):
                raise
        finally:
            for waiting in batch:
                waiting.settled = True

    def get(self, request_id: str) -> Row | None:
        """A request's id, kind, status, tx_hash, block_number and reason."""
        with self.engine.connect() as connection:
            found = connection.execute(_STATUS, {"request_id": request_id}).mappings().first()
        return dict(found) if found else None

    def pending(self, signer: str, client: str) -> tuple[list[Row], int]:
        """The signer's requests that may still take effect and are not mined (on any contract), and
        how many of those the client address has."""
        with self.engine.connect() as connection:
            rows = [dict(row) for row in connection.execute(_PENDING_OF_SIGNER, {"signer": signer}).mappings()]
            return rows, connection.execute(_PENDING_OF_CLIENT, {"client": client}).scalar_one()

    def spent_today(self, now: float) -> int:
        """Wei paid today (UTC) for mined transactions, plus the most the in-flight ones may cost."""
        day_start = now - now % SECONDS_PER_DAY
        with self.engine.connect() as connection:
            mined = connection.execute(select(REQUESTS.c.gas_cost_wei).where(
                REQUESTS.c.mined_at >= day_start, REQUESTS.c.gas_cost_wei.is_not(None)))
            in_flight = connection.execute(select(REQUESTS.c.max_cost_wei).where(
                _status_in(IN_FLIGHT), REQUESTS.c.max_cost_wei.is_not(None)))
            return sum(cost for (cost,) in mined) + sum(cost for (cost,) in in_flight)

    def queue_summary(self) -> tuple[int, float | None]:
        """How many requests are accepted and not mined, and when the oldest of them was accepted."""
        with self.engine.connect() as connection:
            depth, oldest = connection.execute(select(func.count(), func.min(REQUESTS.c.created_at))
                                               .where(_status_in(ACTIVE))).one()
        return depth, oldest

    # The worker's side.

    def with_status(self, statuses: Iterable[Status], limit: int | None = None) -> list[Row]:
        """Requests in `statuses`, oldest first (in nonce order for those holding one)."""
        query = (select(REQUESTS).where(_status_in(statuses))
                 .order_by(REQUESTS.c.tx_nonce, REQUESTS.c.created_at))
        if limit is not None:
            query = query.limit(limit)
        with self.engine.connect() as connection:
            return [dict(row) for row in connection.execute(query).mappings()]

    def attempts(self, request_ids: Sequence[str]) -> dict[str, list[Row]]:
        """Each request's attempts, the latest last."""
        found: dict[str, list[Row]] = {request_id: [] for request_id in request_ids}
        if not request_ids:
            return found
        with self.engine.connect() as connection:
            for row in connection.execute(select(ATTEMPTS).where(ATTEMPTS.c.request_id.in_(list(request_ids)))
                                          .order_by(ATTEMPTS.c.id)).mappings():
                found[row["request_id"]].append(dict(row))
        return found

    def next_nonce(self, address: str) -> int | None:
        with self.engine.connect() as connection:
            return connection.execute(select(SEQUENCES.c.next_nonce)
                                      .where(SEQUENCES.c.address == address)).scalar()

    def resync_nonce(self, address: str, chain_nonce: int) -> tuple[int | None, int]:
        """Sets the sequence to the chain's pending nonce, or just past our highest nonce in flight when
        that is higher (the node lost transactions we will send again): up when the key was used
        elsewhere, down when nonces were handed out that no transaction of ours holds any more. Returns
        the sequence before and after."""
        with self._writing() as connection:
            before = connection.execute(select(SEQUENCES.c.next_nonce).where(SEQUENCES.c.address == address)
                                        .with_for_update()).scalar()
            in_flight = connection.execute(select(func.max(REQUESTS.c.tx_nonce))
                                           .where(_status_in(IN_FLIGHT))).scalar()
            if before is None:
                after = chain_nonce
                connection.execute(insert(SEQUENCES), [{"address": address, "next_nonce": after}])
            else:
                after = max(chain_nonce, in_flight + 1) if in_flight is not None else chain_nonce
                if after != before:
                    connection.execute(update(SEQUENCES).where(SEQUENCES.c.address == address)
                                       .values(next_nonce=after))
        return before, after

    def assign(self, address: str, requests: Sequence[Row],
               sign: Callable[[Row, int], Signed]) -> list[tuple[Row, Signed]]:
        """Gives each request the next nonce and stores its signed transaction, in one database
        transaction: a nonce is never handed out without the bytes that use it. The signing happens
        before that transaction, so that the API's inserts never wait for it: only the worker moves the
        sequence, and the transaction refuses to commit if the sequence moved meanwhile."""
        first = self.next_nonce(address)
        if first is None:
            raise PointsError(f"no nonce sequence for {address}: the worker reconciles it with the chain first")
        assigned = [(request, sign(request, first + offset)) for offset, request in enumerate(requests)]
        now = time.time()
        with self._writing() as connection:
            moved = connection.execute(update(SEQUENCES).where(SEQUENCES.c.address == address,
                                                               SEQUENCES.c.next_nonce == first)
                                       .values(next_nonce=first + len(requests))).rowcount
            if moved != 1:
                raise PointsError(f"the nonce sequence of {address} moved while transactions were signed: is a "
                                  "second worker running for this key?")
            connection.execute(insert(ATTEMPTS), [_attempt(request["id"], first + offset, signed, now)
                                                  for offset, (request, signed) in enumerate(assigned)])
            connection.execute(_UPDATE_REQUEST, [
                {"request_id": request["id"], "status": Status.SIGNED, "tx_nonce": first + offset,
                 "tx_hash": signed.tx_hash, "gas_limit": signed.gas_limit,
                 "max_cost_wei": signed.gas_limit * signed.max_fee_wei, "updated_at": now}
                for offset, (request, signed) in enumerate(assigned)])
        return assigned

    def add_attempt(self, request: Row, signed: Signed) -> None:
        """Stores a replacement (same nonce, higher fee) before it is broadcast."""
        now = time.time()
        with self._writing() as connection:
            connection.execute(insert(ATTEMPTS), [_attempt(request["id"], request["tx_nonce"], signed, now)])
            connection.execute(update(REQUESTS).where(REQUESTS.c.id == request["id"]).values(
                tx_hash=signed.tx_hash, max_cost_wei=signed.gas_limit * signed.max_fee_wei, updated_at=now))

    def set(self, request_id: str, **values: Any) -> None:
        self.set_each([(request_id, values)])

    def set_each(self, changes: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Each request's new values, all in one transaction: one disk flush for a block's receipts."""
        if not changes:
            return
        now = time.time()
        # One statement per set of columns, run for all the requests that change those.
        by_columns: dict[frozenset[str], list[dict[str, Any]]] = {}
        for request_id, values in changes:
            values = {"updated_at": now, **values, "request_id": request_id}
            if values.get("status") == Status.FAILED:
                values["claim"] = None  # a failed request holds its signature no more
            by_columns.setdefault(frozenset(values), []).append(values)
        with self._writing() as connection:
            for parameters in by_columns.values():
                connection.execute(_UPDATE_REQUEST, parameters)

    def set_many(self, request_ids: Sequence[str], **values: Any) -> None:
        if not request_ids:
            return
        values.setdefault("updated_at", time.time())
        with self._writing() as connection:
            connection.execute(update(REQUESTS).where(REQUESTS.c.id.in_(list(request_ids))).values(**values))


def _attempt(request_id: str, nonce: int, signed: Signed, now: float) -> Row:
    return {"request_id": request_id, "nonce": nonce, "tx_hash": signed.tx_hash, "raw": signed.raw,
            "max_fee_wei": signed.max_fee_wei, "priority_fee_wei": signed.priority_fee_wei, "created_at": now}


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """WAL lets the API read while the worker writes; a commit is durable once it returns (synchronous
    FULL); a writer waits for another instead of failing."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_writer(connection: Any, record: Any) -> None:
    _sqlite_pragmas(connection, record)
    connection.isolation_level = None  # the driver's own BEGIN would come before ours
