"""Daily statistics per program."""

from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy import Select, bindparam, select, tuple_

from api.dependencies import PROGRAM_NOT_FOUND, IndexedDatabase, ProgramFilter
from api.models import DailyStat
from api.pagination import Page, decode_cursor, page
from api.params import DEFAULT_LIMIT, Cursor, Day, Limit
from api.queries import DAILY, LIMIT

router = APIRouter(prefix="/stats", tags=["statistics"])


@cache
def daily_query(after: bool, program: bool, since: bool, until: bool) -> Select[Any]:
    # The table's key order: no sort, whatever the number of days.
    key = (DAILY.c.program, DAILY.c.day)
    query = select(DAILY).order_by(*key).limit(LIMIT)
    if program:
        query = query.where(DAILY.c.program == bindparam("program"))
    if since:
        query = query.where(DAILY.c.day >= bindparam("since"))
    if until:
        query = query.where(DAILY.c.day <= bindparam("until"))
    if after:
        query = query.where(tuple_(*key) > tuple_(bindparam("after_program"), bindparam("after_day")))
    return query


@router.get("/daily", response_model=Page[DailyStat], responses=PROGRAM_NOT_FOUND)
async def daily(db: IndexedDatabase, program: ProgramFilter = None,
                since: Annotated[Day | None, Query(description="first day (UTC)")] = None,
                until: Annotated[Day | None, Query(description="last day (UTC)")] = None,
                limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response:
    """Per program and UTC day with activity: points by kind of movement (issued, redeemed, expired, exchanged
    in and out, ...) and the supply at the day's end; by program, then oldest day first."""
    after = decode_cursor("daily", cursor, (str, str))
    parameters: dict[str, Any] = {
        "limit": limit + 1, "program": program,
        "since": since.isoformat() if since else None, "until": until.isoformat() if until else None,
    }
    if after is not None:
        parameters |= {"after_program": after[0], "after_day": after[1]}
    query = daily_query(after is not None, program is not None, since is not None, until is not None)
    rows = await db.read(lambda reader: reader.dicts(query, parameters))
    return page(Page[DailyStat], "daily", rows, limit,
                lambda row: (row["program"], row["day"]))
