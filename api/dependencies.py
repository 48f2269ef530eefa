"""What routes take from the app: the indexed database.

Routes take the request and read the database from it rather than declaring a dependency: FastAPI
solves a dependency on every request, at about the cost of SQLite's answer to an account look-up.
Routes open their connections themselves: sync routes in the worker thread that runs them, async
ones through `Database.read`.
"""

from fastapi import Request

from api.database import Database


def database(request: Request) -> Database:
    return request.app.state.database  # type: ignore[no-any-return]
