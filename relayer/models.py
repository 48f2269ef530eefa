"""The relayer's tables, on a metadata of their own (never the indexer's): the queue of requests,
each transaction attempt, and the paying key's nonce sequence.

A request's row is written before the client hears 202; its transaction's nonce, raw bytes and hash
are written before the first broadcast. Whatever the process was doing when it died, the rows say
what may already be on the chain, and the worker reconciles them with it (docs/architecture.md).
"""

from enum import StrEnum

from sqlalchemy import BigInteger, Column, Index, String, Text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from database.schema import Uint256


class RelayerModel(SQLModel, registry=registry()):
    """The base of the relayer's tables, with their own `metadata`."""


class Kind(StrEnum):
    REDEMPTION = "redemption"
    EXCHANGE = "exchange"


class Status(StrEnum):
    QUEUED = "queued"
    # Its transaction is signed and stored but not yet acknowledged by the node: shown as `queued`.
    SIGNED = "signed"
    SENT = "sent"
    MINED = "mined"
    CONFIRMED = "confirmed"
    FAILED = "failed"

    @property
    def public(self) -> str:
        return Status.QUEUED.value if self is Status.SIGNED else self.value


ACTIVE = (Status.QUEUED, Status.SIGNED, Status.SENT)
"""Accepted and not yet on the chain: what counts against pending limits."""
IN_FLIGHT = (Status.SIGNED, Status.SENT)
"""Holding a nonce of the paying key whose transaction is not mined."""


class RelayRequest(RelayerModel, table=True):
    __tablename__ = "relay_request"
    __table_args__ = (
        Index("ix_relay_request_status_created", "status", "created_at"),
        Index("ix_relay_request_signer", "signer", "status"),
        Index("ix_relay_request_client", "client", "status"),
        # Covers the day's spending (`Store.spent_today`), read every second while requests arrive.
        Index("ix_relay_request_mined_cost", "mined_at", "gas_cost_wei"),
    )

    id: str = Field(primary_key=True, max_length=32)
    kind: str = Field(max_length=16)
    contract: str = Field(max_length=42, description="the token or the exchange that is called")
    signer: str = Field(max_length=42, description="the holder or account who signed")
    signer_nonce: int = Field(sa_column=Column(BigInteger, nullable=False))
    # `contract:signer:nonce` while the request may still take effect, NULL once failed: unique, so two
    # requests can never hold one signature, even when posted at the same instant.
    claim: str | None = Field(default=None, sa_column=Column(String(160), unique=True, nullable=True))
    calldata: str = Field(sa_column=Column(Text, nullable=False))
    spends_token: str = Field(max_length=42, description="the token whose points the request spends")
    points: int = Field(sa_column=Column(Uint256, nullable=False), description="points it spends at most")
    body: str = Field(sa_column=Column(Text, nullable=False), description="the request as accepted, JSON")
    client: str = Field(max_length=64)
    status: str = Field(max_length=16)
    reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    gas_limit: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    tx_nonce: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    tx_hash: str | None = Field(default=None, max_length=66)
    max_cost_wei: int | None = Field(default=None, sa_column=Column(Uint256, nullable=True))
    block_number: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    block_hash: str | None = Field(default=None, max_length=66)
    gas_cost_wei: int | None = Field(default=None, sa_column=Column(Uint256, nullable=True))
    created_at: float
    updated_at: float
    broadcast_at: float | None = Field(default=None, description="the latest broadcast of its transaction")
    mined_at: float | None = None


class Attempt(RelayerModel, table=True):
    """One signed transaction of a request; a re-sent one has the same nonce and a higher fee."""

    __table_args__ = (Index("ix_attempt_request", "request_id"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: str = Field(max_length=32, foreign_key="relay_request.id")
    nonce: int = Field(sa_column=Column(BigInteger, nullable=False))
    tx_hash: str = Field(max_length=66, unique=True)
    raw: str = Field(sa_column=Column(Text, nullable=False))
    max_fee_wei: int = Field(sa_column=Column(Uint256, nullable=False))
    priority_fee_wei: int = Field(sa_column=Column(Uint256, nullable=False))
    created_at: float


class NonceSequence(RelayerModel, table=True):
    """The next nonce of the paying key: assigned here, in the same transaction that stores the signed bytes."""

    address: str = Field(primary_key=True, max_length=42)
    next_nonce: int = Field(sa_column=Column(BigInteger, nullable=False))
