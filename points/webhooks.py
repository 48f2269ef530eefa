"""Webhook events as receivers see them (SPEC section 7): their types, ids, bodies and signatures.

The indexer writes the facts an event is made of into its outbox, the notifier turns them into
bodies and signs them, and a receiver checks the signature with `verify_signature`: all three use
this module, so that what is signed is what is checked.
"""

import hashlib
import hmac
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson

SIGNATURE_HEADER = "X-Points-Signature"
SIGNATURE_SCHEME = "sha256="


class EventType(StrEnum):
    ISSUED = "points.issued"
    REDEEMED = "points.redeemed"
    EXCHANGED = "points.exchanged"
    REVOKED = "points.revoked"
    EXPIRING = "points.expiring"
    EXPIRED = "points.expired"
    LOW_STOCK = "reward.low_stock"


# Sent only by `python -m notifier webhooks test`, to check a receiver end to end.
TEST_EVENT = "webhook.test"


def event_id(chain_id: int, event_type: str, *identity: object) -> str:
    """A stable id for an event: the same facts give the same id on every attempt and every
    restart, so a receiver can drop a duplicate by it. `identity` names the fact (a transaction
    hash and log position, or an account, program and expiry)."""
    digest = hashlib.sha256(":".join(map(str, (chain_id, event_type, *identity))).encode()).hexdigest()
    return f"evt_{digest[:32]}"


def iso_time(timestamp: int | float) -> str:
    """A unix time as ISO 8601 in UTC, as the read API writes times."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def event_body(identifier: str, event_type: str, created_at: int | float, program: str | None,
               data: dict[str, Any]) -> bytes:
    """The JSON a receiver gets: `{"id", "type", "created_at", "program", "data"}`."""
    return orjson.dumps({"id": identifier, "type": event_type, "created_at": iso_time(created_at),
                         "program": program, "data": data})


def signature(secret: str, body: bytes) -> str:
    """The `X-Points-Signature` header's value: HMAC-SHA256 of the body, in hex, with the secret."""
    return SIGNATURE_SCHEME + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """Whether `header` signs exactly `body` with `secret`. The comparison takes the same time
    wherever the first wrong character is, so that timing tells an attacker nothing."""
    if header is None:
        return False
    return hmac.compare_digest(signature(secret, body).encode(), header.encode())
