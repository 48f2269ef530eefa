"""Merchants: granting and revoking, caps per period, mint and mint_batch with their events."""

import re

import ape
import pytest
from ape.exceptions import ContractLogicError

from tests.conftest import CAP_PERIOD, MERCHANT_CAP
from tests.contracts.token_helpers import (
    MAX_UINT256,
    ZERO_ADDRESS,
    assert_events,
    epoch_time,
    event_layout,
    next_tx_at,
    ref,
)

NOT_A_MERCHANT = "merchant_caps: caller is not a merchant"
OVER_CAP = "merchant_caps: amount exceeds the merchant's cap for this period"
CAP_TOO_LARGE = re.compile(r"merchant_caps: cap exceeds 2\*\*(\d+) - 1")
CAP = 100


@pytest.fixture(scope="module")
def shop(token, owner, merchant, alice, bob, carol, stranger):
    """The module's token; `merchant` may mint 1,000,000 per period and `carol` is a small
    merchant with a cap of 100."""
    token.set_merchant(carol, CAP, "Till", sender=owner)
    return token


def period_time(token, period: int, offset: int = 0) -> int:
    return token.cap_period_start() + period * token.cap_period() + offset


@pytest.fixture
def cap_bits(shop, owner, stranger):
    """The width of the largest cap the contract stores, as its revert reason states it
    (caps are packed with the period's issuance, so the bound is the implementation's)."""
    with pytest.raises(ContractLogicError) as info:
        shop.set_merchant(stranger, MAX_UINT256, "Till", sender=owner)
    match = CAP_TOO_LARGE.fullmatch(info.value.revert_message)
    assert match, info.value.revert_message
    bits = int(match.group(1))
    assert 64 <= bits <= 192  # room for any real program, and within an epoch's supply bound
    return bits


def test_event_layouts_match_the_spec(shop):
    assert event_layout(shop.Issued) == (
        "Issued(address,address,uint256,uint256,bytes32)",
        [("merchant", True), ("to", True), ("amount", False), ("epoch", False), ("ref", False)],
    )
    assert event_layout(shop.MerchantSet) == (
        "MerchantSet(address,uint256,string)",
        [("merchant", True), ("cap", False), ("name", False)],
    )
    assert event_layout(shop.RewardListed) == (
        "RewardListed(uint256,address,uint256,uint256,string)",
        [("reward_id", True), ("merchant", True), ("price", False), ("stock", False), ("name", False)],
    )


# set_merchant


def test_set_merchant_grants_a_cap(shop, owner, stranger):
    receipt = shop.set_merchant(stranger, 250, "Downtown store", sender=owner)

    assert shop.merchant_cap(stranger) == 250
    assert shop.mintable(stranger) == 250
    assert_events(receipt, shop.MerchantSet(merchant=stranger, cap=250, name="Downtown store"))


def test_set_merchant_renames_a_merchant_with_the_longest_name(shop, owner, stranger):
    shop.set_merchant(stranger, 250, "Downtown store", sender=owner)
    longest = "Ü" * 32  # 64 bytes of UTF-8: String[64] counts bytes

    receipt = shop.set_merchant(stranger, 250, longest, sender=owner)

    assert_events(receipt, shop.MerchantSet(merchant=stranger, cap=250, name=longest))


def test_a_non_merchant_has_no_cap(shop, stranger, owner):
    assert shop.merchant_cap(stranger) == 0
    assert shop.mintable(stranger) == 0
    assert shop.merchant_cap(owner) == 0  # the owner is not a merchant by default


def test_set_merchant_rejects_the_zero_address(shop, owner):
    with ape.reverts("merchant_caps: merchant is the zero address"):
        shop.set_merchant(ZERO_ADDRESS, 1, "Till", sender=owner)


def test_set_merchant_accepts_the_largest_cap(shop, owner, stranger, alice, cap_bits):
    largest = 2**cap_bits - 1
    shop.set_merchant(stranger, largest, "Till", sender=owner)
    assert shop.merchant_cap(stranger) == largest

    shop.mint(alice, largest, ref("max"), sender=stranger)

    assert shop.balanceOf(alice) == largest
    assert shop.mintable(stranger) == 0


def test_set_merchant_rejects_a_cap_over_the_largest(shop, owner, stranger, cap_bits):
    with ape.reverts(f"merchant_caps: cap exceeds 2**{cap_bits} - 1"):
        shop.set_merchant(stranger, 2**cap_bits, "Till", sender=owner)
    assert shop.merchant_cap(stranger) == 0


def test_the_owner_may_be_a_merchant(shop, owner, alice):
    shop.set_merchant(owner, 10, "Till", sender=owner)
    shop.mint(alice, 10, ref("owner-as-merchant"), sender=owner)

    assert shop.balanceOf(alice) == 10


# mint


def test_mint_issues_points(shop, merchant, alice):
    order = ref("order-1")
    receipt = shop.mint(alice, 40, order, sender=merchant)

    assert shop.balanceOf(alice) == 40
    assert shop.totalSupply() == 40
    assert shop.balanceOfAtEpoch(0, alice) == 40
    assert shop.mintable(merchant) == MERCHANT_CAP - 40
    assert_events(
        receipt,
        shop.Transfer(sender=ZERO_ADDRESS, receiver=alice, value=40),
        shop.Issued(merchant=merchant, to=alice, amount=40, epoch=0, ref=order),
    )
    (issued,) = shop.Issued.from_receipt(receipt)
    assert issued.merchant == merchant.address
    assert issued.to == alice.address
    assert issued.amount == 40
    assert issued.epoch == 0
    assert bytes(issued.ref) == order


def test_mint_records_the_current_epoch(shop, merchant, alice, chain):
    next_tx_at(chain, epoch_time(shop, 2, 500))
    receipt = shop.mint(alice, 5, ref("later"), sender=merchant)

    assert shop.Issued.from_receipt(receipt)[0].epoch == 2
    assert shop.balanceOfAtEpoch(2, alice) == 5


def test_mints_accumulate(shop, merchant, carol, alice, bob):
    shop.mint(alice, 10, ref("a"), sender=merchant)
    shop.mint(alice, 15, ref("b"), sender=carol)
    shop.mint(bob, 1, ref("c"), sender=carol)

    assert shop.balanceOf(alice) == 25
    assert shop.balanceOf(bob) == 1
    assert shop.totalSupply() == 26
    assert shop.mintable(carol) == CAP - 16
    assert shop.mintable(merchant) == MERCHANT_CAP - 10


def test_mint_to_the_zero_address_reverts(shop, merchant):
    with ape.reverts("expiring_ledger: mint to the zero address"):
        shop.mint(ZERO_ADDRESS, 1, ref("x"), sender=merchant)


def test_mint_by_a_non_merchant_reverts(shop, stranger, alice):
    with ape.reverts(NOT_A_MERCHANT):
        shop.mint(alice, 1, ref("x"), sender=stranger)


# mint_batch


def test_mint_batch_emits_one_issued_and_one_transfer_per_recipient(shop, merchant, alice, bob, stranger):
    campaign = ref("campaign-7")
    receipt = shop.mint_batch([alice, bob, stranger], [10, 20, 30], campaign, sender=merchant)

    assert [shop.balanceOf(a) for a in (alice, bob, stranger)] == [10, 20, 30]
    assert shop.totalSupply() == 60
    assert shop.mintable(merchant) == MERCHANT_CAP - 60
    grants = [(alice, 10), (bob, 20), (stranger, 30)]
    transfers = shop.Transfer.from_receipt(receipt)
    issued = shop.Issued.from_receipt(receipt)
    assert len(transfers) == len(issued) == 3
    assert transfers == [shop.Transfer(sender=ZERO_ADDRESS, receiver=a, value=v) for a, v in grants]
    assert issued == [shop.Issued(merchant=merchant, to=a, amount=v, epoch=0, ref=campaign) for a, v in grants]
    assert len(receipt.events) == 6


def test_mint_batch_to_the_same_recipient_twice(shop, merchant, alice):
    receipt = shop.mint_batch([alice, alice], [3, 4], ref("twice"), sender=merchant)

    assert shop.balanceOf(alice) == 7
    assert shop.totalSupply() == 7
    assert len(shop.Issued.from_receipt(receipt)) == 2


def test_mint_batch_records_the_current_epoch(shop, merchant, alice, bob, chain):
    next_tx_at(chain, epoch_time(shop, 4))
    receipt = shop.mint_batch([alice, bob], [1, 2], ref("e4"), sender=merchant)

    assert {log.epoch for log in shop.Issued.from_receipt(receipt)} == {4}
    assert shop.balanceOfAtEpoch(4, bob) == 2


def test_an_empty_batch_issues_nothing(shop, merchant):
    receipt = shop.mint_batch([], [], ref("empty"), sender=merchant)

    assert list(receipt.events) == []
    assert shop.totalSupply() == 0
    assert shop.mintable(merchant) == MERCHANT_CAP


def test_mint_batch_cap_covers_the_sum(shop, carol, alice, bob):
    shop.mint_batch([alice, bob], [60, 40], ref("exact"), sender=carol)

    assert shop.mintable(carol) == 0
    assert shop.totalSupply() == CAP


def test_mint_batch_over_the_cap_reverts(shop, carol, alice, bob):
    # Each amount fits in the cap; their sum does not.
    with ape.reverts(OVER_CAP):
        shop.mint_batch([alice, bob], [60, 41], ref("over"), sender=carol)
    assert shop.totalSupply() == 0
    assert shop.mintable(carol) == CAP


def test_mint_batch_length_mismatch_reverts(shop, merchant, alice, bob):
    with ape.reverts("expiring_ledger: recipients and amounts differ in length"):
        shop.mint_batch([alice, bob], [1], ref("x"), sender=merchant)
    with ape.reverts("expiring_ledger: recipients and amounts differ in length"):
        shop.mint_batch([alice], [1, 2], ref("x"), sender=merchant)


def test_mint_batch_to_the_zero_address_reverts(shop, merchant, alice):
    with ape.reverts("expiring_ledger: mint to the zero address"):
        shop.mint_batch([alice, ZERO_ADDRESS], [1, 1], ref("x"), sender=merchant)
    assert shop.balanceOf(alice) == 0


def test_mint_batch_of_256_recipients(shop, merchant, accounts):
    recipients = [accounts[i % 10] for i in range(256)]
    shop.mint_batch(recipients, [1] * 256, ref("big"), sender=merchant)

    assert shop.totalSupply() == 256
    assert shop.balanceOf(accounts[0]) == 26  # indexes 0, 10, ..., 250


# cap periods


def test_minting_up_to_the_cap_then_one_more_reverts(shop, carol, alice):
    shop.mint(alice, 60, ref("1"), sender=carol)
    assert shop.mintable(carol) == 40
    shop.mint(alice, 40, ref("2"), sender=carol)
    assert shop.mintable(carol) == 0

    with ape.reverts(OVER_CAP):
        shop.mint(alice, 1, ref("3"), sender=carol)
    assert shop.balanceOf(alice) == CAP


def test_a_single_mint_over_the_cap_reverts(shop, carol, alice):
    with ape.reverts(OVER_CAP):
        shop.mint(alice, CAP + 1, ref("x"), sender=carol)
    shop.mint(alice, CAP, ref("y"), sender=carol)
    assert shop.balanceOf(alice) == CAP


def test_the_cap_holds_until_the_last_second_of_the_period(shop, carol, alice, chain):
    shop.mint(alice, CAP, ref("1"), sender=carol)
    next_tx_at(chain, period_time(shop, 1, -1))

    with ape.reverts(OVER_CAP):
        shop.mint(alice, 1, ref("2"), sender=carol)
    # The failed mint was mined, in the period's last second.
    assert chain.blocks.head.timestamp == period_time(shop, 1, -1)
    assert shop.mintable(carol) == 0


def test_the_next_period_resets_the_cap(shop, carol, alice, chain):
    shop.mint(alice, CAP, ref("1"), sender=carol)

    chain.mine(timestamp=period_time(shop, 1))
    assert shop.mintable(carol) == CAP
    shop.mint(alice, CAP, ref("2"), sender=carol)

    assert shop.mintable(carol) == 0
    assert shop.balanceOf(alice) == 2 * CAP
    with ape.reverts(OVER_CAP):
        shop.mint(alice, 1, ref("3"), sender=carol)


def test_unused_cap_does_not_carry_over(shop, carol, alice, chain):
    shop.mint(alice, 10, ref("1"), sender=carol)
    next_tx_at(chain, period_time(shop, 3, 7))

    with ape.reverts(OVER_CAP):
        shop.mint(alice, CAP + 1, ref("2"), sender=carol)
    assert shop.mintable(carol) == CAP


def test_cap_periods_are_independent_of_epochs(shop, carol, alice, chain):
    assert CAP_PERIOD == 3 * shop.epochLength()
    shop.mint(alice, CAP, ref("1"), sender=carol)

    chain.mine(timestamp=epoch_time(shop, 2))  # a new epoch, the same cap period
    assert shop.currentEpoch() == 2
    assert shop.mintable(carol) == 0


def test_caps_are_per_merchant(shop, carol, merchant, alice):
    shop.mint(alice, CAP, ref("1"), sender=carol)

    assert shop.mintable(carol) == 0
    assert shop.mintable(merchant) == MERCHANT_CAP
    shop.mint(alice, 500, ref("2"), sender=merchant)
    assert shop.balanceOf(alice) == CAP + 500


# revoking and changing a cap


def test_revoking_a_merchant_with_cap_zero(shop, owner, carol, alice):
    shop.mint(alice, 10, ref("before"), sender=carol)

    receipt = shop.set_merchant(carol, 0, "Till", sender=owner)

    assert_events(receipt, shop.MerchantSet(merchant=carol, cap=0, name="Till"))
    assert shop.merchant_cap(carol) == 0
    assert shop.mintable(carol) == 0
    with ape.reverts(NOT_A_MERCHANT):
        shop.mint(alice, 1, ref("after"), sender=carol)
    with ape.reverts(NOT_A_MERCHANT):
        shop.mint_batch([alice], [1], ref("after"), sender=carol)
    # Points already issued stay with their holder.
    assert shop.balanceOf(alice) == 10


def test_a_revoked_merchant_stays_revoked_in_later_periods(shop, owner, carol, alice, chain):
    shop.set_merchant(carol, 0, "Till", sender=owner)
    next_tx_at(chain, period_time(shop, 5))

    with ape.reverts(NOT_A_MERCHANT):
        shop.mint(alice, 1, ref("x"), sender=carol)
    assert shop.mintable(carol) == 0


def test_raising_the_cap_mid_period_keeps_what_was_issued(shop, owner, carol, alice):
    shop.mint(alice, 70, ref("1"), sender=carol)

    shop.set_merchant(carol, 150, "Till", sender=owner)

    assert shop.merchant_cap(carol) == 150
    assert shop.mintable(carol) == 80
    shop.mint(alice, 80, ref("2"), sender=carol)
    with ape.reverts(OVER_CAP):
        shop.mint(alice, 1, ref("3"), sender=carol)


def test_lowering_the_cap_below_what_was_issued(shop, owner, carol, alice, chain):
    shop.mint(alice, 70, ref("1"), sender=carol)

    shop.set_merchant(carol, 50, "Till", sender=owner)

    assert shop.mintable(carol) == 0
    with ape.reverts(OVER_CAP):
        shop.mint(alice, 1, ref("2"), sender=carol)

    chain.mine(timestamp=period_time(shop, 1))
    assert shop.mintable(carol) == 50
    shop.mint(alice, 50, ref("3"), sender=carol)
    assert shop.balanceOf(alice) == 120


def test_revoking_and_regranting_in_the_same_period_keeps_the_count(shop, owner, carol, alice):
    shop.mint(alice, 70, ref("1"), sender=carol)
    shop.set_merchant(carol, 0, "Till", sender=owner)
    shop.set_merchant(carol, CAP, "Till", sender=owner)

    assert shop.mintable(carol) == 30
