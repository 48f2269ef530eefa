"""The indexed database: what the read API serves, and what makes indexing crash- and reorg-safe.

Two kinds of tables:
- facts, one row per event or movement, keyed by (block, log_index): a reorganisation deletes
  the rows above the common ancestor;
- state, one row per program, account, merchant, reward, route or day, kept current by the
  indexer: every batch that changes state rows within the reorg window journals their previous
  values in `undo`, so a rollback restores them exactly.
Amounts of points are stored as 64-bit integers (the indexer stops with a clear error on a
larger one); settings that may legitimately be huge (caps, rates, prices, stock) as decimal text.
"""

from types import new_class
from typing import Any

from sqlalchemy import BigInteger, Column, Dialect, Index, String, Table, Text
from sqlalchemy.orm import class_mapper
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from database.kinds import DailyCounter


class Uint256(TypeDecorator[int]):
    """A uint256 kept exactly, as decimal text, in any database."""

    impl = String(78)
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)


def _big(**kwargs: Any) -> Column[int]:
    return Column(BigInteger, nullable=False, **kwargs)


def _uint256() -> Column[int]:
    return Column(Uint256, nullable=False)


def _label() -> Column[str]:
    """A public label from the chain; '' until an event names the row (migration 0005's rows)."""
    return Column(String, nullable=False, server_default="")


# Fact tables are clustered on their primary key in SQLite: a table with a rowid keeps its rows
# in one B-tree and its key in another, and writes both (migration 0004 says what it saves, and
# why the state tables keep their rowid). PostgreSQL ignores this option.
WITHOUT_ROWID = {"sqlite_with_rowid": False}


class Checkpoint(SQLModel, table=True):
    """The single row saying how far the database mirrors the chain."""

    id: int = Field(default=1, primary_key=True)
    chain_id: int
    indexed_block: int = Field(sa_column=_big())
    indexed_hash: str
    indexed_timestamp: int = Field(sa_column=_big())
    chain_head: int = Field(sa_column=_big())


class BlockRecord(SQLModel, table=True):
    """Recent blocks' hashes, to notice a reorganisation and find the common ancestor."""

    __tablename__ = "block"
    number: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    hash: str
    parent_hash: str
    timestamp: int = Field(sa_column=_big())


class Batch(SQLModel, table=True):
    """A range of blocks written in one transaction; undo entries hang off it."""

    id: int | None = Field(default=None, primary_key=True)
    first_block: int = Field(sa_column=_big(index=True))
    last_block: int = Field(sa_column=_big())


class Undo(SQLModel, table=True):
    """The value a state row had before a batch changed it (`old` is null: the row did not exist)."""

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(index=True)
    table_name: str
    key: str = Field(sa_column=Column(Text, nullable=False))
    old: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class Program(SQLModel, table=True):
    address: str = Field(primary_key=True)
    key: str
    name: str
    symbol: str
    epoch_start: int = Field(sa_column=_big())
    epoch_length: int = Field(sa_column=_big())
    validity: int
    cap_period: int = Field(sa_column=_big())
    deployed_block: int = Field(sa_column=_big())
    transferable: bool
    paused: bool
    owner: str
    total_supply: int = Field(sa_column=_big())
    holders: int


class Balance(SQLModel, table=True):
    """An account's unexpired points in a program, as of the indexed block."""

    __table_args__ = (Index("ix_balance_holders", "program", "balance", "account"),)
    program: str = Field(primary_key=True)
    account: str = Field(primary_key=True)
    balance: int = Field(sa_column=_big())


class EpochGroup(SQLModel, table=True):
    """An account's unexpired points of one epoch; removed when they expire."""

    # A program's groups in order of expiry (epochs expire in their order), then by account: the
    # expiring points' pages and the notifier's `points.expiring` scan walk it (migration 0006).
    __table_args__ = (Index("ix_epoch_group_expiry", "program", "epoch", "account"),)
    program: str = Field(primary_key=True)
    account: str = Field(primary_key=True)
    epoch: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    amount: int = Field(sa_column=_big())
    expires_at: int = Field(sa_column=_big())


class Movement(SQLModel, table=True):
    """One change of one account's points: the account's history, newest first.

    `kind` is a `MovementKind`'s value; `amount` is signed (negative when points leave the
    account). Expiries have `log_index` -1: they take effect at the start of the first block at
    or after the expiry time.
    """

    __table_args__ = (
        Index("ix_movement_account", "account", "block", "log_index", "seq"),
        Index("ix_movement_program", "program", "block", "log_index", "seq"),
        WITHOUT_ROWID,
    )
    block: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    log_index: int = Field(primary_key=True)
    seq: int = Field(primary_key=True)
    program: str
    account: str
    kind: str
    amount: int = Field(sa_column=_big())
    counterparty: str | None = None
    epoch: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    reward_id: int | None = None
    tx_hash: str | None = None
    timestamp: int = Field(sa_column=_big())


class RawEvent(SQLModel, table=True):
    """Every decoded event as it came, for audits and for anything not modelled below."""

    __table_args__ = WITHOUT_ROWID
    block: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    log_index: int = Field(primary_key=True)
    contract: str
    name: str
    tx_hash: str
    args: str = Field(sa_column=Column(Text, nullable=False))


class Merchant(SQLModel, table=True):
    program: str = Field(primary_key=True)
    merchant: str = Field(primary_key=True)
    cap: int = Field(sa_column=_uint256())
    issued: int = Field(sa_column=_big())
    redeemed: int = Field(sa_column=_big())
    # The name of the merchant's latest MerchantSet.
    name: str = Field(default="", sa_column=_label())


class Reward(SQLModel, table=True):
    program: str = Field(primary_key=True)
    reward_id: int = Field(primary_key=True)
    merchant: str
    price: int = Field(sa_column=_uint256())
    stock: int = Field(sa_column=_uint256())
    active: bool
    redemptions: int = Field(sa_column=_big())
    points_redeemed: int = Field(sa_column=_big())
    # The name it was listed with: a reward's name never changes.
    name: str = Field(default="", sa_column=_label())


class Redemption(SQLModel, table=True):
    __table_args__ = (Index("ix_redemption_holder", "holder"), Index("ix_redemption_merchant", "merchant"))
    block: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    log_index: int = Field(primary_key=True)
    program: str = Field(index=True)
    holder: str
    reward_id: int
    merchant: str
    quantity: int = Field(sa_column=_big())
    points: int = Field(sa_column=_big())
    tx_hash: str
    timestamp: int = Field(sa_column=_big())


class Route(SQLModel, table=True):
    from_program: str = Field(primary_key=True)
    to_program: str = Field(primary_key=True)
    rate_num: int = Field(sa_column=_uint256())
    rate_den: int = Field(sa_column=_uint256())
    cap: int = Field(sa_column=_uint256())
    approved: bool
    volume_in: int = Field(sa_column=_big())
    volume_out: int = Field(sa_column=_big())
    exchanges: int


class Exchange(SQLModel, table=True):
    """One conversion: `amount_in` burnt on `from_program`, `amount_out` issued on `to_program`."""

    __table_args__ = (Index("ix_exchange_pair", "from_program", "to_program", "timestamp"),)
    block: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    log_index: int = Field(primary_key=True)
    account: str = Field(index=True)
    from_program: str
    to_program: str
    amount_in: int = Field(sa_column=_big())
    amount_out: int = Field(sa_column=_big())
    tx_hash: str
    timestamp: int = Field(sa_column=_big())


class Outbox(SQLModel, table=True):
    """A webhook event the indexer found in a batch, written in the batch's transaction.

    Keyed like the movement it reports (`reward.low_stock` by its `Redeemed` log), so that a
    rollback deletes it with its block, and the notifier can read the movement's details beside it.
    `detail` is JSON for an event that is not a movement; null otherwise.
    """

    __table_args__ = WITHOUT_ROWID
    block: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    log_index: int = Field(primary_key=True)
    seq: int = Field(primary_key=True)
    type: str
    program: str
    detail: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class WebhookSubscription(SQLModel, table=True):
    """A subscription kept in the database (`python -m notifier webhooks add`); others come from
    the YAML file. `types` and `programs` are JSON lists; an empty `programs` means every program."""

    __tablename__ = "webhook_subscription"
    name: str = Field(primary_key=True)
    url: str
    secret: str
    types: str = Field(sa_column=Column(Text, nullable=False))
    programs: str = Field(sa_column=Column(Text, nullable=False))
    lead_days: int
    confirmations: int
    max_attempts: int
    timeout_seconds: float
    from_block: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class WebhookCursor(SQLModel, table=True):
    """How far a subscription has taken the outbox's events into its deliveries, and its counters."""

    __tablename__ = "webhook_cursor"
    subscription: str = Field(primary_key=True)
    block: int = Field(sa_column=_big())
    log_index: int
    seq: int
    delivered: int = Field(default=0, sa_column=_big(default=0))
    last_delivered_at: float | None = None
    last_error: str | None = None


class WebhookDelivery(SQLModel, table=True):
    """An event to send to one subscription: `pending` until a receiver accepts it (the row is then
    deleted and counted), `dead` after the subscription's attempts, `cancelled` for a
    `points.expiring` whose points were spent or expired first. `body` is sent as it is on every
    attempt; `ordering_key` (the account) orders a subscription's deliveries."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_queue", "subscription", "state", "ordering_key", "id"),
        Index("ix_webhook_delivery_event", "subscription", "event_id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    subscription: str
    event_id: str
    type: str
    ordering_key: str
    body: str = Field(sa_column=Column(Text, nullable=False))
    state: str
    attempts: int = 0
    next_attempt_at: float
    last_error: str | None = None
    created_at: float
    # The group a `points.expiring` announces, checked again before each attempt.
    program: str | None = None
    epoch: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class WebhookExpiring(SQLModel, table=True):
    """A `points.expiring` queued for a subscription: at most one per account, program and expiry."""

    __tablename__ = "webhook_expiring"
    subscription: str = Field(primary_key=True)
    program: str = Field(primary_key=True)
    account: str = Field(primary_key=True)
    expires_at: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))


def _daily_stat_body(namespace: dict[str, Any]) -> None:
    """DailyStat's class body: its key, a column per `DailyCounter`, then the supply."""
    figures = (*(counter.value for counter in DailyCounter), "supply")
    namespace["__module__"] = __name__
    namespace["__doc__"] = ("Per program and UTC day: points by kind of movement (a `DailyCounter` each), and the "
                            "supply at the day's last indexed block.")
    namespace["__annotations__"] = {"program": str, "day": str, **dict.fromkeys(figures, int)}
    namespace["program"] = Field(primary_key=True)
    namespace["day"] = Field(primary_key=True)
    for name in figures:
        namespace[name] = Field(default=0, sa_column=_big(default=0))


# Built from DailyCounter, so that a counter is declared once; the same as a class statement to
# SQLModel and SQLAlchemy.
DailyStat = new_class("DailyStat", (SQLModel,), {"table": True}, _daily_stat_body)


# Indexes whose rows arrive in no order: holders by balance, and movements by account. Kept up to
# date row by row they cost a backfill a large share of its writing; built at once from the
# filled tables, a small fraction of that. A first backfill builds them once it has
# caught up with the chain (Follower); until then the API's holder lists and account histories are
# slower. A migration that changes one of them must create it where it is missing.
DEFERRED_INDEXES = ("ix_balance_holders", "ix_movement_account")
# PostgreSQL defers two more, movements by program and epoch groups by expiry (until they are
# built, a program's movements, expiring points and the notifier's scan for them are slower too):
# every index entry costs it a write-ahead log record, and its COPY of movements and epoch groups
# took 1.7 times as long with them. SQLite keeps them: it adds their entries for a fraction of
# that, on the writer's thread while the projector works, where building them at the end would
# add to the backfill's last, single-threaded step.
POSTGRESQL_DEFERRED_INDEXES = (*DEFERRED_INDEXES, "ix_movement_program", "ix_epoch_group_expiry")
# And the primary keys of these tables, which nothing reads by key while a first backfill runs:
# raw events are kept for audits, not served. Their key's index entries were 204,803 of the
# 617,674 index records a backfill of as many events wrote to PostgreSQL's write-ahead log; built
# at the end from the sorted table, the key takes a fraction of that. (In SQLite the raw events
# are stored in their key's order, WITHOUT ROWID: there the key is the table.)
POSTGRESQL_DEFERRED_PRIMARY_KEYS = ("rawevent",)


def primary_key_name(table_name: str) -> str:
    """The name PostgreSQL gives a table's primary key constraint, and its index."""
    return f"{table_name}_pkey"


def deferred_indexes(dialect: str) -> tuple[str, ...]:
    """The indexes a first backfill into a database of `dialect` (SQLAlchemy's dialect name) leaves
    out until it has caught up: in PostgreSQL, the indexes of a few primary keys too."""
    if dialect != "postgresql":
        return DEFERRED_INDEXES
    return (*POSTGRESQL_DEFERRED_INDEXES, *map(primary_key_name, POSTGRESQL_DEFERRED_PRIMARY_KEYS))

FACT_TABLES: tuple[type[SQLModel], ...] = (Movement, RawEvent, Redemption, Exchange, Outbox, BlockRecord)
STATE_TABLES: tuple[type[SQLModel], ...] = (Program, Balance, EpochGroup, Merchant, Reward, Route, DailyStat)


def table_of(model: type[SQLModel]) -> Table:
    """The `Table` of a table model: its `__table__`, which SQLModel sets but does not declare."""
    table = class_mapper(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table
