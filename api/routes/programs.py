"""Programs (one per PointsToken) and their holders."""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response
from sqlalchemy import bindparam, select, true, tuple_

from api.database import Reader
from api.dependencies import IndexedDatabase, ProgramToken
from api.models import ErrorMessage, ExpiringPoints, Holder, Program
from api.pagination import Page, decode_cursor, page
from api.params import DEFAULT_LIMIT, Cursor, Limit
from api.queries import BALANCES, CHECKPOINT, LIMIT, PROGRAM_EXISTS, PROGRAMS, after_parameters, ascending_list_query
from api.responses import validated
from api.timestamps import utc
from database.expiring import EXPIRING_AFTER, EXPIRING_FIRST
from points.ledger import epochs_expiring_between

router = APIRouter(tags=["programs"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorMessage, "description": "no such program"}}

PROGRAM = select(PROGRAMS).where(PROGRAMS.c.address == bindparam("address"))
PROGRAM_KEY = ("address",)
# Largest balance first, ties by account (descending too, so that one index range serves every page).
_HOLDERS = (select(BALANCES.c.account, BALANCES.c.balance).where(BALANCES.c.program == bindparam("program"))
            .order_by(BALANCES.c.balance.desc(), BALANCES.c.account.desc()).limit(LIMIT))
HOLDERS_FIRST = _HOLDERS
HOLDERS_AFTER = _HOLDERS.where(tuple_(BALANCES.c.balance, BALANCES.c.account)
                               < tuple_(bindparam("balance"), bindparam("account")))


# A program's expiry settings and the indexed block's time, from which expiry windows are counted.
PROGRAM_CLOCK = (select(PROGRAMS.c.epoch_start, PROGRAMS.c.epoch_length, PROGRAMS.c.validity,
                        CHECKPOINT.c.indexed_timestamp)
                 .select_from(PROGRAMS.join(CHECKPOINT, true())).where(PROGRAMS.c.address == bindparam("address")))
SECONDS_PER_DAY = 86_400
DEFAULT_WITHIN_DAYS = 30
MAX_WITHIN_DAYS = 365
WithinDays = Annotated[int, Query(ge=1, le=MAX_WITHIN_DAYS,
                                  description=f"days after the indexed block's time, at most {MAX_WITHIN_DAYS}")]


def _with_times(program: dict[str, Any]) -> dict[str, Any]:
    return {**program, "epoch_start": utc(program["epoch_start"])}


def _no_program(address: str) -> HTTPException:
    return HTTPException(404, f"no program at {address} in this deployment")


@router.get("/programs", response_model=Page[Program])
async def list_programs(db: IndexedDatabase, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response:
    """Every program of the alliance, by address."""
    after = decode_cursor("programs", cursor, (str,))
    query = ascending_list_query(PROGRAMS, PROGRAM_KEY, (), after is not None)
    parameters = {"limit": limit + 1, **after_parameters(PROGRAM_KEY, after)}
    rows = [_with_times(row) for row in await db.read(lambda reader: reader.dicts(query, parameters))]
    return page(Page[Program], "programs", rows, limit, lambda row: (row["address"],))


@router.get("/programs/{token}", response_model=Program, responses=NOT_FOUND)
async def get_program(token: ProgramToken, db: IndexedDatabase) -> Response:
    """One program: its settings, supply and number of holders."""
    program = await db.read(lambda reader: reader.first(PROGRAM, {"address": token}))
    if program is None:
        raise _no_program(token)
    return validated(Program, _with_times(program))


@router.get("/programs/{token}/holders", response_model=Page[Holder], responses=NOT_FOUND)
async def list_holders(token: ProgramToken, db: IndexedDatabase, limit: Limit = DEFAULT_LIMIT,
                       cursor: Cursor = None) -> Response:
    """The program's holders of unexpired points, largest balance first."""
    after = decode_cursor(f"holders:{token}", cursor, (int, str))
    rows = await db.read(lambda reader: _holders(reader, token, limit + 1, after))
    return page(Page[Holder], f"holders:{token}", rows, limit, lambda row: (row["balance"], row["account"]))


def _holders(reader: Reader, token: str, count: int, after: tuple[Any, ...] | None) -> list[dict[str, Any]]:
    if after is None:
        holders = reader.dicts(HOLDERS_FIRST, {"program": token, "limit": count})
        if not holders and not reader.rows(PROGRAM_EXISTS, {"address": token}):
            raise _no_program(token)
        return holders
    return reader.dicts(HOLDERS_AFTER, {"program": token, "limit": count, "balance": after[0], "account": after[1]})


@router.get("/programs/{token}/expiring", response_model=Page[ExpiringPoints], responses=NOT_FOUND)
async def list_expiring(token: ProgramToken, db: IndexedDatabase, within_days: WithinDays = DEFAULT_WITHIN_DAYS,
                        limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response:
    """Accounts whose points expire within `within_days` of the indexed block's time, soonest first
    (then by account). An account with points of several expiry dates in the window appears once
    per date, with the amount that expires then."""
    after = decode_cursor(f"expiring:{token}", cursor, (int, str))
    rows = await db.read(lambda reader: _expiring(reader, token, within_days, limit + 1, after))
    items = [{**row, "expires_at": utc(row["expires_at"])} for row in rows]
    return page(Page[ExpiringPoints], f"expiring:{token}", items, limit, lambda row: (row["epoch"], row["account"]))


def _expiring(reader: Reader, token: str, within_days: int, count: int,
              after: tuple[Any, ...] | None) -> list[dict[str, Any]]:
    clock = reader.first(PROGRAM_CLOCK, {"address": token})
    if clock is None:
        raise _no_program(token)
    now = clock["indexed_timestamp"]
    first, last = epochs_expiring_between(clock["epoch_start"], clock["epoch_length"], clock["validity"], now,
                                          now + within_days * SECONDS_PER_DAY)
    parameters = {"program": token, "first_epoch": first, "last_epoch": last, "limit": count}
    if after is None:
        return reader.dicts(EXPIRING_FIRST, parameters)
    return reader.dicts(EXPIRING_AFTER, {**parameters, "after_epoch": after[0], "after_account": after[1]})
