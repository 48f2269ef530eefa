"""A transfer after 1,000 mints to the sender spread over many epochs.

Spend cost must not grow with the number of mints or epochs: the ledger keeps one ring slot
per live epoch and recycles slots of expired groups, so after 1,000 mints over 20 epochs the
sender still holds 6 groups and a spend reads at most 6 slots.
"""

from dataclasses import dataclass

from benchmarks.context import Bench, fresh_address, order_ref
from benchmarks.measure import gas_used
from benchmarks.params import POINTS, VALIDITY

MINTS: int = 1_000
EPOCHS: int = 20
MINTS_PER_EPOCH: int = MINTS // EPOCHS


@dataclass(frozen=True)
class ManyMintsGas:
    mints: int
    epochs: int
    transfer_oldest_group: int
    transfer_three_groups: int


def measure_after_many_mints(bench: Bench) -> ManyMintsGas:
    token = bench.deploy_points()
    sender = bench.holders[0]
    receiver = fresh_address("many-mints:receiver")
    amount = POINTS // MINTS_PER_EPOCH

    for epoch in range(EPOCHS):
        bench.travel_to_epoch(token, epoch)
        # The receiver is an existing holder: it has a group in every epoch, like the sender.
        recipients = [sender] * MINTS_PER_EPOCH + [receiver]
        amounts = [amount] * MINTS_PER_EPOCH + [POINTS]
        token.mint_batch(recipients, amounts, order_ref(f"many-{epoch}"), sender=bench.merchant)
    if token.balanceOf(sender) != VALIDITY * MINTS_PER_EPOCH * amount:
        raise RuntimeError("set-up failed: the sender does not hold exactly 6 live groups")

    oldest = EPOCHS - VALIDITY
    transfer_oldest_group = gas_used(token.transfer(receiver, amount, sender=sender))
    three_groups = sum(token.balanceOfAtEpoch(epoch, sender) for epoch in range(oldest, oldest + 3))
    transfer_three_groups = gas_used(token.transfer(receiver, three_groups, sender=sender))
    if token.balanceOfAtEpoch(oldest + 2, sender) != 0 or token.balanceOfAtEpoch(oldest + 3, sender) == 0:
        raise RuntimeError("the 3-group transfer did not drain exactly the 3 oldest groups")

    return ManyMintsGas(
        mints=MINTS,
        epochs=EPOCHS,
        transfer_oldest_group=transfer_oldest_group,
        transfer_three_groups=transfer_three_groups,
    )
