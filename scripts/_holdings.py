"""An account's points in one program, grouped by the date they expire (read from the chain)."""

from dataclasses import dataclass

from ape.contracts import ContractInstance


@dataclass(frozen=True)
class ExpiryGroup:
    expires_at: int
    amount: int


@dataclass(frozen=True)
class Holding:
    balance: int
    groups: tuple[ExpiryGroup, ...]
    """Soonest first; only groups that hold points."""

    @property
    def next_expiry(self) -> ExpiryGroup | None:
        return self.groups[0] if self.groups else None


def holding_of(token: ContractInstance, account: str) -> Holding:
    """Reads each live epoch's group: at most `validity` calls, like the contract's own spends."""
    current = token.currentEpoch()
    validity = token.validityDuration()
    start = token.epoch_start()
    length = token.epochLength()
    groups = []
    for epoch in range(max(0, current - validity + 1), current + 1):
        if amount := token.balanceOfAtEpoch(epoch, account):
            groups.append(ExpiryGroup(expires_at=start + (epoch + validity) * length, amount=amount))
    return Holding(balance=token.balanceOf(account), groups=tuple(groups))
