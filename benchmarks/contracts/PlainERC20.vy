# pragma version ~=0.4.3
"""
@title Plain ERC-20 (benchmark baseline)
@custom:contract-name PlainERC20
@license GNU Affero General Public License v3.0 only
@notice snekmate's `erc20` module exported as is, with snekmate's `ownable`:
        the gas baseline that `make bench` compares PointsToken against.
        The deployer is the owner and the only minter. Not deployed anywhere
        but the benchmark's own Anvil.
"""


from ethereum.ercs import IERC20
implements: IERC20


from snekmate.auth import ownable
initializes: ownable


from snekmate.tokens import erc20
initializes: erc20[ownable := ownable]


exports: erc20.__interface__


@deploy
def __init__(name_: String[25], symbol_: String[5], name_eip712_: String[50], version_eip712_: String[20]):
    """
    @dev Points are whole, so the baseline also has 0 decimals.
    @param name_ The token's name.
    @param symbol_ The token's symbol.
    @param name_eip712_ The EIP-712 signing domain's name.
    @param version_eip712_ The EIP-712 signing domain's version.
    """
    ownable.__init__()
    erc20.__init__(name_, symbol_, 0, name_eip712_, version_eip712_)
