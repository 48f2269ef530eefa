# pragma version ~=0.4.3
"""
@title Signature Checking for EOAs, EIP-7702 Accounts and Smart Wallets
@custom:contract-name signatures
@license GNU Affero General Public License v3.0 only
@notice Checks a signature of any length up to `MAX_SIGNATURE_LENGTH`:
        a 65-byte signature is first tried as ECDSA, so an EOA that
        delegated its code by EIP-7702 still signs as an EOA; failing
        that, a signer with code is asked through ERC-1271 with the
        whole signature, so a Safe with several owners can send its
        concatenated proof. snekmate's `signature_checker` takes at most
        65 bytes and skips ECDSA for any signer with code, which refuses
        both of these.
"""


# @dev The longest signature accepted: room for a Safe proof of
# about 30 owners' 65-byte signatures.
MAX_SIGNATURE_LENGTH: constant(uint256) = 2048


# @dev The length of an ECDSA (r, s, v) signature.
_ECDSA_LENGTH: constant(uint256) = 65


# @dev The largest `s` of a non-malleable ECDSA signature (EIP-2):
# half the order of the secp256k1 group.
_MALLEABILITY_THRESHOLD: constant(uint256) = (
    57896044618658097711785492504343953926418782139537452191302581570759080747168
)


# @dev The ERC-1271 magic value: `bytes4(keccak256("isValidSignature(bytes32,bytes)"))`.
_IERC1271_ISVALIDSIGNATURE_SELECTOR: constant(bytes4) = 0x1626BA7E


@deploy
def __init__():
    """
    @dev Nothing to set up: the module keeps no state.
    """
    pass


@internal
@view
def _is_valid_signature_now(signer: address, digest: bytes32, signature: Bytes[MAX_SIGNATURE_LENGTH]) -> bool:
    """
    @dev Returns whether `signature` is `signer`'s signature of `digest`.
    @notice An ERC-1271 answer can change from one block to the next
            (a wallet's owners change); the result holds for this call.
    @param signer The 20-byte address that should have signed.
    @param digest The 32-byte digest that was signed.
    @param signature A 65-byte ECDSA signature, or a smart wallet's proof.
    @return bool True if `signer` signed `digest`.
    """
    if len(signature) == _ECDSA_LENGTH:
        if self._try_recover(digest, slice(signature, 0, _ECDSA_LENGTH)) == signer:
            return signer != empty(address)
    if not signer.is_contract:
        return False
    return self._is_valid_erc1271_signature_now(signer, digest, signature)


@internal
@pure
def _try_recover(digest: bytes32, signature: Bytes[_ECDSA_LENGTH]) -> address:
    """
    @dev Recovers the signer of a 65-byte (r, s, v) signature without
         reverting: a malformed or malleable signature recovers to the
         zero address, so that the caller can try ERC-1271 next.
    @param digest The 32-byte digest that was signed.
    @param signature The 65-byte (r, s, v) signature.
    @return address The signer, or the zero address.
    """
    r: uint256 = extract32(signature, 0, output_type=uint256)
    s: uint256 = extract32(signature, 32, output_type=uint256)
    v: uint256 = convert(slice(signature, 64, 1), uint256)
    if s > _MALLEABILITY_THRESHOLD or (v != 27 and v != 28):
        return empty(address)
    return ecrecover(digest, v, r, s)


@internal
@view
def _is_valid_erc1271_signature_now(
    signer: address, digest: bytes32, signature: Bytes[MAX_SIGNATURE_LENGTH]
) -> bool:
    """
    @dev Asks `signer` through ERC-1271 whether it signed `digest`.
    @notice A signer without `isValidSignature`, or one that reverts or
            answers anything but the magic value, did not sign.
    @param signer The 20-byte address of a contract.
    @param digest The 32-byte digest that was signed.
    @param signature The whole proof, passed on unchanged.
    @return bool True if `signer` answered the magic value.
    """
    success: bool = False
    answer: Bytes[32] = b""
    success, answer = raw_call(
        signer,
        abi_encode(digest, signature, method_id=_IERC1271_ISVALIDSIGNATURE_SELECTOR),
        max_outsize=32,
        is_static_call=True,
        revert_on_failure=False,
    )
    return (
        success
        and len(answer) == 32
        and convert(answer, bytes32) == convert(_IERC1271_ISVALIDSIGNATURE_SELECTOR, bytes32)
    )
