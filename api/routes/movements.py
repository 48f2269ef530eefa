"""Movements of points: the alliance's recent activity, and what accounts' histories and the live
feed share (the statements and the item shape)."""

from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import Integer, Select, bindparam, select, tuple_

from api.database import Database
from api.dependencies import database
from api.models import Movement, MovementKind
from api.pagination import Page, decode_cursor, page
from api.params import DEFAULT_LIMIT, Address, Cursor, Limit
from api.timestamps import utc
from database.schema import Merchant as MerchantTable
from database.schema import Movement as MovementTable
from database.schema import Reward as RewardTable

router = APIRouter(tags=["movements"])
MOVEMENTS = MovementTable.__table__  # type: ignore[attr-defined]
MERCHANTS = MerchantTable.__table__  # type: ignore[attr-defined]
REWARDS = RewardTable.__table__  # type: ignore[attr-defined]
# A movement names its counterparty when that is one of the program's merchants, and its reward:
# a look-up by primary key each, which keeps the movements' own index order and limit.
NAMED_MOVEMENTS = (
    MOVEMENTS
    .outerjoin(MERCHANTS, (MERCHANTS.c.program == MOVEMENTS.c.program)
               & (MERCHANTS.c.merchant == MOVEMENTS.c.counterparty))
    .outerjoin(REWARDS, (REWARDS.c.program == MOVEMENTS.c.program) & (REWARDS.c.reward_id == MOVEMENTS.c.reward_id)))
MOVEMENT_COLUMNS = [column for column in MOVEMENTS.c if column.name != "seq"] + [
    MERCHANTS.c.name.label("counterparty_name"), REWARDS.c.name.label("reward_name")]
MOVEMENT_ORDER = (MOVEMENTS.c.block, MOVEMENTS.c.log_index, MOVEMENTS.c.seq)
# History cursors and the live feed's event ids are the same key: a feed can resume from a page.
CURSOR_LIST = "history"
CURSOR_SHAPE = (int, int, int)


def movement_item(row: Any) -> dict[str, Any]:
    """A movement row as the API shows it."""
    item = dict(row)
    item["time"] = utc(item.pop("timestamp"))
    return item


@cache
def movements_query(account: bool, after: bool, program: bool, kind: bool) -> Select[Any]:
    """Newest first, for one combination of filters; built once."""
    query = (select(*MOVEMENT_COLUMNS, MOVEMENTS.c.seq).select_from(NAMED_MOVEMENTS)
             .order_by(*(column.desc() for column in MOVEMENT_ORDER)).limit(bindparam("limit", type_=Integer)))
    if account:
        query = query.where(MOVEMENTS.c.account == bindparam("account"))
    if after:
        query = query.where(tuple_(*MOVEMENT_ORDER) < tuple_(bindparam("block"), bindparam("log_index"),
                                                             bindparam("seq")))
    if program:
        query = query.where(MOVEMENTS.c.program == bindparam("program"))
    if kind:
        query = query.where(MOVEMENTS.c.kind == bindparam("kind"))
    return query


async def movements_page(db: Database, account: str | None, program: str | None, kind: str | None, limit: int,
                         cursor: str | None) -> tuple[list[dict[str, Any]], Response]:
    """A page of movements, and its rows (empty on a first page: the caller may want to say why)."""
    after = decode_cursor(CURSOR_LIST, cursor, CURSOR_SHAPE)
    parameters: dict[str, Any] = {"account": account, "limit": limit + 1, "program": program, "kind": kind}
    if after is not None:
        parameters |= dict(zip(("block", "log_index", "seq"), after, strict=True))
    query = movements_query(account is not None, after is not None, program is not None, kind is not None)
    rows = [movement_item(row) for row in await db.read(lambda reader: reader.dicts(query, parameters))]
    return rows, page(Page[Movement], CURSOR_LIST, rows, limit, lambda row: (row["block"], row["log_index"],
                                                                            row["seq"]))


ProgramFilter = Annotated[Address | None, Query(description="only this program's movements")]
KindFilter = Annotated[MovementKind | None, Query(description="only movements of this kind")]


@router.get("/movements", response_model=Page[Movement])
async def list_movements(request: Request, program: ProgramFilter = None, kind: KindFilter = None,
                         limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response:
    """Every account's movements, newest first: the alliance's (or one program's) recent activity."""
    return (await movements_page(database(request), None, program, kind, limit, cursor))[1]
