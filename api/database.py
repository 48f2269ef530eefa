"""Read-only access to the indexer's database, shared by every route.

The API never writes: SQLite connections are opened `query_only` and PostgreSQL sessions
read-only, so a bug in a route cannot corrupt what the indexer keeps. The indexer may not have
created the database yet when the API starts (`make run` starts both at once): routes then answer
503 until it has, rather than creating an empty file the indexer would have to adopt.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from indexer.schema import Checkpoint
from points.errors import PointsError

CHECKPOINT = Checkpoint.__table__  # type: ignore[attr-defined]


class NotIndexed(Exception):
    """The database does not hold an indexed deployment (yet)."""


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

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        if self._sqlite_file is not None and not self._sqlite_file.exists():
            raise NotIndexed(f"no database at {self._sqlite_file}: the indexer has not started yet")
        with self.engine.connect() as connection:
            yield connection


def _read_only_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only = ON")
    # The indexer's commits hold the write lock briefly; readers in WAL mode never wait for it,
    # but a checkpoint can, so wait rather than fail.
    cursor.execute("PRAGMA busy_timeout = 5000")
    cursor.close()


def _read_only_postgresql(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.read_only = True
