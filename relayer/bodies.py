"""The relayer's request and response bodies (SPEC section 6); the OpenAPI document describes these."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from points.addresses import checksummed
from points.signing import SignedByHex

UINT256_LIMIT = 2**256
Uint256 = Annotated[int, Field(ge=0, lt=UINT256_LIMIT)]
Positive = Annotated[int, Field(ge=1, lt=UINT256_LIMIT)]
SIGNATURE_HELP = "the signer's 65-byte ECDSA signature, or a smart wallet's ERC-1271 proof (up to 2,048 bytes), as hex"


class _Body(SignedByHex):
    model_config = ConfigDict(extra="forbid", frozen=True)

    deadline: Uint256 = Field(description="the last second (unix time) at which the signature is valid")
    signature: str = Field(description=SIGNATURE_HELP)


class RedemptionBody(_Body):
    """A holder's signed `redeem_with_sig`: `Redeem(holder, rewardId, quantity, maxPoints, nonce, deadline)`
    in the token's domain, `nonce` being the holder's current `nonces(holder)`."""

    token: str
    holder: str
    reward_id: Positive
    quantity: Positive
    max_points: Uint256

    @field_validator("token", "holder")
    @classmethod
    def _address(cls, value: str) -> str:
        return checksummed(value)


class ExchangeBody(_Body):
    """An account's signed `exchange_with_sig`: `Exchange(account, fromToken, toToken, amountIn, minOut,
    nonce, deadline)` in the exchange's domain, `nonce` being `nonces(account)` on the exchange."""

    account: str
    from_token: str
    to_token: str
    amount_in: Positive
    min_out: Uint256

    @field_validator("account", "from_token", "to_token")
    @classmethod
    def _address(cls, value: str) -> str:
        return checksummed(value)


class Accepted(BaseModel):
    id: str = Field(description="the request's id, for its status")
    status: str = Field(description="`queued`")


class RequestStatus(BaseModel):
    id: str
    status: str = Field(description="queued, sent, mined, confirmed or failed")
    tx_hash: str | None = Field(description="the transaction that carries it, once one is sent")
    block_number: int | None = Field(description="the block that holds it, once mined")
    reason: str | None = Field(description="why it failed, when it did")


class Health(BaseModel):
    status: str = Field(description="`ok`, `low_balance` (new requests are refused) or `chain_unavailable`")
    address: str = Field(description="the relayer's paying address")
    balance: str | None = Field(description="its balance in wei, as decimal text (null when the chain is unreachable)")
    min_balance: str = Field(description="below this balance (wei) new requests are refused")
    chain_id: int
    queue_depth: int = Field(description="requests accepted and not yet mined")
    oldest_pending_seconds: float | None = Field(description="age of the oldest of them")


class Problem(BaseModel):
    """Every error: one line saying what to change."""

    detail: str
