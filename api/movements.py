"""Pages of movements, newest first: the alliance's recent activity and accounts' histories share
them, and the live feed's event ids are their cursors, so that a feed can resume from a page."""

from typing import Any

from fastapi import Response

from api.database import Database
from api.models import Movement
from api.pagination import Page, decode_cursor, page
from api.queries import MOVEMENT_KEY, newest_movements_query
from api.timestamps import utc
from database.kinds import MovementKind

CURSOR_LIST = "history"
CURSOR_SHAPE = (int, int, int)


def movement_item(row: dict[str, Any]) -> dict[str, Any]:
    """A movement row as the API shows it (its `seq` stays: it is part of the movement's key)."""
    row["time"] = utc(row.pop("timestamp"))
    return row


def movement_key(item: dict[str, Any]) -> tuple[int, int, int]:
    return item["block"], item["log_index"], item["seq"]


async def movements_page(db: Database, account: str | None, program: str | None, kind: MovementKind | None,
                         limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], Response]:
    """A page of movements, and its rows (empty on a first page: the caller may want to say why)."""
    before = decode_cursor(CURSOR_LIST, cursor, CURSOR_SHAPE)
    parameters: dict[str, Any] = {"account": account, "limit": limit + 1, "program": program, "kind": kind}
    if before is not None:
        parameters |= dict(zip(MOVEMENT_KEY, before, strict=True))
    query = newest_movements_query(account is not None, program is not None, kind is not None, before is not None)
    rows = [movement_item(row) for row in await db.read(lambda reader: reader.dicts(query, parameters))]
    return rows, page(Page[Movement], CURSOR_LIST, rows, limit, movement_key)
