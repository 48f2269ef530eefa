"""EIP-1559 fees: a first attempt's, and a replacement's, always under the operator's cap."""

from dataclasses import dataclass

# Nodes take a replacement only when both fees rise by at least 10 %.
BUMP_NUMERATOR, BUMP_DENOMINATOR = 9, 8


@dataclass(frozen=True)
class Fees:
    max_fee: int
    priority_fee: int


def first_fees(base_fee: int, suggested_tip: int, least_tip: int, cap: int) -> Fees:
    """Twice the base fee plus the tip, so the transaction stays includable through a few full
    blocks; never over `cap`."""
    tip = min(max(least_tip, suggested_tip), cap)
    return Fees(max_fee=min(cap, 2 * base_fee + tip), priority_fee=tip)


def bumped(previous: Fees, current: Fees, cap: int) -> Fees | None:
    """A replacement's fees: at least 12.5 % above the previous attempt on both, and no less than
    what a first attempt would pay now; None when the cap leaves no room for a valid replacement."""
    max_fee = max(_raised(previous.max_fee), current.max_fee)
    tip = max(_raised(previous.priority_fee), current.priority_fee)
    max_fee = min(max_fee, cap)
    tip = min(tip, max_fee)
    if max_fee < _raised(previous.max_fee) or tip < _raised(previous.priority_fee):
        return None
    return Fees(max_fee=max_fee, priority_fee=tip)


def _raised(fee: int) -> int:
    return -(-fee * BUMP_NUMERATOR // BUMP_DENOMINATOR) + (1 if fee == 0 else 0)
