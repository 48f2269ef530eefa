"""The notifier's database work: outbox events into deliveries, expiring points into notices, the
deliveries that are due, and what became of each attempt.

Every change is one short transaction: taking events into deliveries moves the subscription's
cursor in the same transaction, and queuing a `points.expiring` records its notice in the same
transaction, so a notifier killed at any moment neither loses nor doubles one. No transaction is
held while a receiver is called.
"""

import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import (
    Connection,
    Engine,
    and_,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    tuple_,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import OperationalError, ProgrammingError, SQLAlchemyError
from sqlalchemy.sql import Select

from database.expiring import EXPIRING_AFTER, EXPIRING_FIRST, GROUPS
from database.schema import (
    Checkpoint,
    Movement,
    Outbox,
    Program,
    WebhookCursor,
    WebhookDelivery,
    WebhookExpiring,
    table_of,
)
from database.versions import current_revision, head_revision
from notifier.config import Subscription
from points.errors import PointsError
from points.ledger import epochs_expiring_between
from points.webhooks import EventType, event_body, event_id, iso_time

CHECKPOINT = table_of(Checkpoint)
OUTBOX = table_of(Outbox)
MOVEMENTS = table_of(Movement)
PROGRAMS = table_of(Program)
CURSORS = table_of(WebhookCursor)
DELIVERIES = table_of(WebhookDelivery)
NOTICES = table_of(WebhookExpiring)

PENDING, DEAD, CANCELLED = "pending", "dead", "cancelled"
SECONDS_PER_DAY = 86_400
EVENTS_PER_DISPATCH = 2_000
# Deliveries a subscription may have pending: beyond it, events wait in the outbox, which is as
# durable, and the queries over the pending deliveries stay small.
PENDING_LIMIT = 5_000
NOTICES_PER_SCAN = 5_000
FIRST_BACKOFF_SECONDS = 1.0

_OUTBOX_ORDER = (OUTBOX.c.block, OUTBOX.c.log_index, OUTBOX.c.seq)
_EVENTS = (
    select(*_OUTBOX_ORDER, OUTBOX.c.type, OUTBOX.c.program, OUTBOX.c.detail, MOVEMENTS.c.account,
           MOVEMENTS.c.amount, MOVEMENTS.c.counterparty, MOVEMENTS.c.epoch, MOVEMENTS.c.reward_id,
           MOVEMENTS.c.tx_hash, MOVEMENTS.c.timestamp)
    .select_from(OUTBOX.outerjoin(MOVEMENTS, and_(MOVEMENTS.c.block == OUTBOX.c.block,
                                                  MOVEMENTS.c.log_index == OUTBOX.c.log_index,
                                                  MOVEMENTS.c.seq == OUTBOX.c.seq)))
    .order_by(*_OUTBOX_ORDER)
)

def _due(subscription: str) -> Select[Any]:
    """A subscription's due deliveries, at most one per account: its oldest pending one, so that an
    account's events reach the receiver in order. The oldest of each account are read from the
    queue index alone; the same condition as a correlated `NOT EXISTS` had SQLite look up every
    pending row and its account's earlier ones, 4 times as long with 5,000 pending."""
    oldest = (select(func.min(DELIVERIES.c.id))
              .where(DELIVERIES.c.subscription == subscription, DELIVERIES.c.state == PENDING)
              .group_by(DELIVERIES.c.ordering_key))
    return (select(DELIVERIES.c.id, DELIVERIES.c.event_id, DELIVERIES.c.type, DELIVERIES.c.body,
                   DELIVERIES.c.attempts, DELIVERIES.c.ordering_key, DELIVERIES.c.program, DELIVERIES.c.epoch)
            .where(DELIVERIES.c.id.in_(oldest)).order_by(DELIVERIES.c.id))


@dataclass(frozen=True)
class Head:
    """The indexed block: events are confirmed relative to it, and expiries counted from its time."""

    chain_id: int
    block: int
    timestamp: int


@dataclass(frozen=True)
class Delivery:
    id: int
    event_id: str
    type: str
    body: bytes
    attempts: int
    ordering_key: str
    program: str | None
    epoch: int | None


@dataclass(frozen=True)
class Attempt:
    """What one attempt of a delivery came to: delivered, failed (with `error`), or `cancelled`."""

    delivery: Delivery
    delivered: bool
    error: str | None = None
    cancelled: bool = False


@dataclass(frozen=True)
class SubscriptionState:
    name: str
    block: int
    delivered: int
    last_delivered_at: float | None
    last_error: str | None
    pending: int
    dead: int
    cancelled: int
    oldest_pending_at: float | None


def backoff(attempts: int, longest: float) -> float:
    """Seconds before the next attempt after `attempts` failed ones: doubling, jittered between
    half and all of it so that many failed deliveries do not return at once."""
    return min(longest, FIRST_BACKOFF_SECONDS * 2 ** (attempts - 1)) * random.uniform(0.5, 1.0)


class Queue:
    def __init__(self, url: str) -> None:
        try:
            self.engine: Engine = create_engine(url)
        except (SQLAlchemyError, ValueError, ImportError) as error:
            raise PointsError(f"cannot use database {url!r}: {error}") from None
        if self.engine.dialect.name == "sqlite":
            _immediate_sqlite_transactions(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def head(self) -> Head | None:
        """The indexed block; None until the indexer has created the database and written a batch."""
        try:
            with self.engine.begin() as connection:
                row = connection.execute(select(CHECKPOINT.c.chain_id, CHECKPOINT.c.indexed_block,
                                                CHECKPOINT.c.indexed_timestamp)).first()
        except (OperationalError, ProgrammingError):
            return None
        return None if row is None else Head(*row)

    def check_schema(self) -> None:
        """Refuses a database of another schema revision, as the indexer does."""
        with self.engine.begin() as connection:
            revision = current_revision(connection)
        if revision != head_revision():
            raise PointsError(f"the database has schema revision {revision} but this notifier reads revision "
                              f"{head_revision()}: migrate it with `python -m indexer migrate`")

    def start(self, subscription: Subscription, head: Head) -> None:
        """Gives a subscription seen for the first time its cursor: at `from_block`, else after the
        blocks confirmed now."""
        first = subscription.from_block
        if first is None:
            first = head.block - subscription.confirmations + 1
        with self.engine.begin() as connection:
            known = connection.execute(select(CURSORS.c.subscription)
                                       .where(CURSORS.c.subscription == subscription.name)).first()
            if known is None:
                # Before any row of `first`: rows of a block have log indexes from -1 (expiries).
                connection.execute(insert(CURSORS).values(subscription=subscription.name, block=first, log_index=-2,
                                                          seq=0, delivered=0))

    def dispatch(self, subscription: Subscription, head: Head) -> int:
        """Takes the outbox's next confirmed events into the subscription's deliveries; returns how
        many outbox rows it passed."""
        confirmed = head.block - subscription.confirmations
        with self.engine.begin() as connection:
            pending = connection.execute(select(func.count()).select_from(DELIVERIES).where(
                DELIVERIES.c.subscription == subscription.name, DELIVERIES.c.state == PENDING)).scalar_one()
            if pending >= PENDING_LIMIT:
                return 0
            cursor = connection.execute(select(CURSORS.c.block, CURSORS.c.log_index, CURSORS.c.seq)
                                        .where(CURSORS.c.subscription == subscription.name)).one()
            rows = connection.execute(
                _EVENTS.where(tuple_(*_OUTBOX_ORDER) > tuple_(*cursor), OUTBOX.c.block <= confirmed)
                .limit(min(EVENTS_PER_DISPATCH, PENDING_LIMIT - pending))).mappings().all()
            if not rows:
                return 0
            now = time.time()
            deliveries = [_delivery_of(subscription.name, head.chain_id, row, now) for row in rows
                          if subscription.wants(row["type"], row["program"])]
            if deliveries:
                connection.execute(insert(DELIVERIES), deliveries)
            last = rows[-1]
            connection.execute(update(CURSORS).where(CURSORS.c.subscription == subscription.name)
                               .values(block=last["block"], log_index=last["log_index"], seq=last["seq"]))
        return len(rows)

    def queue_expiring(self, subscription: Subscription, head: Head) -> int:
        """Queues a `points.expiring` for each group of points that expires within the
        subscription's lead days of the indexed block's time, once per account, program and expiry.
        Accounts with movements in blocks not yet `confirmations` deep wait until they are."""
        until = head.timestamp + subscription.lead_days * SECONDS_PER_DAY
        confirmed = head.block - subscription.confirmations
        queued = 0
        with self.engine.begin() as connection:
            unsettled = {account for (account,) in connection.execute(
                select(MOVEMENTS.c.account).where(MOVEMENTS.c.block > confirmed).distinct())}
            programs = connection.execute(select(PROGRAMS.c.address, PROGRAMS.c.epoch_start,
                                                 PROGRAMS.c.epoch_length, PROGRAMS.c.validity)).all()
            now = time.time()
            for program, epoch_start, epoch_length, validity in programs:
                if subscription.programs and program not in subscription.programs:
                    continue
                noticed = set(connection.execute(
                    select(NOTICES.c.account, NOTICES.c.expires_at)
                    .where(NOTICES.c.subscription == subscription.name, NOTICES.c.program == program,
                           NOTICES.c.expires_at > head.timestamp)).tuples())
                first, last = epochs_expiring_between(epoch_start, epoch_length, validity, head.timestamp, until)
                for group in _groups(connection, program, first, last):
                    if queued >= NOTICES_PER_SCAN:
                        return queued
                    if (group["account"], group["expires_at"]) in noticed or group["account"] in unsettled:
                        continue
                    connection.execute(insert(NOTICES).values(subscription=subscription.name, program=program,
                                                              account=group["account"],
                                                              expires_at=group["expires_at"]))
                    connection.execute(insert(DELIVERIES).values(
                        _expiring_delivery(subscription.name, head, program, group, now)))
                    queued += 1
        return queued

    def due(self, subscription: Subscription, limit: int) -> list[Delivery]:
        with self.engine.begin() as connection:
            rows = connection.execute(_due(subscription.name).where(DELIVERIES.c.next_attempt_at <= time.time())
                                      .limit(limit)).all()
        return [Delivery(row.id, row.event_id, row.type, row.body.encode(), row.attempts, row.ordering_key,
                         row.program, row.epoch) for row in rows]

    def still_expiring(self, deliveries: Sequence[Delivery]) -> set[int]:
        """The ids of the `points.expiring` deliveries whose points are still held: checked just
        before sending, so that points spent (or expired) meanwhile are not announced."""
        held: set[int] = set()
        notices = [delivery for delivery in deliveries if delivery.type == EventType.EXPIRING]
        if not notices:
            return held
        with self.engine.begin() as connection:
            for delivery in notices:
                amount = connection.execute(select(GROUPS.c.amount).where(
                    GROUPS.c.program == delivery.program, GROUPS.c.account == delivery.ordering_key,
                    GROUPS.c.epoch == delivery.epoch)).scalar()
                if amount:
                    held.add(delivery.id)
        return held

    def record(self, subscription: Subscription, attempts: Iterable[Attempt], longest_backoff: float) -> None:
        """Deletes and counts the delivered, and schedules the failed again or makes them dead."""
        now = time.time()
        delivered = [attempt.delivery.id for attempt in attempts if attempt.delivered]
        failed = [attempt for attempt in attempts if not attempt.delivered]
        with self.engine.begin() as connection:
            if delivered:
                connection.execute(delete(DELIVERIES).where(DELIVERIES.c.id.in_(delivered)))
                connection.execute(update(CURSORS).where(CURSORS.c.subscription == subscription.name).values(
                    delivered=CURSORS.c.delivered + len(delivered), last_delivered_at=now))
            for attempt in failed:
                tries = attempt.delivery.attempts + (0 if attempt.cancelled else 1)
                state = CANCELLED if attempt.cancelled else DEAD if tries >= subscription.max_attempts else PENDING
                connection.execute(update(DELIVERIES).where(DELIVERIES.c.id == attempt.delivery.id).values(
                    attempts=tries, state=state, last_error=attempt.error,
                    next_attempt_at=now + backoff(tries, longest_backoff)))
            errors = [attempt.error for attempt in failed if not attempt.cancelled]
            if errors:
                connection.execute(update(CURSORS).where(CURSORS.c.subscription == subscription.name)
                                   .values(last_error=errors[-1]))

    def replay(self, subscription: str, event: str | None = None) -> int:
        """Puts dead deliveries back in the queue, due now; returns how many."""
        condition = and_(DELIVERIES.c.subscription == subscription, DELIVERIES.c.state == DEAD)
        if event is not None:
            condition = and_(condition, DELIVERIES.c.event_id == event)
        with self.engine.begin() as connection:
            result = connection.execute(update(DELIVERIES).where(condition).values(
                state=PENDING, attempts=0, next_attempt_at=time.time(), last_error=None))
        return int(result.rowcount)

    def states(self) -> dict[str, SubscriptionState]:
        """Every subscription's cursor and delivery counts, by name."""
        with self.engine.begin() as connection:
            counts: dict[tuple[str, str], tuple[int, float | None]] = {
                (name, state): (count, oldest) for name, state, count, oldest in connection.execute(
                    select(DELIVERIES.c.subscription, DELIVERIES.c.state, func.count(),
                           func.min(DELIVERIES.c.created_at))
                    .group_by(DELIVERIES.c.subscription, DELIVERIES.c.state))}
            cursors = connection.execute(select(CURSORS)).mappings().all()
        return {row["subscription"]: SubscriptionState(
            name=row["subscription"], block=row["block"], delivered=row["delivered"],
            last_delivered_at=row["last_delivered_at"], last_error=row["last_error"],
            pending=counts.get((row["subscription"], PENDING), (0, None))[0],
            dead=counts.get((row["subscription"], DEAD), (0, None))[0],
            cancelled=counts.get((row["subscription"], CANCELLED), (0, None))[0],
            oldest_pending_at=counts.get((row["subscription"], PENDING), (0, None))[1],
        ) for row in cursors}

    def prune_outbox(self, subscriptions: Sequence[Subscription], head: Head, keep_blocks: int) -> int:
        """Deletes outbox rows that every subscription has taken and that no rollback can reach."""
        if not subscriptions:
            return 0
        names = [subscription.name for subscription in subscriptions]
        with self.engine.begin() as connection:
            oldest = connection.execute(select(func.min(CURSORS.c.block), func.count())
                                        .where(CURSORS.c.subscription.in_(names))).one()
            if oldest[1] < len(names):
                return 0
            below = min(oldest[0], head.block - keep_blocks)
            return int(connection.execute(delete(OUTBOX).where(OUTBOX.c.block < below)).rowcount)


def _groups(connection: Connection, program: str, first: int, last: int) -> Iterable[RowMapping]:
    """The program's groups of epochs `first` to `last`, by epoch and account, a page at a time."""
    parameters: dict[str, Any] = {"program": program, "first_epoch": first, "last_epoch": last, "limit": 1000}
    statement = EXPIRING_FIRST
    while first <= last:
        page = connection.execute(statement, parameters).mappings().all()
        yield from page
        if len(page) < parameters["limit"]:
            return
        statement = EXPIRING_AFTER
        parameters |= {"after_epoch": page[-1]["epoch"], "after_account": page[-1]["account"]}


def _delivery_of(subscription: str, chain_id: int, row: Any, now: float) -> dict[str, Any]:
    """A delivery of one outbox event: a movement's, or one whose facts are in its `detail`."""
    event_type = row["type"]
    if row["detail"] is not None:
        detail = orjson.loads(row["detail"])
        timestamp = detail.pop("timestamp")
        identifier = event_id(chain_id, event_type, detail["tx_hash"], row["log_index"])
        data = {**detail, "block": row["block"], "log_index": row["log_index"]}
        ordering_key = f"reward:{row['program']}:{detail['reward_id']}"
    else:
        timestamp = row["timestamp"]
        account = row["account"]
        if row["tx_hash"] is None:
            identifier = event_id(chain_id, event_type, row["program"], account, row["epoch"])
        else:
            identifier = event_id(chain_id, event_type, row["tx_hash"], row["log_index"], row["seq"])
        data = {"account": account, "amount": str(row["amount"]), "epoch": row["epoch"],
                "counterparty": row["counterparty"], "reward_id": row["reward_id"], "tx_hash": row["tx_hash"],
                "block": row["block"], "log_index": row["log_index"]}
        ordering_key = account
    body = event_body(identifier, event_type, timestamp, row["program"], data)
    return {"subscription": subscription, "event_id": identifier, "type": event_type, "ordering_key": ordering_key,
            "body": body.decode(), "state": PENDING, "attempts": 0, "next_attempt_at": now, "last_error": None,
            "created_at": now, "program": None, "epoch": None}


def _expiring_delivery(subscription: str, head: Head, program: str, group: RowMapping,
                       now: float) -> dict[str, Any]:
    account, expires_at = group["account"], group["expires_at"]
    identifier = event_id(head.chain_id, EventType.EXPIRING, program, account, expires_at)
    data = {"account": account, "amount": str(group["amount"]), "epoch": group["epoch"],
            "expires_at": iso_time(expires_at)}
    body = event_body(identifier, EventType.EXPIRING, head.timestamp, program, data)
    return {"subscription": subscription, "event_id": identifier, "type": EventType.EXPIRING,
            "ordering_key": account, "body": body.decode(), "state": PENDING, "attempts": 0, "next_attempt_at": now,
            "last_error": None, "created_at": now, "program": program, "epoch": group["epoch"]}


def _immediate_sqlite_transactions(engine: Engine) -> None:
    """Every transaction takes SQLite's write lock when it begins. A transaction that reads and then
    writes would otherwise fail at once, without waiting, when the indexer committed in between."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
