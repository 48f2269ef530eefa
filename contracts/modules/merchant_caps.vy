# pragma version ~=0.4.3
"""
@title Merchant Mint Caps
@custom:contract-name merchant_caps
@license GNU Affero General Public License v3.0 only
@notice Merchants may issue at most `merchant_cap(m)` points per cap
        period, so a stolen merchant key can issue no more than one
        period's cap before the owner revokes it. Periods are counted
        from the deployment block's timestamp.
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


# @dev The first second of period 0 and a period's length in seconds.
cap_period_start: public(immutable(uint256))
cap_period: public(immutable(uint256))


# @dev Merchant => packed (cap, period, points issued in that period).
_merchants: HashMap[address, uint256]


# @dev Emitted when the owner grants, changes or (cap 0) revokes a merchant.
event MerchantSet:
    merchant: indexed(address)
    cap: uint256


@deploy
def __init__(cap_period_: uint256):
    """
    @param cap_period_ The length of a cap period in seconds.
    """
    assert cap_period_ != 0, "merchant_caps: cap period is zero"
    cap_period_start = block.timestamp
    cap_period = cap_period_


@external
def set_merchant(merchant: address, cap: uint256):
    """
    @dev Grants `merchant` the right to issue `cap` points per period;
         a cap of 0 revokes it. Points already issued in the current
         period still count against the new cap.
    @notice Only the owner may call this.
    @param merchant The 20-byte merchant address.
    @param cap Points per cap period.
    """
    ownable._check_owner()
    assert merchant != empty(address), "merchant_caps: merchant is the zero address"
    assert cap <= _MAX_CAP, "merchant_caps: cap exceeds 2**96 - 1"
    usage: uint256 = self._merchants[merchant] & ((1 << _CAP_SHIFT) - 1)
    self._merchants[merchant] = (cap << _CAP_SHIFT) | usage
    log MerchantSet(merchant=merchant, cap=cap)


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
    return unsafe_sub(cap, issued)


@internal
@view
def _current_period() -> uint256:
    return unsafe_div(block.timestamp - cap_period_start, cap_period)


@internal
@view
def _cap_of(merchant: address) -> uint256:
    return self._merchants[merchant] >> _CAP_SHIFT


@internal
@pure
def _issued_this_period(packed: uint256, period: uint256) -> uint256:
    if (packed >> _PERIOD_SHIFT) & _PERIOD_MASK != period:
        return 0
    return packed & _ISSUED_MASK


@internal
def _consume(merchant: address, amount: uint256):
    """
    @dev Charges `amount` against the merchant's cap for this period.
    """
    packed: uint256 = self._merchants[merchant]
    cap: uint256 = packed >> _CAP_SHIFT
    assert cap != 0, "merchant_caps: caller is not a merchant"
    period: uint256 = self._current_period()
    issued: uint256 = self._issued_this_period(packed, period) + amount
    assert issued <= cap, "merchant_caps: amount exceeds the merchant's cap for this period"
    # `issued` <= cap < 2**96 and a period count fits 64 bits for any period of a second or more.
    self._merchants[merchant] = (cap << _CAP_SHIFT) | (period << _PERIOD_SHIFT) | issued
