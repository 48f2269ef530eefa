"""Read-only access to the indexer's database: the one way routes read it.

The API never writes: SQLite connections are opened `query_only` and PostgreSQL sessions
read-only, so a bug in a route cannot corrupt what the indexer keeps. The indexer may not have
created the database yet when the API starts (`make run` starts both at once): routes then answer
503 until it has, rather than creating an empty file the indexer would have to adopt.

Routes read through `Database.read`: statements are compiled once and run on a plain DB-API
cursor, with SQLAlchemy's conversions of the few types that need one (booleans on SQLite,
uint256 text) applied to just those parameters and columns. SQLAlchemy's own work per execution
(cache look-up, execution context, result and row objects) costs several times what SQLite takes
to answer an indexed look-up.
"""

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Dialect, Engine, PoolProxiedConnection, Select, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from starlette.concurrency import run_in_threadpool

from points.errors import PointsError

Result = TypeVar("Result")
Row = tuple[Any, ...]
Convert = Callable[[Any], Any]
# SQLite's default page cache (2 MB) holds the index and table pages of a few hundred accounts: past
# that, the account view's look-ups read pages from the OS again, a quarter of its query's time.
# The API reads SQLite on one connection, and the cache grows only as pages are read.
SQLITE_CACHE_KIB = 65_536


class NotIndexed(Exception):
    """The database does not hold an indexed deployment (yet)."""


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # Bind names in placeholder order for a positional paramstyle (SQLite's `?`); None for named ones.
    positions: tuple[str, ...] | None
    columns: tuple[str, ...]
    construct_parameters: Callable[[Mapping[str, Any]], MutableMapping[str, Any]]
    # Only what needs converting: most statements have neither, and their rows pass untouched.
    bind_conversions: tuple[tuple[str, Convert], ...]
    column_conversions: tuple[Convert | None, ...] | None


def _compile(statement: Select[Any], dialect: Dialect) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    binds = tuple((name, convert) for name, bind in compiled.binds.items()
                  if (convert := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None)
    columns = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None)
                    for column in statement.selected_columns)
    return _Compiled(compiled.string, tuple(compiled.positiontup or ()) if compiled.positional else None,
                     tuple(statement.selected_columns.keys()), compiled.construct_params, binds,
                     columns if any(columns) else None)


class Reader:
    """Runs statements on one DB-API connection. Statements must be built once (module
    constants or cached builders): each is compiled on its first use and kept."""

    def __init__(self, database: "Database", connection: PoolProxiedConnection) -> None:
        self._database = database
        self._connection = connection

    def rows(self, statement: Select[Any], parameters: Mapping[str, Any]) -> Sequence[Row]:
        compiled = self._database.compiled(statement)
        values = compiled.construct_parameters(parameters)
        for name, convert in compiled.bind_conversions:
            values[name] = convert(values[name])
        bound = values if compiled.positions is None else tuple(values[name] for name in compiled.positions)
        cursor = self._connection.cursor()
        try:
            cursor.execute(compiled.sql, bound)
            rows: Sequence[Row] = cursor.fetchall()
        except self._database.dbapi_error as error:
            raise DBAPIError.instance(compiled.sql, bound, error, self._database.dbapi_error) from error
        finally:
            cursor.close()
        conversions = compiled.column_conversions
        if conversions is None:
            return rows
        return [tuple(value if convert is None else convert(value)
                      for convert, value in zip(conversions, row, strict=True))
                for row in rows]

    def dicts(self, statement: Select[Any], parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
        columns = self._database.compiled(statement).columns
        return [dict(zip(columns, row, strict=True)) for row in self.rows(statement, parameters)]

    def first(self, statement: Select[Any], parameters: Mapping[str, Any]) -> dict[str, Any] | None:
        rows = self.dicts(statement, parameters)
        return rows[0] if rows else None


class Database:
    def __init__(self, url: str) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as error:
            raise PointsError(f"cannot use database {url!r}: {error}") from None
        self._sqlite_file = Path(parsed.database) if parsed.get_backend_name() == "sqlite" and parsed.database else None
        try:
            self.engine: Engine = create_engine(parsed, pool_pre_ping=parsed.get_backend_name() != "sqlite")
        except (ArgumentError, ImportError) as error:
            raise PointsError(f"cannot use database {url!r}: {error}") from None
        event.listen(self.engine, "connect", _read_only_sqlite if self._sqlite_file else _read_only_postgresql)
        self._compiled: dict[Select[Any], _Compiled] = {}
        self.dbapi_error: type[Exception] = self.engine.dialect.loaded_dbapi.Error
        self._event_loop_connection: PoolProxiedConnection | None = None

    def close(self) -> None:
        if self._event_loop_connection is not None:
            self._event_loop_connection.close()
            self._event_loop_connection = None
        self.engine.dispose()

    async def read(self, work: Callable[[Reader], Result]) -> Result:
        """`work`'s result, given a reader; database errors are SQLAlchemy's.

        SQLite answers the API's indexed look-ups in tens of microseconds, less than the hop to a
        worker thread and back, so its reads run on the event loop; readers of a WAL database never
        wait for the indexer's writes. A server's reads wait for the network: worker threads wait
        for them, on pooled connections, so that the event loop serves other requests meanwhile.
        """
        if self._sqlite_file is None:
            return await run_in_threadpool(self._pooled_read, work)
        # Reads on the event loop run one at a time, start to end (`work` cannot await), so one
        # connection serves them all without a trip through the pool. Every statement runs to its
        # end, so no read transaction outlives it to hold back the indexer's checkpoints. The file
        # is looked for until that connection opens it, not on every read.
        if self._event_loop_connection is None:
            if not self._sqlite_file.exists():
                raise NotIndexed(f"no database at {self._sqlite_file}: the indexer has not started yet")
            self._event_loop_connection = self._connect()
        return work(Reader(self, self._event_loop_connection))

    def compiled(self, statement: Select[Any]) -> _Compiled:
        compiled = self._compiled.get(statement)
        if compiled is None:
            compiled = self._compiled[statement] = _compile(statement, self.engine.dialect)
        return compiled

    def _pooled_read(self, work: Callable[[Reader], Result]) -> Result:
        connection = self._connect()
        try:
            return work(Reader(self, connection))
        finally:
            connection.close()

    def _connect(self) -> PoolProxiedConnection:
        try:
            return self.engine.raw_connection()
        except self.dbapi_error as error:
            raise DBAPIError.instance(None, None, error, self.dbapi_error) from error


def _read_only_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only = ON")
    # The indexer's commits hold the write lock briefly; readers in WAL mode never wait for it,
    # but a checkpoint can, so wait rather than fail.
    cursor.execute("PRAGMA busy_timeout = 5000")
    cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    cursor.close()


def _read_only_postgresql(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.read_only = True
