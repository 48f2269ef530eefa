# pragma version ~=0.4.3
"""
@title Pauser Role
@custom:contract-name pausers
@license GNU Affero General Public License v3.0 only
@notice The owner names pausers: accounts (an incident-response key, a
        monitoring bot) that may stop every holder and merchant action
        without holding the owner's key. Only the owner lifts a pause, so
        that a single leaked pauser key cannot undo an incident response.
"""


from snekmate.auth import ownable
uses: ownable

from snekmate.utils import pausable
uses: pausable


# @dev Account => whether it may pause.
is_pauser: public(HashMap[address, bool])


# @dev Emitted when the owner grants or removes the pauser role.
event PauserSet:
    account: indexed(address)
    enabled: bool


@deploy
def __init__():
    """
    @dev Nothing to set up: every slot starts empty.
    """
    pass


@external
def set_pauser(account: address, enabled: bool):
    """
    @dev Grants or removes the pauser role.
    @notice Only the owner may call this.
    @param account The 20-byte account address.
    @param enabled Whether `account` may pause.
    """
    ownable._check_owner()
    assert account != empty(address), "pausers: account is the zero address"
    self.is_pauser[account] = enabled
    log PauserSet(account=account, enabled=enabled)


@external
def pause():
    """
    @dev Stops every state change by holders and merchants.
    @notice Only the owner or a pauser may call this.
    """
    self._check_pauser()
    pausable._pause()


@external
def unpause():
    """
    @dev Lifts the pause.
    @notice Only the owner may call this: a pauser's key cannot undo
            an incident response.
    """
    ownable._check_owner()
    pausable._unpause()


@internal
@view
def _check_pauser():
    """
    @dev Reverts unless the caller is the owner or a pauser.
    """
    assert msg.sender == ownable.owner or self.is_pauser[msg.sender], "pausers: caller is neither owner nor pauser"
