"""A property of the `PartnerExchange`.

For any sequence of exchanges (random holders, routes at awkward rates, amounts, and `min_out`
that the exchange may or may not meet), each exchange either reverts with the reason the rules
predict and changes nothing, or burns exactly `ceil(out * den / num)` and issues exactly
`out = floor(in * num / den)`; per route the burnt and issued totals match the rate, the route's
usage is the issued total, each token's supply moves by what was issued into it minus what was
burnt from it, and no holder's points are lost.
"""

import ape
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.contracts.signing_helpers import NO_REF

MAX_UINT256 = 2**256 - 1
START_BALANCE = 2_000
LONG = 10**7  # seconds: no point expires and no cap period turns over during a run

# (from, to, rate_num, rate_den, cap): to-token points per from-token points, cap in to-token points.
ROUTES = [
    ("A", "B", 1, 3, 400),
    ("B", "A", 7, 2, 3_000),
    ("A", "C", 2, 7, 500),
    ("C", "B", 3, 1, 600),
    ("B", "C", 1, 1000, 5),
    ("C", "A", 5, 3, 2_500),
]

NO_POINTS = "PartnerExchange: amount_in converts to no points"
BELOW_MIN = "PartnerExchange: amount_out below min_out"
ROUTE_CAP_EXCEEDED = "PartnerExchange: route cap for this period exceeded"
INSUFFICIENT = "expiring_ledger: amount exceeds unexpired balance"


@pytest.fixture(scope="module")
def alliance(project, deploy_token, owner, merchant, alice, bob, carol, accounts, stranger):
    """Three programs (A owned by `owner`, B and C by a partner), an exchange that is a merchant
    of each, every route of ROUTES open, and three holders with START_BALANCE points of each
    program and an unlimited allowance to the exchange."""
    partner = accounts[8]
    tokens = {
        "A": deploy_token(epoch_length=LONG, cap_period=LONG),
        "B": deploy_token(name="Sky Miles", symbol="MILE", epoch_length=LONG, cap_period=LONG, owner=partner),
        "C": deploy_token(name="Cinema Stars", symbol="STAR", epoch_length=LONG, cap_period=LONG, owner=partner),
    }
    owners = {"A": owner, "B": partner, "C": partner}
    exchange = stranger.deploy(project.PartnerExchange)
    holders = [alice, bob, carol]
    for key, token in tokens.items():
        token.set_merchant(exchange, 10**12, "Till", sender=owners[key])
        token.set_merchant(merchant, 10**12, "Till", sender=owners[key])
        token.mint_batch(holders, [START_BALANCE] * len(holders), NO_REF, sender=merchant)
        for holder in holders:
            token.approve(exchange, MAX_UINT256, sender=holder)
    for src, dst, num, den, cap in ROUTES:
        exchange.set_route(tokens[src], tokens[dst], num, den, cap, sender=owners[dst])
        exchange.approve_route(tokens[src], tokens[dst], True, sender=owners[src])
    return exchange, tokens, holders


steps = st.lists(
    st.tuples(
        st.integers(0, 2),  # holder
        st.integers(0, len(ROUTES) - 1),  # route
        st.one_of(st.integers(0, 12), st.integers(0, 2_500)),  # amount_in: near the rates' steps, or large
        st.sampled_from(["none", "exact", "one more"]),  # min_out: 0, the quote, the quote + 1
    ),
    min_size=1,
    max_size=8,
)


@settings(
    max_examples=20,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=steps)
def test_exchanges_burn_and_issue_exactly_at_the_rate(alliance, chain, steps):
    exchange, tokens, holders = alliance
    snapshot = chain.snapshot()
    try:
        _run(exchange, tokens, holders, steps)
    finally:
        chain.restore(snapshot)


def _run(exchange, tokens, holders, steps):
    supply = {key: token.totalSupply() for key, token in tokens.items()}
    issued_into = dict.fromkeys(tokens, 0)
    burnt_from = dict.fromkeys(tokens, 0)
    route_in = [0] * len(ROUTES)
    route_out = [0] * len(ROUTES)
    route_count = [0] * len(ROUTES)
    held = {(h.address, key): tokens[key].balanceOf(h) for h in holders for key in tokens}

    for holder_index, route_index, amount_in, min_rule in steps:
        holder = holders[holder_index]
        src, dst, num, den, cap = ROUTES[route_index]
        from_token, to_token = tokens[src], tokens[dst]

        # The rules, computed independently of the contract.
        out = amount_in * num // den
        burnt = -(-out * den // num)  # ceil(out * den / num)
        min_out = {"none": 0, "exact": out, "one more": out + 1}[min_rule]
        if out == 0:
            reason = NO_POINTS
        elif out < min_out:
            reason = BELOW_MIN
        elif route_out[route_index] + out > cap:
            reason = ROUTE_CAP_EXCEEDED
        elif held[(holder.address, src)] < burnt:
            reason = INSUFFICIENT
        else:
            reason = None

        assert exchange.quote(from_token, to_token, amount_in) == (burnt, out)
        if reason is not None:
            with ape.reverts(reason):
                exchange.exchange(from_token, to_token, amount_in, min_out, sender=holder)
        else:
            tx = exchange.exchange(from_token, to_token, amount_in, min_out, sender=holder)
            [logged] = tx.decode_logs(exchange.Exchanged)
            assert (logged.account, logged.amount_in, logged.amount_out) == (holder.address, burnt, out)
            # the burnt part is the least input that yields `out`, and never more than offered
            assert burnt <= amount_in
            assert burnt * num // den == out
            assert (burnt - 1) * num // den < out
            held[(holder.address, src)] -= burnt
            held[(holder.address, dst)] += out
            burnt_from[src] += burnt
            issued_into[dst] += out
            route_in[route_index] += burnt
            route_out[route_index] += out
            route_count[route_index] += 1

        # no holder's points are lost or gained beyond what the exchange accounts for
        assert from_token.balanceOf(holder) == held[(holder.address, src)]
        assert to_token.balanceOf(holder) == held[(holder.address, dst)]

    for index, (src, dst, num, den, _) in enumerate(ROUTES):
        assert exchange.used(tokens[src], tokens[dst]) == route_out[index]
        # per route, what was burnt pays for what was issued at the rate, and each exchange
        # overpaid by less than one step of the rate (the rounding of a whole point)
        if route_count[index] == 0:
            assert route_in[index] == route_out[index] == 0
        else:
            assert route_out[index] * den <= route_in[index] * num < route_out[index] * den + route_count[index] * num
    for key, token in tokens.items():
        assert token.totalSupply() == supply[key] - burnt_from[key] + issued_into[key]
        for holder in holders:
            assert token.balanceOf(holder) == held[(holder.address, key)]
    assert sum(held.values()) == sum(supply.values()) - sum(burnt_from.values()) + sum(issued_into.values())
