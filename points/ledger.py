"""A plain-Python model of the expiring points ledger (`contracts/modules/expiring_ledger.vy`).

The model mirrors the contract's semantics exactly (docs/interface.md, "Expiry"):

- Epoch 0 starts at `epoch_start`; `current_epoch(t) = (t - epoch_start) // epoch_length`.
- Points minted in epoch `e` form a *group* `(account, e)`. They are live while
  `current_epoch < e + validity` and expired from the first second of epoch `e + validity`,
  `expires_at(e) = epoch_start + (e + validity) * epoch_length`.
- Every spend takes the soonest-expiring live group first; points that move keep their epoch.
- Balances and the total supply count live points only; expiry needs no operation.

Every operation and view takes the timestamp of the block it happens in, and timestamps never
go backwards (as on a chain). Operations that the contract would revert raise a `LedgerError`
subclass whose `revert_reason` is the contract's revert string, and change no balance.

Expired groups are pruned lazily: each operation first discards the groups that have expired by
its timestamp (cost amortised over the mints that created them), so memory holds the live groups
and nothing of accounts whose points all expired. To record expirations (the indexer's "expired"
history entries), call `expire(timestamp)` before applying the operations at `timestamp`; it
prunes and returns one `Expiration` per group that expired since the previous call. Groups that
an operation prunes on its own are reported by the next `expire` call only when the ledger was
built with `record_expirations=True`; otherwise they are discarded.

Accounts are opaque strings (the caller uses one spelling of each address, e.g. checksummed);
`ZERO_ADDRESS` is special as on chain: nothing can be held there.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

__all__ = [
    "MAX_EPOCH_SUPPLY",
    "MAX_UINT256",
    "MAX_VALIDITY",
    "ZERO_ADDRESS",
    "EpochExpired",
    "EpochNotStarted",
    "EpochSupplyOverflow",
    "Expiration",
    "ExpiringLedger",
    "Group",
    "InsufficientBalance",
    "InsufficientBalanceAtEpoch",
    "LedgerError",
    "LengthMismatch",
    "MintToZeroAddress",
]

Account = str

ZERO_ADDRESS: Account = "0x" + "0" * 40
"""The zero address: a debit to it burns; nothing can be minted or moved to it."""

MAX_VALIDITY = 64
"""The contract's bound on `validity` (epochs)."""

MAX_EPOCH_SUPPLY = 2**192 - 1
"""The most points one epoch may have in existence (the contract packs amounts in 192 bits)."""

MAX_UINT256 = 2**256 - 1


class LedgerError(Exception):
    """An operation the contract would revert. `revert_reason` is the contract's revert string."""

    revert_reason: ClassVar[str] = "expiring_ledger: operation rejected"

    def __init__(self, detail: str = "") -> None:
        message = f"{self.revert_reason} ({detail})" if detail else self.revert_reason
        super().__init__(message)
        self.detail = detail


class InsufficientBalance(LedgerError):
    """A spend of more points than the account's live balance."""

    revert_reason = "expiring_ledger: amount exceeds unexpired balance"


class InsufficientBalanceAtEpoch(LedgerError):
    """A move of more points of one epoch than the account's group of that epoch holds."""

    revert_reason = "expiring_ledger: amount exceeds balance at epoch"


class EpochNotStarted(LedgerError):
    """A move naming an epoch later than the current one."""

    revert_reason = "expiring_ledger: epoch has not started"


class EpochExpired(LedgerError):
    """A move naming an epoch whose points have expired."""

    revert_reason = "expiring_ledger: epoch has expired"


class MintToZeroAddress(LedgerError):
    """A mint to the zero address."""

    revert_reason = "expiring_ledger: mint to the zero address"


class LengthMismatch(LedgerError):
    """A batch mint whose recipients and amounts differ in length."""

    revert_reason = "expiring_ledger: recipients and amounts differ in length"


class EpochSupplyOverflow(LedgerError):
    """A mint that would take an epoch's supply past `MAX_EPOCH_SUPPLY`."""

    revert_reason = "expiring_ledger: epoch supply exceeds 2**192 - 1"


@dataclass(frozen=True, slots=True)
class Group:
    """Points of one account minted in one epoch, as held at some time."""

    epoch: int
    amount: int
    expires_at: int


@dataclass(frozen=True, slots=True)
class Expiration:
    """A group that expired: `amount` points of `epoch` held by `account` ceased at `expires_at`."""

    account: Account
    epoch: int
    amount: int
    expires_at: int


class ExpiringLedger:
    """The ledger of one program: per account, `{epoch: amount}` groups; per epoch, the supply.

    Args:
        epoch_start: The first second of epoch 0 (the token's `epoch_start()`).
        epoch_length: Seconds per epoch (`epochLength()`).
        validity: Epochs that minted points stay live (`validityDuration()`), 1 to 64.
        record_expirations: Keep the groups that operations prune on their own until the next
            `expire` call reports them, so that no expiration is ever lost whatever the order of
            calls. Without it (the default), only the groups `expire` itself prunes are reported.
    """

    def __init__(
        self,
        epoch_start: int,
        epoch_length: int,
        validity: int,
        *,
        record_expirations: bool = False,
    ) -> None:
        if epoch_start < 0:
            raise ValueError(f"epoch_start must not be negative, got {epoch_start}")
        if epoch_length <= 0:
            raise ValueError(f"epoch_length must be positive, got {epoch_length}")
        if not 1 <= validity <= MAX_VALIDITY:
            raise ValueError(f"validity must be 1 to {MAX_VALIDITY} epochs, got {validity}")
        self.epoch_start = epoch_start
        self.epoch_length = epoch_length
        self.validity = validity
        self.record_expirations = record_expirations
        # The latest timestamp an operation happened at; no later call may go before it.
        self._clock = epoch_start
        # The clock's epoch once every group expired by the clock is pruned (None until then, or
        # after a restored group): operations at the same second (a batch's mints) need not look again.
        self._pruned_epoch: int | None = None
        # account => {epoch => amount}; only non-zero, not yet pruned groups.
        self._groups: dict[Account, dict[int, int]] = {}
        # epoch => accounts holding a non-zero group of it: what pruning an epoch visits.
        self._holders: dict[int, set[Account]] = {}
        # epoch => points of it still held by anyone; only non-zero, not yet pruned epochs.
        self._supply: dict[int, int] = {}
        # Groups pruned by operations, kept for `expire` when `record_expirations` is set.
        self._unreported: list[Expiration] = []

    # ------------------------------------------------------------------ time

    @property
    def clock(self) -> int:
        """The timestamp of the latest operation (or `expire` call); epoch_start before any."""
        return self._clock

    def current_epoch(self, timestamp: int) -> int:
        """The epoch `timestamp` falls in."""
        if timestamp < self.epoch_start:
            raise ValueError(f"timestamp {timestamp} is before epoch 0 starts ({self.epoch_start})")
        return (timestamp - self.epoch_start) // self.epoch_length

    def epoch_starts_at(self, epoch: int) -> int:
        """The first second of `epoch`."""
        return self.epoch_start + epoch * self.epoch_length

    def expires_at(self, epoch: int) -> int:
        """The first second at which points minted in `epoch` are expired."""
        return self.epoch_starts_at(epoch + self.validity)

    def is_epoch_expired(self, epoch: int, timestamp: int) -> bool:
        """Whether points minted in `epoch` have expired at `timestamp` (`isEpochExpired`)."""
        return epoch + self.validity <= self.current_epoch(timestamp)

    def oldest_live_epoch(self, timestamp: int) -> int:
        """The earliest epoch whose points are still live at `timestamp`."""
        return self._oldest_live(self.current_epoch(timestamp))

    # ------------------------------------------------------------------ views

    def balance_of(self, account: Account, timestamp: int) -> int:
        """The live points of `account` (`balanceOf`)."""
        return sum(group.amount for group in self.groups_of(account, timestamp))

    def total_supply(self, timestamp: int) -> int:
        """The live points in existence (`totalSupply`)."""
        oldest = self._oldest_live(self._view_epoch(timestamp))
        return sum(amount for epoch, amount in self._supply.items() if epoch >= oldest)

    def balance_of_at_epoch(self, epoch: int, account: Account, timestamp: int) -> int:
        """The live points of `account` minted in `epoch`, 0 once expired (`balanceOfAtEpoch`)."""
        if epoch + self.validity <= self._view_epoch(timestamp):
            return 0
        return self._groups.get(account, {}).get(epoch, 0)

    def nearest_expiry_of(self, account: Account, timestamp: int) -> tuple[int, int]:
        """`(amount, expires_at)` of the account's soonest-expiring live group, or `(0, 0)`
        (`getNearestExpiryOf`)."""
        groups = self.groups_of(account, timestamp)
        if not groups:
            return 0, 0
        return groups[0].amount, groups[0].expires_at

    def groups_of(self, account: Account, timestamp: int) -> list[Group]:
        """The account's live, non-empty groups at `timestamp`, soonest-expiring first."""
        oldest = self._oldest_live(self._view_epoch(timestamp))
        held = self._groups.get(account, {})
        return [
            Group(epoch=epoch, amount=held[epoch], expires_at=self.expires_at(epoch))
            for epoch in sorted(held)
            if epoch >= oldest
        ]

    def holders(self, timestamp: int) -> list[Account]:
        """The accounts with a live balance at `timestamp`, in no particular order."""
        oldest = self._oldest_live(self._view_epoch(timestamp))
        return [account for account, held in self._groups.items() if any(epoch >= oldest for epoch in held)]

    # ------------------------------------------------------------------ operations

    def mint(self, to: Account, amount: int, timestamp: int) -> int:
        """Issues `amount` points of the current epoch to `to`; returns that epoch.

        `mint_batch` of one recipient, without its lists: the indexer mints once per `Transfer`.
        """
        current = self._advance(timestamp)
        _check_amount(amount)
        if to == ZERO_ADDRESS:
            raise MintToZeroAddress()
        supply = self._supply.get(current, 0) + amount
        if supply > MAX_EPOCH_SUPPLY:
            raise EpochSupplyOverflow(f"epoch {current} would hold {supply} points")
        self._credit(to, current, amount)
        if supply:
            self._supply[current] = supply
        return current

    def mint_batch(self, recipients: Sequence[Account], amounts: Sequence[int], timestamp: int) -> tuple[int, int]:
        """Issues `amounts[i]` points of the current epoch to each `recipients[i]`, all or none.

        Returns:
            The epoch the points belong to and the points issued in all.
        """
        current = self._advance(timestamp)
        if len(recipients) != len(amounts):
            raise LengthMismatch(f"{len(recipients)} recipients, {len(amounts)} amounts")
        for recipient, amount in zip(recipients, amounts, strict=True):
            _check_amount(amount)
            if recipient == ZERO_ADDRESS:
                raise MintToZeroAddress()
        total = sum(amounts)
        supply = self._supply.get(current, 0) + total
        if supply > MAX_EPOCH_SUPPLY:
            raise EpochSupplyOverflow(f"epoch {current} would hold {supply} points")
        for recipient, amount in zip(recipients, amounts, strict=True):
            self._credit(recipient, current, amount)
        if supply:
            self._supply[current] = supply
        return current, total

    def debit_oldest_first(self, owner: Account, receiver: Account | None, amount: int, timestamp: int) -> list[Group]:
        """Takes `amount` live points from `owner`, soonest-expiring group first, and credits each
        part to `receiver` in its own epoch, or burns it when `receiver` is None or the zero
        address. This is what transfer, transferFrom, burn, burn_from, redeem and revoke do.

        Returns:
            The parts taken, one per group touched, soonest-expiring first.

        Raises:
            InsufficientBalance: `owner` holds fewer than `amount` live points; nothing changes.
        """
        _check_amount(amount)
        self._advance(timestamp)
        groups = self.groups_of(owner, timestamp)
        balance = sum(group.amount for group in groups)
        if balance < amount:
            raise InsufficientBalance(f"{owner} holds {balance} live points, {amount} requested")
        parts: list[Group] = []
        remaining = amount
        for group in groups:
            if remaining == 0:
                break
            taken = min(group.amount, remaining)
            parts.append(Group(epoch=group.epoch, amount=taken, expires_at=group.expires_at))
            remaining -= taken
        target = None if receiver == ZERO_ADDRESS else receiver
        for part in parts:
            self._take(owner, part.epoch, part.amount)
            if target is None:
                self._reduce_supply(part.epoch, part.amount)
            else:
                self._credit(target, part.epoch, part.amount)
        return parts

    def move_at_epoch(self, owner: Account, receiver: Account, epoch: int, amount: int, timestamp: int) -> None:
        """Moves `amount` of `owner`'s points minted in `epoch` to `receiver`; they keep their
        epoch (`transferAtEpoch`, `transferFromAtEpoch`).

        Raises:
            EpochNotStarted: `epoch` is later than the current epoch.
            EpochExpired: the points of `epoch` have expired.
            InsufficientBalanceAtEpoch: `owner`'s group of `epoch` holds fewer than `amount`.
        """
        _check_amount(amount)
        if epoch < 0:
            raise ValueError(f"epoch must not be negative, got {epoch}")
        if receiver == ZERO_ADDRESS:
            raise ValueError("points cannot move to the zero address; burn them with debit_oldest_first")
        current = self._advance(timestamp)
        if epoch > current:
            raise EpochNotStarted(f"epoch {epoch}, current epoch {current}")
        if epoch + self.validity <= current:
            raise EpochExpired(f"epoch {epoch} expired at {self.expires_at(epoch)}")
        held = self._groups.get(owner, {}).get(epoch, 0)
        if held < amount:
            raise InsufficientBalanceAtEpoch(f"{owner} holds {held} points of epoch {epoch}, {amount} requested")
        self._take(owner, epoch, amount)
        self._credit(receiver, epoch, amount)

    def restore_group(self, account: Account, epoch: int, amount: int) -> None:
        """Re-creates a group saved earlier (the indexer reloading its database after a restart).

        The clock stays where it is: the next operation or `expire` call prunes and reports the
        restored groups that have expired by then.
        """
        _check_amount(amount)
        if amount == 0:
            return
        self._credit(account, epoch, amount)
        self._supply[epoch] = self._supply.get(epoch, 0) + amount
        self._pruned_epoch = None  # the group may have expired already

    def expire(self, timestamp: int) -> list[Expiration]:
        """Prunes every group expired at `timestamp` and reports it, exactly once.

        Returns:
            One `Expiration` per (account, epoch) group that had points left when it expired,
            ordered by `expires_at`, then account. With `record_expirations`, this includes the
            groups that operations pruned since the previous call.
        """
        _, pruned = self._advance_and_prune(timestamp)
        expired = self._unreported + pruned
        self._unreported = []
        return sorted(expired, key=lambda item: (item.expires_at, item.account))

    # ------------------------------------------------------------------ internals

    def _oldest_live(self, current: int) -> int:
        return max(0, current - self.validity + 1)

    def _view_epoch(self, timestamp: int) -> int:
        """The epoch of `timestamp`, which may not precede the latest operation: the state
        already reflects it, so an earlier view would mix two times."""
        if timestamp < self._clock:
            raise ValueError(f"timestamp {timestamp} is before the ledger's latest operation ({self._clock})")
        return self.current_epoch(timestamp)

    def _advance(self, timestamp: int) -> int:
        """Moves the clock for an operation at `timestamp`; returns the current epoch."""
        current, pruned = self._advance_and_prune(timestamp)
        if self.record_expirations:
            self._unreported.extend(pruned)
        return current

    def _advance_and_prune(self, timestamp: int) -> tuple[int, list[Expiration]]:
        """Moves the clock to `timestamp` and drops every group expired by then.

        Every non-empty group's epoch has a supply entry, and epochs expire in order, so this
        visits each group once in its life: the cost is amortised over the mints.
        """
        if timestamp == self._clock and self._pruned_epoch is not None:
            return self._pruned_epoch, []
        current = self._view_epoch(timestamp)
        self._clock = timestamp
        self._pruned_epoch = current
        oldest = self._oldest_live(current)
        pruned: list[Expiration] = []
        if not self._supply or min(self._supply) >= oldest:  # the common case: nothing expired
            return current, pruned
        for epoch in sorted(epoch for epoch in self._supply if epoch < oldest):
            del self._supply[epoch]
            expires_at = self.expires_at(epoch)
            for account in sorted(self._holders.pop(epoch, set())):
                held = self._groups[account]
                amount = held.pop(epoch)
                if not held:
                    del self._groups[account]
                pruned.append(Expiration(account=account, epoch=epoch, amount=amount, expires_at=expires_at))
        return current, pruned

    def _credit(self, account: Account, epoch: int, amount: int) -> None:
        if amount == 0:
            return
        # get, then insert when missing: setdefault would build an empty dict and set per call.
        held = self._groups.get(account)
        if held is None:
            held = self._groups[account] = {}
        held[epoch] = held.get(epoch, 0) + amount
        holders = self._holders.get(epoch)
        if holders is None:
            holders = self._holders[epoch] = set()
        holders.add(account)

    def _take(self, account: Account, epoch: int, amount: int) -> None:
        if amount == 0:
            return
        held = self._groups[account]
        left = held[epoch] - amount
        if left:
            held[epoch] = left
            return
        del held[epoch]
        if not held:
            del self._groups[account]
        holders = self._holders[epoch]
        holders.discard(account)
        if not holders:
            del self._holders[epoch]

    def _reduce_supply(self, epoch: int, amount: int) -> None:
        left = self._supply[epoch] - amount
        if left:
            self._supply[epoch] = left
        else:
            del self._supply[epoch]


def _check_amount(amount: int) -> None:
    if not 0 <= amount <= MAX_UINT256:
        raise ValueError(f"amount must be 0 to 2**256 - 1, got {amount}")


def epochs_expiring_between(epoch_start: int, epoch_length: int, validity: int, after: int,
                            until: int) -> tuple[int, int]:
    """The first and last epoch whose points expire (see `ExpiringLedger.expires_at`) after time
    `after` and at or before `until`; the first is larger than the last when none do."""
    first = (after - epoch_start) // epoch_length - validity + 1
    last = (until - epoch_start) // epoch_length - validity
    return max(first, 0), last
