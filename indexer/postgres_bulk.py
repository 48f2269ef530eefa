"""PostgreSQL's bulk path for the indexer's batches.

Row-at-a-time statements cost PostgreSQL a parse, plan and executor start per row, however well
psycopg pipelines them: a backfill spent most of its time there. Instead:

- fact rows (movements, raw events, redemptions, exchanges, block hashes), the state rows a
  batch creates and those a rollback restores go in with binary `COPY`, the server's bulk load
  path;
- changed state rows and deleted keys are sent a column at a time, each column one array
  parameter that one statement unnests: one execution per table and batch, whatever its number
  of rows, and no insert attempted where a row is known to exist;
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

Parameters = Sequence[tuple[Any, ...]]


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


def copy_rows(connection: Connection, table: Table, columns: Sequence[Column[Any]], rows: Parameters) -> None:
    """Appends `rows` (values in the order of `columns`) to `table` with binary COPY."""
    names = ", ".join(column.name for column in columns)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor.copy(f"COPY {table.name} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types([_type_name(column) for column in columns])
        for row in rows:
            copy.write_row(row)


def _unnested(columns: Sequence[Column[Any]]) -> str:
    """`unnest(%s::t1[], %s::t2[], ...)`: the columns' arrays as rows."""
    return "unnest(" + ", ".join(f"%s::{_type_name(column)}[]" for column in columns) + ")"


def _arrays(rows: Parameters, width: int) -> list[list[Any]]:
    return [list(values) for values in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]


def update(connection: Connection, table: Table, key: Sequence[str], rows: Parameters) -> None:
    """Replaces the rows of the same `key` with `rows` (values in the table's column order)."""
    columns = list(table.c)
    names = ", ".join(column.name for column in columns)
    changes = ", ".join(f"{column.name} = new.{column.name}" for column in columns if column.name not in key)
    matches = " AND ".join(f"{table.name}.{name} = new.{name}" for name in key)
    connection.exec_driver_sql(
        f"UPDATE {table.name} SET {changes} FROM {_unnested(columns)} AS new ({names}) WHERE {matches}",
        tuple(_arrays(rows, len(columns))))


def delete_keys(connection: Connection, table: Table, key: Sequence[str], keys: Parameters) -> None:
    """Deletes the rows whose `key` columns hold one of `keys`."""
    columns = [table.c[name] for name in key]
    connection.exec_driver_sql(
        f"DELETE FROM {table.name} WHERE ({', '.join(key)}) IN (SELECT * FROM {_unnested(columns)})",
        tuple(_arrays(keys, len(columns))))
