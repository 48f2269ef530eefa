"""The spending suite: redemption and partner exchange against plain ERC-20 operations, and the
cost of the public names that `set_merchant` and `add_reward` put on chain.

Targets: `redeem` at most 1.6 x a plain `burn`; `exchange` at most 1.05 x a plain `burn_from`
plus a plain `mint`, sent as two transactions (the accepted target: the exchange's own route
bookkeeping and cross-contract calls cost the rest). `redeem_with_sig` and `exchange_with_sig` are
reported against the same baselines without a target: their extra is the signature check, which a
plain ERC-20 has no counterpart for. Holders hold points in every live epoch of the sending program
(as in the ledger suite), and the receiver of an exchange already holds current-epoch points of the
receiving program, like the plain mint it is compared with. The first exchange into an account is
reported too, against a plain mint to a new holder.
"""

from dataclasses import dataclass

from ape.api import AccountAPI
from ape.contracts import ContractInstance

from benchmarks.context import Bench, fresh_address, order_ref
from benchmarks.measure import gas_used
from benchmarks.params import MERCHANT_CAP, POINTS, VALIDITY
from benchmarks.table import Row
from points.signing import (
    EXCHANGE_DOMAIN_NAME,
    SigningDomain,
    exchange_typed_data,
    permit_typed_data,
    redeem_typed_data,
    sign_typed_data,
)

FIRST_EPOCH = 1
PRICE = 50
FAR_DEADLINE = 2**64
RATE_NUM, RATE_DEN = 1, 2
ROUTE_CAP = 10**12
# A typical till or reward label: 20 characters.
TYPICAL_NAME = "Downtown store no. 7"


@dataclass(frozen=True)
class PlainSpendingGas:
    burn: int
    burn_from: int
    mint_existing_holder: int
    mint_new_holder: int
    permit: int


@dataclass(frozen=True)
class SpendingGas:
    redeem: int
    redeem_with_sig: int
    exchange: int
    exchange_first_points: int
    exchange_with_permit: int
    exchange_with_sig: int
    exchange_with_sig_first: int


@dataclass(frozen=True)
class NameGas:
    set_merchant_named: int
    set_merchant_unnamed: int
    add_reward_named: int
    add_reward_unnamed: int


def _domain(token: ContractInstance, bench: Bench) -> SigningDomain:
    return SigningDomain(name=token.name(), chain_id=bench.chain.chain_id, address=token.address)


def _permit_arguments(token: ContractInstance, bench: Bench, owner: AccountAPI, spender: str, value: int) -> tuple:
    typed = permit_typed_data(_domain(token, bench), owner.address, spender, value, token.nonces(owner),
                              FAR_DEADLINE)
    signature = sign_typed_data(owner.private_key, typed)
    return FAR_DEADLINE, signature.v, signature.r, signature.s


def measure_plain_spending(bench: Bench) -> PlainSpendingGas:
    token = bench.deploy_plain()
    holder, spender, permitter = bench.holders[:3]
    existing = bench.holders[3]
    for account in (holder, existing, permitter):
        token.mint(account, POINTS * VALIDITY, sender=bench.merchant)
    token.approve(spender, POINTS * VALIDITY, sender=holder)

    burn = gas_used(token.burn(PRICE, sender=holder))
    burn_from = gas_used(token.burn_from(holder, PRICE, sender=spender))
    mint_existing_holder = gas_used(token.mint(existing, POINTS, sender=bench.merchant))
    mint_new_holder = gas_used(token.mint(bench.holders[4], POINTS, sender=bench.merchant))
    permit = gas_used(token.permit(permitter, spender, POINTS, *_permit_arguments(token, bench, permitter,
                                                                                    spender.address, POINTS),
                                   sender=spender))
    return PlainSpendingGas(burn, burn_from, mint_existing_holder, mint_new_holder, permit)


def _exchange_with_sig(exchange: ContractInstance, source: ContractInstance, target: ContractInstance,
                       bench: Bench, account: AccountAPI) -> int:
    """An exchange the account signed and a relayer (the merchant's till here) sends and pays for."""
    domain = SigningDomain(EXCHANGE_DOMAIN_NAME, bench.chain.chain_id, exchange.address)
    typed = exchange_typed_data(domain, account.address, source.address, target.address, 2 * PRICE, PRICE,
                                exchange.nonces(account), FAR_DEADLINE)
    signature = sign_typed_data(account.private_key, typed).packed
    return gas_used(exchange.exchange_with_sig(account, source, target, 2 * PRICE, PRICE, FAR_DEADLINE, signature,
                                               sender=bench.merchant))


def measure_spending(bench: Bench) -> SpendingGas:
    source = bench.deploy_points()
    target = bench.deploy_points()
    exchange = bench.owner.deploy(bench.exchange)
    target.set_merchant(exchange, MERCHANT_CAP, "Partner exchange", sender=bench.owner)
    exchange.set_route(source, target, RATE_NUM, RATE_DEN, ROUTE_CAP, sender=bench.owner)
    exchange.approve_route(source, target, True, sender=bench.owner)
    reward_id = source.reward_count() + 1
    source.add_reward(PRICE, 1_000, bench.merchant, TYPICAL_NAME, sender=bench.owner)

    redeemer, signer, exchanger, newcomer, permitter, warmer, sig_exchanger = bench.holders[:7]
    holders = [redeemer, signer, exchanger, newcomer, permitter, warmer, sig_exchanger]
    for epoch in range(FIRST_EPOCH, FIRST_EPOCH + VALIDITY):
        bench.travel_to_epoch(source, epoch)
        source.mint_batch(holders, [POINTS] * len(holders), order_ref(f"spend-{epoch}"), sender=bench.merchant)
    # The exchanger already holds current-epoch points on the receiving side.
    target.mint(exchanger, POINTS, order_ref("target-existing"), sender=bench.merchant)
    for account in (exchanger, newcomer, warmer, sig_exchanger):
        source.approve(exchange, POINTS * VALIDITY, sender=account)

    redeem = gas_used(source.redeem(reward_id, 1, PRICE, sender=redeemer))

    typed = redeem_typed_data(_domain(source, bench), signer.address, reward_id, 1, PRICE, source.nonces(signer),
                              FAR_DEADLINE)
    signature = sign_typed_data(signer.private_key, typed)
    redeem_with_sig = gas_used(source.redeem_with_sig(signer, reward_id, 1, PRICE, FAR_DEADLINE, signature.packed,
                                                      sender=bench.merchant))

    # A route's first exchange and the exchange's first mint write fresh slots once, and a
    # route's first exchange in a cap period asks the receiving token for the period; the
    # measured exchanges come after one that did, as every later exchange in the period does.
    exchange.exchange(source, target, 2 * PRICE, PRICE, sender=warmer)
    exchange_existing = gas_used(exchange.exchange(source, target, 2 * PRICE, PRICE, sender=exchanger))
    exchange_first_points = gas_used(exchange.exchange(source, target, 2 * PRICE, PRICE, sender=newcomer))

    permit = _permit_arguments(source, bench, permitter, exchange.address, 2 * PRICE)
    exchange_with_permit = gas_used(exchange.exchange_with_permit(source, target, 2 * PRICE, PRICE, *permit,
                                                                  sender=permitter))

    # An account's first signed exchange writes its nonce on the exchange for the first time (and
    # its first points on the receiving side); the measured one is its next, as every later one is.
    exchange_with_sig_first = _exchange_with_sig(exchange, source, target, bench, sig_exchanger)
    exchange_with_sig = _exchange_with_sig(exchange, source, target, bench, sig_exchanger)
    return SpendingGas(redeem, redeem_with_sig, exchange_existing, exchange_first_points, exchange_with_permit,
                       exchange_with_sig, exchange_with_sig_first)


def measure_names(bench: Bench) -> NameGas:
    """Each call with a typical name and with an empty one, in the same state: both grant a new
    merchant, or both list a new reward."""
    token = bench.deploy_points()
    # The first listing writes the reward count for the first time: neither measured one should.
    token.add_reward(PRICE, 1_000, bench.merchant, TYPICAL_NAME, sender=bench.owner)

    def set_merchant(name: str) -> int:
        return gas_used(token.set_merchant(fresh_address(f"till {name!r}"), MERCHANT_CAP, name, sender=bench.owner))

    def add_reward(name: str) -> int:
        return gas_used(token.add_reward(PRICE, 1_000, bench.merchant, name, sender=bench.owner))

    return NameGas(set_merchant(TYPICAL_NAME), set_merchant(""), add_reward(TYPICAL_NAME), add_reward(""))


def spending_rows(bench: Bench) -> list[Row]:
    plain = measure_plain_spending(bench)
    ours = measure_spending(bench)
    two_transactions = plain.burn_from + plain.mint_existing_holder
    return [
        Row("redeem (covered by the oldest group)", ours.redeem, plain.burn, 1.6,
            note="baseline: a plain burn of the same points"),
        Row("redeem_with_sig (relayed by a till)", ours.redeem_with_sig, plain.burn,
            note="the holder's EIP-712 signature checked on chain; the till pays"),
        Row("exchange (receiver holds current-epoch points)", ours.exchange, two_transactions, 1.05,
            note="baseline: a plain burn_from plus a plain mint to a holder, as two transactions"),
        Row("exchange, first points on the receiving token", ours.exchange_first_points,
            plain.burn_from + plain.mint_new_holder, 1.05,
            note="baseline: a plain burn_from plus a plain mint to a new holder, as two transactions"),
        Row("exchange_with_permit", ours.exchange_with_permit, two_transactions + plain.permit,
            note="baseline: plain permit, burn_from and mint, as three transactions"),
        Row("exchange_with_sig (relayed; allowance given once)", ours.exchange_with_sig, two_transactions,
            note="baseline: a plain burn_from plus a plain mint to a holder, as two transactions; the account's "
                 f"first signed exchange costs {ours.exchange_with_sig_first:,} (its nonce and its first points on "
                 "the receiving token are first written)"),
    ]


def name_rows(bench: Bench) -> list[Row]:
    """What a public name costs: informational, against the same call with an empty name."""
    names = measure_names(bench)
    return [
        Row(f"set_merchant, new merchant, {len(TYPICAL_NAME)}-character name", names.set_merchant_named,
            note=f"{names.set_merchant_named - names.set_merchant_unnamed:+,} gas vs an empty name "
                 f"({names.set_merchant_unnamed:,})"),
        Row(f"add_reward, {len(TYPICAL_NAME)}-character name", names.add_reward_named,
            note=f"{names.add_reward_named - names.add_reward_unnamed:+,} gas vs an empty name "
                 f"({names.add_reward_unnamed:,})"),
    ]
