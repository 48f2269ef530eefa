# pragma version ~=0.4.3
"""
@title Multi-Owner ERC-1271 Wallet (test fixture)
@custom:contract-name MultiOwnerWallet
@license GNU Affero General Public License v3.0 only
@notice A contract account in the manner of a Safe: `threshold` of its
        owners must sign. Its ERC-1271 proof is the owners' 65-byte
        (r, s, v) signatures of the digest, concatenated in ascending
        order of the owners' addresses (so no owner counts twice), which
        is longer than 65 bytes as soon as two owners sign. Its deployer
        can make it call any contract (to approve a spender, for example).
"""


from snekmate.utils import ecdsa


# @dev The ERC-1271 magic value: `bytes4(keccak256("isValidSignature(bytes32,bytes)"))`.
_MAGIC_VALUE: constant(bytes4) = 0x1626BA7E
_INVALID: constant(bytes4) = 0xFFFFFFFF

# @dev The most owners, and the longest proof (all of them signing).
_MAX_OWNERS: constant(uint256) = 8
_SIGNATURE_LENGTH: constant(uint256) = 65
_MAX_PROOF: constant(uint256) = 2048


# @dev Account => whether it is one of the owners.
is_owner: public(HashMap[address, bool])

# @dev How many owners' signatures a proof needs.
threshold: public(immutable(uint256))

# @dev The deployer, which may make the wallet call other contracts.
admin: public(immutable(address))


@deploy
def __init__(owners_: DynArray[address, _MAX_OWNERS], threshold_: uint256):
    """
    @param owners_ The owners' addresses.
    @param threshold_ How many of them must sign.
    """
    assert threshold_ != 0 and threshold_ <= len(owners_), "MultiOwnerWallet: bad threshold"
    for owner: address in owners_:
        self.is_owner[owner] = True
    threshold = threshold_
    admin = msg.sender


@external
@view
def isValidSignature(hash: bytes32, signature: Bytes[_MAX_PROOF]) -> bytes4:
    """
    @dev ERC-1271: whether `signature` holds `threshold` distinct owners'
         signatures of `hash`, in ascending order of their addresses.
    @param hash The 32-byte digest that was signed.
    @param signature The owners' concatenated 65-byte signatures.
    @return bytes4 The magic value 0x1626ba7e if valid, 0xffffffff otherwise.
    """
    if len(signature) != threshold * _SIGNATURE_LENGTH:
        return _INVALID
    last: uint160 = 0
    for i: uint256 in range(threshold, bound=_MAX_OWNERS):
        signer: address = ecdsa._recover_sig(hash, slice(signature, i * _SIGNATURE_LENGTH, _SIGNATURE_LENGTH))
        if not self.is_owner[signer] or convert(signer, uint160) <= last:
            return _INVALID
        last = convert(signer, uint160)
    return _MAGIC_VALUE


@external
def execute(target: address, data: Bytes[1024]):
    """
    @dev Calls `target` with `data` on the admin's word.
    @param target The contract to call.
    @param data The calldata.
    """
    assert msg.sender == admin, "MultiOwnerWallet: caller is not the admin"
    raw_call(target, data)
