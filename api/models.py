"""The API's response models: the OpenAPI document describes exactly these.

One number convention (`NUMBERS`, also the OpenAPI document's description): every quantity that
the chain keeps as a uint256 (points, caps, prices, stock, rates, durations) is a decimal string,
since it may exceed what a JavaScript number holds exactly (2**53); block numbers, log indexes,
epochs, ids and counts are JSON numbers; times are ISO 8601 in UTC.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, Field, PlainSerializer, WithJsonSchema, create_model

from database.kinds import DailyCounter, MovementKind

NUMBERS = (
    "Numbers: every quantity the chain keeps as a uint256 (points, caps, prices, stock, rates, "
    "durations in seconds) is a decimal string such as \"1000\", because it may exceed 2**53, beyond "
    "what a JavaScript number holds exactly; parse it with `BigInt`. Block numbers, log indexes, "
    "epochs, ids and counts are JSON numbers. Times are ISO 8601 in UTC (`2026-12-03T06:00:00Z`), "
    "days are `2026-12-03`."
)


_DECIMAL = PlainSerializer(str, return_type=str)
_UNSIGNED = r"^[0-9]{1,78}$"


def _decimal_schema(description: str, pattern: str = _UNSIGNED) -> WithJsonSchema:
    """What the OpenAPI document says of an int that JSON carries as a decimal string."""
    return WithJsonSchema({"type": "string", "pattern": pattern, "description": description})


Uint256 = Annotated[int, _DECIMAL, _decimal_schema("a uint256, as a decimal string")]
Points = Annotated[int, _DECIMAL, _decimal_schema("points, as a decimal string")]
SignedPoints = Annotated[int, _DECIMAL, _decimal_schema(
    "points, as a decimal string: negative when they leave the account", r"^-?[0-9]{1,78}$")]
Seconds = Annotated[int, _DECIMAL, _decimal_schema("seconds, as a decimal string")]


class ErrorMessage(BaseModel):
    detail: str


class Health(BaseModel):
    status: Literal["ok", "behind", "not_indexed"] = Field(
        description="`ok`: caught up with the head the indexer last saw; `behind`: still catching up; "
                    "`not_indexed`: the indexer has not written a batch yet")
    indexed_block: int | None
    indexed_time: datetime | None
    chain_head: int | None
    lag_blocks: int | None


class Version(BaseModel):
    api: str
    schema_revision: str


class AppConfig(BaseModel):
    chain_id: int = Field(description="the chain the indexed deployment is on, which a wallet must be connected to")
    exchange: str | None = Field(description="the PartnerExchange's address, from the deployment manifest; null "
                                             "when the API was started without one")
    relayer_url: str | None = Field(description="where to send signed redemptions and exchanges (the relayer's "
                                                "/v1 routes); null when no relayer serves this deployment")


class Program(BaseModel):
    address: str
    key: str = Field(description="the program's key in the deployment manifest")
    name: str
    symbol: str
    epoch_start: datetime = Field(description="when epoch 0 began")
    epoch_length: Seconds
    validity: int = Field(description="epochs for which points stay valid")
    cap_period: Seconds = Field(description="seconds after which merchants' mint caps reset")
    transferable: bool
    paused: bool
    owner: str
    total_supply: Points
    holders: int
    deployed_block: int


class Holder(BaseModel):
    account: str
    balance: Points


class Expiry(BaseModel):
    epoch: int
    amount: Points
    expires_at: datetime


class ExpiringPoints(BaseModel):
    account: str
    amount: Points = Field(description="the account's points that expire at `expires_at`")
    epoch: int = Field(description="the epoch they were issued in")
    expires_at: datetime


class AccountProgram(BaseModel):
    program: str
    key: str
    name: str
    symbol: str
    balance: Points
    expiring: list[Expiry] = Field(description="unexpired points by expiry, soonest first")
    next_expiry: Expiry | None


class Account(BaseModel):
    address: str
    indexed_block: int
    as_of: datetime = Field(description="time of the indexed block: balances and expiries are as of then")
    programs: list[AccountProgram]


class Movement(BaseModel):
    program: str
    account: str
    kind: MovementKind
    amount: SignedPoints
    counterparty: str | None = Field(description="the issuing merchant, the other account of a transfer, the "
                                                 "rewarding merchant of a redemption, the other program of an "
                                                 "exchange")
    epoch: int | None = Field(description="the epoch of the points issued or expired")
    counterparty_name: str | None = Field(description="the counterparty's name when it is one of the program's "
                                                      "merchants (the issuing or rewarding merchant, a merchant's "
                                                      "transfer): its latest MerchantSet's; null otherwise")
    reward_id: int | None
    reward_name: str | None = Field(description="the redeemed reward's name; null for other kinds")
    block: int
    log_index: int = Field(description="-1 for an expiry, which no log marks")
    tx_hash: str | None = Field(description="null for an expiry")
    time: datetime


MerchantName = Annotated[str, Field(description="the merchant's public label, from its latest MerchantSet; '' "
                                               "when none named it")]
RewardName = Annotated[str, Field(description="the reward's public label, from its RewardListed; '' when none "
                                             "named it")]


class MerchantRole(StrEnum):
    MERCHANT = "merchant"
    EXCHANGE = "exchange"


class Merchant(BaseModel):
    program: str
    merchant: str
    name: MerchantName
    role: MerchantRole = Field(description="`exchange` for the alliance's partner exchange (the deployment "
                                           "manifest's), which issues the points converted into the program; "
                                           "`merchant` for a brand's till or desk")
    cap: Points = Field(description="points the merchant may mint per cap period")
    issued: Points
    redeemed: Points


class Reward(BaseModel):
    program: str
    reward_id: int
    name: RewardName
    merchant: str
    merchant_name: MerchantName
    price: Points
    stock: Uint256
    active: bool
    redemptions: Uint256 = Field(description="units redeemed: stock taken by all redemptions of this reward")
    points_redeemed: Points


class Redemption(BaseModel):
    program: str
    holder: str
    reward_id: int
    reward_name: RewardName
    merchant: str
    merchant_name: MerchantName
    quantity: Uint256
    points: Points
    block: int
    log_index: int
    tx_hash: str
    time: datetime


class Route(BaseModel):
    from_program: str
    to_program: str
    rate_num: Uint256 = Field(description="points out = floor(points in × rate_num / rate_den)")
    rate_den: Uint256
    cap: Points = Field(description="points out per cap period of the receiving program")
    approved: bool = Field(description="the sending program's owner has approved the outflow")
    volume_in: Points
    volume_out: Points
    exchanges: int


class Settlement(BaseModel):
    from_program: str
    to_program: str
    period: str = Field(description="2026-11-23 (day), 2026-W48 (ISO week) or 2026-11 (month)")
    period_start: date
    points_burnt: Points = Field(description="points burnt on the sending program")
    points_issued: Points = Field(description="points issued on the receiving program")
    exchanges: int


if TYPE_CHECKING:
    # What a type checker can know of the model made below: its counters are made at run time.
    class DailyStat(BaseModel):
        program: str
        day: date
        supply: Points
else:
    # A field per DailyCounter, as in the `dailystat` table.
    DailyStat = create_model(
        "DailyStat",
        __module__=__name__,
        __doc__="Per program and UTC day: points by kind of movement, and the supply.",
        program=str,
        day=date,
        **{counter.value: (Points, ...) for counter in DailyCounter},
        supply=(Points, Field(description="total supply at the day's last indexed block")),
    )


class WebhookState(BaseModel):
    subscription: str
    position_block: int = Field(description="the block up to which its events are queued for delivery")
    delivered: int = Field(description="deliveries a receiver accepted")
    pending: int = Field(description="deliveries waiting for their (next) attempt")
    dead: int = Field(description="deliveries given up after the subscription's attempts; "
                                  "`python -m notifier webhooks replay` sends them again")
    cancelled: int = Field(description="points.expiring notices dropped because the points were spent first")
    oldest_pending_since: datetime | None = Field(description="when the oldest pending delivery was queued")
    last_delivered_at: datetime | None
    last_error: str | None = Field(description="why the latest failed attempt failed")
