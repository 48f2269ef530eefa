"""An account's points: balance and expiries per program, and its full history."""

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from sqlalchemy import bindparam, select, true

from api.database import NotIndexed, Reader
from api.dependencies import PROGRAM_NOT_FOUND, IndexedDatabase, ProgramFilter, database_of
from api.models import Account, Movement
from api.movements import movements_page
from api.pagination import Page
from api.params import DEFAULT_LIMIT, Address, Cursor, KindFilter, Limit
from api.queries import BALANCES, CHECKPOINT, GROUPS, PROGRAMS
from api.responses import json_response
from api.timestamps import utc

router = APIRouter(tags=["accounts"])
AccountAddress = Annotated[Address, Path(description="the account's address, in any case")]

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


@router.get("/accounts/{address}", response_model=Account)
async def get_account(address: AccountAddress, request: Request) -> Response:
    """The account's balance in every program, its points by expiry (soonest first) and the next expiry. An
    account with no activity has a balance of 0 everywhere: a wallet asks before its first points."""
    rows = await database_of(request).read(lambda reader: _account_rows(reader, address))
    # The JSON `Account` would write (api.responses): its fields in order, points as decimal strings.
    programs: dict[str, dict[str, Any]] = {}
    for _block, _timestamp, program_address, key, symbol, name, balance, epoch, amount, expires_at in rows:
        program = programs.get(program_address)
        if program is None:
            program = programs[program_address] = {
                "program": program_address, "key": key, "name": name, "symbol": symbol,
                "balance": str(balance or 0), "expiring": [], "next_expiry": None}
        if epoch is not None:
            program["expiring"].append({"epoch": epoch, "amount": str(amount), "expires_at": utc(expires_at)})
            program["next_expiry"] = program["next_expiry"] or program["expiring"][0]
    indexed_block, indexed_timestamp = rows[0][:2]
    return json_response({"address": address, "indexed_block": indexed_block, "as_of": utc(indexed_timestamp),
                          "programs": list(programs.values())})


def _account_rows(reader: Reader, address: str) -> Sequence[tuple[Any, ...]]:
    rows = reader.rows(ACCOUNT_VIEW, {"account": address})
    if not rows:
        raise NotIndexed("the indexer has not written a batch yet")
    return rows


@router.get("/accounts/{address}/history", response_model=Page[Movement], responses=PROGRAM_NOT_FOUND)
async def get_history(address: AccountAddress, db: IndexedDatabase, program: ProgramFilter = None,
                      kind: KindFilter = None, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response:
    """Every movement of the account's points, newest first; none for an account with no activity."""
    _, response = await movements_page(db, address, program, kind, limit, cursor)
    return response
