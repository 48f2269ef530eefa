"""PointsToken as a plain ERC-20: metadata, transfer, approve, allowance, transferFrom, events."""

import ape
import pytest
from eth_utils import keccak

from tests.contracts.token_helpers import MAX_UINT256, ZERO_ADDRESS, assert_events, event_layout, ref

TRANSFER_TOPIC = keccak(text="Transfer(address,address,uint256)")
APPROVAL_TOPIC = keccak(text="Approval(address,address,uint256)")

ALICE_POINTS = 1_000
BOB_POINTS = 500

INSUFFICIENT_BALANCE = "expiring_ledger: amount exceeds unexpired balance"
INSUFFICIENT_ALLOWANCE = "approvals: amount exceeds allowance"


@pytest.fixture(scope="module")
def erc20(token, merchant, alice, bob, carol, stranger):
    """The module's token with 1,000 points for alice and 500 for bob (carol and stranger hold none)."""
    token.mint(alice, ALICE_POINTS, ref("erc20-alice"), sender=merchant)
    token.mint(bob, BOB_POINTS, ref("erc20-bob"), sender=merchant)
    return token


def topic_of(account) -> bytes:
    return bytes(12) + bytes.fromhex(str(account.address)[2:])


def test_metadata(erc20):
    assert erc20.name() == "Coffee Club Points"
    assert erc20.symbol() == "BEAN"
    assert erc20.decimals() == 0
    assert erc20.transferable() is True


def test_event_layouts_are_the_standard_ones(erc20):
    assert event_layout(erc20.Transfer) == (
        "Transfer(address,address,uint256)",
        [("sender", True), ("receiver", True), ("value", False)],
    )
    assert event_layout(erc20.Approval) == (
        "Approval(address,address,uint256)",
        [("owner", True), ("spender", True), ("value", False)],
    )


def test_fresh_token_is_empty(deploy_token, alice, bob):
    fresh = deploy_token(name="Tea Points", symbol="LEAF")
    assert fresh.name() == "Tea Points"
    assert fresh.symbol() == "LEAF"
    assert fresh.totalSupply() == 0
    assert fresh.balanceOf(alice) == 0
    assert fresh.allowance(alice, bob) == 0


def test_balances_and_supply_after_mints(erc20, alice, bob, carol):
    assert erc20.balanceOf(alice) == ALICE_POINTS
    assert erc20.balanceOf(bob) == BOB_POINTS
    assert erc20.balanceOf(carol) == 0
    assert erc20.totalSupply() == ALICE_POINTS + BOB_POINTS


# transfer


def test_transfer_moves_points(erc20, alice, bob):
    receipt = erc20.transfer(bob, 300, sender=alice)

    assert erc20.balanceOf(alice) == ALICE_POINTS - 300
    assert erc20.balanceOf(bob) == BOB_POINTS + 300
    assert erc20.totalSupply() == ALICE_POINTS + BOB_POINTS
    assert_events(receipt, erc20.Transfer(sender=alice, receiver=bob, value=300))


def test_transfer_returns_true(erc20, alice, bob):
    assert erc20.transfer.call(bob, 1, sender=alice) is True


def test_transfer_event_has_standard_topics(erc20, alice, bob):
    receipt = erc20.transfer(bob, 42, sender=alice)

    (log,) = receipt.logs
    assert log["address"] == erc20.address
    assert [bytes(t) for t in log["topics"]] == [TRANSFER_TOPIC, topic_of(alice), topic_of(bob)]
    assert int.from_bytes(bytes(log["data"]), "big") == 42


def test_transfer_whole_balance(erc20, alice, carol):
    erc20.transfer(carol, ALICE_POINTS, sender=alice)

    assert erc20.balanceOf(alice) == 0
    assert erc20.balanceOf(carol) == ALICE_POINTS


def test_transfer_of_zero_is_a_normal_transfer(erc20, alice, bob):
    receipt = erc20.transfer(bob, 0, sender=alice)

    assert erc20.balanceOf(alice) == ALICE_POINTS
    assert erc20.balanceOf(bob) == BOB_POINTS
    assert_events(receipt, erc20.Transfer(sender=alice, receiver=bob, value=0))


def test_transfer_to_self_keeps_balance(erc20, alice):
    receipt = erc20.transfer(alice, 400, sender=alice)

    assert erc20.balanceOf(alice) == ALICE_POINTS
    assert erc20.totalSupply() == ALICE_POINTS + BOB_POINTS
    assert_events(receipt, erc20.Transfer(sender=alice, receiver=alice, value=400))


def test_transfer_more_than_balance_reverts(erc20, alice, bob):
    with ape.reverts(INSUFFICIENT_BALANCE):
        erc20.transfer(bob, ALICE_POINTS + 1, sender=alice)
    assert erc20.balanceOf(alice) == ALICE_POINTS


def test_transfer_from_empty_account_reverts(erc20, stranger, bob):
    with ape.reverts(INSUFFICIENT_BALANCE):
        erc20.transfer(bob, 1, sender=stranger)


def test_transfer_to_zero_address_reverts(erc20, alice):
    with ape.reverts("PointsToken: transfer to the zero address"):
        erc20.transfer(ZERO_ADDRESS, 1, sender=alice)


# approve / allowance


def test_approve_sets_allowance(erc20, alice, bob):
    receipt = erc20.approve(bob, 250, sender=alice)

    assert erc20.allowance(alice, bob) == 250
    assert erc20.allowance(bob, alice) == 0
    assert_events(receipt, erc20.Approval(owner=alice, spender=bob, value=250))


def test_approve_returns_true(erc20, alice, bob):
    assert erc20.approve.call(bob, 1, sender=alice) is True


def test_approval_event_has_standard_topics(erc20, alice, bob):
    receipt = erc20.approve(bob, 7, sender=alice)

    (log,) = receipt.logs
    assert [bytes(t) for t in log["topics"]] == [APPROVAL_TOPIC, topic_of(alice), topic_of(bob)]
    assert int.from_bytes(bytes(log["data"]), "big") == 7


def test_approve_overwrites_and_clears(erc20, alice, bob):
    erc20.approve(bob, 250, sender=alice)
    erc20.approve(bob, 10, sender=alice)
    assert erc20.allowance(alice, bob) == 10

    receipt = erc20.approve(bob, 0, sender=alice)
    assert erc20.allowance(alice, bob) == 0
    assert_events(receipt, erc20.Approval(owner=alice, spender=bob, value=0))


def test_allowances_are_per_spender(erc20, alice, bob, carol):
    erc20.approve(bob, 5, sender=alice)
    erc20.approve(carol, 9, sender=alice)

    assert erc20.allowance(alice, bob) == 5
    assert erc20.allowance(alice, carol) == 9


def test_approve_may_exceed_balance(erc20, stranger, bob):
    erc20.approve(bob, 10**30, sender=stranger)
    assert erc20.allowance(stranger, bob) == 10**30


def test_approve_zero_address_spender_reverts(erc20, alice):
    with ape.reverts("approvals: approve to the zero address"):
        erc20.approve(ZERO_ADDRESS, 1, sender=alice)


# transferFrom


def test_transfer_from_spends_allowance(erc20, alice, bob, carol):
    erc20.approve(bob, 300, sender=alice)

    receipt = erc20.transferFrom(alice, carol, 120, sender=bob)

    assert erc20.allowance(alice, bob) == 180
    assert erc20.balanceOf(alice) == ALICE_POINTS - 120
    assert erc20.balanceOf(carol) == 120
    assert erc20.balanceOf(bob) == BOB_POINTS
    assert erc20.Transfer.from_receipt(receipt) == [erc20.Transfer(sender=alice, receiver=carol, value=120)]
    assert erc20.Transfer.from_receipt(receipt)[0].event_arguments == {
        "sender": alice.address,
        "receiver": carol.address,
        "value": 120,
    }


def test_transfer_from_returns_true(erc20, alice, bob):
    erc20.approve(bob, 1, sender=alice)
    assert erc20.transferFrom.call(alice, bob, 1, sender=bob) is True


def test_transfer_from_exact_allowance(erc20, alice, bob):
    erc20.approve(bob, 300, sender=alice)
    erc20.transferFrom(alice, bob, 300, sender=bob)

    assert erc20.allowance(alice, bob) == 0
    with ape.reverts(INSUFFICIENT_ALLOWANCE):
        erc20.transferFrom(alice, bob, 1, sender=bob)


def test_transfer_from_more_than_allowance_reverts(erc20, alice, bob, carol):
    erc20.approve(bob, 300, sender=alice)

    with ape.reverts(INSUFFICIENT_ALLOWANCE):
        erc20.transferFrom(alice, carol, 301, sender=bob)
    assert erc20.allowance(alice, bob) == 300
    assert erc20.balanceOf(alice) == ALICE_POINTS


def test_transfer_from_without_allowance_reverts(erc20, alice, bob, stranger):
    with ape.reverts(INSUFFICIENT_ALLOWANCE):
        erc20.transferFrom(alice, stranger, 1, sender=stranger)
    # Not even the owner may pull its own points without an allowance.
    with ape.reverts(INSUFFICIENT_ALLOWANCE):
        erc20.transferFrom(alice, bob, 1, sender=alice)


def test_transfer_from_more_than_balance_reverts(erc20, alice, bob, carol):
    erc20.approve(bob, ALICE_POINTS * 2, sender=alice)

    with ape.reverts(INSUFFICIENT_BALANCE):
        erc20.transferFrom(alice, carol, ALICE_POINTS + 1, sender=bob)
    assert erc20.allowance(alice, bob) == ALICE_POINTS * 2


def test_transfer_from_to_zero_address_reverts(erc20, alice, bob):
    erc20.approve(bob, 10, sender=alice)

    with ape.reverts("PointsToken: transfer to the zero address"):
        erc20.transferFrom(alice, ZERO_ADDRESS, 1, sender=bob)


def test_unlimited_allowance_is_never_decreased(erc20, alice, bob, carol):
    erc20.approve(bob, MAX_UINT256, sender=alice)

    receipt = erc20.transferFrom(alice, carol, 100, sender=bob)
    erc20.transferFrom(alice, carol, 250, sender=bob)

    assert erc20.allowance(alice, bob) == MAX_UINT256
    assert erc20.balanceOf(carol) == 350
    assert erc20.Transfer.from_receipt(receipt) == [erc20.Transfer(sender=alice, receiver=carol, value=100)]
    # A max allowance does not let the spender take more than the owner holds.
    with ape.reverts(INSUFFICIENT_BALANCE):
        erc20.transferFrom(alice, carol, ALICE_POINTS - 349, sender=bob)


def test_almost_unlimited_allowance_is_decreased(erc20, alice, bob, carol):
    erc20.approve(bob, MAX_UINT256 - 1, sender=alice)
    erc20.transferFrom(alice, carol, 1, sender=bob)

    assert erc20.allowance(alice, bob) == MAX_UINT256 - 2
