"""Roles and their powers: two-step ownership, pausers and the pause, transferability,
burning, and the owner's corrections (revoke)."""

from types import SimpleNamespace

import ape
import pytest

from tests.conftest import VALIDITY
from tests.contracts.token_helpers import (
    MAX_UINT256,
    ZERO_ADDRESS,
    assert_events,
    epoch_time,
    event_layout,
    next_tx_at,
    ref,
)

NOT_OWNER = "ownable: caller is not the owner"
NOT_NEW_OWNER = "ownable_2step: caller is not the new owner"
NOT_PAUSER = "pausers: caller is neither owner nor pauser"
PAUSED = "pausable: contract is paused"
NOT_PAUSED = "pausable: contract is not paused"
NOT_TRANSFERABLE = "PointsToken: transfers between holders are disabled"
INSUFFICIENT_BALANCE = "expiring_ledger: amount exceeds unexpired balance"
INSUFFICIENT_ALLOWANCE = "approvals: amount exceeds allowance"

ALICE_POINTS = 100
BOB_ALLOWANCE = 50


@pytest.fixture(scope="module")
def roles(token, owner, merchant, pauser, new_owner, alice, bob, carol, stranger, sign_permit):
    """The module's token: alice holds 100 points of epoch 0 and lets bob spend 50 of them."""
    token.mint(alice, ALICE_POINTS, ref("roles"), sender=merchant)
    token.approve(bob, BOB_ALLOWANCE, sender=alice)
    return token


@pytest.fixture
def ctx(roles, owner, merchant, pauser, new_owner, alice, bob, carol, stranger, sign_permit, chain):
    deadline = chain.pending_timestamp + 86_400
    return SimpleNamespace(
        token=roles,
        owner=owner,
        merchant=merchant,
        pauser=pauser,
        new_owner=new_owner,
        alice=alice,
        bob=bob,
        carol=carol,
        stranger=stranger,
        deadline=deadline,
        permit_sig=sign_permit(roles, alice, carol, 1, deadline),
    )


# Every state change a holder or a merchant can make, each valid in the `roles` set-up.
HOLDER_AND_MERCHANT_ACTIONS = {
    "transfer": lambda c: c.token.transfer(c.bob, 1, sender=c.alice),
    "transferFrom": lambda c: c.token.transferFrom(c.alice, c.carol, 1, sender=c.bob),
    "transferAtEpoch": lambda c: c.token.transferAtEpoch(0, c.bob, 1, sender=c.alice),
    "transferFromAtEpoch": lambda c: c.token.transferFromAtEpoch(0, c.alice, c.carol, 1, sender=c.bob),
    "approve": lambda c: c.token.approve(c.carol, 1, sender=c.alice),
    "permit": lambda c: c.token.permit(c.alice, c.carol, 1, c.deadline, *c.permit_sig, sender=c.carol),
    "mint": lambda c: c.token.mint(c.alice, 1, ref("paused"), sender=c.merchant),
    "mint_batch": lambda c: c.token.mint_batch([c.alice, c.bob], [1, 1], ref("paused"), sender=c.merchant),
    "burn": lambda c: c.token.burn(1, sender=c.alice),
    "burn_from": lambda c: c.token.burn_from(c.alice, 1, sender=c.bob),
}

HOLDER_TRANSFERS = ["transfer", "transferFrom", "transferAtEpoch", "transferFromAtEpoch"]


# two-step ownership


def test_initial_owner(roles, owner):
    assert roles.owner() == owner
    assert roles.pending_owner() == ZERO_ADDRESS


def test_transfer_ownership_only_nominates(roles, owner, new_owner, stranger):
    receipt = roles.transfer_ownership(new_owner, sender=owner)

    assert roles.pending_owner() == new_owner
    assert roles.owner() == owner
    assert_events(receipt, roles.OwnershipTransferStarted(previous_owner=owner, new_owner=new_owner))
    # Until it accepts, the nominee has no power and the owner keeps all of it.
    with ape.reverts(NOT_OWNER):
        roles.set_merchant(stranger, 1, "Till", sender=new_owner)
    roles.set_merchant(stranger, 1, "Till", sender=owner)
    assert roles.merchant_cap(stranger) == 1


def test_accept_ownership_hands_over(roles, owner, new_owner, stranger):
    roles.transfer_ownership(new_owner, sender=owner)

    receipt = roles.accept_ownership(sender=new_owner)

    assert roles.owner() == new_owner
    assert roles.pending_owner() == ZERO_ADDRESS
    assert_events(receipt, roles.OwnershipTransferred(previous_owner=owner, new_owner=new_owner))
    roles.set_merchant(stranger, 5, "Till", sender=new_owner)
    assert roles.merchant_cap(stranger) == 5
    with ape.reverts(NOT_OWNER):
        roles.set_merchant(stranger, 6, "Till", sender=owner)
    # The pause right follows the ownership too.
    with ape.reverts(NOT_PAUSER):
        roles.pause(sender=owner)
    roles.pause(sender=new_owner)
    assert roles.paused() is True


def test_accept_ownership_by_anyone_else_reverts(roles, owner, new_owner, stranger):
    roles.transfer_ownership(new_owner, sender=owner)

    with ape.reverts(NOT_NEW_OWNER):
        roles.accept_ownership(sender=stranger)
    with ape.reverts(NOT_NEW_OWNER):
        roles.accept_ownership(sender=owner)
    assert roles.owner() == owner


def test_accept_ownership_without_nomination_reverts(roles, owner, new_owner):
    with ape.reverts(NOT_NEW_OWNER):
        roles.accept_ownership(sender=new_owner)
    assert roles.owner() == owner


def test_accept_ownership_only_once(roles, owner, new_owner):
    roles.transfer_ownership(new_owner, sender=owner)
    roles.accept_ownership(sender=new_owner)

    with ape.reverts(NOT_NEW_OWNER):
        roles.accept_ownership(sender=new_owner)


def test_a_new_nomination_replaces_the_pending_one(roles, owner, new_owner, stranger):
    roles.transfer_ownership(new_owner, sender=owner)
    roles.transfer_ownership(stranger, sender=owner)

    assert roles.pending_owner() == stranger
    with ape.reverts(NOT_NEW_OWNER):
        roles.accept_ownership(sender=new_owner)
    roles.accept_ownership(sender=stranger)
    assert roles.owner() == stranger


def test_nominating_the_zero_address_cancels(roles, owner, new_owner):
    roles.transfer_ownership(new_owner, sender=owner)
    roles.transfer_ownership(ZERO_ADDRESS, sender=owner)

    assert roles.pending_owner() == ZERO_ADDRESS
    with ape.reverts(NOT_NEW_OWNER):
        roles.accept_ownership(sender=new_owner)
    assert roles.owner() == owner


# pausers and the pause


def test_owner_pauses_and_unpauses(roles, owner):
    assert roles.paused() is False

    receipt = roles.pause(sender=owner)
    assert roles.paused() is True
    assert_events(receipt, roles.Paused(account=owner))

    receipt = roles.unpause(sender=owner)
    assert roles.paused() is False
    assert_events(receipt, roles.Unpaused(account=owner))


def test_set_pauser(roles, owner, pauser):
    assert roles.is_pauser(pauser) is False

    receipt = roles.set_pauser(pauser, True, sender=owner)

    assert roles.is_pauser(pauser) is True
    assert_events(receipt, roles.PauserSet(account=pauser, enabled=True))


def test_a_pauser_pauses_and_the_owner_unpauses(roles, owner, pauser):
    roles.set_pauser(pauser, True, sender=owner)

    receipt = roles.pause(sender=pauser)
    assert roles.paused() is True
    assert_events(receipt, roles.Paused(account=pauser))

    receipt = roles.unpause(sender=owner)
    assert roles.paused() is False
    assert_events(receipt, roles.Unpaused(account=owner))


@pytest.mark.parametrize("paused_by", ["owner", "pauser"])
def test_a_pauser_cannot_lift_a_pause(roles, owner, pauser, request, paused_by):
    roles.set_pauser(pauser, True, sender=owner)
    roles.pause(sender=request.getfixturevalue(paused_by))

    with ape.reverts(NOT_OWNER):
        roles.unpause(sender=pauser)

    assert roles.paused() is True


def test_a_removed_pauser_may_no_longer_pause(roles, owner, pauser):
    roles.set_pauser(pauser, True, sender=owner)

    receipt = roles.set_pauser(pauser, False, sender=owner)

    assert roles.is_pauser(pauser) is False
    assert_events(receipt, roles.PauserSet(account=pauser, enabled=False))
    with ape.reverts(NOT_PAUSER):
        roles.pause(sender=pauser)


def test_set_pauser_rejects_the_zero_address(roles, owner):
    with ape.reverts("pausers: account is the zero address"):
        roles.set_pauser(ZERO_ADDRESS, True, sender=owner)


def test_pausing_twice_reverts(roles, owner):
    roles.pause(sender=owner)
    with ape.reverts(PAUSED):
        roles.pause(sender=owner)


def test_unpausing_when_not_paused_reverts(roles, owner):
    with ape.reverts(NOT_PAUSED):
        roles.unpause(sender=owner)


@pytest.mark.parametrize("action", list(HOLDER_AND_MERCHANT_ACTIONS))
def test_holder_and_merchant_actions_revert_while_paused(ctx, action):
    do = HOLDER_AND_MERCHANT_ACTIONS[action]
    ctx.token.pause(sender=ctx.owner)

    with ape.reverts(PAUSED):
        do(ctx)

    # The pause was the only obstacle: the same call goes through once it is lifted.
    ctx.token.unpause(sender=ctx.owner)
    receipt = do(ctx)
    assert not receipt.failed
    assert len(receipt.events) > 0


def test_views_work_while_paused(roles, owner, merchant, alice, bob, chain):
    roles.pause(sender=owner)

    assert roles.paused() is True
    assert roles.balanceOf(alice) == ALICE_POINTS
    assert roles.totalSupply() == ALICE_POINTS
    assert roles.allowance(alice, bob) == BOB_ALLOWANCE
    assert roles.nonces(alice) == 0
    assert roles.balanceOfAtEpoch(0, alice) == ALICE_POINTS
    assert roles.getNearestExpiryOf(alice) == (ALICE_POINTS, epoch_time(roles, VALIDITY))
    assert roles.currentEpoch() == 0
    assert roles.isEpochExpired(0) is False
    assert roles.mintable(merchant) > 0
    assert roles.merchant_cap(merchant) > 0
    assert roles.owner() == owner
    assert roles.transferable() is True
    assert roles.name() == "Coffee Club Points"
    assert roles.eip712Domain()[1] == "Coffee Club Points"
    assert len(bytes(roles.DOMAIN_SEPARATOR())) == 32


def test_points_still_expire_while_paused(roles, owner, alice, chain):
    roles.pause(sender=owner)

    chain.mine(timestamp=epoch_time(roles, VALIDITY))

    assert roles.balanceOf(alice) == 0
    assert roles.totalSupply() == 0


def test_owner_configuration_works_while_paused(roles, owner, new_owner, pauser, stranger):
    roles.pause(sender=owner)

    roles.set_merchant(stranger, 7, "Till", sender=owner)
    roles.set_pauser(pauser, True, sender=owner)
    roles.set_transferable(False, sender=owner)
    roles.transfer_ownership(new_owner, sender=owner)
    roles.accept_ownership(sender=new_owner)

    assert roles.merchant_cap(stranger) == 7
    assert roles.is_pauser(pauser) is True
    assert roles.transferable() is False
    assert roles.owner() == new_owner
    assert roles.paused() is True


# revoke


def test_revoked_event_layout_matches_the_spec(roles):
    assert event_layout(roles.Revoked) == (
        "Revoked(address,uint256,bytes32)",
        [("account", True), ("amount", False), ("ref", False)],
    )


def test_revoke_works_while_paused(roles, owner, alice):
    roles.pause(sender=owner)
    reason = ref("fraud-case-17")

    receipt = roles.revoke(alice, 30, reason, sender=owner)

    assert roles.balanceOf(alice) == ALICE_POINTS - 30
    assert roles.totalSupply() == ALICE_POINTS - 30
    assert_events(
        receipt,
        roles.Transfer(sender=alice, receiver=ZERO_ADDRESS, value=30),
        roles.Revoked(account=alice, amount=30, ref=reason),
    )
    (revoked,) = roles.Revoked.from_receipt(receipt)
    assert revoked.account == alice.address
    assert revoked.amount == 30
    assert bytes(revoked.ref) == reason


def test_revoke_takes_the_soonest_expiring_points_first(roles, owner, merchant, alice, chain):
    next_tx_at(chain, epoch_time(roles, 2))
    roles.mint(alice, 50, ref("epoch-2"), sender=merchant)

    roles.revoke(alice, 120, ref("correction"), sender=owner)

    assert roles.balanceOfAtEpoch(0, alice) == 0
    assert roles.balanceOfAtEpoch(2, alice) == 30
    assert roles.totalSupply() == 30
    chain.mine(timestamp=epoch_time(roles, VALIDITY))  # epoch 0's expiry removes nothing more
    assert roles.totalSupply() == 30


def test_revoke_more_than_the_balance_reverts(roles, owner, alice):
    with ape.reverts(INSUFFICIENT_BALANCE):
        roles.revoke(alice, ALICE_POINTS + 1, ref("x"), sender=owner)
    assert roles.balanceOf(alice) == ALICE_POINTS


def test_revoke_works_when_transfers_are_disabled(roles, owner, alice):
    roles.set_transferable(False, sender=owner)

    roles.revoke(alice, ALICE_POINTS, ref("x"), sender=owner)

    assert roles.balanceOf(alice) == 0


# transferability


def test_set_transferable(roles, owner):
    receipt = roles.set_transferable(False, sender=owner)
    assert roles.transferable() is False
    assert_events(receipt, roles.TransferableSet(transferable=False))

    receipt = roles.set_transferable(True, sender=owner)
    assert roles.transferable() is True
    assert_events(receipt, roles.TransferableSet(transferable=True))


@pytest.mark.parametrize("action", HOLDER_TRANSFERS)
def test_holder_transfers_revert_when_not_transferable(ctx, action):
    do = HOLDER_AND_MERCHANT_ACTIONS[action]
    ctx.token.set_transferable(False, sender=ctx.owner)

    with ape.reverts(NOT_TRANSFERABLE):
        do(ctx)

    ctx.token.set_transferable(True, sender=ctx.owner)
    assert not do(ctx).failed


@pytest.mark.parametrize("action", sorted(set(HOLDER_AND_MERCHANT_ACTIONS) - set(HOLDER_TRANSFERS)))
def test_other_actions_work_when_not_transferable(ctx, action):
    ctx.token.set_transferable(False, sender=ctx.owner)
    supply = ctx.token.totalSupply()

    receipt = HOLDER_AND_MERCHANT_ACTIONS[action](ctx)

    assert not receipt.failed
    expected_supply = {"mint": supply + 1, "mint_batch": supply + 2, "burn": supply - 1, "burn_from": supply - 1}
    assert ctx.token.totalSupply() == expected_supply.get(action, supply)


def test_a_program_deployed_non_transferable(deploy_token, owner, merchant, alice, bob):
    closed = deploy_token(transferable=False)
    closed.set_merchant(merchant, 100, "Till", sender=owner)
    closed.mint(alice, 10, ref("x"), sender=merchant)

    assert closed.transferable() is False
    with ape.reverts(NOT_TRANSFERABLE):
        closed.transfer(bob, 1, sender=alice)
    closed.burn(4, sender=alice)
    assert closed.balanceOf(alice) == 6


def test_the_pause_is_checked_before_transferability(roles, owner, alice, bob):
    roles.set_transferable(False, sender=owner)
    roles.pause(sender=owner)

    with ape.reverts(PAUSED):
        roles.transfer(bob, 1, sender=alice)


# burn and burn_from


def test_burn(roles, alice):
    receipt = roles.burn(30, sender=alice)

    assert roles.balanceOf(alice) == ALICE_POINTS - 30
    assert roles.totalSupply() == ALICE_POINTS - 30
    assert_events(receipt, roles.Transfer(sender=alice, receiver=ZERO_ADDRESS, value=30))


def test_burn_the_whole_balance(roles, alice):
    roles.burn(ALICE_POINTS, sender=alice)

    assert roles.balanceOf(alice) == 0
    assert roles.totalSupply() == 0
    assert roles.getNearestExpiryOf(alice) == (0, 0)


def test_burn_more_than_the_balance_reverts(roles, alice, stranger):
    with ape.reverts(INSUFFICIENT_BALANCE):
        roles.burn(ALICE_POINTS + 1, sender=alice)
    with ape.reverts(INSUFFICIENT_BALANCE):
        roles.burn(1, sender=stranger)


def test_burn_from_spends_the_allowance(roles, alice, bob):
    receipt = roles.burn_from(alice, 20, sender=bob)

    assert roles.allowance(alice, bob) == BOB_ALLOWANCE - 20
    assert roles.balanceOf(alice) == ALICE_POINTS - 20
    assert roles.balanceOf(bob) == 0
    assert roles.totalSupply() == ALICE_POINTS - 20
    assert_events(receipt, roles.Transfer(sender=alice, receiver=ZERO_ADDRESS, value=20))


def test_burn_from_beyond_the_allowance_reverts(roles, alice, bob, stranger):
    with ape.reverts(INSUFFICIENT_ALLOWANCE):
        roles.burn_from(alice, BOB_ALLOWANCE + 1, sender=bob)
    with ape.reverts(INSUFFICIENT_ALLOWANCE):
        roles.burn_from(alice, 1, sender=stranger)
    assert roles.balanceOf(alice) == ALICE_POINTS


def test_burn_from_beyond_the_balance_reverts(roles, alice, carol):
    roles.approve(carol, MAX_UINT256, sender=alice)

    with ape.reverts(INSUFFICIENT_BALANCE):
        roles.burn_from(alice, ALICE_POINTS + 1, sender=carol)


def test_burn_from_with_an_unlimited_allowance(roles, alice, carol):
    roles.approve(carol, MAX_UINT256, sender=alice)

    roles.burn_from(alice, 60, sender=carol)

    assert roles.allowance(alice, carol) == MAX_UINT256
    assert roles.balanceOf(alice) == ALICE_POINTS - 60
