"""The `PartnerExchange` between two programs with different owners:
two-sided route governance, conversion at awkward rates, caps, pauses, expiry and permits."""

import ape
import pytest

from tests.contracts.signing_helpers import NO_REF, ZERO_ADDRESS, assert_logs, sign_exchange, sign_permit

MAX_UINT256 = 2**256 - 1
MAX_RATE_PART = 2**32 - 1
MAX_CAP = 2**63 - 1

# Program A (the conftest defaults) and program B, a partner with its own owner and clocks.
A_EPOCH, A_VALIDITY, A_CAP_PERIOD = 1_000, 6, 3_000
B_EPOCH, B_VALIDITY, B_CAP_PERIOD = 7_000, 4, 5_000
EXCHANGE_CAP = 1_000_000  # what B lets the exchange issue per B cap period
ROUTE_CAP = 100_000

NOT_TO_OWNER = "PartnerExchange: caller is not the owner of to_token"
NOT_FROM_OWNER = "PartnerExchange: caller is not the owner of from_token"
NO_RATE = "PartnerExchange: route has no rate or cap"
NOT_APPROVED = "PartnerExchange: route not approved by from_token's owner"
NO_POINTS = "PartnerExchange: amount_in converts to no points"
BELOW_MIN = "PartnerExchange: amount_out below min_out"
ROUTE_CAP_EXCEEDED = "PartnerExchange: route cap for this period exceeded"
PERMIT_FAILED = "PartnerExchange: permit failed"
PAUSED = "pausable: contract is paused"
INSUFFICIENT = "expiring_ledger: amount exceeds unexpired balance"
NO_ALLOWANCE = "approvals: amount exceeds allowance"
MERCHANT_CAP_EXCEEDED = "merchant_caps: amount exceeds the merchant's cap for this period"
NOT_A_MERCHANT = "merchant_caps: caller is not a merchant"
RATE_TOO_HIGH = "PartnerExchange: rate part exceeds 2**32 - 1"
CAP_TOO_HIGH = "PartnerExchange: cap exceeds 2**63 - 1"


def ref_of(token) -> bytes:
    """The `ref` B's `Issued` carries: the sending token's address, left-padded to 32 bytes."""
    return b"\x00" * 12 + bytes.fromhex(token.address[2:])


@pytest.fixture(scope="module")
def partner_owner(accounts):
    """The owner of program B (program A's owner is the conftest's `owner`)."""
    return accounts[8]


@pytest.fixture(scope="module")
def token_a(deploy_token, owner, merchant):
    token = deploy_token(epoch_length=A_EPOCH, validity=A_VALIDITY, cap_period=A_CAP_PERIOD)
    token.set_merchant(merchant, 10**9, "Till", sender=owner)
    return token


@pytest.fixture(scope="module")
def token_b(deploy_token, partner_owner, accounts):
    token = deploy_token(
        name="Sky Miles",
        symbol="MILE",
        epoch_length=B_EPOCH,
        validity=B_VALIDITY,
        cap_period=B_CAP_PERIOD,
        transferable=False,
        owner=partner_owner,
    )
    token.set_merchant(accounts[9], 10**9, "Till", sender=partner_owner)  # B's own shop
    return token


@pytest.fixture(scope="module")
def exchange(project, stranger, token_a, token_b, partner_owner, owner, merchant, alice, bob):
    """The alliance's exchange (deployed by an outsider: it has no owner), a merchant of B,
    and alice and bob holding 10,000 A points each with an unlimited allowance to it."""
    exchange = stranger.deploy(project.PartnerExchange)
    token_b.set_merchant(exchange, EXCHANGE_CAP, "Till", sender=partner_owner)
    for holder in (alice, bob):
        token_a.mint(holder, 10_000, NO_REF, sender=merchant)
        token_a.approve(exchange, MAX_UINT256, sender=holder)
    return exchange


@pytest.fixture
def open_route(exchange, token_a, token_b, owner, partner_owner):
    """Opens the route A -> B at `num`:`den` (B points per A points) with a cap."""

    def open_(num: int, den: int, cap: int = ROUTE_CAP):
        exchange.set_route(token_a, token_b, num, den, cap, sender=partner_owner)
        exchange.approve_route(token_a, token_b, True, sender=owner)

    return open_


# governance: who sets and approves a route


def test_set_route_by_to_tokens_owner(exchange, token_a, token_b, partner_owner):
    tx = exchange.set_route(token_a, token_b, 1, 3, 500, sender=partner_owner)

    assert exchange.routes(token_a, token_b) == (1, 3, 500, False)
    assert_logs(tx, exchange.RouteSet(from_token=token_a, to_token=token_b, rate_num=1, rate_den=3, cap=500))


@pytest.mark.parametrize("caller_name", ["owner", "stranger", "alice", "merchant"])
def test_set_route_by_anyone_else_reverts(exchange, token_a, token_b, request, caller_name):
    caller = request.getfixturevalue(caller_name)  # `owner` owns the *sending* token A

    with ape.reverts(NOT_TO_OWNER):
        exchange.set_route(token_a, token_b, 1, 3, 500, sender=caller)

    assert exchange.routes(token_a, token_b) == (0, 0, 0, False)


def test_approve_route_by_from_tokens_owner(exchange, token_a, token_b, owner):
    tx = exchange.approve_route(token_a, token_b, True, sender=owner)

    assert exchange.routes(token_a, token_b) == (0, 0, 0, True)
    assert_logs(tx, exchange.RouteApproved(from_token=token_a, to_token=token_b, enabled=True))

    tx = exchange.approve_route(token_a, token_b, False, sender=owner)

    assert exchange.routes(token_a, token_b) == (0, 0, 0, False)
    assert_logs(tx, exchange.RouteApproved(from_token=token_a, to_token=token_b, enabled=False))


@pytest.mark.parametrize("caller_name", ["partner_owner", "stranger", "alice"])
def test_approve_route_by_anyone_else_reverts(exchange, token_a, token_b, request, caller_name):
    caller = request.getfixturevalue(caller_name)  # `partner_owner` owns the *receiving* token B

    with ape.reverts(NOT_FROM_OWNER):
        exchange.approve_route(token_a, token_b, True, sender=caller)

    assert exchange.routes(token_a, token_b) == (0, 0, 0, False)


def test_route_governance_follows_token_ownership(exchange, token_a, token_b, partner_owner, accounts):
    successor = accounts[7]
    token_b.transfer_ownership(successor, sender=partner_owner)
    token_b.accept_ownership(sender=successor)

    with ape.reverts(NOT_TO_OWNER):
        exchange.set_route(token_a, token_b, 1, 1, 10, sender=partner_owner)
    exchange.set_route(token_a, token_b, 1, 1, 10, sender=successor)

    assert exchange.routes(token_a, token_b) == (1, 1, 10, False)


def test_route_from_a_token_to_itself_reverts(exchange, token_a, owner):
    with ape.reverts("PartnerExchange: route from a token to itself"):
        exchange.set_route(token_a, token_a, 1, 1, 100, sender=owner)


@pytest.mark.parametrize(
    "num, den, cap, reason",
    [
        (MAX_RATE_PART + 1, 1, 1, RATE_TOO_HIGH),
        (1, MAX_RATE_PART + 1, 1, RATE_TOO_HIGH),
        (1, 1, MAX_CAP + 1, CAP_TOO_HIGH),
    ],
)
def test_set_route_out_of_range_reverts(exchange, token_a, token_b, partner_owner, num, den, cap, reason):
    with ape.reverts(reason):
        exchange.set_route(token_a, token_b, num, den, cap, sender=partner_owner)


def test_set_route_at_the_largest_terms(exchange, token_a, token_b, partner_owner):
    exchange.set_route(token_a, token_b, MAX_RATE_PART, MAX_RATE_PART - 1, MAX_CAP, sender=partner_owner)

    assert exchange.routes(token_a, token_b) == (MAX_RATE_PART, MAX_RATE_PART - 1, MAX_CAP, False)


def test_terms_approval_and_usage_share_a_slot_without_touching_each_other(exchange, token_a, token_b, owner,
                                                                           partner_owner, alice):
    exchange.set_route(token_a, token_b, MAX_RATE_PART, MAX_RATE_PART - 1, MAX_CAP, sender=partner_owner)
    exchange.approve_route(token_a, token_b, True, sender=owner)

    exchange.exchange(token_a, token_b, 10, 10, sender=alice)
    assert exchange.routes(token_a, token_b) == (MAX_RATE_PART, MAX_RATE_PART - 1, MAX_CAP, True)
    assert exchange.used(token_a, token_b) == 10

    exchange.set_route(token_a, token_b, 1, MAX_RATE_PART, 1, sender=partner_owner)  # a cap below the usage
    assert exchange.routes(token_a, token_b) == (1, MAX_RATE_PART, 1, False)  # a new rate withdraws the approval
    assert exchange.used(token_a, token_b) == 10
    exchange.approve_route(token_a, token_b, True, sender=owner)
    assert exchange.routes(token_a, token_b) == (1, MAX_RATE_PART, 1, True)
    assert exchange.used(token_a, token_b) == 10

    exchange.set_route(token_a, token_b, MAX_RATE_PART, 1, 12, sender=partner_owner)
    exchange.approve_route(token_a, token_b, True, sender=owner)
    with ape.reverts(ROUTE_CAP_EXCEEDED):  # 10 + 4,294,967,295 > 12
        exchange.exchange(token_a, token_b, 1, 0, sender=alice)
    assert exchange.used(token_a, token_b) == 10


def test_routes_are_one_way(exchange, token_a, token_b, open_route):
    open_route(2, 1)

    assert exchange.routes(token_a, token_b) == (2, 1, ROUTE_CAP, True)
    assert exchange.routes(token_b, token_a) == (0, 0, 0, False)
    assert exchange.quote(token_b, token_a, 100) == (0, 0)


# a route is open only when both sides agreed and rate and cap are non-zero


def _close_by(step, exchange, token_a, token_b, owner, partner_owner):
    if step == "rate_num 0":
        exchange.set_route(token_a, token_b, 0, 1, ROUTE_CAP, sender=partner_owner)
    elif step == "rate_den 0":
        exchange.set_route(token_a, token_b, 1, 0, ROUTE_CAP, sender=partner_owner)
    elif step == "cap 0":
        exchange.set_route(token_a, token_b, 1, 1, 0, sender=partner_owner)
    elif step == "approval withdrawn":
        exchange.approve_route(token_a, token_b, False, sender=owner)


def test_route_with_nothing_agreed_is_closed(exchange, token_a, token_b, alice):
    with ape.reverts(NO_RATE):
        exchange.exchange(token_a, token_b, 100, 0, sender=alice)


def test_route_set_but_not_approved_is_closed(exchange, token_a, token_b, partner_owner, alice):
    exchange.set_route(token_a, token_b, 1, 1, ROUTE_CAP, sender=partner_owner)

    with ape.reverts(NOT_APPROVED):
        exchange.exchange(token_a, token_b, 100, 0, sender=alice)


def test_route_approved_but_not_set_is_closed(exchange, token_a, token_b, owner, alice):
    exchange.approve_route(token_a, token_b, True, sender=owner)

    with ape.reverts(NO_RATE):
        exchange.exchange(token_a, token_b, 100, 0, sender=alice)


@pytest.mark.parametrize(
    "step, reason",
    [
        ("rate_num 0", NO_RATE),
        ("rate_den 0", NO_RATE),
        ("cap 0", NO_RATE),
        ("approval withdrawn", NOT_APPROVED),
    ],
)
def test_either_side_closes_an_open_route(exchange, token_a, token_b, owner, partner_owner, alice, open_route, step,
                                          reason):
    open_route(1, 1)
    exchange.exchange(token_a, token_b, 100, 100, sender=alice)

    _close_by(step, exchange, token_a, token_b, owner, partner_owner)

    with ape.reverts(reason):
        exchange.exchange(token_a, token_b, 100, 0, sender=alice)
    assert token_a.balanceOf(alice) == 9_900
    assert token_b.balanceOf(alice) == 100

    open_route(1, 1)  # and both sides agreeing again reopens it
    exchange.exchange(token_a, token_b, 100, 100, sender=alice)
    assert token_b.balanceOf(alice) == 200


def test_quote_of_a_route_without_a_rate_is_zero(exchange, token_a, token_b, partner_owner):
    assert exchange.quote(token_a, token_b, 1_000) == (0, 0)
    exchange.set_route(token_a, token_b, 0, 5, ROUTE_CAP, sender=partner_owner)
    assert exchange.quote(token_a, token_b, 1_000) == (0, 0)


# conversion at awkward rates: out = floor(in * num / den), burnt = ceil(out * den / num)


@pytest.mark.parametrize(
    "num, den, amount_in, burnt, out",
    [
        (1, 3, 10, 9, 3),  # the spec's example: the 1 left stays with the holder
        (1, 3, 3, 3, 1),
        (7, 2, 10, 10, 35),
        (7, 2, 5, 5, 17),  # 17.5 -> 17; 4 points would give only 14
        (7, 2, 1, 1, 3),
        (2, 7, 10, 7, 2),  # 2.86 -> 2, for which 7 suffice
        (2, 7, 4, 4, 1),  # 1.14 -> 1, for which 3.5 -> 4 are needed
        (1, 1000, 1000, 1000, 1),
        (1, 1000, 2999, 2000, 2),
        (1000, 1, 1, 1, 1000),
        (3, 1, 4, 4, 12),
        (1, 1, 1, 1, 1),
        (5, 3, 7, 7, 11),
        (3, 7, 10_000, 9_999, 4_285),  # 4285.7 -> 4285, for which 9998.3 -> 9999 are needed
    ],
)
def test_exchange_at_an_awkward_rate(
    exchange, token_a, token_b, open_route, alice, num, den, amount_in, burnt, out
):
    open_route(num, den)
    supply_a, supply_b = token_a.totalSupply(), token_b.totalSupply()

    assert exchange.quote(token_a, token_b, amount_in) == (burnt, out)
    tx = exchange.exchange(token_a, token_b, amount_in, out, sender=alice)

    assert tx.return_value == out
    assert token_a.balanceOf(alice) == 10_000 - burnt
    assert token_b.balanceOf(alice) == out
    assert token_a.totalSupply() == supply_a - burnt
    assert token_b.totalSupply() == supply_b + out
    assert token_a.balanceOf(exchange) == 0
    assert token_b.balanceOf(exchange) == 0
    assert exchange.used(token_a, token_b) == out
    assert_logs(
        tx,
        token_a.Transfer(sender=alice, receiver=ZERO_ADDRESS, value=burnt),
        token_b.Transfer(sender=ZERO_ADDRESS, receiver=alice, value=out),
        token_b.Issued(merchant=exchange, to=alice, amount=out, epoch=token_b.currentEpoch(), ref=ref_of(token_a)),
        exchange.Exchanged(account=alice, from_token=token_a, to_token=token_b, amount_in=burnt, amount_out=out),
    )


@pytest.mark.parametrize(
    "num, den, amount_in",
    [(1, 1000, 999), (1, 1000, 1), (1, 3, 2), (2, 7, 3), (1, 1, 0), (1000, 1, 0)],
)
def test_exchange_that_converts_to_no_points_reverts(exchange, token_a, token_b, open_route, alice, num, den,
                                                     amount_in):
    open_route(num, den)
    assert exchange.quote(token_a, token_b, amount_in) == (0, 0)

    with ape.reverts(NO_POINTS):
        exchange.exchange(token_a, token_b, amount_in, 0, sender=alice)


def test_exchange_below_min_out_reverts(exchange, token_a, token_b, open_route, alice):
    open_route(7, 2)

    with ape.reverts(BELOW_MIN):
        exchange.exchange(token_a, token_b, 5, 18, sender=alice)

    exchange.exchange(token_a, token_b, 5, 17, sender=alice)
    assert token_b.balanceOf(alice) == 17


def test_rate_cut_after_the_quote_is_caught_by_min_out(
    exchange, token_a, token_b, open_route, owner, partner_owner, alice
):
    open_route(3, 1)
    _, quoted = exchange.quote(token_a, token_b, 100)

    exchange.set_route(token_a, token_b, 2, 1, ROUTE_CAP, sender=partner_owner)  # lands first
    exchange.approve_route(token_a, token_b, True, sender=owner)  # and A's owner agrees to it

    with ape.reverts(BELOW_MIN):
        exchange.exchange(token_a, token_b, 100, quoted, sender=alice)
    assert token_a.balanceOf(alice) == 10_000


def test_exchange_needs_an_allowance_for_the_burnt_part_only(exchange, token_a, token_b, open_route, carol, merchant):
    open_route(1, 3)
    token_a.mint(carol, 100, NO_REF, sender=merchant)

    with ape.reverts(NO_ALLOWANCE):
        exchange.exchange(token_a, token_b, 10, 3, sender=carol)

    token_a.approve(exchange, 8, sender=carol)
    with ape.reverts(NO_ALLOWANCE):
        exchange.exchange(token_a, token_b, 10, 3, sender=carol)

    token_a.approve(exchange, 9, sender=carol)  # 10 offered, 9 burnt
    exchange.exchange(token_a, token_b, 10, 3, sender=carol)
    assert token_a.allowance(carol, exchange) == 0
    assert token_a.balanceOf(carol) == 91
    assert token_b.balanceOf(carol) == 3


def test_exchange_spends_only_the_callers_points(exchange, token_a, token_b, open_route, alice, carol):
    open_route(1, 1)
    token_a.approve(exchange, MAX_UINT256, sender=carol)

    with ape.reverts(INSUFFICIENT):  # carol holds no A points; alice's are not hers to offer
        exchange.exchange(token_a, token_b, 1, 0, sender=carol)
    assert token_a.balanceOf(alice) == 10_000


def test_exchange_with_too_few_points_reverts(exchange, token_a, token_b, open_route, alice):
    open_route(1, 1)

    with ape.reverts(INSUFFICIENT):
        exchange.exchange(token_a, token_b, 10_001, 0, sender=alice)


# caps


def test_route_cap_per_to_tokens_cap_period(exchange, token_a, token_b, open_route, merchant, alice, carol, chain):
    # Start at the first second of a B cap period so that the whole period lies ahead.
    period_b = (chain.pending_timestamp - token_b.cap_period_start()) // B_CAP_PERIOD + 1
    start = token_b.cap_period_start() + period_b * B_CAP_PERIOD
    chain.pending_timestamp = start
    open_route(3, 1, cap=30)  # 30 B points per B cap period

    exchange.exchange(token_a, token_b, 6, 0, sender=alice)  # 18
    with ape.reverts(ROUTE_CAP_EXCEEDED):
        exchange.exchange(token_a, token_b, 5, 0, sender=alice)  # 18 + 15 > 30
    exchange.exchange(token_a, token_b, 4, 0, sender=alice)  # 18 + 12 = 30: up to the cap
    assert exchange.used(token_a, token_b) == 30
    with ape.reverts(ROUTE_CAP_EXCEEDED):
        exchange.exchange(token_a, token_b, 1, 0, sender=alice)  # one more

    # A's cap period turns over, B's does not: still capped.
    a_next = token_a.cap_period_start() + ((start - token_a.cap_period_start()) // A_CAP_PERIOD + 1) * A_CAP_PERIOD
    assert start < a_next < start + B_CAP_PERIOD
    chain.mine(timestamp=a_next)
    assert exchange.used(token_a, token_b) == 30
    with ape.reverts(ROUTE_CAP_EXCEEDED):
        exchange.exchange(token_a, token_b, 1, 0, sender=alice)

    # B's next cap period resets the route's usage (alice's A points have expired by then: carol
    # exchanges fresh ones).
    chain.mine(timestamp=start + B_CAP_PERIOD)
    assert exchange.used(token_a, token_b) == 0
    token_a.mint(carol, 100, NO_REF, sender=merchant)
    token_a.approve(exchange, 100, sender=carol)
    exchange.exchange(token_a, token_b, 10, 30, sender=carol)
    assert exchange.used(token_a, token_b) == 30
    assert token_b.balanceOf(carol) == 30
    assert token_b.balanceOf(alice) == 30
    with ape.reverts(ROUTE_CAP_EXCEEDED):
        exchange.exchange(token_a, token_b, 1, 0, sender=carol)


def test_route_usage_lasts_to_the_last_second_of_to_tokens_cap_period(
    exchange, token_a, token_b, open_route, merchant, alice, carol, chain
):
    period_b = (chain.pending_timestamp - token_b.cap_period_start()) // B_CAP_PERIOD + 1
    start = token_b.cap_period_start() + period_b * B_CAP_PERIOD
    open_route(1, 1, cap=30)

    chain.pending_timestamp = start
    exchange.exchange(token_a, token_b, 10, 0, sender=alice)
    # Points that outlive the period (alice's expire before its end).
    token_a.mint(carol, 100, NO_REF, sender=merchant)
    token_a.approve(exchange, 100, sender=carol)
    chain.pending_timestamp = start + B_CAP_PERIOD - 1
    tx = exchange.exchange(token_a, token_b, 10, 0, sender=carol)
    assert tx.timestamp == start + B_CAP_PERIOD - 1
    assert exchange.used(token_a, token_b) == 20

    chain.pending_timestamp = start + B_CAP_PERIOD
    tx = exchange.exchange(token_a, token_b, 25, 0, sender=carol)  # 20 + 25 > 30 in the old period
    assert tx.timestamp == start + B_CAP_PERIOD
    assert exchange.used(token_a, token_b) == 25


@pytest.mark.parametrize("cap_period", [2**64 - 1])  # the longest a token accepts
def test_route_into_a_token_whose_cap_period_outlasts_any_block(
    exchange, token_a, deploy_token, owner, partner_owner, merchant, alice, carol, chain, cap_period
):
    token_c = deploy_token(name="Cinema Stars", symbol="STAR", cap_period=cap_period, owner=partner_owner)
    token_c.set_merchant(exchange, EXCHANGE_CAP, "Till", sender=partner_owner)
    exchange.set_route(token_a, token_c, 1, 1, 50, sender=partner_owner)
    exchange.approve_route(token_a, token_c, True, sender=owner)

    exchange.exchange(token_a, token_c, 30, 0, sender=alice)
    # Decades later (alice's A points have expired: carol exchanges fresh ones), C's first
    # cap period still runs.
    chain.mine(timestamp=chain.blocks.head.timestamp + 10**9)
    token_a.mint(carol, 100, NO_REF, sender=merchant)
    token_a.approve(exchange, 100, sender=carol)
    exchange.exchange(token_a, token_c, 20, 0, sender=carol)

    assert exchange.used(token_a, token_c) == 50
    with ape.reverts(ROUTE_CAP_EXCEEDED):
        exchange.exchange(token_a, token_c, 1, 0, sender=carol)


def test_single_exchange_over_the_route_cap_reverts(exchange, token_a, token_b, open_route, alice):
    open_route(1, 1, cap=50)

    with ape.reverts(ROUTE_CAP_EXCEEDED):
        exchange.exchange(token_a, token_b, 51, 0, sender=alice)
    assert exchange.used(token_a, token_b) == 0


def test_route_caps_are_per_route(exchange, token_a, token_b, open_route, deploy_token, owner, partner_owner, merchant,
                                  alice):
    token_c = deploy_token(name="Cinema Stars", symbol="STAR", owner=partner_owner)
    token_c.set_merchant(exchange, EXCHANGE_CAP, "Till", sender=partner_owner)
    exchange.set_route(token_a, token_c, 1, 1, 50, sender=partner_owner)
    exchange.approve_route(token_a, token_c, True, sender=owner)
    open_route(1, 1, cap=50)

    exchange.exchange(token_a, token_b, 50, 0, sender=alice)
    exchange.exchange(token_a, token_c, 50, 0, sender=alice)

    assert exchange.used(token_a, token_b) == 50
    assert exchange.used(token_a, token_c) == 50
    assert token_c.balanceOf(alice) == 50


def test_to_tokens_merchant_cap_on_the_exchange_also_bounds_it(exchange, token_a, token_b, open_route, partner_owner,
                                                               alice):
    open_route(1, 1, cap=1_000)
    token_b.set_merchant(exchange, 40, "Till", sender=partner_owner)

    exchange.exchange(token_a, token_b, 40, 0, sender=alice)
    assert token_b.mintable(exchange) == 0

    with ape.reverts(MERCHANT_CAP_EXCEEDED):
        exchange.exchange(token_a, token_b, 1, 0, sender=alice)
    assert exchange.used(token_a, token_b) == 40
    assert token_a.balanceOf(alice) == 10_000 - 40


def test_exchange_that_is_not_a_merchant_of_to_token_reverts(exchange, token_a, token_b, open_route, partner_owner,
                                                             alice):
    open_route(1, 1)
    token_b.set_merchant(exchange, 0, "Till", sender=partner_owner)

    with ape.reverts(NOT_A_MERCHANT):
        exchange.exchange(token_a, token_b, 10, 0, sender=alice)
    assert exchange.used(token_a, token_b) == 0


# pauses


@pytest.mark.parametrize("paused", ["from_token", "to_token"])
def test_pause_on_either_token_reverts_the_exchange(exchange, token_a, token_b, open_route, owner, partner_owner,
                                                    alice, paused):
    open_route(1, 1)
    token, its_owner = (token_a, owner) if paused == "from_token" else (token_b, partner_owner)
    token.pause(sender=its_owner)

    with ape.reverts(PAUSED):
        exchange.exchange(token_a, token_b, 10, 0, sender=alice)
    assert token_a.balanceOf(alice) == 10_000
    assert exchange.used(token_a, token_b) == 0

    token.unpause(sender=its_owner)
    exchange.exchange(token_a, token_b, 10, 10, sender=alice)
    assert token_b.balanceOf(alice) == 10


# expiry


def test_exchange_burns_soonest_expiring_and_issues_fresh_points(exchange, token_a, token_b, open_route, merchant,
                                                                 carol, chain):
    open_route(1, 1)
    token_a.approve(exchange, MAX_UINT256, sender=carol)
    first = token_a.currentEpoch()
    token_a.mint(carol, 30, NO_REF, sender=merchant)
    chain.pending_timestamp = token_a.epoch_start() + (first + 2) * A_EPOCH
    token_a.mint(carol, 40, NO_REF, sender=merchant)
    a_expiry = token_a.epoch_start() + (first + A_VALIDITY) * A_EPOCH
    assert token_a.getNearestExpiryOf(carol) == (30, a_expiry)

    tx = exchange.exchange(token_a, token_b, 50, 50, sender=carol)

    assert token_a.balanceOfAtEpoch(first, carol) == 0
    assert token_a.balanceOfAtEpoch(first + 2, carol) == 20
    b_epoch = token_b.currentEpoch()
    b_expiry = token_b.epoch_start() + (b_epoch + B_VALIDITY) * B_EPOCH
    assert token_b.balanceOfAtEpoch(b_epoch, carol) == 50
    assert token_b.getNearestExpiryOf(carol) == (50, b_expiry)
    assert b_expiry > a_expiry  # points about to expire on A start a fresh validity on B
    assert tx.events[2] == token_b.Issued(merchant=exchange, to=carol, amount=50, epoch=b_epoch, ref=ref_of(token_a))


def test_exchange_of_partly_expired_points_burns_only_live_ones(exchange, token_a, token_b, open_route, merchant,
                                                                carol, chain):
    open_route(1, 2)
    token_a.approve(exchange, MAX_UINT256, sender=carol)
    first = token_a.currentEpoch()
    token_a.mint(carol, 100, NO_REF, sender=merchant)
    chain.pending_timestamp = token_a.epoch_start() + (first + 3) * A_EPOCH
    token_a.mint(carol, 60, NO_REF, sender=merchant)
    chain.mine(timestamp=token_a.epoch_start() + (first + A_VALIDITY) * A_EPOCH)  # the 100 expire
    assert token_a.balanceOf(carol) == 60
    supply = token_a.totalSupply()

    with ape.reverts(INSUFFICIENT):
        exchange.exchange(token_a, token_b, 100, 0, sender=carol)
    with ape.reverts(INSUFFICIENT):
        exchange.exchange(token_a, token_b, 62, 0, sender=carol)

    tx = exchange.exchange(token_a, token_b, 61, 30, sender=carol)  # 60 burnt for 30, 1 offered in vain

    assert tx.return_value == 30
    assert token_a.balanceOf(carol) == 0
    assert token_a.balanceOfAtEpoch(first + 3, carol) == 0
    assert token_a.totalSupply() == supply - 60
    assert token_b.balanceOf(carol) == 30
    assert tx.events[-1] == exchange.Exchanged(account=carol, from_token=token_a, to_token=token_b, amount_in=60,
                                               amount_out=30)


# exchange_with_permit: a real EIP-2612 signature, one transaction


@pytest.fixture
def holder(token_a, merchant, carol):
    """Carol: 1,000 A points and no allowance to the exchange."""
    token_a.mint(carol, 1_000, NO_REF, sender=merchant)
    return carol


@pytest.fixture
def deadline(chain):
    return chain.pending_timestamp + 3_600


def test_exchange_with_permit_in_one_transaction(exchange, token_a, token_b, open_route, holder, chain, deadline):
    open_route(1, 3)
    assert token_a.allowance(holder, exchange) == 0
    v, r, s = sign_permit(chain, token_a, holder, exchange, 10, deadline)

    tx = exchange.exchange_with_permit(token_a, token_b, 10, 3, deadline, v, r, s, sender=holder)

    assert tx.return_value == 3
    assert token_a.balanceOf(holder) == 991
    assert token_b.balanceOf(holder) == 3
    assert token_a.nonces(holder) == 1
    assert token_a.allowance(holder, exchange) == 1  # permitted 10, burnt 9
    assert_logs(
        tx,
        token_a.Approval(owner=holder, spender=exchange, value=10),
        token_a.Transfer(sender=holder, receiver=ZERO_ADDRESS, value=9),
        token_b.Transfer(sender=ZERO_ADDRESS, receiver=holder, value=3),
        token_b.Issued(merchant=exchange, to=holder, amount=3, epoch=token_b.currentEpoch(), ref=ref_of(token_a)),
        exchange.Exchanged(account=holder, from_token=token_a, to_token=token_b, amount_in=9, amount_out=3),
    )


def test_front_run_permit_still_lets_the_exchange_through(exchange, token_a, token_b, open_route, holder, stranger,
                                                          chain, deadline):
    open_route(1, 3)
    v, r, s = sign_permit(chain, token_a, holder, exchange, 10, deadline)
    token_a.permit(holder, exchange, 10, deadline, v, r, s, sender=stranger)  # seen in the mempool, submitted first

    tx = exchange.exchange_with_permit(token_a, token_b, 10, 3, deadline, v, r, s, sender=holder)

    assert tx.return_value == 3
    assert token_a.nonces(holder) == 1
    assert token_a.balanceOf(holder) == 991
    assert token_a.allowance(holder, exchange) == 1


@pytest.mark.parametrize("flaw", ["wrong signer", "value below amount_in", "expired", "wrong spender", "used nonce"])
def test_bad_permit_without_allowance_reverts(exchange, token_a, token_b, open_route, holder, bob, stranger, chain,
                                              deadline, flaw):
    open_route(1, 3)
    signer, spender, value, when, nonce = holder, exchange, 10, deadline, None
    if flaw == "wrong signer":
        signer = bob
    elif flaw == "value below amount_in":
        value = 9
    elif flaw == "expired":
        when = chain.pending_timestamp - 1
    elif flaw == "wrong spender":
        spender = stranger
    elif flaw == "used nonce":
        token_a.permit(holder, stranger, 0, deadline, *sign_permit(chain, token_a, holder, stranger, 0, deadline),
                       sender=holder)
        nonce = 0
    v, r, s = sign_permit(chain, token_a, signer, spender, value, when, owner=holder, nonce=nonce)

    with ape.reverts(PERMIT_FAILED):
        exchange.exchange_with_permit(token_a, token_b, 10, 3, when, v, r, s, sender=holder)
    assert token_a.balanceOf(holder) == 1_000


def test_someone_else_cannot_use_a_holders_permit(exchange, token_a, token_b, open_route, holder, stranger, chain,
                                                  deadline):
    open_route(1, 3)
    v, r, s = sign_permit(chain, token_a, holder, exchange, 10, deadline)

    with ape.reverts(PERMIT_FAILED):  # the permit is applied for the caller, not for the signer
        exchange.exchange_with_permit(token_a, token_b, 10, 3, deadline, v, r, s, sender=stranger)
    assert token_a.balanceOf(holder) == 1_000
    assert token_a.nonces(holder) == 0


def test_exchange_with_permit_checks_the_route(exchange, token_a, token_b, holder, chain, deadline):
    v, r, s = sign_permit(chain, token_a, holder, exchange, 10, deadline)

    with ape.reverts(NO_RATE):
        exchange.exchange_with_permit(token_a, token_b, 10, 3, deadline, v, r, s, sender=holder)
    assert token_a.nonces(holder) == 0  # the permit was rolled back with the exchange


# exchange_with_sig: the account signs, a relayer submits and pays the gas


SIG_INVALID = "PartnerExchange: invalid exchange signature"
SIG_EXPIRED = "PartnerExchange: exchange signature has expired"


@pytest.fixture
def relayer(accounts):
    return accounts[9]


@pytest.fixture
def signed_exchange(exchange, token_a, token_b, open_route, holder, chain, deadline):
    """Carol's allowance for the exchange (given once) and her signature for 30 A points at 1:3,
    at least 10 B points out, with its arguments."""
    open_route(1, 3)
    token_a.approve(exchange, MAX_UINT256, sender=holder)
    args = {"from_token": token_a, "to_token": token_b, "amount_in": 30, "min_out": 10, "deadline": deadline}
    return args, sign_exchange(chain, exchange, holder, **args)


def submit_exchange(exchange, account, args: dict, signature: bytes, sender):
    return exchange.exchange_with_sig(
        account, args["from_token"], args["to_token"], args["amount_in"], args["min_out"], args["deadline"], signature,
        sender=sender,
    )


def test_relayer_exchanges_on_the_accounts_signature_and_pays_the_gas(
    exchange, token_a, token_b, holder, relayer, signed_exchange
):
    args, signature = signed_exchange
    holder_eth = holder.balance

    tx = submit_exchange(exchange, holder, args, signature, relayer)

    assert tx.return_value == 10
    assert token_a.balanceOf(holder) == 970
    assert token_b.balanceOf(holder) == 10
    assert token_a.balanceOf(relayer) == token_b.balanceOf(relayer) == 0
    assert exchange.nonces(holder) == 1
    assert token_a.nonces(holder) == 0  # the exchange's nonces are its own
    assert holder.balance == holder_eth
    assert_logs(
        tx,
        token_a.Transfer(sender=holder, receiver=ZERO_ADDRESS, value=30),
        token_b.Transfer(sender=ZERO_ADDRESS, receiver=holder, value=10),
        token_b.Issued(merchant=exchange, to=holder, amount=10, epoch=token_b.currentEpoch(), ref=ref_of(token_a)),
        exchange.Exchanged(account=holder, from_token=token_a, to_token=token_b, amount_in=30, amount_out=10),
    )


def test_a_replayed_exchange_signature_reverts(exchange, token_b, holder, relayer, signed_exchange):
    args, signature = signed_exchange
    submit_exchange(exchange, holder, args, signature, relayer)

    with ape.reverts(SIG_INVALID):
        submit_exchange(exchange, holder, args, signature, relayer)
    assert token_b.balanceOf(holder) == 10


@pytest.mark.parametrize(
    "alter",
    [
        lambda args: {"amount_in": 60},
        lambda args: {"min_out": 1},
        lambda args: {"deadline": args["deadline"] + 1},
        lambda args: {"to_token": args["from_token"], "from_token": args["to_token"]},
    ],
    ids=["amount_in", "min_out", "deadline", "direction"],
)
def test_an_altered_field_reverts(exchange, token_a, holder, relayer, signed_exchange, alter):
    args, signature = signed_exchange
    altered = args | alter(args)

    with ape.reverts(SIG_INVALID):
        submit_exchange(exchange, holder, altered, signature, relayer)
    assert token_a.balanceOf(holder) == 1_000


def test_an_exchange_signed_for_another_account_reverts(exchange, token_a, holder, bob, relayer, signed_exchange):
    args, signature = signed_exchange

    with ape.reverts(SIG_INVALID):
        submit_exchange(exchange, bob, args, signature, relayer)
    assert token_a.balanceOf(bob) == 10_000


@pytest.mark.parametrize(
    "domain",
    [{"name": "Coffee Club Points"}, {"version": "2"}, {"chainId": 1}, {"verifyingContract": ZERO_ADDRESS}],
    ids=["token-name", "version", "chain", "contract"],
)
def test_an_exchange_signed_for_another_domain_reverts(
    exchange, token_a, holder, relayer, signed_exchange, chain, domain
):
    args, _ = signed_exchange
    signature = sign_exchange(chain, exchange, holder, **args, **domain)

    with ape.reverts(SIG_INVALID):
        submit_exchange(exchange, holder, args, signature, relayer)
    assert token_a.balanceOf(holder) == 1_000


def test_an_expired_exchange_signature_reverts(exchange, holder, relayer, signed_exchange, chain):
    args, signature = signed_exchange
    chain.pending_timestamp = args["deadline"] + 1

    with ape.reverts(SIG_EXPIRED):
        submit_exchange(exchange, holder, args, signature, relayer)


def test_an_exchange_signature_at_its_deadline_is_accepted(exchange, holder, relayer, signed_exchange, chain):
    args, signature = signed_exchange
    chain.pending_timestamp = args["deadline"]

    assert submit_exchange(exchange, holder, args, signature, relayer).return_value == 10


def test_a_signed_exchange_needs_the_accounts_allowance(
    exchange, token_a, token_b, open_route, holder, relayer, chain, deadline
):
    open_route(1, 3)
    args = {"from_token": token_a, "to_token": token_b, "amount_in": 30, "min_out": 10, "deadline": deadline}

    with ape.reverts(NO_ALLOWANCE):
        submit_exchange(exchange, holder, args, sign_exchange(chain, exchange, holder, **args), relayer)
    assert exchange.nonces(holder) == 0  # rolled back with the exchange


def test_a_signed_exchange_for_the_zero_account_reverts(exchange, token_a, token_b, relayer, deadline):
    args = {"from_token": token_a, "to_token": token_b, "amount_in": 30, "min_out": 10, "deadline": deadline}

    with ape.reverts("PartnerExchange: account is the zero address"):
        submit_exchange(exchange, ZERO_ADDRESS, args, b"\x01" * 65, relayer)


def test_a_signed_exchange_checks_route_and_min_out(
    exchange, token_a, token_b, holder, relayer, signed_exchange, partner_owner, owner, chain
):
    args, _ = signed_exchange
    greedy = dict(args, min_out=11)

    with ape.reverts(BELOW_MIN):
        submit_exchange(exchange, holder, greedy, sign_exchange(chain, exchange, holder, **greedy), relayer)
    exchange.approve_route(token_a, token_b, False, sender=owner)
    with ape.reverts(NOT_APPROVED):
        submit_exchange(exchange, holder, args, sign_exchange(chain, exchange, holder, **args), relayer)


def test_the_exchanges_domain_is_its_own(exchange, chain):
    fields, name, version, chain_id, verifying_contract, _salt, _extensions = exchange.eip712Domain()

    assert (name, version, chain_id, verifying_contract) == ("PartnerExchange", "1", chain.chain_id, exchange.address)
    assert fields == b"\x0f"
