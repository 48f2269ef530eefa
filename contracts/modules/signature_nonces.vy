# pragma version ~=0.4.3
"""
@title Signature Nonces
@custom:contract-name signature_nonces
@license GNU Affero General Public License v3.0 only
@notice One counter per account, consumed by each EIP-712 message the
        contract accepts from it (a permit, a signed redemption, a signed
        exchange), so that every signature is good once and an account's
        signatures are used in the order it made them.
"""


# @dev Account => the nonce its next signature must carry.
nonces: public(HashMap[address, uint256])


@deploy
def __init__():
    """
    @dev Nothing to set up: every slot starts empty.
    """
    pass


@internal
def _use_nonce(account: address) -> uint256:
    """
    @dev Returns `account`'s current nonce and advances it.
    @param account The 20-byte address whose nonce is used.
    @return uint256 The nonce the signature must carry.
    """
    nonce: uint256 = self.nonces[account]
    # A counter that advances by one per signed message never reaches 2**256.
    self.nonces[account] = unsafe_add(nonce, 1)
    return nonce
