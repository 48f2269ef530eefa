"""An account's points: balance and expiries per program, and its full history."""

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response
from sqlalchemy import bindparam, select, true

from api.database import NotIndexed, Reader
from api.dependencies import IndexedDatabase
from api.models import Account, ErrorMessage, Movement
from api.movements import movements_page
from api.pagination import Page
from api.params import DEFAULT_LIMIT, Address, Cursor, KindFilter, Limit, ProgramFilter
from api.queries import ANY_MOVEMENT_OF_ACCOUNT, BALANCES, CHECKPOINT, GROUPS, PROGRAMS
from api.responses import validated
from api.timestamps import utc

router = APIRouter(tags=["accounts"])
AccountAddress = Annotated[Address, Path(description="the account's address, in any case")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorMessage, "description": "no activity of this account"},
}

# One statement answers the account view: a row per program and unexpired group of the account.
# Balances and groups are keyed by (program, account, ...): reaching them through the few programs
# lets every database use that key, where `account = ?` alone would scan the table.
ACCOUNT_VIEW = (
    select(CHECKPOINT.c.indexed_block, CHECKPOINT.c.indexed_timestamp, PROGRAMS.c.address, PROGRAMS.c.key,
           PROGRAMS.c.symbol, PROGRAMS.c.name, BALANCES.c.balance, GROUPS.c.epoch, GROUPS.c.amount,
           GROUPS.c.expires_at)
    .select_from(
        CHECKPOINT.join(PROGRAMS, true())
        .outerjoin(BALANCES, (BALANCES.c.program == PROGRAMS.c.address) & (BALANCES.c.account == bindparam("account")))
        .outerjoin(GROUPS, (GROUPS.c.program == PROGRAMS.c.address) & (GROUPS.c.account == bindparam("account"))))
    .order_by(PROGRAMS.c.key, GROUPS.c.expires_at))
BALANCE_COLUMN = list(ACCOUNT_VIEW.selected_columns).index(BALANCES.c.balance)


@router.get("/accounts/{address}", response_model=Account, responses=NOT_FOUND)
async def get_account(address: AccountAddress, db: IndexedDatabase) -> Response:
    """The account's balance in every program, its points by expiry (soonest first) and the next expiry."""
    rows = await db.read(lambda reader: _account_rows(reader, address))
    programs: dict[str, dict[str, Any]] = {}
    for _block, _timestamp, program_address, key, symbol, name, balance, epoch, amount, expires_at in rows:
        program = programs.get(program_address)
        if program is None:
            program = programs[program_address] = {
                "program": program_address, "key": key, "symbol": symbol, "name": name,
                "balance": balance or 0, "expiring": [], "next_expiry": None}
        if epoch is not None:
            program["expiring"].append({"epoch": epoch, "amount": amount, "expires_at": utc(expires_at)})
            program["next_expiry"] = program["next_expiry"] or program["expiring"][0]
    indexed_block, indexed_timestamp = rows[0][:2]
    return validated(Account, {"address": address, "indexed_block": indexed_block, "as_of": utc(indexed_timestamp),
                               "programs": list(programs.values())})


def _account_rows(reader: Reader, address: str) -> Sequence[tuple[Any, ...]]:
    rows = reader.rows(ACCOUNT_VIEW, {"account": address})
    if not rows:
        raise NotIndexed("the indexer has not written a batch yet")
    if all(row[BALANCE_COLUMN] is None for row in rows) and not _has_history(reader, address):
        raise _no_activity(address)
    return rows


@router.get("/accounts/{address}/history", response_model=Page[Movement], responses=NOT_FOUND)
async def get_history(address: AccountAddress, db: IndexedDatabase, program: ProgramFilter = None,
                      kind: KindFilter = None, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response:
    """Every movement of the account's points, newest first."""
    rows, response = await movements_page(db, address, program, kind, limit, cursor)
    if not rows and cursor is None and not await db.read(lambda reader: _has_history(reader, address)):
        raise _no_activity(address)
    return response


def _no_activity(address: str) -> HTTPException:
    return HTTPException(404, f"{address} has no points activity in this deployment")


def _has_history(reader: Reader, address: str) -> bool:
    return bool(reader.rows(ANY_MOVEMENT_OF_ACCOUNT, {"account": address}))
