"""An account's points in one program, grouped by the date they expire (read from the chain)."""

from dataclasses import dataclass

from ape.contracts import ContractInstance

from chain.programs import read_settings
from chain.rpc import RpcClient
from points.errors import PointsError
from points.ledger import ExpiringLedger


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
    ledger = _ledger_of(token)
    current = token.currentEpoch()
    groups = []
    for epoch in range(ledger.oldest_live_epoch(ledger.epoch_starts_at(current)), current + 1):
        if amount := token.balanceOfAtEpoch(epoch, account):
            groups.append(ExpiryGroup(expires_at=ledger.expires_at(epoch), amount=amount))
    return Holding(balance=token.balanceOf(account), groups=tuple(groups))


def _ledger_of(token: ContractInstance) -> ExpiringLedger:
    """An empty ledger model with the program's settings: its epochs' and expiries' arithmetic."""
    url = token.provider.http_uri
    if url is None:
        raise PointsError(f"the network's provider {token.provider.name!r} has no HTTP JSON-RPC endpoint to read from")
    with RpcClient(url) as rpc:
        settings = read_settings(rpc, token.address)
    return ExpiringLedger(settings.epoch_start, settings.epoch_length, settings.validity)
