# pragma version ~=0.4.3
"""
@title Expiring Points Ledger (ERC-7818, time-based)
@custom:contract-name expiring_ledger
@license GNU Affero General Public License v3.0 only
@notice Balances grouped by the epoch their points were minted in.
        Points of epoch `e` are spendable while `current_epoch < e + _VALIDITY`
        and expire, without any transaction, at the first second of epoch
        `e + _VALIDITY`. Spends take the soonest-expiring group first and points
        that move keep their epoch.

        Storage is a ring of `_VALIDITY` slots per account (and one for the
        supply): the group of epoch `e` lives in slot `e % _VALIDITY`, packed as
        `e << 192 | amount`. At most `_VALIDITY` epochs are alive at once, so a
        slot whose tag is not `e` can only hold an expired group and is
        overwritten in place: a recycled slot costs a 2,900-gas rewrite instead
        of a 22,100-gas fresh write, and no call ever reads more than
        `_VALIDITY` slots, whatever the number of mints, holders or epochs.
"""


# @dev The bound of every loop over the ring; `_VALIDITY` may not exceed it.
MAX_VALIDITY: constant(uint256) = 64


# @dev Layout of a packed group: the epoch tag above, the amount below.
_TAG_SHIFT: constant(uint256) = 192
_AMOUNT_MASK: constant(uint256) = (1 << 192) - 1


# @dev ERC-7818's `epochType()` for time-based epochs.
EPOCH_TYPE_TIME_BASED: constant(uint8) = 1


# @dev Block timestamps are 64-bit in every Ethereum client; a longer
# epoch would never end, and would overflow `getNearestExpiryOf`.
_MAX_EPOCH_LENGTH: constant(uint256) = (1 << 64) - 1


# @dev The first second of epoch 0, the length of an epoch in
# seconds, and how many epochs points stay valid.
epoch_start: public(immutable(uint256))
_EPOCH_LENGTH: immutable(uint256)
_VALIDITY: immutable(uint256)


# @dev Per account, ring slot => packed group.
_groups: HashMap[address, HashMap[uint256, uint256]]


# @dev Ring slot => packed (epoch, points of that epoch still held by anyone).
_supply: HashMap[uint256, uint256]


# @dev Emitted on every balance change, as ERC-20 requires:
# mints come from, and burns go to, the zero address.
event Transfer:
    sender: indexed(address)
    receiver: indexed(address)
    value: uint256


# @dev Emitted besides `Transfer` when points of one named
# epoch move (`transferAtEpoch`), so that an off-chain mirror
# of the ledger knows which group moved.
event TransferAtEpoch:
    sender: indexed(address)
    receiver: indexed(address)
    epoch: uint256
    value: uint256


@deploy
def __init__(epoch_length_: uint256, validity_: uint256):
    """
    @dev Epoch 0 starts at the deployment block's timestamp.
    @param epoch_length_ The length of an epoch in seconds.
    @param validity_ How many epochs minted points stay valid.
    """
    assert epoch_length_ != 0, "expiring_ledger: epoch length is zero"
    assert epoch_length_ <= _MAX_EPOCH_LENGTH, "expiring_ledger: epoch length exceeds 2**64 - 1 seconds"
    assert validity_ != 0, "expiring_ledger: validity is zero"
    assert validity_ <= MAX_VALIDITY, "expiring_ledger: validity exceeds 64 epochs"
    epoch_start = block.timestamp
    _EPOCH_LENGTH = epoch_length_
    _VALIDITY = validity_


@external
@view
def totalSupply() -> uint256:
    """
    @dev Returns the unexpired points in existence.
    @return uint256 The sum of all live epochs' supply.
    """
    return self._live_sum_supply()


@external
@view
def balanceOf(account: address) -> uint256:
    """
    @dev Returns the unexpired points held by `account`.
    @param account The 20-byte holder address.
    @return uint256 The sum of the account's live groups.
    """
    return self._balance_of(account)


@external
@view
def currentEpoch() -> uint256:
    """
    @dev Returns the epoch of the current block.
    @return uint256 `(block.timestamp - epoch_start) // _EPOCH_LENGTH`.
    """
    return self._current_epoch()


@external
@view
def epochLength() -> uint256:
    """
    @dev Returns the length of an epoch in seconds.
    @return uint256 The epoch length.
    """
    return _EPOCH_LENGTH


@external
@view
def epochType() -> uint8:
    """
    @dev Returns ERC-7818's epoch type: 1, time-based.
    @return uint8 The epoch type.
    """
    return EPOCH_TYPE_TIME_BASED


@external
@view
def validityDuration() -> uint256:
    """
    @dev Returns how many epochs minted points stay valid.
    @return uint256 The validity in epochs.
    """
    return _VALIDITY


@external
@view
def isEpochExpired(epoch: uint256) -> bool:
    """
    @dev Returns whether points minted in `epoch` have expired.
    @param epoch The epoch to check.
    @return bool True from the first second of `epoch + _VALIDITY` on.
    """
    return self._is_expired(epoch, self._current_epoch())


@external
@view
def balanceOfAtEpoch(epoch: uint256, account: address) -> uint256:
    """
    @dev Returns the unexpired points of `account` minted in `epoch`.
    @param epoch The epoch of the group.
    @param account The 20-byte holder address.
    @return uint256 The group's amount, 0 once it has expired.
    """
    if self._is_expired(epoch, self._current_epoch()):
        return 0
    return self._group_amount(self._groups[account][epoch % _VALIDITY], epoch)


@external
@view
def getNearestExpiryOf(account: address) -> (uint256, uint256):
    """
    @dev Returns the account's soonest-expiring group.
    @param account The 20-byte holder address.
    @return uint256 The amount of points that expire first.
    @return uint256 The first second at which they are expired;
            (0, 0) when the account holds no unexpired points.
    """
    current: uint256 = self._current_epoch()
    epoch: uint256 = self._oldest_live_epoch(current)
    for _: uint256 in range(_VALIDITY, bound=MAX_VALIDITY):
        if epoch > current:
            break
        amount: uint256 = self._group_amount(self._groups[account][epoch % _VALIDITY], epoch)
        if amount != 0:
            return amount, self._expiry_of(epoch)
        # `epoch` <= `current`, a count of seconds: far from 2**256.
        epoch = unsafe_add(epoch, 1)
    return 0, 0


@internal
@view
def _current_epoch() -> uint256:
    """
    @dev Returns the epoch of the current block.
    @return uint256 The epochs elapsed since `epoch_start`.
    """
    # `_EPOCH_LENGTH` is non-zero (checked at deployment).
    return unsafe_div(block.timestamp - epoch_start, _EPOCH_LENGTH)


@internal
@view
def _is_expired(epoch: uint256, current: uint256) -> bool:
    """
    @dev Returns whether points minted in `epoch` are expired in `current`.
    @param epoch The epoch the points were minted in.
    @param current The current epoch.
    @return bool True from the first second of epoch `epoch + _VALIDITY`.
    """
    return epoch + _VALIDITY <= current


@internal
@view
def _oldest_live_epoch(current: uint256) -> uint256:
    """
    @dev Returns the oldest epoch whose points are unexpired in `current`.
    @param current The current epoch.
    @return uint256 `current - _VALIDITY + 1`, or 0 early on.
    """
    if current < _VALIDITY:
        return 0
    # `current` >= `_VALIDITY` here, and the sum is at most `current`.
    return unsafe_add(unsafe_sub(current, _VALIDITY), 1)


@internal
@view
def _expiry_of(epoch: uint256) -> uint256:
    """
    @dev Returns the first second at which points minted in `epoch` are expired.
    @param epoch The epoch the points were minted in.
    @return uint256 The first second of epoch `epoch + _VALIDITY`.
    """
    return epoch_start + (epoch + _VALIDITY) * _EPOCH_LENGTH


@internal
@pure
def _group_amount(packed: uint256, epoch: uint256) -> uint256:
    """
    @dev Returns the amount a packed ring slot holds for `epoch`.
    @param packed The slot's packed (epoch tag, amount).
    @param epoch The epoch asked about.
    @return uint256 The amount; 0 when the slot holds another epoch's group.
    """
    if packed >> _TAG_SHIFT != epoch:
        return 0
    return packed & _AMOUNT_MASK


@internal
@pure
def _pack(epoch: uint256, amount: uint256) -> uint256:
    """
    @dev Packs a group as `epoch << 192 | amount`.
    @param epoch The group's epoch.
    @param amount The group's amount, below 2**192.
    @return uint256 The packed group.
    """
    return (epoch << _TAG_SHIFT) | amount


@internal
@view
def _balance_of(account: address) -> uint256:
    """
    @dev Returns the sum of `account`'s live groups.
    @param account The 20-byte holder address.
    @return uint256 The unexpired balance.
    """
    current: uint256 = self._current_epoch()
    epoch: uint256 = self._oldest_live_epoch(current)
    total: uint256 = 0
    for _: uint256 in range(_VALIDITY, bound=MAX_VALIDITY):
        if epoch > current:
            break
        # Each group is part of its epoch's supply, and the live supplies sum below 2**256.
        total = unsafe_add(total, self._group_amount(self._groups[account][epoch % _VALIDITY], epoch))
        # `epoch` <= `current`, a count of seconds: far from 2**256.
        epoch = unsafe_add(epoch, 1)
    return total


@internal
@view
def _live_sum_supply() -> uint256:
    """
    @dev Returns the sum of the live epochs' supply.
    @return uint256 The unexpired supply.
    """
    current: uint256 = self._current_epoch()
    epoch: uint256 = self._oldest_live_epoch(current)
    total: uint256 = 0
    for _: uint256 in range(_VALIDITY, bound=MAX_VALIDITY):
        if epoch > current:
            break
        # At most 64 supplies, each below 2**192: the sum stays below 2**198.
        total = unsafe_add(total, self._group_amount(self._supply[epoch % _VALIDITY], epoch))
        # `epoch` <= `current`, a count of seconds: far from 2**256.
        epoch = unsafe_add(epoch, 1)
    return total


@internal
def _credit(account: address, epoch: uint256, amount: uint256):
    """
    @dev Adds `amount` to the account's group of `epoch`, recycling
         the ring slot when it still holds an expired group. The
         caller guarantees `epoch` is live and the per-epoch supply
         (which bounds every group) fits in 192 bits.
    @param account The 20-byte holder address.
    @param epoch The live epoch of the points.
    @param amount The number of points.
    """
    slot: uint256 = epoch % _VALIDITY
    packed: uint256 = self._groups[account][slot]
    if packed >> _TAG_SHIFT == epoch:
        # The group stays within its epoch's supply, below 2**192: no carry into the tag.
        self._groups[account][slot] = unsafe_add(packed, amount)
    else:
        self._groups[account][slot] = self._pack(epoch, amount)


@internal
def _add_supply(epoch: uint256, amount: uint256):
    """
    @dev Adds `amount` to the supply of `epoch`, refusing a supply that
         would not fit its 192 bits.
    @param epoch The current epoch.
    @param amount The points minted.
    """
    slot: uint256 = epoch % _VALIDITY
    packed: uint256 = self._supply[slot]
    supply: uint256 = amount
    if packed >> _TAG_SHIFT == epoch:
        supply += packed & _AMOUNT_MASK
    assert supply <= _AMOUNT_MASK, "expiring_ledger: epoch supply exceeds 2**192 - 1"
    self._supply[slot] = self._pack(epoch, supply)


@internal
def _mint(receiver: address, amount: uint256) -> uint256:
    """
    @dev Issues `amount` points of the current epoch to `receiver`.
    @param receiver The 20-byte receiver address.
    @param amount The number of points.
    @return uint256 The epoch the points belong to.
    """
    assert receiver != empty(address), "expiring_ledger: mint to the zero address"
    epoch: uint256 = self._current_epoch()
    self._add_supply(epoch, amount)
    self._credit(receiver, epoch, amount)
    log Transfer(sender=empty(address), receiver=receiver, value=amount)
    return epoch


@internal
def _mint_many(receivers: DynArray[address, 256], amounts: DynArray[uint256, 256]) -> (uint256, uint256):
    """
    @dev Issues `amounts[i]` current-epoch points to each `receivers[i]`,
         updating the epoch's supply once for the whole batch.
    @param receivers The 20-byte receiver addresses.
    @param amounts The number of points for each receiver.
    @return uint256 The epoch the points belong to.
    @return uint256 The points issued in all.
    """
    assert len(receivers) == len(amounts), "expiring_ledger: recipients and amounts differ in length"
    epoch: uint256 = self._current_epoch()
    total: uint256 = 0
    for i: uint256 in range(len(receivers), bound=256):
        receiver: address = receivers[i]
        assert receiver != empty(address), "expiring_ledger: mint to the zero address"
        total += amounts[i]
        self._credit(receiver, epoch, amounts[i])
        log Transfer(sender=empty(address), receiver=receiver, value=amounts[i])
    self._add_supply(epoch, total)
    return epoch, total


@internal
def _debit_oldest_first(owner: address, receiver: address, amount: uint256):
    """
    @dev Takes `amount` points from `owner`, soonest-expiring group
         first, and either credits each taken part to `receiver` in its
         own epoch or, when `receiver` is the zero address, burns it.
         Emits one `Transfer`. Reads and writes at most `_VALIDITY`
         groups.
    @param owner The 20-byte address the points leave.
    @param receiver The 20-byte receiver, or the zero address to burn.
    @param amount The number of points.
    """
    current: uint256 = self._current_epoch()
    epoch: uint256 = self._oldest_live_epoch(current)
    remaining: uint256 = amount
    for _: uint256 in range(_VALIDITY, bound=MAX_VALIDITY):
        if remaining == 0 or epoch > current:
            break
        slot: uint256 = epoch % _VALIDITY
        packed: uint256 = self._groups[owner][slot]
        held: uint256 = self._group_amount(packed, epoch)
        if held != 0:
            taken: uint256 = min(held, remaining)
            # `taken` <= the group's amount, which sits below the tag: no borrow.
            self._groups[owner][slot] = unsafe_sub(packed, taken)
            if receiver == empty(address):
                # The group is part of its epoch's supply, so the supply holds `taken`.
                self._supply[slot] = unsafe_sub(self._supply[slot], taken)
            else:
                self._credit(receiver, epoch, taken)
            # `taken` <= `remaining` by `min`.
            remaining = unsafe_sub(remaining, taken)
        # `epoch` <= `current`, a count of seconds: far from 2**256.
        epoch = unsafe_add(epoch, 1)
    assert remaining == 0, "expiring_ledger: amount exceeds unexpired balance"
    log Transfer(sender=owner, receiver=receiver, value=amount)


@internal
def _move_at_epoch(owner: address, receiver: address, epoch: uint256, amount: uint256):
    """
    @dev Moves `amount` points of the named `epoch` only (ERC-7818's
         `transferAtEpoch`).
    @param owner The 20-byte address the points leave.
    @param receiver The 20-byte receiver address.
    @param epoch The live epoch whose points move.
    @param amount The number of points.
    """
    current: uint256 = self._current_epoch()
    assert epoch <= current, "expiring_ledger: epoch has not started"
    assert not self._is_expired(epoch, current), "expiring_ledger: epoch has expired"
    slot: uint256 = epoch % _VALIDITY
    packed: uint256 = self._groups[owner][slot]
    assert self._group_amount(packed, epoch) >= amount, "expiring_ledger: amount exceeds balance at epoch"
    # The assertion above keeps the amount field non-negative: no borrow from the tag.
    self._groups[owner][slot] = unsafe_sub(packed, amount)
    self._credit(receiver, epoch, amount)
    log Transfer(sender=owner, receiver=receiver, value=amount)
    log TransferAtEpoch(sender=owner, receiver=receiver, epoch=epoch, value=amount)
