"""The partner exchange: routes between programs and what partners settle between themselves."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import func, select

from api.dependencies import database
from api.models import Route, Settlement
from api.pagination import Page, after_parameters, ascending_list_query, decode_cursor, page
from api.params import DEFAULT_LIMIT, Address, Cursor, Day, Limit
from api.responses import uint256_text
from database.schema import Exchange as ExchangeTable
from database.schema import Route as RouteTable

router = APIRouter(prefix="/exchange", tags=["exchange"])
ROUTES = RouteTable.__table__  # type: ignore[attr-defined]
EXCHANGES = ExchangeTable.__table__  # type: ignore[attr-defined]
SECONDS_PER_DAY = 86_400
EPOCH_DAY = date(1970, 1, 1)
ROUTE_KEY = ("from_program", "to_program")
Period = Literal["day", "week", "month"]


def _day_period(day: date) -> tuple[str, date]:
    return day.isoformat(), day


def _week_period(day: date) -> tuple[str, date]:
    year, week, weekday = day.isocalendar()
    return f"{year}-W{week:02d}", day - timedelta(days=weekday - 1)


def _month_period(day: date) -> tuple[str, date]:
    return day.strftime("%Y-%m"), day.replace(day=1)


PERIODS: dict[Period, Callable[[date], tuple[str, date]]] = {
    "day": _day_period, "week": _week_period, "month": _month_period,
}


@router.get("/routes", response_model=Page[Route])
def list_routes(request: Request, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response:
    """Every route either side has configured, with its rate, cap, consent and volumes, by program pair."""
    after = decode_cursor("routes", cursor, (str, str))
    query = ascending_list_query(ROUTES, ROUTE_KEY, (), after is not None)
    with database(request).connect() as connection:
        result = connection.execute(query, {"limit": limit + 1, **after_parameters(ROUTE_KEY, after)})
        rows = [uint256_text(row, "rate_num", "rate_den", "cap") for row in result.mappings()]
    return page(Page[Route], "routes", rows, limit, lambda row: (row["from_program"], row["to_program"]))


@router.get("/settlement", response_model=Page[Settlement])
def settlement(request: Request,
               period: Annotated[Period, Query(description="length of a settlement period (UTC)")] = "month",
               from_program: Annotated[Address | None, Query(description="only exchanges out of this program")] = None,
               to_program: Annotated[Address | None, Query(description="only exchanges into this program")] = None,
               since: Annotated[Day | None, Query(description="first day counted (UTC)")] = None,
               until: Annotated[Day | None, Query(description="last day counted (UTC)")] = None,
               limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response:
    """Per pair of programs and period: points burnt on the sending side and issued on the receiving side,
    oldest period first."""
    after = decode_cursor(f"settlement:{period}", cursor, (str, str, str))
    day = EXCHANGES.c.timestamp // SECONDS_PER_DAY
    query = (select(EXCHANGES.c.from_program, EXCHANGES.c.to_program, day.label("day"),
                    func.sum(EXCHANGES.c.amount_in), func.sum(EXCHANGES.c.amount_out), func.count())
             .group_by(EXCHANGES.c.from_program, EXCHANGES.c.to_program, day))
    for column, value in ((EXCHANGES.c.from_program, from_program), (EXCHANGES.c.to_program, to_program)):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(EXCHANGES.c.timestamp >= (since - EPOCH_DAY).days * SECONDS_PER_DAY)
    if until is not None:
        query = query.where(EXCHANGES.c.timestamp < ((until - EPOCH_DAY).days + 1) * SECONDS_PER_DAY)
    totals: dict[tuple[str, str, str], dict[str, Any]] = {}
    with database(request).connect() as connection:
        days = connection.execute(query).all()
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
