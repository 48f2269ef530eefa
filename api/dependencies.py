"""What routes receive from the app: a read-only connection to the indexed database."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection

from api.database import Database


def database(request: Request) -> Database:
    return request.app.state.database  # type: ignore[no-any-return]


def _connection(request: Request) -> Iterator[Connection]:
    with database(request).connect() as connection:
        yield connection


DbConnection = Annotated[Connection, Depends(_connection)]
