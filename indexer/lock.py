"""One writer per database: a second indexer on the same database is refused, not run.

Two indexers writing one database would each project the same events onto balances they read
before the other wrote, and double every figure. The lock is held for the life of the process and
released by the operating system or the server when the process dies, even by kill -9:
- SQLite: an exclusive `flock` on `<database file>.lock` beside the file (one host, as SQLite is);
- PostgreSQL: a session-level advisory lock on a dedicated connection (any number of hosts).
"""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from points.errors import PointsError

# pg_advisory_lock's key: any fixed 64-bit number that no other application on the server uses.
ADVISORY_LOCK_KEY = 0x706F696E7473  # "points"
REFUSAL = "another indexer is writing this database ({where}): stop it first, or index into another database"


@contextmanager
def _file_lock(database: Path) -> Iterator[None]:
    path = database.with_name(database.name + ".lock")
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PointsError(REFUSAL.format(where=f"{path} is locked")) from None
        yield
    finally:
        os.close(descriptor)


def hold_indexer_lock(engine: Engine) -> Connection:
    """Takes PostgreSQL's advisory lock on a connection of its own and returns it for
    `release_indexer_lock`. The store takes it, as it owns the database's connections."""
    connection = engine.connect()
    try:
        taken = connection.exec_driver_sql(f"SELECT pg_try_advisory_lock({ADVISORY_LOCK_KEY})").scalar()
        connection.commit()
    except BaseException:
        connection.close()
        raise
    if not taken:
        connection.close()
        raise PointsError(REFUSAL.format(where=f"advisory lock {ADVISORY_LOCK_KEY} is held"))
    return connection


def release_indexer_lock(connection: Connection) -> None:
    """Lets the advisory lock go before the connection closes: a closed socket frees it only when
    the server's backend has noticed, which can be after the next indexer has already asked."""
    try:
        connection.exec_driver_sql(f"SELECT pg_advisory_unlock({ADVISORY_LOCK_KEY})")
        connection.commit()
    except DBAPIError:
        connection.invalidate()  # a connection the server dropped holds no lock any more
    finally:
        connection.close()


@contextmanager
def writer_lock(url: str) -> Iterator[None]:
    """Holds a SQLite database's writer lock while the block runs; PointsError if another process has
    it. On PostgreSQL the store takes the advisory lock (`hold_indexer_lock`) with its first use."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        if not path.parent.is_dir():
            raise PointsError(f"no folder {path.parent.absolute()} for the database {path.name}")
        with _file_lock(path):
            yield
    else:
        yield
