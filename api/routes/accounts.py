"""An account's points: balance and expiries per program, and its full history."""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from sqlalchemy import Connection, select, tuple_

from api.dependencies import DbConnection
from api.models import Account, ErrorMessage, Movement, MovementKind
from api.pagination import Page, decode_cursor, page
from api.params import DEFAULT_LIMIT, Address, Cursor, Limit
from api.database import NotIndexed
from api.timestamps import utc
from indexer.schema import Balance, Checkpoint, EpochGroup
from indexer.schema import Movement as MovementTable
from indexer.schema import Program as ProgramTable

router = APIRouter(tags=["accounts"])
PROGRAMS = ProgramTable.__table__  # type: ignore[attr-defined]
BALANCES = Balance.__table__  # type: ignore[attr-defined]
GROUPS = EpochGroup.__table__  # type: ignore[attr-defined]
MOVEMENTS = MovementTable.__table__  # type: ignore[attr-defined]
CHECKPOINT = Checkpoint.__table__  # type: ignore[attr-defined]
AccountAddress = Annotated[Address, Path(description="the account's address, in any case")]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorMessage, "description": "no activity of this account"}}


def movement_item(row: Any) -> dict[str, Any]:
    """A movement row as the API shows it (history and live stream alike)."""
    item = dict(row)
    item["time"] = utc(item.pop("timestamp"))
    return item


MOVEMENT_COLUMNS = [column for column in MOVEMENTS.c if column.name != "seq"]


@router.get("/accounts/{address}", response_model=Account, responses=NOT_FOUND)
def get_account(address: AccountAddress, connection: DbConnection) -> dict[str, Any]:
    """The account's balance in every program, its points by expiry (soonest first) and the next expiry."""
    checkpoint = connection.execute(select(CHECKPOINT.c.indexed_block, CHECKPOINT.c.indexed_timestamp)).first()
    if checkpoint is None:
        raise NotIndexed("the indexer has not written a batch yet")
    balances = dict(connection.execute(
        select(BALANCES.c.program, BALANCES.c.balance).where(BALANCES.c.account == address)).all())
    expiring: dict[str, list[dict[str, Any]]] = {}
    for program, epoch, amount, expires_at in connection.execute(
            select(GROUPS.c.program, GROUPS.c.epoch, GROUPS.c.amount, GROUPS.c.expires_at)
            .where(GROUPS.c.account == address).order_by(GROUPS.c.expires_at)):
        expiring.setdefault(program, []).append({"epoch": epoch, "amount": amount, "expires_at": utc(expires_at)})
    if not balances and not _has_history(connection, address):
        raise HTTPException(404, f"{address} has no points activity in this deployment")
    programs = [
        {"program": program, "key": key, "symbol": symbol, "balance": balances.get(program, 0),
         "expiring": expiring.get(program, []), "next_expiry": (expiring.get(program) or [None])[0]}
        for program, key, symbol in connection.execute(
            select(PROGRAMS.c.address, PROGRAMS.c.key, PROGRAMS.c.symbol).order_by(PROGRAMS.c.key))
    ]
    return {"address": address, "indexed_block": checkpoint[0], "as_of": utc(checkpoint[1]), "programs": programs}


@router.get("/accounts/{address}/history", response_model=Page[Movement], responses=NOT_FOUND)
def get_history(address: AccountAddress, connection: DbConnection,
                program: Annotated[Address | None, Query(description="only this program's movements")] = None,
                kind: Annotated[MovementKind | None, Query(description="only movements of this kind")] = None,
                limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> dict[str, Any]:
    """Every movement of the account's points, newest first."""
    after = decode_cursor("history", cursor, (int, int, int))
    order = (MOVEMENTS.c.block, MOVEMENTS.c.log_index, MOVEMENTS.c.seq)
    query = (select(*MOVEMENT_COLUMNS, MOVEMENTS.c.seq).where(MOVEMENTS.c.account == address)
             .order_by(*(column.desc() for column in order)).limit(limit + 1))
    if after is not None:
        query = query.where(tuple_(*order) < tuple_(*after))
    if program is not None:
        query = query.where(MOVEMENTS.c.program == program)
    if kind is not None:
        query = query.where(MOVEMENTS.c.kind == kind)
    rows = [movement_item(row) for row in connection.execute(query).mappings()]
    if not rows and after is None and not _has_history(connection, address):
        raise HTTPException(404, f"{address} has no points activity in this deployment")
    return page("history", rows, limit, lambda row: (row["block"], row["log_index"], row["seq"]))


def _has_history(connection: Connection, address: str) -> bool:
    return connection.execute(select(MOVEMENTS.c.block).where(MOVEMENTS.c.account == address).limit(1)).first() \
        is not None
