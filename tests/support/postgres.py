"""A test's database: SQLite in its temporary directory, or a PostgreSQL database of its own on
the session's server (the `postgres_server_url` fixture)."""

from pathlib import Path
from typing import Any

import psycopg
import pytest

from benchmarks.postgres_server import create_database


def database_url(dialect: str, directory: Path, server_url: str | None, name: str) -> str:
    """A new, empty database of `dialect` ("sqlite" or "postgresql"); skips without a PostgreSQL server."""
    if dialect == "sqlite":
        return f"sqlite:///{directory / name}.db"
    if server_url is None:
        pytest.skip("PostgreSQL's initdb, pg_ctl and postgres are not installed")
    return create_database(server_url, name)


def rows(url: str, query: str, *parameters: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
        return connection.execute(query, parameters).fetchall()


def storage_parameters(url: str) -> dict[str, list[str]]:
    """The storage parameters of the tables of `url`'s database that have any (`fillfactor=50`)."""
    return dict(rows(url, "SELECT relname, reloptions FROM pg_class "
                          "WHERE relnamespace = 'public'::regnamespace AND reloptions IS NOT NULL"))
