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

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

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


@contextmanager
def _advisory_lock(url: str) -> Iterator[None]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if not connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_LOCK_KEY}).scalar():
                raise PointsError(REFUSAL.format(where=f"advisory lock {ADVISORY_LOCK_KEY} is held"))
            connection.commit()
            yield
    finally:
        engine.dispose()


@contextmanager
def writer_lock(url: str) -> Iterator[None]:
    """Holds the database's writer lock while the block runs; PointsError if another process has it."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite" and parsed.database not in (None, "", ":memory:"):
        path = Path(parsed.database)
        if not path.parent.is_dir():
            raise PointsError(f"no folder {path.parent.absolute()} for the database {path.name}")
        with _file_lock(path):
            yield
    elif backend == "postgresql":
        with _advisory_lock(url):
            yield
    else:
        yield
