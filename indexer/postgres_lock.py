"""One indexer per PostgreSQL database: a session-level advisory lock held while it runs.

The indexer keeps the state tables in memory and writes from that copy, so a second indexer on the
same database would overwrite the first's rows with its own. API processes never take the lock:
any number of them read while the one indexer writes. The lock goes with the session, so an
indexer killed with SIGKILL releases it as soon as the server sees its connection close.
"""

from sqlalchemy import Connection, Engine

from points.errors import PointsError

# Any constant: the key of the one lock this platform takes in a database.
INDEXER_LOCK_KEY = 0x706F696E7473  # "points"


def hold_indexer_lock(engine: Engine) -> Connection:
    """Takes the lock on a connection of its own and returns it; close it to let the lock go."""
    connection = engine.connect()
    try:
        taken = connection.exec_driver_sql(f"SELECT pg_try_advisory_lock({INDEXER_LOCK_KEY})").scalar()
        connection.commit()
    except BaseException:
        connection.close()
        raise
    if not taken:
        connection.close()
        raise PointsError("another indexer is writing to this database: run exactly one indexer per database")
    return connection
