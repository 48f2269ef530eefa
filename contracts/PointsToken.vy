# pragma version ~=0.4.3
"""
@title Loyalty Points Token
@custom:contract-name PointsToken
@license GNU Affero General Public License v3.0 only
@notice One loyalty program's points: an ERC-20 (with EIP-2612 permits and
        EIP-5267) whose balances expire by epoch (ERC-7818, time-based).
        Merchants issue points within per-period caps, holders spend the
        soonest-expiring points first, and the owner corrects mistakes by
        revoking points. Every balance change emits `Transfer`; every
        issuance and correction also emits an event with an opaque `ref`
        (an order or campaign id hash: never personal data).
"""


from ethereum.ercs import IERC20
implements: IERC20

from snekmate.auth import ownable
initializes: ownable

from snekmate.auth import ownable_2step
initializes: ownable_2step[ownable := ownable]

from snekmate.utils import pausable
initializes: pausable

from snekmate.utils import eip712_domain_separator
initializes: eip712_domain_separator

from .modules import signatures

from .modules import expiring_ledger
initializes: expiring_ledger

from .modules import signature_nonces
initializes: signature_nonces

from .modules import approvals
initializes: approvals[eip712_domain_separator := eip712_domain_separator, signature_nonces := signature_nonces]

from .modules import merchant_caps
initializes: merchant_caps[ownable := ownable]

from .modules import pausers
initializes: pausers[ownable := ownable, pausable := pausable]

from .modules import rewards_catalog
initializes: rewards_catalog[ownable := ownable, pausable := pausable, merchant_caps := merchant_caps]


exports: (
    ownable_2step.owner,
    ownable_2step.pending_owner,
    ownable_2step.transfer_ownership,
    ownable_2step.accept_ownership,
    pausable.paused,
    pausers.is_pauser,
    pausers.set_pauser,
    pausers.pause,
    pausers.unpause,
    eip712_domain_separator.eip712Domain,
    approvals.allowance,
    signature_nonces.nonces,
    approvals.DOMAIN_SEPARATOR,
    expiring_ledger.totalSupply,
    expiring_ledger.balanceOf,
    expiring_ledger.currentEpoch,
    expiring_ledger.epochLength,
    expiring_ledger.epochType,
    expiring_ledger.validityDuration,
    expiring_ledger.isEpochExpired,
    expiring_ledger.balanceOfAtEpoch,
    expiring_ledger.getNearestExpiryOf,
    expiring_ledger.epoch_start,
    merchant_caps.set_merchant,
    merchant_caps.merchant_cap,
    merchant_caps.mintable,
    merchant_caps.cap_period,
    merchant_caps.cap_period_start,
    rewards_catalog.reward_count,
    rewards_catalog.add_reward,
    rewards_catalog.set_reward,
    rewards_catalog.rewards,
)


# @dev Points are whole: a balance of 1 is one point.
decimals: public(constant(uint8)) = 0

# @dev The version of the EIP-712 signing domain.
_EIP712_VERSION: constant(String[20]) = "1"

# @dev The EIP-712 domain carries the name, which may not exceed this.
_EIP712_NAME_LENGTH: constant(uint256) = 50

# @dev The EIP-712 type a holder signs to let anyone submit its redemption.
_REDEEM_TYPE_HASH: constant(bytes32) = keccak256(
    "Redeem(address holder,uint256 rewardId,uint256 quantity,uint256 maxPoints,uint256 nonce,uint256 deadline)"
)


# @dev The program's name and the points' symbol.
name: public(immutable(String[64]))
symbol: public(immutable(String[32]))

# @dev When false, holder-to-holder transfers revert; issuing,
# redeeming, burning and exchanging still work.
transferable: public(bool)


# @dev Emitted besides `Transfer` for every issuance, with the merchant
# that issued, the epoch the points belong to, and an opaque `ref`.
event Issued:
    merchant: indexed(address)
    to: indexed(address)
    amount: uint256
    epoch: uint256
    ref: bytes32


# @dev Emitted besides `Transfer` when the owner removes points.
event Revoked:
    account: indexed(address)
    amount: uint256
    ref: bytes32


# @dev Emitted besides `Transfer` when points are spent on a reward.
event Redeemed:
    holder: indexed(address)
    reward_id: indexed(uint256)
    merchant: indexed(address)
    quantity: uint256
    points: uint256


# @dev Emitted when the owner allows or forbids holder-to-holder transfers.
event TransferableSet:
    transferable: bool


@deploy
def __init__(
    name_: String[64],
    symbol_: String[32],
    epoch_length_: uint256,
    validity_: uint256,
    cap_period_: uint256,
    transferable_: bool,
    owner_: address,
):
    """
    @dev Epoch 0 and cap period 0 start at the deployment block's timestamp.
    @param name_ The program's name; also the EIP-712 domain name, so at
           most 50 characters.
    @param symbol_ The points' symbol.
    @param epoch_length_ The length of an epoch in seconds (1 to 2**64 - 1).
    @param validity_ How many epochs minted points stay valid (1 to 64).
    @param cap_period_ The length of a merchant cap period in seconds (1 to 2**64 - 1).
    @param transferable_ Whether holders may transfer points to each other.
    @param owner_ The program's owner.
    """
    assert len(name_) <= _EIP712_NAME_LENGTH, "PointsToken: name longer than 50 characters"
    assert owner_ != empty(address), "PointsToken: owner is the zero address"
    name = name_
    symbol = symbol_
    self.transferable = transferable_

    ownable.__init__()
    ownable_2step.__init__()
    ownable_2step._transfer_ownership(owner_)
    pausable.__init__()
    # The length check above makes the narrowing decode lossless.
    eip712_domain_separator.__init__(abi_decode(abi_encode(name_), String[_EIP712_NAME_LENGTH]), _EIP712_VERSION)
    expiring_ledger.__init__(epoch_length_, validity_)
    signature_nonces.__init__()
    approvals.__init__()
    merchant_caps.__init__(cap_period_)
    pausers.__init__()
    rewards_catalog.__init__()


@external
def transfer(to: address, amount: uint256) -> bool:
    """
    @dev Moves `amount` points from the caller to `to`, soonest-expiring first.
    @param to The 20-byte receiver address.
    @param amount The number of points.
    @return bool True.
    """
    self._check_holder_transfer(to)
    expiring_ledger._debit_oldest_first(msg.sender, to, amount)
    return True


@external
def transferFrom(owner: address, to: address, amount: uint256) -> bool:
    """
    @dev Moves `amount` points from `owner` to `to` using the caller's allowance.
    @param owner The 20-byte address the points leave.
    @param to The 20-byte receiver address.
    @param amount The number of points.
    @return bool True.
    """
    self._check_holder_transfer(to)
    approvals._spend_allowance(owner, msg.sender, amount)
    expiring_ledger._debit_oldest_first(owner, to, amount)
    return True


@external
def transferAtEpoch(epoch: uint256, to: address, amount: uint256) -> bool:
    """
    @dev Moves `amount` of the caller's points minted in `epoch` to `to`.
    @param epoch The live epoch whose points move.
    @param to The 20-byte receiver address.
    @param amount The number of points.
    @return bool True.
    """
    self._check_holder_transfer(to)
    expiring_ledger._move_at_epoch(msg.sender, to, epoch, amount)
    return True


@external
def transferFromAtEpoch(epoch: uint256, owner: address, to: address, amount: uint256) -> bool:
    """
    @dev Moves `amount` of `owner`'s points minted in `epoch` to `to`
         using the caller's allowance.
    @param epoch The live epoch whose points move.
    @param owner The 20-byte address the points leave.
    @param to The 20-byte receiver address.
    @param amount The number of points.
    @return bool True.
    """
    self._check_holder_transfer(to)
    approvals._spend_allowance(owner, msg.sender, amount)
    expiring_ledger._move_at_epoch(owner, to, epoch, amount)
    return True


@external
def approve(spender: address, amount: uint256) -> bool:
    """
    @dev Lets `spender` take up to `amount` of the caller's points.
    @param spender The 20-byte spender address.
    @param amount The allowance; `max_value(uint256)` never decreases.
    @return bool True.
    """
    pausable._require_not_paused()
    approvals._approve(msg.sender, spender, amount)
    return True


@external
def permit(owner: address, spender: address, amount: uint256, deadline: uint256, v: uint8, r: bytes32, s: bytes32):
    """
    @dev Sets an allowance from `owner`'s EIP-2612 signature.
    @param owner The 20-byte signer and owner of the points.
    @param spender The 20-byte spender address.
    @param amount The allowance.
    @param deadline The last timestamp at which the signature is valid.
    @param v The secp256k1 1-byte signature parameter `v`.
    @param r The secp256k1 32-byte signature parameter `r`.
    @param s The secp256k1 32-byte signature parameter `s`.
    """
    pausable._require_not_paused()
    approvals._permit(owner, spender, amount, deadline, v, r, s)


@external
def mint(to: address, amount: uint256, ref: bytes32):
    """
    @dev Issues `amount` points of the current epoch to `to`.
    @notice Only a merchant, within what remains of its cap this period.
    @param to The 20-byte receiver address.
    @param amount The number of points.
    @param ref An opaque reference (order or campaign id hash).
    """
    pausable._require_not_paused()
    merchant_caps._consume(msg.sender, amount)
    epoch: uint256 = expiring_ledger._mint(to, amount)
    log Issued(merchant=msg.sender, to=to, amount=amount, epoch=epoch, ref=ref)


@external
def mint_batch(recipients: DynArray[address, 256], amounts: DynArray[uint256, 256], ref: bytes32):
    """
    @dev Issues `amounts[i]` points of the current epoch to each `recipients[i]`.
    @notice Only a merchant; the cap covers the batch's sum.
    @param recipients The 20-byte receiver addresses.
    @param amounts The number of points for each receiver.
    @param ref An opaque reference (campaign id hash).
    """
    pausable._require_not_paused()
    epoch: uint256 = 0
    total: uint256 = 0
    epoch, total = expiring_ledger._mint_many(recipients, amounts)
    merchant_caps._consume(msg.sender, total)
    for i: uint256 in range(len(recipients), bound=256):
        log Issued(merchant=msg.sender, to=recipients[i], amount=amounts[i], epoch=epoch, ref=ref)


@external
def burn(amount: uint256):
    """
    @dev Destroys `amount` of the caller's points, soonest-expiring first.
    @param amount The number of points.
    """
    pausable._require_not_paused()
    expiring_ledger._debit_oldest_first(msg.sender, empty(address), amount)


@external
def burn_from(owner: address, amount: uint256):
    """
    @dev Destroys `amount` of `owner`'s points using the caller's allowance.
    @param owner The 20-byte address whose points are destroyed.
    @param amount The number of points.
    """
    pausable._require_not_paused()
    approvals._spend_allowance(owner, msg.sender, amount)
    expiring_ledger._debit_oldest_first(owner, empty(address), amount)


@external
def revoke(account: address, amount: uint256, ref: bytes32):
    """
    @dev Removes `amount` points from `account`, soonest-expiring first,
         to correct a mistaken or fraudulent issuance.
    @notice Only the owner; works while paused, so that corrections can
            be made during an incident.
    @param account The 20-byte address whose points are removed.
    @param amount The number of points.
    @param ref An opaque reference to the correction's reason.
    """
    ownable._check_owner()
    expiring_ledger._debit_oldest_first(account, empty(address), amount)
    log Revoked(account=account, amount=amount, ref=ref)


@external
def redeem(reward_id: uint256, quantity: uint256, max_points: uint256) -> uint256:
    """
    @dev Spends the caller's points, soonest-expiring first, on
         `quantity` units of a reward.
    @param reward_id The reward's id.
    @param quantity Units to redeem.
    @param max_points The most the caller agrees to pay: a price raised
           after the caller's quote makes the redemption revert.
    @return uint256 The points spent.
    """
    return self._redeem(msg.sender, reward_id, quantity, max_points)


@external
def redeem_with_sig(
    holder: address,
    reward_id: uint256,
    quantity: uint256,
    max_points: uint256,
    deadline: uint256,
    signature: Bytes[signatures.MAX_SIGNATURE_LENGTH],
) -> uint256:
    """
    @dev Redeems on the holder's behalf: anyone (a merchant's till or a
         relayer) submits and pays the gas for the holder's EIP-712
         `Redeem` signature. The signature binds every argument, the
         holder's current nonce, the chain and this contract. A 65-byte
         signature is tried as ECDSA first (EOAs, EIP-7702 accounts);
         a holder with code is then asked through ERC-1271.
    @param holder The 20-byte address whose points are spent.
    @param reward_id The reward's id.
    @param quantity Units to redeem.
    @param max_points The most the holder agreed to pay.
    @param deadline The last timestamp at which the signature is valid.
    @param signature The holder's 65-byte signature, or its wallet's ERC-1271 proof.
    @return uint256 The points spent.
    """
    assert block.timestamp <= deadline, "PointsToken: redemption signature has expired"
    assert holder != empty(address), "PointsToken: holder is the zero address"
    struct_hash: bytes32 = keccak256(
        abi_encode(
            _REDEEM_TYPE_HASH, holder, reward_id, quantity, max_points, signature_nonces._use_nonce(holder), deadline
        )
    )
    digest: bytes32 = eip712_domain_separator._hash_typed_data_v4(struct_hash)
    assert signatures._is_valid_signature_now(holder, digest, signature), "PointsToken: invalid redemption signature"
    return self._redeem(holder, reward_id, quantity, max_points)


@external
def set_transferable(enabled: bool):
    """
    @dev Allows or forbids holder-to-holder transfers.
    @notice Only the owner may call this.
    @param enabled Whether holders may transfer points to each other.
    """
    ownable._check_owner()
    self.transferable = enabled
    log TransferableSet(transferable=enabled)


@internal
def _redeem(holder: address, reward_id: uint256, quantity: uint256, max_points: uint256) -> uint256:
    """
    @dev Spends `holder`'s points on `quantity` units of a reward.
    @param holder The 20-byte address whose points are spent.
    @param reward_id The reward's id.
    @param quantity Units to redeem.
    @param max_points The most the holder agreed to pay.
    @return uint256 The points spent.
    """
    pausable._require_not_paused()
    merchant: address = empty(address)
    points: uint256 = 0
    merchant, points = rewards_catalog._take(reward_id, quantity, max_points)
    expiring_ledger._debit_oldest_first(holder, empty(address), points)
    log Redeemed(holder=holder, reward_id=reward_id, merchant=merchant, quantity=quantity, points=points)
    return points


@internal
def _check_holder_transfer(to: address):
    """
    @dev Reverts unless a holder-to-holder transfer to `to` may happen now.
    @param to The 20-byte receiver address.
    """
    pausable._require_not_paused()
    assert self.transferable, "PointsToken: transfers between holders are disabled"
    assert to != empty(address), "PointsToken: transfer to the zero address"
