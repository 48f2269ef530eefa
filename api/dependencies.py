"""What routes take from the app: `IndexedDatabase`, the app's read-only database.

The dependency is a coroutine that does no more than look the database up: FastAPI runs a plain
function dependency in a worker thread, a hop that costs about what SQLite takes to answer an
account look-up.
"""

from typing import Annotated

from fastapi import Depends, Request

from api.database import Database


async def app_database(request: Request) -> Database:
    return request.app.state.database


IndexedDatabase = Annotated[Database, Depends(app_database)]
