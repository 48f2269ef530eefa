"""Programs (one per PointsToken) and their holders."""

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path
from sqlalchemy import Connection, select

from api.dependencies import DbConnection
from api.models import ErrorMessage, Holder, Program
from api.pagination import Page, decode_cursor, page
from api.params import DEFAULT_LIMIT, Address, Cursor, Limit
from indexer.schema import Balance
from indexer.schema import Program as ProgramTable

router = APIRouter(tags=["programs"])
PROGRAMS = ProgramTable.__table__  # type: ignore[attr-defined]
BALANCES = Balance.__table__  # type: ignore[attr-defined]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorMessage, "description": "no such program"}}


def program_or_404(connection: Connection, address: str) -> dict[str, Any]:
    row = connection.execute(select(PROGRAMS).where(PROGRAMS.c.address == address)).mappings().first()
    if row is None:
        raise HTTPException(404, f"no program at {address} in this deployment")
    return dict(row)


@router.get("/programs", response_model=Page[Program])
def list_programs(connection: DbConnection, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> dict[str, Any]:
    """Every program of the alliance, by address."""
    after = decode_cursor("programs", cursor, (str,))
    query = select(PROGRAMS).order_by(PROGRAMS.c.address).limit(limit + 1)
    if after is not None:
        query = query.where(PROGRAMS.c.address > after[0])
    rows = [dict(row) for row in connection.execute(query).mappings()]
    return page("programs", rows, limit, lambda row: (row["address"],))


@router.get("/programs/{token}", response_model=Program, responses=NOT_FOUND)
def get_program(token: Annotated[Address, Path(description="the program's token address")],
                connection: DbConnection) -> dict[str, Any]:
    """One program: its settings, supply and number of holders."""
    return program_or_404(connection, token)


@router.get("/programs/{token}/holders", response_model=Page[Holder], responses=NOT_FOUND)
def list_holders(token: Annotated[Address, Path(description="the program's token address")],
                 connection: DbConnection, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> dict[str, Any]:
    """The program's holders of unexpired points, largest balance first."""
    after = decode_cursor(f"holders:{token}", cursor, (int, str))
    query = (select(BALANCES.c.account, BALANCES.c.balance).where(BALANCES.c.program == token)
             .order_by(BALANCES.c.balance.desc(), BALANCES.c.account).limit(limit + 1))
    if after is not None:
        balance, account = after
        query = query.where((BALANCES.c.balance < balance)
                            | ((BALANCES.c.balance == balance) & (BALANCES.c.account > account)))
    rows = [dict(row) for row in connection.execute(query).mappings()]
    if not rows and after is None:
        program_or_404(connection, token)
    return page(f"holders:{token}", rows, limit, lambda row: (row["balance"], row["account"]))
