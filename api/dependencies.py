"""What routes receive from the app: the indexed database.

An `async` dependency runs on the event loop; a plain one would cost a hop to the thread pool on
every request. Routes open their connections themselves: sync routes in the worker thread that
runs them, async ones through `Database.read`.
"""

from typing import Annotated

from fastapi import Depends, Request

from api.database import Database


async def database(request: Request) -> Database:
    return request.app.state.database  # type: ignore[no-any-return]


Db = Annotated[Database, Depends(database)]
