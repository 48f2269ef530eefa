"""Reading a test's PostgreSQL database (the server is the session's `postgres` fixture; each test
that writes takes a database of its own with `benchmarks.postgres_server.create_database`)."""

from typing import Any

import psycopg


def rows(url: str, query: str, *parameters: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
        return connection.execute(query, parameters).fetchall()
