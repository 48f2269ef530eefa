# pragma version ~=0.4.3
"""
@title Partner Exchange
@custom:contract-name PartnerExchange
@license GNU Affero General Public License v3.0 only
@notice Converts one program's points into a partner program's points at
        a rate both programs agreed to. The exchange has no owner: the
        owner of the receiving token sets a route's rate and cap (its
        program takes on the liability) and the owner of the sending token
        approves the outflow; a route is open when both agreed and rate and
        cap are non-zero. An approval is bound to the terms it saw: a new
        rate, or a higher cap, withdraws it until the sending owner
        approves again. The exchange burns the holder's points on the
        sending token and mints on the receiving token, where it is a
        merchant, so that token's own merchant cap bounds it too.

        A route's cap holds per fixed `to_token` cap period, like a
        merchant's: across a period boundary a route may issue up to
        twice its cap within one second.

        A holder converts with a transaction of its own (`exchange`,
        `exchange_with_permit`) or, without gas, by signing an EIP-712
        `Exchange` message in this contract's own domain that anyone
        (a relayer) submits through `exchange_with_sig`.

        Only the part of `amount_in` that converts to whole points is
        burnt: a 1:3 route given 10 points burns 9 and issues 3. Every
        exchange emits `Exchanged` with the burnt and issued amounts, and
        the receiving token's `Issued` carries the sending token's address
        as `ref`, so partners can settle from the record.
"""


from .interfaces import IPointsToken

from snekmate.utils import eip712_domain_separator
initializes: eip712_domain_separator

from .modules import signature_nonces
initializes: signature_nonces

from .modules import signatures


exports: (
    eip712_domain_separator.eip712Domain,
    signature_nonces.nonces,
)


# @dev Everything an exchange reads and writes about a route shares one slot,
# so that an exchange reads and rewrites a single word:
# `rate_num << 224 | rate_den << 192 | cap << 128 | used << 65 | last << 1 | approved`.
# `used` is what the route issued in the `to_token` cap period whose last
# second is `last`; an exchange after `last` asks `to_token` for its current
# period, so the calls happen once per route and period, not per exchange.
# The receiving program's owner writes the terms, the sending program's
# owner the approval bit; each write keeps the other fields.
_NUM_SHIFT: constant(uint256) = 224
_DEN_SHIFT: constant(uint256) = 192
_CAP_SHIFT: constant(uint256) = 128
_USED_SHIFT: constant(uint256) = 65
_LAST_SHIFT: constant(uint256) = 1
_MAX_RATE_PART: constant(uint256) = (1 << 32) - 1
_MAX_CAP: constant(uint256) = (1 << 63) - 1
_APPROVED: constant(uint256) = 1
_USAGE_MASK: constant(uint256) = (1 << _CAP_SHIFT) - 2

# @dev Block timestamps are 64-bit in every Ethereum client, so a period
# whose last second lies beyond this never ends.
_MAX_TIMESTAMP: constant(uint256) = (1 << 64) - 1


# @dev EIP-2612's `permit`, called without reverting so that a permit
# that someone else already applied is not an error.
_PERMIT_SELECTOR: constant(bytes4) = method_id(
    "permit(address,address,uint256,uint256,uint8,bytes32,bytes32)", output_type=bytes4
)


# @dev The exchange's EIP-712 signing domain.
_EIP712_NAME: constant(String[50]) = "PartnerExchange"
_EIP712_VERSION: constant(String[20]) = "1"


# @dev The EIP-712 type an account signs to let anyone submit its exchange.
_EXCHANGE_TYPE_HASH: constant(bytes32) = keccak256(
    "Exchange(address account,address fromToken,address toToken,uint256 amountIn,uint256 minOut,"
    "uint256 nonce,uint256 deadline)"
)


# @dev from_token => to_token => packed (rate_num, rate_den, cap, used, last, approved).
_routes: HashMap[address, HashMap[address, uint256]]


# @dev Emitted when the receiving program's owner sets a route's terms.
event RouteSet:
    from_token: indexed(address)
    to_token: indexed(address)
    rate_num: uint256
    rate_den: uint256
    cap: uint256


# @dev Emitted when the sending program's owner agrees to or withdraws
# from a route, and (`enabled` false) when new terms withdraw its approval.
event RouteApproved:
    from_token: indexed(address)
    to_token: indexed(address)
    enabled: bool


# @dev `amount_in` is what was burnt on `from_token`: the part of the
# requested amount that converted to whole points.
event Exchanged:
    account: indexed(address)
    from_token: indexed(address)
    to_token: indexed(address)
    amount_in: uint256
    amount_out: uint256


@deploy
def __init__():
    """
    @dev The exchange has no owner: each route is governed by its two
         tokens' owners. Its EIP-712 domain is ("PartnerExchange", "1").
    """
    eip712_domain_separator.__init__(_EIP712_NAME, _EIP712_VERSION)
    signature_nonces.__init__()


@external
def set_route(
    from_token: IPointsToken, to_token: IPointsToken, rate_num: uint256, rate_den: uint256, cap: uint256
):
    """
    @dev Sets the rate (`rate_num` `to_token` points per `rate_den`
         `from_token` points) and the cap (`to_token` points per
         `to_token`'s cap period) of a route. A zero rate or cap closes it.
         A new rate, or a higher cap, withdraws the sending owner's
         approval (the consent was to the old terms); the same terms or
         a lower cap keep it.
    @notice Only the owner of `to_token`, which takes on the liability.
    @param from_token The token whose points are burnt.
    @param to_token The token whose points are issued.
    @param rate_num Points out per `rate_den` points in; at most 2**32 - 1.
    @param rate_den Points in per `rate_num` points out; at most 2**32 - 1.
    @param cap `to_token` points the route may issue per cap period; at most 2**63 - 1.
    """
    assert from_token != to_token, "PartnerExchange: route from a token to itself"
    assert msg.sender == staticcall to_token.owner(), "PartnerExchange: caller is not the owner of to_token"
    assert rate_num <= _MAX_RATE_PART and rate_den <= _MAX_RATE_PART, "PartnerExchange: rate part exceeds 2**32 - 1"
    assert cap <= _MAX_CAP, "PartnerExchange: cap exceeds 2**63 - 1"
    route: uint256 = self._routes[from_token.address][to_token.address]
    # The usage stays: new terms do not restart the period's count.
    kept: uint256 = route & (_USAGE_MASK | _APPROVED)
    withdrawn: bool = route & _APPROVED == _APPROVED and (
        rate_num != route >> _NUM_SHIFT
        or rate_den != (route >> _DEN_SHIFT) & _MAX_RATE_PART
        or cap > (route >> _CAP_SHIFT) & _MAX_CAP
    )
    if withdrawn:
        kept &= ~_APPROVED
    self._routes[from_token.address][to_token.address] = (
        (rate_num << _NUM_SHIFT) | (rate_den << _DEN_SHIFT) | (cap << _CAP_SHIFT) | kept
    )
    log RouteSet(
        from_token=from_token.address, to_token=to_token.address, rate_num=rate_num, rate_den=rate_den, cap=cap
    )
    if withdrawn:
        log RouteApproved(from_token=from_token.address, to_token=to_token.address, enabled=False)


@external
def approve_route(from_token: IPointsToken, to_token: IPointsToken, enabled: bool):
    """
    @dev Agrees to, or withdraws from, the outflow of points on a route.
    @notice Only the owner of `from_token`.
    @param from_token The token whose points are burnt.
    @param to_token The token whose points are issued.
    @param enabled Whether the sending program agrees.
    """
    assert msg.sender == staticcall from_token.owner(), "PartnerExchange: caller is not the owner of from_token"
    route: uint256 = self._routes[from_token.address][to_token.address]
    self._routes[from_token.address][to_token.address] = (route & ~_APPROVED) | convert(enabled, uint256)
    log RouteApproved(from_token=from_token.address, to_token=to_token.address, enabled=enabled)


@external
@view
def routes(from_token: address, to_token: address) -> (uint256, uint256, uint256, bool):
    """
    @dev Returns a route's terms.
    @param from_token The token whose points are burnt.
    @param to_token The token whose points are issued.
    @return uint256 rate_num.
    @return uint256 rate_den.
    @return uint256 The cap per `to_token` cap period.
    @return bool Whether `from_token`'s owner approved it.
    """
    route: uint256 = self._routes[from_token][to_token]
    return (
        route >> _NUM_SHIFT,
        (route >> _DEN_SHIFT) & _MAX_RATE_PART,
        (route >> _CAP_SHIFT) & _MAX_CAP,
        route & _APPROVED == _APPROVED,
    )


@external
@view
def quote(from_token: address, to_token: address, amount_in: uint256) -> (uint256, uint256):
    """
    @dev Returns what `exchange` would burn and issue for `amount_in`
         at the route's current rate ((0, 0) for a route without a rate).
    @param from_token The token whose points are burnt.
    @param to_token The token whose points are issued.
    @param amount_in The points offered.
    @return uint256 amount_used: the least input that yields amount_out.
    @return uint256 amount_out: the points issued.
    """
    route: uint256 = self._routes[from_token][to_token]
    return self._convert(route >> _NUM_SHIFT, (route >> _DEN_SHIFT) & _MAX_RATE_PART, amount_in)


@external
@view
def used(from_token: IPointsToken, to_token: IPointsToken) -> uint256:
    """
    @dev Returns the `to_token` points the route issued in the current cap period.
    @param from_token The token whose points are burnt.
    @param to_token The token whose points are issued.
    @return uint256 The points issued this period.
    """
    route: uint256 = self._routes[from_token.address][to_token.address]
    if block.timestamp > (route >> _LAST_SHIFT) & _MAX_TIMESTAMP:
        return 0
    return (route >> _USED_SHIFT) & _MAX_CAP


@external
@nonreentrant
def exchange(from_token: IPointsToken, to_token: IPointsToken, amount_in: uint256, min_out: uint256) -> uint256:
    """
    @dev Burns the caller's `from_token` points (through the allowance
         the caller gave this exchange) and issues `to_token` points at
         the route's rate. The burn takes the soonest-expiring points; the
         issued points start a fresh validity.
    @param from_token The token whose points are burnt.
    @param to_token The token whose points are issued.
    @param amount_in The points offered; only the part that converts to
           whole points is burnt.
    @param min_out The fewest points the caller accepts.
    @return uint256 The points issued.
    """
    return self._exchange(msg.sender, from_token, to_token, amount_in, min_out)


@external
@nonreentrant
def exchange_with_permit(
    from_token: IPointsToken,
    to_token: IPointsToken,
    amount_in: uint256,
    min_out: uint256,
    deadline: uint256,
    v: uint8,
    r: bytes32,
    s: bytes32,
) -> uint256:
    """
    @dev `exchange` in one transaction from a wallet without an allowance:
         the caller's EIP-2612 permit on `from_token` (spender: this
         exchange, value: `amount_in`) is applied first.
    @notice A permit already applied by someone else (a front-run) is not
            an error as long as the allowance covers the exchange.
    @param from_token The token whose points are burnt.
    @param to_token The token whose points are issued.
    @param amount_in The points offered and the permit's value.
    @param min_out The fewest points the caller accepts.
    @param deadline The permit's deadline.
    @param v The secp256k1 1-byte signature parameter `v`.
    @param r The secp256k1 32-byte signature parameter `r`.
    @param s The secp256k1 32-byte signature parameter `s`.
    @return uint256 The points issued.
    """
    permitted: bool = raw_call(
        from_token.address,
        abi_encode(msg.sender, self, amount_in, deadline, v, r, s, method_id=_PERMIT_SELECTOR),
        revert_on_failure=False,
    )
    if not permitted:
        assert staticcall from_token.allowance(msg.sender, self) >= amount_in, "PartnerExchange: permit failed"
    return self._exchange(msg.sender, from_token, to_token, amount_in, min_out)


@external
@nonreentrant
def exchange_with_sig(
    account: address,
    from_token: IPointsToken,
    to_token: IPointsToken,
    amount_in: uint256,
    min_out: uint256,
    deadline: uint256,
    signature: Bytes[signatures.MAX_SIGNATURE_LENGTH],
) -> uint256:
    """
    @dev `exchange` on `account`'s behalf: anyone (a relayer) submits
         and pays the gas for `account`'s EIP-712 `Exchange` signature,
         which binds every argument, the account's current nonce on this
         exchange, the chain and this contract. The burn uses the
         allowance `account` gave this exchange on `from_token` (once, by
         `approve` or a permit). A 65-byte signature is tried as ECDSA
         first (EOAs, EIP-7702 accounts); an account with code is then
         asked through ERC-1271.
    @param account The 20-byte address whose points are converted.
    @param from_token The token whose points are burnt.
    @param to_token The token whose points are issued.
    @param amount_in The points offered; only the part that converts to
           whole points is burnt.
    @param min_out The fewest points the account accepts.
    @param deadline The last timestamp at which the signature is valid.
    @param signature The account's 65-byte signature, or its wallet's ERC-1271 proof.
    @return uint256 The points issued.
    """
    assert block.timestamp <= deadline, "PartnerExchange: exchange signature has expired"
    assert account != empty(address), "PartnerExchange: account is the zero address"
    struct_hash: bytes32 = keccak256(
        abi_encode(
            _EXCHANGE_TYPE_HASH,
            account,
            from_token.address,
            to_token.address,
            amount_in,
            min_out,
            signature_nonces._use_nonce(account),
            deadline,
        )
    )
    digest: bytes32 = eip712_domain_separator._hash_typed_data_v4(struct_hash)
    assert signatures._is_valid_signature_now(account, digest, signature), "PartnerExchange: invalid exchange signature"
    return self._exchange(account, from_token, to_token, amount_in, min_out)


@external
@view
def DOMAIN_SEPARATOR() -> bytes32:
    """
    @dev Returns the exchange's EIP-712 domain separator for the current chain.
    @return bytes32 The 32-byte domain separator.
    """
    return eip712_domain_separator._domain_separator_v4()


@internal
@pure
def _convert(rate_num: uint256, rate_den: uint256, amount_in: uint256) -> (uint256, uint256):
    """
    @dev Converts `amount_in` at `rate_num`/`rate_den`, in whole points.
    @param rate_num Points out per `rate_den` points in.
    @param rate_den Points in per `rate_num` points out.
    @param amount_in The points offered.
    @return uint256 amount_used: the least input that yields amount_out.
    @return uint256 amount_out: the points issued; (0, 0) without a rate.
    """
    if rate_num == 0 or rate_den == 0:
        return 0, 0
    amount_out: uint256 = amount_in * rate_num // rate_den
    # The least input yielding `amount_out`: ceil(amount_out * den / num).
    amount_used: uint256 = (amount_out * rate_den + rate_num - 1) // rate_num
    return amount_used, amount_out


@internal
@view
def _last_second_of_period(to_token: IPointsToken) -> uint256:
    """
    @dev Returns the last second of `to_token`'s current cap period.
    @param to_token The token whose points are issued.
    @return uint256 The period's last second; `2**64 - 1` if it never ends.
    """
    start: uint256 = staticcall to_token.cap_period_start()
    length: uint256 = staticcall to_token.cap_period()
    period_start: uint256 = block.timestamp - (block.timestamp - start) % length
    if length - 1 >= _MAX_TIMESTAMP - period_start:
        return _MAX_TIMESTAMP
    return period_start + length - 1


@internal
def _exchange(
    account: address, from_token: IPointsToken, to_token: IPointsToken, amount_in: uint256, min_out: uint256
) -> uint256:
    """
    @dev Burns `account`'s `from_token` points through the exchange's
         allowance and issues `to_token` points at the route's rate,
         within the route's cap for the current period.
    @param account The 20-byte address whose points are converted.
    @param from_token The token whose points are burnt.
    @param to_token The token whose points are issued.
    @param amount_in The points offered.
    @param min_out The fewest points the account accepts.
    @return uint256 The points issued.
    """
    route: uint256 = self._routes[from_token.address][to_token.address]
    cap: uint256 = (route >> _CAP_SHIFT) & _MAX_CAP
    rate_num: uint256 = route >> _NUM_SHIFT
    rate_den: uint256 = (route >> _DEN_SHIFT) & _MAX_RATE_PART
    assert rate_num != 0 and rate_den != 0 and cap != 0, "PartnerExchange: route has no rate or cap"
    assert route & _APPROVED == _APPROVED, "PartnerExchange: route not approved by from_token's owner"

    amount_used: uint256 = 0
    amount_out: uint256 = 0
    amount_used, amount_out = self._convert(rate_num, rate_den, amount_in)
    assert amount_out != 0, "PartnerExchange: amount_in converts to no points"
    assert amount_out >= min_out, "PartnerExchange: amount_out below min_out"

    last: uint256 = (route >> _LAST_SHIFT) & _MAX_TIMESTAMP
    issued: uint256 = amount_out
    if block.timestamp <= last:
        issued += (route >> _USED_SHIFT) & _MAX_CAP
    else:
        last = self._last_second_of_period(to_token)
    assert issued <= cap, "PartnerExchange: route cap for this period exceeded"
    # `issued` <= cap < 2**63 and `last` < 2**64 fit their fields.
    self._routes[from_token.address][to_token.address] = (
        (route & ~_USAGE_MASK) | (issued << _USED_SHIFT) | (last << _LAST_SHIFT)
    )

    # Both tokens answered `owner()` when the route was set, so they have code.
    extcall from_token.burn_from(account, amount_used, skip_contract_check=True)
    extcall to_token.mint(
        account, amount_out, convert(convert(from_token.address, uint160), bytes32), skip_contract_check=True
    )
    log Exchanged(
        account=account,
        from_token=from_token.address,
        to_token=to_token.address,
        amount_in=amount_used,
        amount_out=amount_out,
    )
    return amount_out
