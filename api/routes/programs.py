"""Programs (one per PointsToken) and their holders."""

from typing import Any

from fastapi import APIRouter, HTTPException, Response
from sqlalchemy import bindparam, select, tuple_

from api.database import Reader
from api.dependencies import IndexedDatabase, ProgramToken
from api.models import ErrorMessage, Holder, Program
from api.pagination import Page, decode_cursor, page
from api.params import DEFAULT_LIMIT, Cursor, Limit
from api.queries import BALANCES, LIMIT, PROGRAM_EXISTS, PROGRAMS, after_parameters, ascending_list_query
from api.responses import validated

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


def _no_program(address: str) -> HTTPException:
    return HTTPException(404, f"no program at {address} in this deployment")


@router.get("/programs", response_model=Page[Program])
async def list_programs(db: IndexedDatabase, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response:
    """Every program of the alliance, by address."""
    after = decode_cursor("programs", cursor, (str,))
    query = ascending_list_query(PROGRAMS, PROGRAM_KEY, (), after is not None)
    parameters = {"limit": limit + 1, **after_parameters(PROGRAM_KEY, after)}
    rows = await db.read(lambda reader: reader.dicts(query, parameters))
    return page(Page[Program], "programs", rows, limit, lambda row: (row["address"],))


@router.get("/programs/{token}", response_model=Program, responses=NOT_FOUND)
async def get_program(token: ProgramToken, db: IndexedDatabase) -> Response:
    """One program: its settings, supply and number of holders."""
    program = await db.read(lambda reader: reader.first(PROGRAM, {"address": token}))
    if program is None:
        raise _no_program(token)
    return validated(Program, program)


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
