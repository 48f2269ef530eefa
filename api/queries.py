"""The tables the API reads, and the statements more than one group of routes runs.

Statements are built once, as constants or by cached builders (one per combination of filters):
building one per request costs more than running it, and `Database` compiles each on first use.
"""

from functools import cache
from typing import Any

from sqlalchemy import Column, Integer, Select, Table, bindparam, select, tuple_

from api.pagination import KeyPart
from database.schema import (
    Balance,
    BlockRecord,
    Checkpoint,
    DailyStat,
    EpochGroup,
    Exchange,
    Merchant,
    Movement,
    Program,
    Redemption,
    Reward,
    Route,
    WebhookCursor,
    WebhookDelivery,
    table_of,
)

CHECKPOINT = table_of(Checkpoint)
BLOCKS = table_of(BlockRecord)
PROGRAMS = table_of(Program)
BALANCES = table_of(Balance)
GROUPS = table_of(EpochGroup)
MOVEMENTS = table_of(Movement)
MERCHANTS = table_of(Merchant)
REWARDS = table_of(Reward)
REDEMPTIONS = table_of(Redemption)
ROUTES = table_of(Route)
EXCHANGES = table_of(Exchange)
DAILY = table_of(DailyStat)
WEBHOOK_CURSORS = table_of(WebhookCursor)
WEBHOOK_DELIVERIES = table_of(WebhookDelivery)

# Lists ask for one row more than a page: it says whether another page follows.
LIMIT = bindparam("limit", type_=Integer)

CHECKPOINT_ROW = select(CHECKPOINT)
INDEXED_BLOCK = select(CHECKPOINT.c.indexed_block)
PROGRAM_EXISTS = select(PROGRAMS.c.address).where(PROGRAMS.c.address == bindparam("address"))


@cache
def ascending_list_query(table: Table, key: tuple[str, ...], filters: tuple[str, ...], after: bool) -> Select[Any]:
    """A list of `table` in the order of its `key` columns, with `column = :column` for each of
    `filters` and, for a later page, `key > :after_<column>...`."""
    key_columns: list[Column[Any]] = [table.c[name] for name in key]
    query = select(table).order_by(*key_columns).limit(LIMIT)
    for name in filters:
        query = query.where(table.c[name] == bindparam(name))
    if after:
        query = query.where(tuple_(*key_columns) > tuple_(*(bindparam(f"after_{name}") for name in key)))
    return query


def after_parameters(key: tuple[str, ...], after: tuple[KeyPart, ...] | None) -> dict[str, KeyPart]:
    """The bind parameters of `ascending_list_query` for the page after `after`."""
    return {} if after is None else {f"after_{name}": part for name, part in zip(key, after, strict=True)}


# ---------------------------------------------------------------- movements

# A movement names its counterparty when that is one of the program's merchants, and its reward:
# a look-up by primary key each, which keeps the movements' own index order and limit.
NAMED_MOVEMENTS = (
    MOVEMENTS
    .outerjoin(MERCHANTS, (MERCHANTS.c.program == MOVEMENTS.c.program)
               & (MERCHANTS.c.merchant == MOVEMENTS.c.counterparty))
    .outerjoin(REWARDS, (REWARDS.c.program == MOVEMENTS.c.program) & (REWARDS.c.reward_id == MOVEMENTS.c.reward_id)))
NAMED_MOVEMENT_COLUMNS = (*MOVEMENTS.c, MERCHANTS.c.name.label("counterparty_name"),
                          REWARDS.c.name.label("reward_name"))
# A movement's place in the chain: histories, pages and the live feed go by it.
MOVEMENT_ORDER = (MOVEMENTS.c.block, MOVEMENTS.c.log_index, MOVEMENTS.c.seq)
MOVEMENT_KEY = tuple(column.name for column in MOVEMENT_ORDER)


def _filtered(query: Select[Any], program: bool, account: bool) -> Select[Any]:
    if program:
        query = query.where(MOVEMENTS.c.program == bindparam("program"))
    if account:
        query = query.where(MOVEMENTS.c.account == bindparam("account"))
    return query


@cache
def newest_movements_query(account: bool, program: bool, kind: bool, before: bool) -> Select[Any]:
    """Named movements, newest first; `before` the movement at `:block, :log_index, :seq`."""
    query = _filtered(select(*NAMED_MOVEMENT_COLUMNS).select_from(NAMED_MOVEMENTS), program, account)
    if kind:
        query = query.where(MOVEMENTS.c.kind == bindparam("kind"))
    if before:
        query = query.where(tuple_(*MOVEMENT_ORDER) < tuple_(*(bindparam(name) for name in MOVEMENT_KEY)))
    return query.order_by(*(column.desc() for column in MOVEMENT_ORDER)).limit(LIMIT)


# The hashes of the recent blocks the indexer remembers (its reorganisation window).
BLOCK_HASHES_FROM = select(BLOCKS.c.number, BLOCKS.c.hash).where(BLOCKS.c.number >= bindparam("number"))


@cache
def movements_after_query(program: bool, account: bool) -> Select[Any]:
    """Named movements after the one at `:block, :log_index, :seq`, oldest first, with their block's
    hash as `block_hash` while the indexer remembers it (null for older blocks)."""
    columns = (*NAMED_MOVEMENT_COLUMNS, BLOCKS.c.hash.label("block_hash"))
    query = select(*columns).select_from(NAMED_MOVEMENTS.outerjoin(BLOCKS, BLOCKS.c.number == MOVEMENTS.c.block))
    query = _filtered(query.where(tuple_(*MOVEMENT_ORDER) > tuple_(*(bindparam(name) for name in MOVEMENT_KEY))),
                      program, account)
    return query.order_by(*MOVEMENT_ORDER).limit(LIMIT)


@cache
def latest_movement_query(program: bool, account: bool) -> Select[Any]:
    """The newest movement's key."""
    return _filtered(select(*MOVEMENT_ORDER), program, account).order_by(
        *(column.desc() for column in MOVEMENT_ORDER)).limit(1)
