"""ERC-7818 time-based expiry: epochs, lazy expiry, soonest-first spending, per-epoch transfers,
the storage ring, and the constructor's checks."""

import ape
import pytest

from tests.conftest import CAP_PERIOD, EPOCH_LENGTH, VALIDITY
from tests.contracts.token_helpers import ZERO_ADDRESS, assert_events, epoch_time, event_layout, next_tx_at, ref

INSUFFICIENT_BALANCE = "expiring_ledger: amount exceeds unexpired balance"
EPOCH_EXPIRED = "expiring_ledger: epoch has expired"
EPOCH_NOT_STARTED = "expiring_ledger: epoch has not started"
INSUFFICIENT_AT_EPOCH = "expiring_ledger: amount exceeds balance at epoch"


@pytest.fixture(scope="module")
def ledger(token, merchant, owner, alice, bob, carol, stranger):
    """The module's token (epochs of 1,000 s, points valid 6 epochs), nothing minted yet."""
    return token


@pytest.fixture
def mint_in(ledger, merchant, chain):
    """Mints `amount` to `to` in `epoch`, `offset` seconds into it (epoch 0: right away)."""

    def mint(to, amount, epoch, offset=0):
        target = epoch_time(ledger, epoch, offset)
        if target > chain.pending_timestamp:
            next_tx_at(chain, target)
        receipt = ledger.mint(to, amount, ref(f"order-{epoch}-{amount}"), sender=merchant)
        assert ledger.Issued.from_receipt(receipt)[0].epoch == epoch
        return receipt

    return mint


@pytest.fixture
def mine_at(ledger, chain):
    """Mines a block `offset` seconds into `epoch`, so that views read that moment."""

    def mine(epoch, offset=0):
        chain.mine(timestamp=epoch_time(ledger, epoch, offset))

    return mine


def expiry_of(ledger, epoch):
    """The first second at which points minted in `epoch` are expired."""
    return epoch_time(ledger, epoch + VALIDITY)


def groups(ledger, account, epochs):
    return [ledger.balanceOfAtEpoch(e, account) for e in epochs]


# parameters and the clock


def test_erc7818_parameters(ledger):
    assert ledger.epochLength() == EPOCH_LENGTH
    assert ledger.epochType() == 1  # TIME_BASED
    assert ledger.validityDuration() == VALIDITY
    assert ledger.currentEpoch() == 0


@pytest.mark.parametrize(
    "offset, epoch",
    [(999, 0), (1_000, 1), (1_999, 1), (2_000, 2), (5_999, 5), (6_000, 6), (123_456, 123)],
)
def test_current_epoch_at_boundaries(ledger, chain, offset, epoch):
    chain.mine(timestamp=ledger.epoch_start() + offset)
    assert ledger.currentEpoch() == epoch


def test_is_epoch_expired_at_the_first_second_of_epoch_plus_validity(ledger, mine_at):
    mine_at(VALIDITY - 1, EPOCH_LENGTH - 1)  # last second of epoch 5
    assert ledger.isEpochExpired(0) is False

    mine_at(VALIDITY)  # first second of epoch 6
    assert ledger.isEpochExpired(0) is True
    assert ledger.isEpochExpired(1) is False

    mine_at(VALIDITY + 1, -1)
    assert ledger.isEpochExpired(1) is False
    mine_at(VALIDITY + 1)
    assert ledger.isEpochExpired(1) is True
    assert ledger.isEpochExpired(2) is False


def test_current_and_future_epochs_are_not_expired(ledger, mine_at):
    mine_at(10)
    assert ledger.isEpochExpired(10) is False
    assert ledger.isEpochExpired(11) is False
    assert ledger.isEpochExpired(10**9) is False
    assert ledger.isEpochExpired(4) is True
    assert ledger.isEpochExpired(5) is False


# lazy expiry


def test_mint_belongs_to_the_epoch_of_its_block(ledger, mint_in, alice, bob):
    last_second = mint_in(alice, 10, 0, EPOCH_LENGTH - 1)
    first_second = mint_in(bob, 20, 1, 0)

    assert ledger.Issued.from_receipt(last_second)[0].epoch == 0
    assert ledger.Issued.from_receipt(first_second)[0].epoch == 1
    assert ledger.getNearestExpiryOf(alice) == (10, expiry_of(ledger, 0))
    assert ledger.getNearestExpiryOf(bob) == (20, expiry_of(ledger, 1))


def test_points_expire_at_the_first_second_without_any_transaction(ledger, mint_in, mine_at, alice):
    mint_in(alice, 100, 0)

    mine_at(VALIDITY - 1, EPOCH_LENGTH - 1)
    assert ledger.balanceOf(alice) == 100
    assert ledger.totalSupply() == 100
    assert ledger.balanceOfAtEpoch(0, alice) == 100
    assert ledger.getNearestExpiryOf(alice) == (100, expiry_of(ledger, 0))

    mine_at(VALIDITY)
    assert ledger.balanceOf(alice) == 0
    assert ledger.totalSupply() == 0
    assert ledger.balanceOfAtEpoch(0, alice) == 0
    assert ledger.getNearestExpiryOf(alice) == (0, 0)


def test_spend_in_the_last_live_second(ledger, mint_in, mine_at, chain, alice, bob):
    mint_in(alice, 100, 0)
    next_tx_at(chain, expiry_of(ledger, 0) - 1)

    ledger.transfer(bob, 100, sender=alice)

    assert ledger.balanceOf(bob) == 100
    mine_at(VALIDITY)
    assert ledger.balanceOf(bob) == 0


def test_spend_in_the_expiry_second_reverts(ledger, mint_in, chain, alice, bob):
    mint_in(alice, 100, 0)
    next_tx_at(chain, expiry_of(ledger, 0))

    with ape.reverts(INSUFFICIENT_BALANCE):
        ledger.transfer(bob, 1, sender=alice)


def test_supply_and_balances_drop_group_by_group(ledger, mint_in, mine_at, alice, bob):
    mint_in(alice, 100, 0)
    mint_in(alice, 50, 2)
    mint_in(bob, 30, 2)

    mine_at(VALIDITY - 1)
    assert ledger.totalSupply() == 180
    assert ledger.balanceOf(alice) == 150

    mine_at(VALIDITY)  # epoch 0 expires
    assert ledger.totalSupply() == 80
    assert ledger.balanceOf(alice) == 50
    assert ledger.balanceOf(bob) == 30

    mine_at(2 + VALIDITY)  # epoch 2 expires
    assert ledger.totalSupply() == 0
    assert ledger.balanceOf(alice) == 0
    assert ledger.balanceOf(bob) == 0


def test_balance_of_at_epoch(ledger, mint_in, mine_at, alice, bob):
    mint_in(alice, 10, 0)
    mint_in(alice, 20, 2)

    assert groups(ledger, alice, range(4)) == [10, 0, 20, 0]
    assert ledger.balanceOfAtEpoch(3, alice) == 0  # the current epoch, nothing minted in it
    assert ledger.balanceOfAtEpoch(4, alice) == 0  # a future epoch
    assert ledger.balanceOfAtEpoch(2, bob) == 0

    mine_at(VALIDITY)
    assert groups(ledger, alice, range(4)) == [0, 0, 20, 0]


def test_nearest_expiry_of_an_empty_account(ledger, stranger):
    assert ledger.getNearestExpiryOf(stranger) == (0, 0)


def test_nearest_expiry_after_spending_everything(ledger, mint_in, alice, bob):
    mint_in(alice, 10, 0)
    ledger.burn(10, sender=alice)

    assert ledger.getNearestExpiryOf(alice) == (0, 0)


def test_nearest_expiry_moves_through_groups(ledger, mint_in, mine_at, alice):
    mint_in(alice, 10, 0)
    mint_in(alice, 20, 2)
    mint_in(alice, 5, 3)

    assert ledger.getNearestExpiryOf(alice) == (10, expiry_of(ledger, 0))
    mine_at(VALIDITY)
    assert ledger.getNearestExpiryOf(alice) == (20, expiry_of(ledger, 2))
    mine_at(2 + VALIDITY)
    assert ledger.getNearestExpiryOf(alice) == (5, expiry_of(ledger, 3))
    mine_at(3 + VALIDITY)
    assert ledger.getNearestExpiryOf(alice) == (0, 0)


# soonest-expiring first; moved points keep their epoch


def test_transfer_spends_the_soonest_expiring_points_first(ledger, mint_in, alice, bob):
    mint_in(alice, 100, 0)
    mint_in(alice, 50, 1)
    mint_in(alice, 25, 3)

    receipt = ledger.transfer(bob, 120, sender=alice)

    assert groups(ledger, alice, range(4)) == [0, 30, 0, 25]
    assert groups(ledger, bob, range(4)) == [100, 20, 0, 0]
    assert ledger.balanceOf(alice) == 55
    assert ledger.balanceOf(bob) == 120
    assert_events(receipt, ledger.Transfer(sender=alice, receiver=bob, value=120))
    assert ledger.getNearestExpiryOf(alice) == (30, expiry_of(ledger, 1))
    assert ledger.getNearestExpiryOf(bob) == (100, expiry_of(ledger, 0))


def test_a_transfer_never_extends_the_points_life(ledger, mint_in, mine_at, chain, alice, bob):
    mint_in(alice, 100, 0)
    next_tx_at(chain, epoch_time(ledger, VALIDITY - 1))  # received in epoch 5...
    ledger.transfer(bob, 100, sender=alice)

    assert ledger.balanceOfAtEpoch(0, bob) == 100
    assert ledger.balanceOfAtEpoch(VALIDITY - 1, bob) == 0
    assert ledger.getNearestExpiryOf(bob) == (100, expiry_of(ledger, 0))

    mine_at(VALIDITY)  # ...still expire with epoch 0
    assert ledger.balanceOf(bob) == 0
    assert ledger.totalSupply() == 0


def test_transfer_from_spends_the_soonest_expiring_points_first(ledger, mint_in, alice, bob, carol):
    mint_in(alice, 10, 0)
    mint_in(alice, 10, 2)
    ledger.approve(bob, 15, sender=alice)

    ledger.transferFrom(alice, carol, 15, sender=bob)

    assert groups(ledger, alice, range(3)) == [0, 0, 5]
    assert groups(ledger, carol, range(3)) == [10, 0, 5]


def test_burn_takes_the_soonest_expiring_points_and_their_supply(ledger, mint_in, mine_at, alice, bob):
    mint_in(alice, 100, 0)
    mint_in(bob, 40, 1)
    mint_in(alice, 50, 2)

    ledger.burn(120, sender=alice)

    assert groups(ledger, alice, range(3)) == [0, 0, 30]
    assert ledger.totalSupply() == 70
    # The burn came off epoch 0's and epoch 2's supply, so each expiry removes the right amount.
    mine_at(VALIDITY)
    assert ledger.totalSupply() == 70
    mine_at(1 + VALIDITY)
    assert ledger.totalSupply() == 30
    mine_at(2 + VALIDITY)
    assert ledger.totalSupply() == 0


def test_spending_skips_expired_groups(ledger, mint_in, alice, bob):
    mint_in(alice, 100, 0)
    mint_in(alice, 40, 3)
    mint_in(bob, 1, VALIDITY)  # moves the clock to epoch 6, where epoch 0 is gone

    with ape.reverts(INSUFFICIENT_BALANCE):
        ledger.transfer(bob, 41, sender=alice)
    ledger.transfer(bob, 40, sender=alice)

    assert ledger.balanceOf(alice) == 0
    assert ledger.balanceOfAtEpoch(3, bob) == 40


# transferAtEpoch / transferFromAtEpoch


@pytest.fixture
def two_groups(mint_in, alice):
    """alice holds 100 points of epoch 0 and 50 of epoch 2; the clock is in epoch 2."""
    mint_in(alice, 100, 0)
    mint_in(alice, 50, 2)


def test_transfer_at_epoch_event_layout(ledger):
    assert event_layout(ledger.TransferAtEpoch) == (
        "TransferAtEpoch(address,address,uint256,uint256)",
        [("sender", True), ("receiver", True), ("epoch", False), ("value", False)],
    )


def test_transfer_at_epoch_moves_only_that_epoch(ledger, two_groups, alice, bob):
    receipt = ledger.transferAtEpoch(2, bob, 30, sender=alice)

    assert groups(ledger, alice, range(3)) == [100, 0, 20]
    assert groups(ledger, bob, range(3)) == [0, 0, 30]
    assert ledger.totalSupply() == 150
    assert_events(
        receipt,
        ledger.Transfer(sender=alice, receiver=bob, value=30),
        ledger.TransferAtEpoch(sender=alice, receiver=bob, epoch=2, value=30),
    )


def test_transfer_at_epoch_returns_true(ledger, two_groups, alice, bob):
    assert ledger.transferAtEpoch.call(0, bob, 1, sender=alice) is True


def test_transfer_at_epoch_of_an_older_group(ledger, two_groups, alice, bob):
    ledger.transferAtEpoch(0, bob, 100, sender=alice)

    assert groups(ledger, alice, range(3)) == [0, 0, 50]
    assert ledger.getNearestExpiryOf(bob) == (100, expiry_of(ledger, 0))


def test_transfer_at_an_expired_epoch_reverts(ledger, two_groups, mint_in, alice, bob):
    mint_in(bob, 1, VALIDITY)  # epoch 6: epoch 0 has expired

    with ape.reverts(EPOCH_EXPIRED):
        ledger.transferAtEpoch(0, bob, 1, sender=alice)
    ledger.transferAtEpoch(2, bob, 1, sender=alice)
    assert ledger.balanceOfAtEpoch(2, bob) == 1


def test_transfer_at_epoch_in_the_last_live_second(ledger, two_groups, chain, alice, bob):
    next_tx_at(chain, expiry_of(ledger, 0) - 1)
    ledger.transferAtEpoch(0, bob, 100, sender=alice)

    assert ledger.balanceOf(bob) == 100


def test_transfer_at_epoch_in_the_expiry_second_reverts(ledger, two_groups, chain, alice, bob):
    next_tx_at(chain, expiry_of(ledger, 0))

    with ape.reverts(EPOCH_EXPIRED):
        ledger.transferAtEpoch(0, bob, 1, sender=alice)


def test_transfer_at_a_future_epoch_reverts(ledger, two_groups, alice, bob):
    with ape.reverts(EPOCH_NOT_STARTED):
        ledger.transferAtEpoch(3, bob, 0, sender=alice)


@pytest.mark.parametrize("epoch, amount", [(2, 51), (0, 101), (1, 1)])
def test_transfer_at_epoch_beyond_the_group_reverts(ledger, two_groups, alice, bob, epoch, amount):
    with ape.reverts(INSUFFICIENT_AT_EPOCH):
        ledger.transferAtEpoch(epoch, bob, amount, sender=alice)
    assert ledger.balanceOf(alice) == 150


def test_transfer_at_epoch_to_the_zero_address_reverts(ledger, two_groups, alice):
    with ape.reverts("PointsToken: transfer to the zero address"):
        ledger.transferAtEpoch(2, ZERO_ADDRESS, 1, sender=alice)


def test_transfer_from_at_epoch(ledger, two_groups, alice, bob, carol):
    ledger.approve(bob, 40, sender=alice)

    receipt = ledger.transferFromAtEpoch(2, alice, carol, 30, sender=bob)

    assert ledger.allowance(alice, bob) == 10
    assert groups(ledger, alice, range(3)) == [100, 0, 20]
    assert groups(ledger, carol, range(3)) == [0, 0, 30]
    assert ledger.balanceOf(bob) == 0
    assert_events(
        receipt,
        ledger.Transfer(sender=alice, receiver=carol, value=30),
        ledger.TransferAtEpoch(sender=alice, receiver=carol, epoch=2, value=30),
    )


def test_transfer_from_at_epoch_beyond_the_allowance_reverts(ledger, two_groups, alice, bob, carol):
    ledger.approve(bob, 20, sender=alice)

    with ape.reverts("approvals: amount exceeds allowance"):
        ledger.transferFromAtEpoch(2, alice, carol, 21, sender=bob)


def test_transfer_from_at_epoch_reverts_like_transfer_at_epoch(ledger, two_groups, mint_in, alice, bob, carol):
    ledger.approve(bob, 1_000, sender=alice)

    with ape.reverts(INSUFFICIENT_AT_EPOCH):
        ledger.transferFromAtEpoch(2, alice, carol, 51, sender=bob)
    with ape.reverts(EPOCH_NOT_STARTED):
        ledger.transferFromAtEpoch(3, alice, carol, 1, sender=bob)
    with ape.reverts("PointsToken: transfer to the zero address"):
        ledger.transferFromAtEpoch(2, alice, ZERO_ADDRESS, 1, sender=bob)

    mint_in(carol, 1, VALIDITY)
    with ape.reverts(EPOCH_EXPIRED):
        ledger.transferFromAtEpoch(0, alice, carol, 1, sender=bob)
    assert ledger.allowance(alice, bob) == 1_000


# the storage ring: a slot whose group expired is reused by the epoch VALIDITY later


def test_a_recycled_slot_holds_only_the_new_group(ledger, mint_in, alice, bob):
    mint_in(alice, 100, 0)
    mint_in(bob, 5, 0)

    receipt = mint_in(alice, 7, VALIDITY)  # same ring slot as epoch 0

    assert ledger.Issued.from_receipt(receipt)[0].epoch == VALIDITY
    assert ledger.balanceOf(alice) == 7
    assert ledger.balanceOfAtEpoch(VALIDITY, alice) == 7
    assert ledger.balanceOfAtEpoch(0, alice) == 0
    assert ledger.totalSupply() == 7
    assert ledger.getNearestExpiryOf(alice) == (7, expiry_of(ledger, VALIDITY))

    # bob's slot still holds his expired epoch-0 group: receiving overwrites it.
    ledger.transfer(bob, 3, sender=alice)
    assert ledger.balanceOf(bob) == 3
    assert ledger.balanceOfAtEpoch(VALIDITY, bob) == 3

    ledger.burn(4, sender=alice)
    assert ledger.balanceOf(alice) == 0
    assert ledger.totalSupply() == 3


def test_a_partly_spent_group_is_recycled(ledger, mint_in, mine_at, alice, bob):
    mint_in(alice, 100, 0)
    ledger.transfer(bob, 60, sender=alice)

    mint_in(alice, 10, VALIDITY)
    ledger.transfer(bob, 10, sender=alice)

    assert ledger.balanceOf(alice) == 0
    assert ledger.balanceOf(bob) == 10
    assert ledger.totalSupply() == 10
    mine_at(2 * VALIDITY)
    assert ledger.totalSupply() == 0


def test_recycling_after_a_long_gap(ledger, mint_in, alice):
    mint_in(alice, 100, 0)
    mint_in(alice, 9, 100 * VALIDITY)

    assert ledger.currentEpoch() == 100 * VALIDITY
    assert ledger.balanceOf(alice) == 9
    assert ledger.totalSupply() == 9
    ledger.transfer(alice, 9, sender=alice)
    assert ledger.balanceOf(alice) == 9


def test_transfer_at_epoch_into_a_recycled_slot(ledger, mint_in, alice, bob):
    mint_in(bob, 5, 0)
    mint_in(alice, 8, VALIDITY)

    ledger.transferAtEpoch(VALIDITY, bob, 2, sender=alice)

    assert ledger.balanceOf(bob) == 2
    assert ledger.balanceOfAtEpoch(VALIDITY, bob) == 2
    assert ledger.totalSupply() == 8


def test_every_slot_of_the_ring_in_use(ledger, mint_in, mine_at, alice, bob):
    for epoch in range(VALIDITY + 2):
        mint_in(alice, epoch + 1, epoch)
    # Live now (epoch 7): epochs 2..7 holding 3..8 points.
    assert ledger.balanceOf(alice) == sum(range(3, 9))
    assert ledger.totalSupply() == sum(range(3, 9))

    ledger.transfer(bob, 7, sender=alice)  # 3 of epoch 2, 4 of epoch 3
    assert groups(ledger, bob, range(2, 8)) == [3, 4, 0, 0, 0, 0]
    assert groups(ledger, alice, range(2, 8)) == [0, 0, 5, 6, 7, 8]


# validity at its bounds


def test_validity_of_one_epoch(deploy_token, owner, merchant, alice, chain):
    short = deploy_token(validity=1)
    short.set_merchant(merchant, 100, "Till", sender=owner)
    short.mint(alice, 10, ref("short"), sender=merchant)

    chain.mine(timestamp=epoch_time(short, 1) - 1)
    assert short.balanceOf(alice) == 10
    assert short.getNearestExpiryOf(alice) == (10, epoch_time(short, 1))
    chain.mine(timestamp=epoch_time(short, 1))
    assert short.balanceOf(alice) == 0
    assert short.totalSupply() == 0


def test_validity_of_64_epochs(deploy_token, owner, merchant, alice, bob, chain):
    long = deploy_token(validity=64)
    long.set_merchant(merchant, 1_000, "Till", sender=owner)
    for epoch in (0, 1, 63):
        if epoch:
            chain.pending_timestamp = epoch_time(long, epoch)
        long.mint(alice, 10, ref("long"), sender=merchant)

    assert long.validityDuration() == 64
    assert long.balanceOf(alice) == 30
    chain.pending_timestamp = epoch_time(long, 64)
    long.transfer(bob, 15, sender=alice)  # epoch 0 is gone: 10 of epoch 1, 5 of epoch 63

    assert long.balanceOf(alice) == 5
    assert [long.balanceOfAtEpoch(e, bob) for e in (0, 1, 63)] == [0, 10, 5]


# the constructor


@pytest.mark.parametrize(
    "overrides, reason",
    [
        ({"epoch_length": 0}, "expiring_ledger: epoch length is zero"),
        ({"validity": 0}, "expiring_ledger: validity is zero"),
        ({"validity": 65}, "expiring_ledger: validity exceeds 64 epochs"),
        ({"name": "N" * 51}, "PointsToken: name longer than 50 characters"),
        ({"owner": ZERO_ADDRESS}, "PointsToken: owner is the zero address"),
        ({"cap_period": 0}, "merchant_caps: cap period is zero"),
    ],
    ids=["epoch_length_0", "validity_0", "validity_65", "name_51_chars", "owner_zero", "cap_period_0"],
)
def test_constructor_rejects(deploy_token, overrides, reason):
    with ape.reverts(reason):
        deploy_token(**overrides)


def test_constructor_accepts_the_limits(deploy_token, owner, chain):
    token = deploy_token(name="N" * 50, validity=64, epoch_length=1, cap_period=1, transferable=False)

    assert token.name() == "N" * 50
    assert token.validityDuration() == 64
    assert token.epochLength() == 1
    assert token.cap_period() == 1
    assert token.transferable() is False
    assert token.owner() == owner
    assert token.epoch_start() == token.cap_period_start() == chain.blocks.head.timestamp


def test_cap_period_starts_with_epoch_zero(ledger):
    assert ledger.cap_period() == CAP_PERIOD
    assert ledger.cap_period_start() == ledger.epoch_start()
