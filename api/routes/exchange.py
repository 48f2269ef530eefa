"""The partner exchange: routes between programs and what partners settle between themselves."""

from collections.abc import Callable
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy import Select, bindparam, func, select

from api.dependencies import PROGRAM_NOT_FOUND, IndexedDatabase, program_query
from api.models import Route, Settlement
from api.pagination import Page, decode_cursor, page
from api.params import DEFAULT_LIMIT, Cursor, Day, Limit
from api.queries import EXCHANGES, ROUTES, after_parameters, ascending_list_query

router = APIRouter(prefix="/exchange", tags=["exchange"])
SECONDS_PER_DAY = 86_400
EPOCH_DAY = date(1970, 1, 1)
ROUTE_KEY = ("from_program", "to_program")


class SettlementPeriod(StrEnum):
    """The length of a settlement period (UTC)."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


if TYPE_CHECKING:
    FromProgram = str | None
    ToProgram = str | None
else:
    FromProgram = program_query("from_program", "only exchanges out of this program")
    ToProgram = program_query("to_program", "only exchanges into this program")
PeriodLength = Annotated[SettlementPeriod, Query(description="length of a settlement period (UTC)")]


def _day_period(day: date) -> tuple[str, date]:
    return day.isoformat(), day


def _week_period(day: date) -> tuple[str, date]:
    year, week, weekday = day.isocalendar()
    return f"{year}-W{week:02d}", day - timedelta(days=weekday - 1)


def _month_period(day: date) -> tuple[str, date]:
    return day.strftime("%Y-%m"), day.replace(day=1)


PERIODS: dict[SettlementPeriod, Callable[[date], tuple[str, date]]] = {
    SettlementPeriod.DAY: _day_period, SettlementPeriod.WEEK: _week_period, SettlementPeriod.MONTH: _month_period,
}


@cache
def daily_exchanges_query(from_program: bool, to_program: bool, since: bool, until: bool) -> Select[Any]:
    """Points burnt, points issued and exchanges per pair of programs and UTC day number."""
    day = EXCHANGES.c.timestamp // SECONDS_PER_DAY
    query = (select(EXCHANGES.c.from_program, EXCHANGES.c.to_program, day.label("day"),
                    func.sum(EXCHANGES.c.amount_in), func.sum(EXCHANGES.c.amount_out), func.count())
             .group_by(EXCHANGES.c.from_program, EXCHANGES.c.to_program, day))
    for column, wanted in ((EXCHANGES.c.from_program, from_program), (EXCHANGES.c.to_program, to_program)):
        if wanted:
            query = query.where(column == bindparam(column.name))
    if since:
        query = query.where(EXCHANGES.c.timestamp >= bindparam("since"))
    if until:
        query = query.where(EXCHANGES.c.timestamp < bindparam("until"))
    return query


@router.get("/routes", response_model=Page[Route])
async def list_routes(db: IndexedDatabase, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response:
    """Every route either side has configured, with its rate, cap, consent and volumes, by program pair."""
    after = decode_cursor("routes", cursor, (str, str))
    query = ascending_list_query(ROUTES, ROUTE_KEY, (), after is not None)
    parameters = {"limit": limit + 1, **after_parameters(ROUTE_KEY, after)}
    rows = await db.read(lambda reader: reader.dicts(query, parameters))
    return page(Page[Route], "routes", rows, limit, lambda row: (row["from_program"], row["to_program"]))


@router.get("/settlement", response_model=Page[Settlement], responses=PROGRAM_NOT_FOUND)
async def settlement(db: IndexedDatabase, period: PeriodLength = SettlementPeriod.MONTH,
                     from_program: FromProgram = None, to_program: ToProgram = None,
                     since: Annotated[Day | None, Query(description="first day counted (UTC)")] = None,
                     until: Annotated[Day | None, Query(description="last day counted (UTC)")] = None,
                     limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response:
    """Per pair of programs and period: points burnt on the sending side and issued on the receiving side,
    oldest period first."""
    after = decode_cursor(f"settlement:{period}", cursor, (str, str, str))
    parameters = {
        "from_program": from_program, "to_program": to_program,
        "since": None if since is None else (since - EPOCH_DAY).days * SECONDS_PER_DAY,
        "until": None if until is None else ((until - EPOCH_DAY).days + 1) * SECONDS_PER_DAY,
    }
    query = daily_exchanges_query(from_program is not None, to_program is not None, since is not None,
                                  until is not None)
    days = await db.read(lambda reader: reader.rows(query, parameters))
    totals: dict[tuple[str, str, str], dict[str, Any]] = {}
    for sender, receiver, day_number, burnt, issued, count in days:
        name, start = PERIODS[period](EPOCH_DAY + timedelta(days=int(day_number)))
        entry = totals.setdefault((start.isoformat(), sender, receiver), {
            "from_program": sender, "to_program": receiver, "period": name, "period_start": start,
            "points_burnt": 0, "points_issued": 0, "exchanges": 0})
        entry["points_burnt"] += int(burnt)
        entry["points_issued"] += int(issued)
        entry["exchanges"] += count
    keys = sorted(key for key in totals if after is None or key > after)[:limit + 1]
    return page(Page[Settlement], f"settlement:{period}", [totals[key] for key in keys], limit,
                lambda row: (row["period_start"].isoformat(), row["from_program"], row["to_program"]))
