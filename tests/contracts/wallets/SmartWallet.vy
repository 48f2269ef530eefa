# pragma version ~=0.4.3
"""
@title Minimal ERC-1271 Smart-Contract Wallet (test fixture)
@custom:contract-name SmartWallet
@license GNU Affero General Public License v3.0 only
@notice A contract account with one owner key. It holds points like any
        holder, and it "signs" the way ERC-1271 wallets do: a digest is
        approved when the owner's ECDSA signature over that digest
        recovers to the owner. Used by the tests of `redeem_with_sig`.
"""


from snekmate.utils import ecdsa


# @dev The ERC-1271 magic value: `bytes4(keccak256("isValidSignature(bytes32,bytes)"))`.
_MAGIC_VALUE: constant(bytes4) = 0x1626BA7E
_INVALID: constant(bytes4) = 0xFFFFFFFF


# @dev The key whose signatures the wallet accepts.
owner: public(immutable(address))


@deploy
def __init__(owner_: address):
    """
    @param owner_ The owner's address.
    """
    owner = owner_


@external
@view
def isValidSignature(hash: bytes32, signature: Bytes[65]) -> bytes4:
    """
    @dev ERC-1271: whether `signature` is the owner's signature of `hash`.
    @param hash The 32-byte digest that was signed.
    @param signature The owner's 65-byte (r, s, v) signature.
    @return bytes4 The magic value 0x1626ba7e if valid, 0xffffffff otherwise.
    """
    if ecdsa._recover_sig(hash, signature) == owner:
        return _MAGIC_VALUE
    return _INVALID
