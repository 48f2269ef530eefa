"""Unit tests of the plain-Python ledger model (points/ledger.py): no chain, fast."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from points.ledger import (
    MAX_EPOCH_SUPPLY,
    ZERO_ADDRESS,
    EpochExpired,
    EpochNotStarted,
    EpochSupplyOverflow,
    Expiration,
    ExpiringLedger,
    Group,
    InsufficientBalance,
    InsufficientBalanceAtEpoch,
    LedgerError,
    LengthMismatch,
    MintToZeroAddress,
)

START = 1_700_000_000
LENGTH = 1_000
VALIDITY = 3

ALICE = "0x" + "a1" * 20
BOB = "0x" + "b0" * 20
CAROL = "0x" + "c0" * 20


def at(epoch: int, offset: int = 0) -> int:
    """The timestamp `offset` seconds into `epoch`."""
    return START + epoch * LENGTH + offset


@pytest.fixture
def ledger() -> ExpiringLedger:
    return ExpiringLedger(START, LENGTH, VALIDITY)


def state(ledger: ExpiringLedger, timestamp: int, accounts=(ALICE, BOB, CAROL)) -> dict:
    """Everything observable at `timestamp`, to compare before and after a failed operation."""
    return {
        "supply": ledger.total_supply(timestamp),
        "groups": {account: ledger.groups_of(account, timestamp) for account in accounts},
    }


# ---------------------------------------------------------------- construction and time


@pytest.mark.parametrize(
    ("epoch_start", "epoch_length", "validity"),
    [(-1, LENGTH, VALIDITY), (START, 0, VALIDITY), (START, LENGTH, 0), (START, LENGTH, 65)],
)
def test_rejects_bad_parameters(epoch_start, epoch_length, validity):
    with pytest.raises(ValueError):
        ExpiringLedger(epoch_start, epoch_length, validity)


def test_current_epoch_and_expiry_times(ledger):
    assert ledger.current_epoch(START) == 0
    assert ledger.current_epoch(at(0, LENGTH - 1)) == 0
    assert ledger.current_epoch(at(1)) == 1
    assert ledger.current_epoch(at(7, 123)) == 7
    assert ledger.epoch_starts_at(2) == at(2)
    assert ledger.expires_at(2) == at(2 + VALIDITY)
    with pytest.raises(ValueError, match="before epoch 0"):
        ledger.current_epoch(START - 1)


def test_is_epoch_expired_from_the_first_second_of_epoch_plus_validity(ledger):
    assert not ledger.is_epoch_expired(0, START)
    assert not ledger.is_epoch_expired(0, at(VALIDITY) - 1)
    assert ledger.is_epoch_expired(0, at(VALIDITY))
    assert not ledger.is_epoch_expired(5, at(0))  # a future epoch is not expired
    assert ledger.oldest_live_epoch(at(1)) == 0
    assert ledger.oldest_live_epoch(at(VALIDITY)) == 1
    assert ledger.oldest_live_epoch(at(10)) == 10 - VALIDITY + 1


def test_time_cannot_go_backwards(ledger):
    ledger.mint(ALICE, 5, at(2))
    with pytest.raises(ValueError, match="before the ledger's latest operation"):
        ledger.mint(ALICE, 5, at(1))
    with pytest.raises(ValueError, match="before the ledger's latest operation"):
        ledger.balance_of(ALICE, at(1))
    assert ledger.balance_of(ALICE, at(2)) == 5
    assert ledger.clock == at(2)


# ---------------------------------------------------------------- minting and expiry


def test_mint_belongs_to_the_current_epoch_and_expires_on_time(ledger):
    assert ledger.mint(ALICE, 10, at(1, 500)) == 1
    assert ledger.balance_of(ALICE, at(1, 500)) == 10
    assert ledger.balance_of_at_epoch(1, ALICE, at(1, 500)) == 10
    assert ledger.balance_of_at_epoch(0, ALICE, at(1, 500)) == 0
    assert ledger.nearest_expiry_of(ALICE, at(1, 500)) == (10, at(1 + VALIDITY))

    last_live_second = at(1 + VALIDITY) - 1
    assert ledger.balance_of(ALICE, last_live_second) == 10
    assert ledger.total_supply(last_live_second) == 10

    expired = at(1 + VALIDITY)
    assert ledger.balance_of(ALICE, expired) == 0
    assert ledger.balance_of_at_epoch(1, ALICE, expired) == 0
    assert ledger.total_supply(expired) == 0
    assert ledger.nearest_expiry_of(ALICE, expired) == (0, 0)
    assert ledger.groups_of(ALICE, expired) == []


def test_groups_and_nearest_expiry_follow_the_oldest_live_group(ledger):
    ledger.mint(ALICE, 1, at(0))
    ledger.mint(ALICE, 2, at(1))
    ledger.mint(ALICE, 3, at(2))
    ledger.mint(ALICE, 4, at(2, 999))
    assert ledger.groups_of(ALICE, at(2, 999)) == [
        Group(epoch=0, amount=1, expires_at=at(3)),
        Group(epoch=1, amount=2, expires_at=at(4)),
        Group(epoch=2, amount=7, expires_at=at(5)),
    ]
    assert ledger.nearest_expiry_of(ALICE, at(2, 999)) == (1, at(3))
    assert ledger.nearest_expiry_of(ALICE, at(3)) == (2, at(4))
    assert ledger.balance_of(ALICE, at(3)) == 9
    assert ledger.nearest_expiry_of(ALICE, at(4)) == (7, at(5))
    assert ledger.nearest_expiry_of(BOB, at(4)) == (0, 0)


def test_mint_batch_mints_every_recipient_in_one_epoch(ledger):
    assert ledger.mint_batch([ALICE, BOB, ALICE], [1, 2, 3], at(1)) == (1, 6)
    assert ledger.balance_of(ALICE, at(1)) == 4
    assert ledger.balance_of(BOB, at(1)) == 2
    assert ledger.total_supply(at(1)) == 6
    assert sorted(ledger.holders(at(1))) == sorted([ALICE, BOB])


def test_mint_of_zero_points_changes_nothing(ledger):
    assert ledger.mint(ALICE, 0, at(0)) == 0
    assert ledger.groups_of(ALICE, at(0)) == []
    assert ledger.total_supply(at(0)) == 0
    assert ledger.holders(at(0)) == []


@pytest.mark.parametrize(
    ("recipients", "amounts", "error"),
    [
        ([ALICE, BOB], [1], LengthMismatch),
        ([ALICE, ZERO_ADDRESS], [1, 1], MintToZeroAddress),
        ([ALICE, BOB], [MAX_EPOCH_SUPPLY, 1], EpochSupplyOverflow),
    ],
)
def test_failed_mint_batch_mints_nothing(ledger, recipients, amounts, error):
    ledger.mint(CAROL, 7, at(0))
    before = state(ledger, at(0, 1))
    with pytest.raises(error) as raised:
        ledger.mint_batch(recipients, amounts, at(0, 1))
    assert raised.value.revert_reason.startswith("expiring_ledger: ")
    assert state(ledger, at(0, 1)) == before


def test_epoch_supply_is_capped_at_192_bits(ledger):
    ledger.mint(ALICE, MAX_EPOCH_SUPPLY, at(0))
    with pytest.raises(EpochSupplyOverflow):
        ledger.mint(BOB, 1, at(0))
    assert ledger.mint(BOB, 1, at(1)) == 1  # a new epoch has its own supply


@pytest.mark.parametrize("amount", [-1, 2**256])
def test_amounts_outside_uint256_are_rejected(ledger, amount):
    with pytest.raises(ValueError, match="amount"):
        ledger.mint(ALICE, amount, at(0))
    with pytest.raises(ValueError, match="amount"):
        ledger.debit_oldest_first(ALICE, BOB, amount, at(0))


# ---------------------------------------------------------------- spending oldest first


def test_debit_spends_the_soonest_expiring_group_first_and_moved_points_keep_their_epoch(ledger):
    ledger.mint(ALICE, 5, at(0))
    ledger.mint(ALICE, 5, at(1))
    ledger.mint(ALICE, 5, at(2))
    parts = ledger.debit_oldest_first(ALICE, BOB, 8, at(2, 10))
    assert parts == [Group(epoch=0, amount=5, expires_at=at(3)), Group(epoch=1, amount=3, expires_at=at(4))]
    assert ledger.groups_of(ALICE, at(2, 10)) == [
        Group(epoch=1, amount=2, expires_at=at(4)),
        Group(epoch=2, amount=5, expires_at=at(5)),
    ]
    assert ledger.groups_of(BOB, at(2, 10)) == [
        Group(epoch=0, amount=5, expires_at=at(3)),
        Group(epoch=1, amount=3, expires_at=at(4)),
    ]
    assert ledger.total_supply(at(2, 10)) == 15
    # Bob's received points of epoch 0 expire with their epoch, not with the transfer.
    assert ledger.balance_of(BOB, at(3)) == 3


def test_debit_skips_expired_groups(ledger):
    ledger.mint(ALICE, 5, at(0))
    ledger.mint(ALICE, 5, at(1))
    assert ledger.debit_oldest_first(ALICE, BOB, 4, at(3)) == [Group(epoch=1, amount=4, expires_at=at(4))]
    assert ledger.balance_of(ALICE, at(3)) == 1
    with pytest.raises(InsufficientBalance):
        ledger.debit_oldest_first(ALICE, BOB, 2, at(3))


@pytest.mark.parametrize("receiver", [None, ZERO_ADDRESS])
def test_debit_to_none_or_the_zero_address_burns(ledger, receiver):
    ledger.mint(ALICE, 5, at(0))
    ledger.mint(ALICE, 5, at(1))
    ledger.debit_oldest_first(ALICE, receiver, 7, at(1))
    assert ledger.balance_of(ALICE, at(1)) == 3
    assert ledger.total_supply(at(1)) == 3
    assert ledger.balance_of(ZERO_ADDRESS, at(1)) == 0


def test_insufficient_debit_raises_and_changes_nothing(ledger):
    ledger.mint(ALICE, 5, at(0))
    ledger.mint(ALICE, 5, at(1))
    before = state(ledger, at(1))
    with pytest.raises(InsufficientBalance, match="holds 10 live points, 11 requested") as raised:
        ledger.debit_oldest_first(ALICE, BOB, 11, at(1))
    assert raised.value.revert_reason == "expiring_ledger: amount exceeds unexpired balance"
    assert isinstance(raised.value, LedgerError)
    assert state(ledger, at(1)) == before


def test_debit_of_zero_and_debit_to_oneself_change_nothing(ledger):
    ledger.mint(ALICE, 5, at(0))
    ledger.mint(ALICE, 5, at(1))
    before = state(ledger, at(1))
    assert ledger.debit_oldest_first(ALICE, BOB, 0, at(1)) == []
    assert ledger.debit_oldest_first(CAROL, None, 0, at(1)) == []
    ledger.debit_oldest_first(ALICE, ALICE, 7, at(1))
    assert state(ledger, at(1)) == before


# ---------------------------------------------------------------- moving one epoch


def test_move_at_epoch_moves_only_that_group(ledger):
    ledger.mint(ALICE, 5, at(0))
    ledger.mint(ALICE, 5, at(1))
    ledger.move_at_epoch(ALICE, BOB, 1, 4, at(1, 1))
    assert ledger.balance_of_at_epoch(0, ALICE, at(1, 1)) == 5
    assert ledger.balance_of_at_epoch(1, ALICE, at(1, 1)) == 1
    assert ledger.balance_of_at_epoch(1, BOB, at(1, 1)) == 4
    assert ledger.total_supply(at(1, 1)) == 10


@pytest.mark.parametrize(
    ("epoch", "amount", "timestamp", "error"),
    [
        (2, 0, at(1), EpochNotStarted),
        (0, 1, at(VALIDITY), EpochExpired),
        (0, 0, at(VALIDITY), EpochExpired),  # even moving nothing names a dead epoch
        (1, 6, at(1), InsufficientBalanceAtEpoch),
        (0, 1, at(1), InsufficientBalanceAtEpoch),  # Alice holds nothing of epoch 0
    ],
)
def test_failed_move_at_epoch_changes_nothing(ledger, epoch, amount, timestamp, error):
    ledger.mint(ALICE, 5, at(1))
    before = state(ledger, timestamp)
    with pytest.raises(error):
        ledger.move_at_epoch(ALICE, BOB, epoch, amount, timestamp)
    assert state(ledger, timestamp) == before


def test_move_at_epoch_checks_in_the_contracts_order(ledger):
    ledger.mint(ALICE, 5, at(0))
    # An expired epoch is reported as expired, not as short of points.
    with pytest.raises(EpochExpired):
        ledger.move_at_epoch(ALICE, BOB, 0, 6, at(VALIDITY))


def test_move_at_epoch_rejects_the_zero_address_and_negative_epochs(ledger):
    ledger.mint(ALICE, 5, at(0))
    with pytest.raises(ValueError, match="zero address"):
        ledger.move_at_epoch(ALICE, ZERO_ADDRESS, 0, 1, at(0))
    with pytest.raises(ValueError, match="epoch"):
        ledger.move_at_epoch(ALICE, BOB, -1, 1, at(0))


# ---------------------------------------------------------------- expirations and memory


def test_expire_reports_each_expired_group_exactly_once(ledger):
    ledger.mint(ALICE, 5, at(0))
    ledger.mint(BOB, 3, at(0, 5))
    ledger.mint(ALICE, 2, at(1))
    ledger.debit_oldest_first(BOB, None, 3, at(1, 1))  # Bob's group is spent before it expires
    assert ledger.expire(at(VALIDITY) - 1) == []
    assert ledger.expire(at(VALIDITY)) == [Expiration(account=ALICE, epoch=0, amount=5, expires_at=at(VALIDITY))]
    assert ledger.expire(at(VALIDITY, 500)) == []
    assert ledger.expire(at(VALIDITY + 5)) == [
        Expiration(account=ALICE, epoch=1, amount=2, expires_at=at(1 + VALIDITY)),
    ]


def test_expire_orders_by_expiry_then_account(ledger):
    ledger.mint_batch([BOB, ALICE], [1, 2], at(0))
    ledger.mint(CAROL, 3, at(1))
    ledger.mint(ALICE, 4, at(2))
    assert ledger.expire(at(10)) == [
        Expiration(account=ALICE, epoch=0, amount=2, expires_at=at(3)),
        Expiration(account=BOB, epoch=0, amount=1, expires_at=at(3)),
        Expiration(account=CAROL, epoch=1, amount=3, expires_at=at(4)),
        Expiration(account=ALICE, epoch=2, amount=4, expires_at=at(5)),
    ]


def test_operations_prune_silently_by_default():
    ledger = ExpiringLedger(START, LENGTH, VALIDITY)
    ledger.mint(ALICE, 5, at(0))
    ledger.mint(BOB, 1, at(VALIDITY))  # prunes Alice's expired group
    assert ledger.expire(at(VALIDITY)) == []


def test_recorded_expirations_survive_pruning_by_operations():
    ledger = ExpiringLedger(START, LENGTH, VALIDITY, record_expirations=True)
    ledger.mint(ALICE, 5, at(0))
    ledger.mint(BOB, 1, at(VALIDITY))  # prunes Alice's expired group
    ledger.mint(BOB, 1, at(VALIDITY + 1))  # prunes nothing new
    assert ledger.expire(at(VALIDITY + 1)) == [Expiration(account=ALICE, epoch=0, amount=5, expires_at=at(VALIDITY))]
    assert ledger.expire(at(VALIDITY + 2)) == []


def test_memory_holds_nothing_of_accounts_whose_points_all_expired(ledger):
    for epoch in range(200):
        ledger.mint_batch([f"0x{epoch + 1:040x}", ALICE], [3, 1], at(epoch))
        ledger.debit_oldest_first(ALICE, BOB, 1, at(epoch, 1))
    # At most `VALIDITY` epochs are live, so at most that many groups per account remain.
    assert len(ledger._groups) <= 2 * VALIDITY + 1
    assert all(len(held) <= VALIDITY for held in ledger._groups.values())
    assert len(ledger._supply) <= VALIDITY
    assert len(ledger._holders) <= VALIDITY
    ledger.expire(at(200 + VALIDITY))
    assert ledger._groups == {}
    assert ledger._supply == {}
    assert ledger._holders == {}
    assert ledger.holders(at(200 + VALIDITY)) == []


# ---------------------------------------------------------------- invariants under random use

operations = st.lists(
    st.tuples(
        st.sampled_from(["mint", "batch", "debit", "burn", "move", "wait"]),
        st.sampled_from([ALICE, BOB, CAROL]),
        st.sampled_from([ALICE, BOB, CAROL]),
        st.integers(min_value=0, max_value=20),
        st.integers(min_value=0, max_value=8),
        st.integers(min_value=0, max_value=2 * LENGTH),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(operations)
def test_balances_always_sum_to_the_supply(script):
    ledger = ExpiringLedger(START, LENGTH, VALIDITY, record_expirations=True)
    now = START
    minted = burnt = expired = 0
    for kind, owner, receiver, amount, epoch, wait in script:
        try:
            if kind == "mint":
                ledger.mint(owner, amount, now)
                minted += amount
            elif kind == "batch":
                ledger.mint_batch([owner, receiver], [amount, epoch], now)
                minted += amount + epoch
            elif kind == "debit":
                ledger.debit_oldest_first(owner, receiver, amount, now)
            elif kind == "burn":
                ledger.debit_oldest_first(owner, None, amount, now)
                burnt += amount
            elif kind == "move":
                ledger.move_at_epoch(owner, receiver, epoch, amount, now)
            else:
                now += wait
                expired += sum(item.amount for item in ledger.expire(now))
        except LedgerError:
            pass
        balances = {account: ledger.balance_of(account, now) for account in (ALICE, BOB, CAROL)}
        assert sum(balances.values()) == ledger.total_supply(now)
        for account, balance in balances.items():
            groups = ledger.groups_of(account, now)
            assert sum(group.amount for group in groups) == balance
            assert all(group.amount > 0 and not ledger.is_epoch_expired(group.epoch, now) for group in groups)
            nearest = (groups[0].amount, groups[0].expires_at) if groups else (0, 0)
            assert ledger.nearest_expiry_of(account, now) == nearest
    # Every point minted was burnt, has expired (and was reported), or is still live.
    expired += sum(item.amount for item in ledger.expire(now + VALIDITY * LENGTH))
    assert minted == burnt + expired
