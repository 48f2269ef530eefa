"""PostgreSQL's bulk path for the indexer's batches.

Row-at-a-time statements cost PostgreSQL a parse, plan and executor start per row, however well
psycopg pipelines them: a backfill spent most of its time there. Instead:

- fact rows (movements, raw events, redemptions, exchanges, block hashes), the state rows a
  batch creates and those a rollback restores go in with binary `COPY`, the server's bulk load
  path;
- changed state rows and deleted keys are copied the same way into a temporary table of the
  session (emptied at commit), which one UPDATE or DELETE joins: one execution per table and
  batch, whatever its number of rows, and no insert attempted where a row is known to exist.
  Arrays of parameters, unnested, did the same, but psycopg builds an array's text in Python, a
  value at a time: half of a backfill's time updating balances went there;
- a first backfill sets storage parameters of its own on a few tables (BACKFILL_STORAGE), and
  gives them back once it has caught up; it leaves out the primary key of the raw events too
  (schema.POSTGRESQL_DEFERRED_PRIMARY_KEYS), and adds it back then;
- a batch deeper than the reorganisation window (a backfill's) commits without waiting for its
  write-ahead log to reach the disk (`synchronous_commit = off`, for that transaction only).
  Every batch stays one transaction with its checkpoint, so a crash of the indexer or of the
  server leaves the database at the end of a whole batch: the server may lose the last few
  committed batches if it crashes itself, and the indexer then reads them again. Batches near
  the head, which the API and its subscribers see at once, are committed durably.
- a batch's undo journal (a few JSON texts of megabytes) is compressed with lz4 where the server
  has it, rather than PostgreSQL's default pglz: pglz took about a fifth of the server's CPU time
  in a backfill near the head, lz4 a small fraction of that. The journal reads back the same.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Connection, Integer, Table

from database.schema import primary_key_name

Parameters = Sequence[tuple[Any, ...]]

# Storage parameters a first backfill sets on its tables, as (parameter, value), and resets once
# it has caught up:
# - a backfill changes most balances again and again, and with full pages each change wrote its new
#   row version on another page, and a new primary key entry; with half of each page free it stays
#   on its page and leaves the index alone (a HOT update: `balance` has no other index until the
#   backfill builds its holders index). The server's CPU time for those updates fell from 1.8 s to
#   0.7 s in a backfill of 204,803 events;
# - autovacuum vacuumed and analysed the insert-only fact tables once or twice as they grew, on the
#   cores the backfill needs: 1.2-1.7 s of CPU time in the same backfill, against 6-7 s for the
#   indexer's own connection. Once the backfill has caught up, it does that once.
BACKFILL_STORAGE: dict[str, tuple[str, str]] = {"balance": ("fillfactor", "50")}
INSERT_ONLY_STORAGE = ("autovacuum_enabled", "false")


def _type_name(column: Column[Any]) -> str:
    """The PostgreSQL type a column's values are sent as. Text goes for every string column:
    `varchar` and `text` share their binary form."""
    if isinstance(column.type, BigInteger):
        return "int8"
    if isinstance(column.type, Integer):
        return "int4"
    if isinstance(column.type, Boolean):
        return "bool"
    return "text"


def commit_lazily(connection: Connection) -> None:
    """Lets this transaction's commit return before its log is on disk (a backfill's batch)."""
    connection.exec_driver_sql("SET LOCAL synchronous_commit = off")


def has_lz4(connection: Connection) -> bool:
    """Whether the server was built with lz4, which `compress_quickly` asks for."""
    return bool(connection.exec_driver_sql(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'").scalar())


def compress_quickly(connection: Connection) -> None:
    """Compresses the large values this transaction writes with lz4 (see `has_lz4`)."""
    connection.exec_driver_sql("SET LOCAL default_toast_compression = lz4")


def set_backfill_storage(connection: Connection, insert_only: Sequence[Table]) -> None:
    """Sets the storage parameters of a first backfill (BACKFILL_STORAGE) on `balance`, and turns
    autovacuum off on the `insert_only` tables."""
    for name, (parameter, value) in _backfill_storage(insert_only).items():
        connection.exec_driver_sql(f"ALTER TABLE {name} SET ({parameter} = {value})")


def reset_backfill_storage(connection: Connection, insert_only: Sequence[Table]) -> None:
    """Gives the tables back PostgreSQL's default storage parameters after a first backfill."""
    for name, (parameter, _) in _backfill_storage(insert_only).items():
        connection.exec_driver_sql(f"ALTER TABLE {name} RESET ({parameter})")


def _backfill_storage(insert_only: Sequence[Table]) -> dict[str, tuple[str, str]]:
    return BACKFILL_STORAGE | {table.name: INSERT_ONLY_STORAGE for table in insert_only}


def drop_primary_key(connection: Connection, table: Table) -> None:
    """Drops `table`'s primary key (and its index), if it has one."""
    connection.exec_driver_sql(f"ALTER TABLE {table.name} DROP CONSTRAINT IF EXISTS {primary_key_name(table.name)}")


def add_primary_key(connection: Connection, table: Table, key: Sequence[str]) -> None:
    """Gives `table` back its primary key on `key`, under the name PostgreSQL gives it at creation:
    the index is built from the whole table at once."""
    connection.exec_driver_sql(
        f"ALTER TABLE {table.name} ADD CONSTRAINT {primary_key_name(table.name)} PRIMARY KEY ({', '.join(key)})")


def copy_rows(connection: Connection, table: Table, columns: Sequence[Column[Any]], rows: Parameters) -> None:
    """Appends `rows` (values in the order of `columns`) to `table` with binary COPY."""
    _copy(connection, table.name, columns, rows)


def _copy(connection: Connection, table_name: str, columns: Sequence[Column[Any]], rows: Parameters) -> None:
    names = ", ".join(column.name for column in columns)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table_name} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types([_type_name(column) for column in columns])
        for row in rows:
            copy.write_row(row)


def _staged(connection: Connection, table: Table, columns: Sequence[Column[Any]], rows: Parameters,
            purpose: str) -> str:
    """Copies `rows` into a temporary table of `columns`, of this session and emptied at commit;
    returns its name."""
    staging = f"{purpose}_{table.name}"
    connection.exec_driver_sql(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DELETE ROWS AS "
        f"SELECT {', '.join(column.name for column in columns)} FROM {table.name} WITH NO DATA")
    # A rollback stages a table's keys once per batch it undoes, all in one transaction. Nothing to
    # delete otherwise: the commit emptied the table.
    connection.exec_driver_sql(f"DELETE FROM {staging}")
    _copy(connection, staging, columns, rows)
    return staging


def update(connection: Connection, table: Table, key: Sequence[str], rows: Parameters) -> None:
    """Replaces the rows of the same `key` with `rows` (values in the table's column order)."""
    staged = _staged(connection, table, list(table.c), rows, "changed")
    changes = ", ".join(f"{column.name} = new.{column.name}" for column in table.c if column.name not in key)
    matches = " AND ".join(f"{table.name}.{name} = new.{name}" for name in key)
    connection.exec_driver_sql(f"UPDATE {table.name} SET {changes} FROM {staged} AS new WHERE {matches}")


def delete_keys(connection: Connection, table: Table, key: Sequence[str], keys: Parameters) -> None:
    """Deletes the rows whose `key` columns hold one of `keys`."""
    staged = _staged(connection, table, [table.c[name] for name in key], keys, "gone")
    matches = " AND ".join(f"{table.name}.{name} = gone.{name}" for name in key)
    connection.exec_driver_sql(f"DELETE FROM {table.name} USING {staged} AS gone WHERE {matches}")
