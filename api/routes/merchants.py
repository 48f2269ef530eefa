"""Merchants, the rewards catalog and redemptions."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select, tuple_

from api.dependencies import DbConnection
from api.models import Merchant, Redemption, Reward
from api.pagination import Page, decode_cursor, page
from api.params import DEFAULT_LIMIT, Address, Cursor, Limit
from api.timestamps import utc
from indexer.schema import Merchant as MerchantTable
from indexer.schema import Redemption as RedemptionTable
from indexer.schema import Reward as RewardTable

router = APIRouter(tags=["merchants and rewards"])
MERCHANTS = MerchantTable.__table__  # type: ignore[attr-defined]
REWARDS = RewardTable.__table__  # type: ignore[attr-defined]
REDEMPTIONS = RedemptionTable.__table__  # type: ignore[attr-defined]
ProgramFilter = Annotated[Address | None, Query(description="only this program's (token address)")]


def _uint256_text(row: Any, *columns: str) -> dict[str, Any]:
    item = dict(row)
    for column in columns:
        item[column] = str(item[column])
    return item


@router.get("/merchants", response_model=Page[Merchant])
def list_merchants(connection: DbConnection, program: ProgramFilter = None, limit: Limit = DEFAULT_LIMIT,
                   cursor: Cursor = None) -> dict[str, Any]:
    """Merchants per program with their mint cap and the points they issued and redeemed, by program and address."""
    after = decode_cursor("merchants", cursor, (str, str))
    key = (MERCHANTS.c.program, MERCHANTS.c.merchant)
    query = select(MERCHANTS).order_by(*key).limit(limit + 1)
    if program is not None:
        query = query.where(MERCHANTS.c.program == program)
    if after is not None:
        query = query.where(tuple_(*key) > tuple_(*after))
    rows = [_uint256_text(row, "cap") for row in connection.execute(query).mappings()]
    return page("merchants", rows, limit, lambda row: (row["program"], row["merchant"]))


@router.get("/rewards", response_model=Page[Reward])
def list_rewards(connection: DbConnection, program: ProgramFilter = None,
                 active: Annotated[bool | None, Query(description="only active (true) or retired (false) rewards")] = None,
                 limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> dict[str, Any]:
    """The rewards catalog with price, stock and redemptions, by program and reward id."""
    after = decode_cursor("rewards", cursor, (str, int))
    key = (REWARDS.c.program, REWARDS.c.reward_id)
    query = select(REWARDS).order_by(*key).limit(limit + 1)
    if program is not None:
        query = query.where(REWARDS.c.program == program)
    if active is not None:
        query = query.where(REWARDS.c.active == active)
    if after is not None:
        query = query.where(tuple_(*key) > tuple_(*after))
    rows = [_uint256_text(row, "price", "stock") for row in connection.execute(query).mappings()]
    return page("rewards", rows, limit, lambda row: (row["program"], row["reward_id"]))


@router.get("/redemptions", response_model=Page[Redemption])
def list_redemptions(connection: DbConnection, program: ProgramFilter = None,
                     merchant: Annotated[Address | None, Query(description="only rewards of this merchant")] = None,
                     holder: Annotated[Address | None, Query(description="only this customer's")] = None,
                     limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> dict[str, Any]:
    """Redemptions, newest first."""
    after = decode_cursor("redemptions", cursor, (int, int))
    key = (REDEMPTIONS.c.block, REDEMPTIONS.c.log_index)
    query = select(REDEMPTIONS).order_by(*(column.desc() for column in key)).limit(limit + 1)
    for column, value in ((REDEMPTIONS.c.program, program), (REDEMPTIONS.c.merchant, merchant),
                          (REDEMPTIONS.c.holder, holder)):
        if value is not None:
            query = query.where(column == value)
    if after is not None:
        query = query.where(tuple_(*key) < tuple_(*after))
    rows = []
    for row in connection.execute(query).mappings():
        item = dict(row)
        item["time"] = utc(item.pop("timestamp"))
        rows.append(item)
    return page("redemptions", rows, limit, lambda row: (row["block"], row["log_index"]))
