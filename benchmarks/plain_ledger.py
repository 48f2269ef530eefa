"""The same operations on the plain snekmate ERC-20: the baseline every ratio divides by.

Every holder already has a nonzero balance and the supply is nonzero, as on the PointsToken
side, so both sides pay for the same kind of storage writes.
"""

from dataclasses import dataclass

from benchmarks.context import Bench, fresh_address
from benchmarks.measure import estimated_call_gas, gas_used
from benchmarks.params import POINTS, VALIDITY


@dataclass(frozen=True)
class PlainLedgerGas:
    mint_new_holder: int
    mint_existing_holder: int
    transfer: int
    transfer_large: int
    """The same amount as the PointsToken's 3-group transfer."""
    burn: int
    balance_of: int


def measure_plain_ledger(bench: Bench) -> PlainLedgerGas:
    token = bench.deploy_plain()
    merchant = bench.merchant
    sender, sender_large, burner = bench.holders[:3]
    receiver = fresh_address("plain:receiver")
    newcomer = fresh_address("plain:newcomer")

    for holder in (sender, sender_large, burner, receiver):
        token.mint(holder, POINTS * VALIDITY, sender=merchant)

    mint_new_holder = gas_used(token.mint(newcomer, POINTS, sender=merchant))
    mint_existing_holder = gas_used(token.mint(newcomer, POINTS, sender=merchant))
    balance_of = estimated_call_gas(token.balanceOf, sender, sender=merchant)
    transfer = gas_used(token.transfer(receiver, POINTS // 10, sender=sender))
    transfer_large = gas_used(token.transfer(receiver, 3 * POINTS, sender=sender_large))
    burn = gas_used(token.burn(POINTS // 10, sender=burner))

    return PlainLedgerGas(
        mint_new_holder=mint_new_holder,
        mint_existing_holder=mint_existing_holder,
        transfer=transfer,
        transfer_large=transfer_large,
        burn=burn,
        balance_of=balance_of,
    )
