"""Daily statistics per program."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select, tuple_

from api.dependencies import DbConnection
from api.models import DailyStat
from api.pagination import Page, decode_cursor, page
from api.params import DEFAULT_LIMIT, Address, Cursor, Day, Limit
from indexer.schema import DailyStat as DailyStatTable

router = APIRouter(prefix="/stats", tags=["statistics"])
DAILY = DailyStatTable.__table__  # type: ignore[attr-defined]


@router.get("/daily", response_model=Page[DailyStat])
def daily(connection: DbConnection,
          program: Annotated[Address | None, Query(description="only this program (token address)")] = None,
          since: Annotated[Day | None, Query(description="first day (UTC)")] = None,
          until: Annotated[Day | None, Query(description="last day (UTC)")] = None,
          limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> dict[str, Any]:
    """Per program and UTC day with activity: points issued, redeemed, expired, exchanged in and out, and the
    supply at the day's end, oldest day first."""
    after = decode_cursor("daily", cursor, (str, str))
    key = (DAILY.c.day, DAILY.c.program)
    query = select(DAILY).order_by(*key).limit(limit + 1)
    if program is not None:
        query = query.where(DAILY.c.program == program)
    if since is not None:
        query = query.where(DAILY.c.day >= since.isoformat())
    if until is not None:
        query = query.where(DAILY.c.day <= until.isoformat())
    if after is not None:
        query = query.where(tuple_(*key) > tuple_(*after))
    rows = [dict(row) for row in connection.execute(query).mappings()]
    return page("daily", rows, limit, lambda row: (row["day"], row["program"]))
