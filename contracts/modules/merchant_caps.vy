# pragma version ~=0.4.3
"""
@title Merchant Mint Caps
@custom:contract-name merchant_caps
@license GNU Affero General Public License v3.0 only
@notice Merchants may issue at most `merchant_cap(m)` points per cap
        period. Periods are fixed, counted from the deployment block's
        timestamp, and each starts with the whole cap: the true bound on
        a stolen merchant key is twice the cap within any window of one
        period's length (all of one period's cap in its last second and
        all of the next one's in its first second), and one more cap for
        every further period until the owner revokes the key. A sliding
        window that held to one cap would cost a write per mint of the
        merchant's recent history; the owner's revocation, not the
        window's shape, is what ends a theft.
"""


from snekmate.auth import ownable
uses: ownable


# @dev A merchant's cap and its issuance in the current period share one
# slot, so that a mint reads and rewrites a single word:
# `cap << 160 | period << 96 | issued in that period`.
_CAP_SHIFT: constant(uint256) = 160
_PERIOD_SHIFT: constant(uint256) = 96
_MAX_CAP: constant(uint256) = (1 << 96) - 1
_PERIOD_MASK: constant(uint256) = (1 << 64) - 1
_ISSUED_MASK: constant(uint256) = (1 << 96) - 1


# @dev Block timestamps are 64-bit in every Ethereum client: a longer
# period would never end.
_MAX_CAP_PERIOD: constant(uint256) = (1 << 64) - 1


# @dev The first second of period 0 and a period's length in seconds.
cap_period_start: public(immutable(uint256))
cap_period: public(immutable(uint256))


# @dev Merchant => packed (cap, period, points issued in that period).
_merchants: HashMap[address, uint256]


# @dev Emitted when the owner grants, changes or (cap 0) revokes a
# merchant; `name` is its public label ("Downtown store"), never
# personal data, and the latest one is the merchant's name.
event MerchantSet:
    merchant: indexed(address)
    cap: uint256
    name: String[64]


@deploy
def __init__(cap_period_: uint256):
    """
    @param cap_period_ The length of a cap period in seconds.
    """
    assert cap_period_ != 0, "merchant_caps: cap period is zero"
    assert cap_period_ <= _MAX_CAP_PERIOD, "merchant_caps: cap period exceeds 2**64 - 1 seconds"
    cap_period_start = block.timestamp
    cap_period = cap_period_


@external
def set_merchant(merchant: address, cap: uint256, name: String[64]):
    """
    @dev Grants `merchant` the right to issue `cap` points per period;
         a cap of 0 revokes it: a revoked merchant can no longer mint,
         list or change rewards, and its rewards cannot be redeemed.
         Points already issued in the current period still count
         against the new cap.
    @notice Only the owner may call this. Across a period boundary a
            merchant may issue up to twice `cap` within one second.
    @param merchant The 20-byte merchant address.
    @param cap Points per cap period.
    @param name The merchant's public label, shown by the apps.
    """
    ownable._check_owner()
    assert merchant != empty(address), "merchant_caps: merchant is the zero address"
    assert cap <= _MAX_CAP, "merchant_caps: cap exceeds 2**96 - 1"
    usage: uint256 = self._merchants[merchant] & ((1 << _CAP_SHIFT) - 1)
    self._merchants[merchant] = (cap << _CAP_SHIFT) | usage
    log MerchantSet(merchant=merchant, cap=cap, name=name)


@external
@view
def merchant_cap(merchant: address) -> uint256:
    """
    @dev Returns the points `merchant` may issue per period.
    @param merchant The 20-byte merchant address.
    @return uint256 The cap; 0 for an account that is not a merchant.
    """
    return self._cap_of(merchant)


@external
@view
def mintable(merchant: address) -> uint256:
    """
    @dev Returns what `merchant` may still issue in the current period.
    @param merchant The 20-byte merchant address.
    @return uint256 The unused part of the merchant's cap.
    """
    packed: uint256 = self._merchants[merchant]
    cap: uint256 = packed >> _CAP_SHIFT
    issued: uint256 = self._issued_this_period(packed, self._current_period())
    if issued >= cap:
        return 0
    # The branch above leaves `issued` < `cap`.
    return unsafe_sub(cap, issued)


@internal
@view
def _current_period() -> uint256:
    """
    @dev Returns the number of the current cap period.
    @return uint256 The periods elapsed since `cap_period_start`.
    """
    # `cap_period` is non-zero (checked at deployment).
    return unsafe_div(block.timestamp - cap_period_start, cap_period)


@internal
@view
def _cap_of(merchant: address) -> uint256:
    """
    @dev Returns `merchant`'s cap; 0 for a revoked or unknown merchant.
    @param merchant The 20-byte merchant address.
    @return uint256 Points per cap period.
    """
    return self._merchants[merchant] >> _CAP_SHIFT


@internal
@pure
def _issued_this_period(packed: uint256, period: uint256) -> uint256:
    """
    @dev Returns what a merchant's packed slot says it issued in `period`.
    @param packed The merchant's packed (cap, period, issued).
    @param period The current cap period.
    @return uint256 The points issued in `period`; 0 if the slot is older.
    """
    if (packed >> _PERIOD_SHIFT) & _PERIOD_MASK != period:
        return 0
    return packed & _ISSUED_MASK


@internal
def _consume(merchant: address, amount: uint256):
    """
    @dev Charges `amount` against the merchant's cap for this period.
    @param merchant The 20-byte merchant address.
    @param amount The points the merchant issues.
    """
    packed: uint256 = self._merchants[merchant]
    cap: uint256 = packed >> _CAP_SHIFT
    assert cap != 0, "merchant_caps: caller is not a merchant"
    period: uint256 = self._current_period()
    issued: uint256 = self._issued_this_period(packed, period) + amount
    assert issued <= cap, "merchant_caps: amount exceeds the merchant's cap for this period"
    # `issued` <= cap < 2**96 and a period count fits 64 bits for any period of a second or more.
    self._merchants[merchant] = (cap << _CAP_SHIFT) | (period << _PERIOD_SHIFT) | issued
