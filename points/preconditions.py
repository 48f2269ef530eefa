"""What the contracts would refuse, said before anything is signed or sent.

The scripts (through ape) and the relayer (through raw JSON-RPC) read the same on-chain values into
these records and ask the same functions, which raise a `PointsError` that says what to change. The
contracts enforce all of it too; checking first turns a revert into a line, and for the relayer
means a refused request never costs gas.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from points.errors import PointsError


@dataclass(frozen=True)
class Reward:
    reward_id: int
    merchant: str
    price: int
    stock: int
    active: bool


@dataclass(frozen=True)
class RedemptionView:
    """A program's state as a redemption of one reward by one holder sees it."""

    program: str
    symbol: str
    paused: bool
    reward: Reward
    reward_count: int
    merchant_cap: int
    balance: int


def utc(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def check_not_paused(paused: bool, program: str) -> None:
    if paused:
        raise PointsError(f"program {program!r} is paused: only its owner can unpause it")


def check_reward_exists(view: RedemptionView) -> None:
    if view.reward.price == 0:
        count = view.reward_count
        listed = f"rewards 1 to {count}" if count else "no rewards"
        raise PointsError(f"reward {view.reward.reward_id} does not exist in {view.program!r} (it lists {listed})")


def redemption_cost(view: RedemptionView, quantity: int, max_points: int | None, holder: str) -> int:
    """What redeeming `quantity` costs the holder, or why the token would refuse it."""
    check_not_paused(view.paused, view.program)
    check_reward_exists(view)
    reward, program = view.reward, view.program
    cost = reward.price * quantity
    if not reward.active:
        raise PointsError(f"reward {reward.reward_id} of {program!r} is not active")
    if view.merchant_cap == 0:
        raise PointsError(f"reward {reward.reward_id} of {program!r} cannot be redeemed: its merchant "
                          f"{reward.merchant} was revoked")
    if quantity > reward.stock:
        raise PointsError(f"reward {reward.reward_id} of {program!r} has {reward.stock} in stock, not {quantity}")
    if max_points is not None and cost > max_points:
        raise PointsError(f"{quantity} x reward {reward.reward_id} costs {cost} {view.symbol} ({reward.price} each), "
                          f"more than max_points {max_points}")
    if view.balance < cost:
        raise PointsError(f"{holder} holds {view.balance} {view.symbol}, not the {cost} {view.symbol} "
                          "the redemption costs")
    return cost


@dataclass(frozen=True)
class ExchangeView:
    """Both programs and the route between them, as an exchange by one account sees them."""

    source: str
    target: str
    symbol_in: str
    symbol_out: str
    source_paused: bool
    target_paused: bool
    rate_num: int
    rate_den: int
    cap: int
    approved: bool
    route_used: int
    balance: int
    allowance: int | None
    """The account's allowance for the exchange; None when a permit in the same transaction gives it."""


def exchange_amounts(view: ExchangeView, amount_in: int, quote: tuple[int, int], min_out: int | None,
                     account: str) -> tuple[int, int]:
    """`(amount_used, amount_out)` of converting `amount_in` at `quote`, or why the exchange would refuse."""
    check_not_paused(view.source_paused, view.source)
    check_not_paused(view.target_paused, view.target)
    if not (view.rate_num and view.rate_den and view.cap and view.approved):
        raise PointsError(f"there is no open route from {view.source!r} to {view.target!r}")
    used, out = quote
    if out == 0:
        raise PointsError(f"{amount_in} {view.symbol_in} convert to no {view.symbol_out} at "
                          f"{view.rate_num}:{view.rate_den}; offer at least {-(-view.rate_den // view.rate_num)}")
    if min_out is not None and out < min_out:
        raise PointsError(f"{amount_in} {view.symbol_in} convert to {out} {view.symbol_out}, fewer than "
                          f"min_out {min_out}")
    if view.balance < used:
        raise PointsError(f"{account} holds {view.balance} {view.symbol_in}, not the {used} {view.symbol_in} "
                          "the exchange spends")
    if view.allowance is not None and view.allowance < used:
        raise PointsError(f"{account} allows the exchange to spend {view.allowance} {view.symbol_in}, not {used}: "
                          "approve it (or sign a permit) once first")
    if out > (left := view.cap - view.route_used):
        raise PointsError(f"the route from {view.source!r} to {view.target!r} may issue {left} more "
                          f"{view.symbol_out} this period, not {out}")
    return used, out


def check_deadline(deadline: int, now: int) -> None:
    if now > deadline:
        raise PointsError(f"the signature expired at {utc(deadline)} (the chain's time is {utc(now)}): "
                          "ask the customer to sign again")
