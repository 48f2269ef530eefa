"""What routes take from the app: `IndexedDatabase`, the app's read-only database, and programs
named by key or address (`ProgramToken` in paths, `ProgramFilter` in queries), resolved to the
token address every query uses.

The dependency is a coroutine that does no more than look the database up: FastAPI runs a plain
function dependency in a worker thread, a hop that costs about what SQLite takes to answer an
account look-up. Resolving even that coroutine costs FastAPI about a tenth of the account view's
time, the dashboard's busiest request: that route takes the request and `database_of` it.
"""

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Depends, HTTPException, Path, Query, Request
from sqlalchemy import bindparam, select

from api.database import Database
from api.models import ErrorMessage
from api.params import ProgramReference, checksummed, is_address
from api.queries import PROGRAMS


def database_of(request: Request) -> Database:
    return request.app.state.database


async def app_database(request: Request) -> Database:
    return database_of(request)


IndexedDatabase = Annotated[Database, Depends(app_database)]

PROGRAM_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorMessage, "description": "no program with the given key"},
}
PROGRAM_BY_KEY = select(PROGRAMS.c.address).where(PROGRAMS.c.key == bindparam("key"))


async def _address_of(db: Database, reference: str) -> str:
    """A program's token address, from its address (any case) or its key in the deployment manifest."""
    if is_address(reference):
        return checksummed(reference)
    row = await db.read(lambda reader: reader.first(PROGRAM_BY_KEY, {"key": reference}))
    if row is None:
        raise HTTPException(404, f"no program with key {reference!r} in this deployment")
    return str(row["address"])


async def _program_token(db: IndexedDatabase, token: Annotated[ProgramReference, Path(
        description="the program: its token address (any case) or its key, e.g. `coffee`")]) -> str:
    return await _address_of(db, token)


def program_query(name: str, description: str) -> Any:
    """An optional query parameter `name` that names a program, resolved to its token address; a 422
    or 404 names `name`, the parameter the client sent."""

    async def resolve(db: IndexedDatabase, reference: Annotated[ProgramReference | None, Query(
            alias=name, description=f"{description}: its token address (any case) or its key, e.g. `coffee`")] = None,
                      ) -> str | None:
        return None if reference is None else await _address_of(db, reference)

    return Annotated[str | None, Depends(resolve)]


ProgramToken = Annotated[str, Depends(_program_token)]
if TYPE_CHECKING:
    ProgramFilter = str | None
else:
    ProgramFilter = program_query("program", "only this program's")
