# pragma version ~=0.4.3
"""
@title Allowances and EIP-2612 Permits
@custom:contract-name approvals
@license GNU Affero General Public License v3.0 only
@notice ERC-20 allowances, set by `approve` or by an owner's EIP-2612
        permit signature. A permit consumes the owner's nonce in `signature_nonces`,
        which every other EIP-712 message the token accepts (signed
        redemptions) shares, so one counter orders all of an owner's
        signatures.
"""


from snekmate.utils import ecdsa
from snekmate.utils import eip712_domain_separator
uses: eip712_domain_separator

from . import signature_nonces
uses: signature_nonces


# @dev The EIP-712 type an owner signs to set an allowance.
_PERMIT_TYPE_HASH: constant(bytes32) = keccak256(
    "Permit(address owner,address spender,uint256 value,uint256 nonce,uint256 deadline)"
)


# @dev Owner => spender => points the spender may still take.
allowance: public(HashMap[address, HashMap[address, uint256]])


# @dev Emitted when an allowance is set, by `approve` or by a permit.
event Approval:
    owner: indexed(address)
    spender: indexed(address)
    value: uint256


@deploy
def __init__():
    """
    @dev Nothing to set up: every slot starts empty.
    """
    pass


@external
@view
def DOMAIN_SEPARATOR() -> bytes32:
    """
    @dev Returns the EIP-712 domain separator for the current chain.
    @return bytes32 The 32-byte domain separator.
    """
    return eip712_domain_separator._domain_separator_v4()


@internal
def _approve(owner: address, spender: address, amount: uint256):
    """
    @dev Sets `spender`'s allowance over `owner`'s points to `amount`.
    @param owner The 20-byte owner of the points.
    @param spender The 20-byte spender address.
    @param amount The allowance.
    """
    assert owner != empty(address), "approvals: approve from the zero address"
    assert spender != empty(address), "approvals: approve to the zero address"
    self.allowance[owner][spender] = amount
    log Approval(owner=owner, spender=spender, value=amount)


@internal
def _spend_allowance(owner: address, spender: address, amount: uint256):
    """
    @dev Lowers the allowance by `amount`; an allowance of
         `max_value(uint256)` is unlimited and never lowered.
    @param owner The 20-byte owner of the points.
    @param spender The 20-byte spender address.
    @param amount The points the spender takes.
    """
    assert owner != empty(address), "approvals: spend from the zero address"
    current: uint256 = self.allowance[owner][spender]
    if current != max_value(uint256):
        assert current >= amount, "approvals: amount exceeds allowance"
        # The assertion above keeps the difference non-negative.
        self.allowance[owner][spender] = unsafe_sub(current, amount)


@internal
def _permit(owner: address, spender: address, amount: uint256, deadline: uint256, v: uint8, r: bytes32, s: bytes32):
    """
    @dev Sets an allowance from `owner`'s EIP-2612 signature, consuming its nonce.
    @param owner The 20-byte signer and owner of the points.
    @param spender The 20-byte spender address.
    @param amount The allowance.
    @param deadline The last timestamp at which the signature is valid.
    @param v The secp256k1 1-byte signature parameter `v`.
    @param r The secp256k1 32-byte signature parameter `r`.
    @param s The secp256k1 32-byte signature parameter `s`.
    """
    assert block.timestamp <= deadline, "approvals: permit deadline has passed"
    struct_hash: bytes32 = keccak256(
        abi_encode(_PERMIT_TYPE_HASH, owner, spender, amount, signature_nonces._use_nonce(owner), deadline)
    )
    digest: bytes32 = eip712_domain_separator._hash_typed_data_v4(struct_hash)
    signer: address = ecdsa._recover_vrs(digest, convert(v, uint256), convert(r, uint256), convert(s, uint256))
    assert signer == owner, "approvals: invalid permit signature"
    self._approve(owner, spender, amount)
