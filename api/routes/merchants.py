"""Merchants, the rewards catalog and redemptions."""

from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import ColumnElement, Select, Table, bindparam, func, select, tuple_

from api.dependencies import PROGRAM_NOT_FOUND, IndexedDatabase, ProgramFilter
from api.models import Merchant, MerchantRole, Redemption, Reward
from api.pagination import Page, decode_cursor, page
from api.params import DEFAULT_LIMIT, Address, Cursor, Limit
from api.queries import LIMIT, MERCHANTS, REDEMPTIONS, REWARDS, after_parameters, ascending_list_query
from api.timestamps import utc

router = APIRouter(tags=["merchants and rewards"])
# Names by primary key; '' where no row names the merchant (a reward listed by the owner for an
# address that never was a merchant).
MERCHANT_NAME = func.coalesce(MERCHANTS.c.name, "").label("merchant_name")
REWARD_NAME = func.coalesce(REWARDS.c.name, "").label("reward_name")
MERCHANT_KEY = ("program", "merchant")
REWARD_KEY = ("program", "reward_id")


def _merchant_of(table: Table) -> ColumnElement[bool]:
    """Joins `table`'s (program, merchant) to the merchant's row."""
    return (MERCHANTS.c.program == table.c.program) & (MERCHANTS.c.merchant == table.c.merchant)


@cache
def redemptions_query(after: bool, program: bool, merchant: bool, holder: bool) -> Select[Any]:
    key = (REDEMPTIONS.c.block, REDEMPTIONS.c.log_index)
    named = (REDEMPTIONS
             .outerjoin(REWARDS, (REWARDS.c.program == REDEMPTIONS.c.program)
                        & (REWARDS.c.reward_id == REDEMPTIONS.c.reward_id))
             .outerjoin(MERCHANTS, _merchant_of(REDEMPTIONS)))
    query = (select(REDEMPTIONS, REWARD_NAME, MERCHANT_NAME).select_from(named)
             .order_by(*(column.desc() for column in key)).limit(LIMIT))
    for column, wanted in ((REDEMPTIONS.c.program, program), (REDEMPTIONS.c.merchant, merchant),
                           (REDEMPTIONS.c.holder, holder)):
        if wanted:
            query = query.where(column == bindparam(column.name))
    if after:
        query = query.where(tuple_(*key) < tuple_(bindparam("after_block"), bindparam("after_log_index")))
    return query


@cache
def rewards_query(filters: tuple[str, ...], after: bool) -> Select[Any]:
    """The catalog's page, each reward with its merchant's name."""
    return (ascending_list_query(REWARDS, REWARD_KEY, filters, after)
            .add_columns(MERCHANT_NAME).outerjoin(MERCHANTS, _merchant_of(REWARDS)))


@router.get("/merchants", response_model=Page[Merchant], responses=PROGRAM_NOT_FOUND)
async def list_merchants(request: Request, db: IndexedDatabase, program: ProgramFilter = None,
                         merchant: Annotated[Address | None, Query(description="only this account's entries: "
                                                                               "a merchant's own totals")] = None,
                         limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response:
    """Merchants per program with their name, mint cap and the points they issued and redeemed, by program and
    address. The partner exchange, which issues the points converted into a program, has the role `exchange`."""
    after = decode_cursor("merchants", cursor, (str, str))
    filters = {name: value for name, value in (("program", program), ("merchant", merchant)) if value is not None}
    query = ascending_list_query(MERCHANTS, MERCHANT_KEY, tuple(filters), after is not None)
    parameters = {"limit": limit + 1, **filters, **after_parameters(MERCHANT_KEY, after)}
    exchange = request.app.state.exchange
    rows = [{**row, "role": MerchantRole.EXCHANGE if row["merchant"] == exchange else MerchantRole.MERCHANT}
            for row in await db.read(lambda reader: reader.dicts(query, parameters))]
    return page(Page[Merchant], "merchants", rows, limit, lambda row: (row["program"], row["merchant"]))


@router.get("/rewards", response_model=Page[Reward], responses=PROGRAM_NOT_FOUND)
async def list_rewards(db: IndexedDatabase, program: ProgramFilter = None,
                       active: Annotated[bool | None, Query(description="only active (true) or retired (false) "
                                                                        "rewards")] = None,
                       limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response:
    """The rewards catalog with names, price, stock and redemptions, by program and reward id."""
    after = decode_cursor("rewards", cursor, (str, int))
    filters = {name: value for name, value in (("program", program), ("active", active)) if value is not None}
    query = rewards_query(tuple(filters), after is not None)
    parameters = {"limit": limit + 1, **filters, **after_parameters(REWARD_KEY, after)}
    rows = await db.read(lambda reader: reader.dicts(query, parameters))
    return page(Page[Reward], "rewards", rows, limit, lambda row: (row["program"], row["reward_id"]))


@router.get("/redemptions", response_model=Page[Redemption], responses=PROGRAM_NOT_FOUND)
async def list_redemptions(db: IndexedDatabase, program: ProgramFilter = None,
                           merchant: Annotated[Address | None, Query(description="only rewards of this "
                                                                                 "merchant")] = None,
                           holder: Annotated[Address | None, Query(description="only this customer's")] = None,
                           limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response:
    """Redemptions, newest first."""
    after = decode_cursor("redemptions", cursor, (int, int))
    parameters = {"limit": limit + 1, "program": program, "merchant": merchant, "holder": holder}
    if after is not None:
        parameters |= {"after_block": after[0], "after_log_index": after[1]}
    query = redemptions_query(after is not None, program is not None, merchant is not None, holder is not None)
    rows = await db.read(lambda reader: reader.dicts(query, parameters))
    for row in rows:
        row["time"] = utc(row.pop("timestamp"))
    return page(Page[Redemption], "redemptions", rows, limit, lambda row: (row["block"], row["log_index"]))
