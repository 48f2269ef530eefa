"""PointsToken's ledger operations with validity 6 and senders holding points in 6 live epochs.

Set-up: merchant mints (one `mint_batch` per epoch) give every sender and the receiver a
group in each of epochs 1..6; the measurements run in epoch 6, when all six are live.

Epoch 0 is skipped on purpose: a group is stored as `epoch << 192 | amount`, so only an
epoch-0 group clears its slot to zero when drained and earns a 4,800-gas refund that no later
epoch's group gets. Starting at epoch 1 measures what every later epoch costs.
"""

from dataclasses import dataclass

from ape.api import AccountAPI
from ape.contracts import ContractInstance
from ape.types import AddressType

from benchmarks.context import Bench, fresh_address, order_ref
from benchmarks.measure import estimated_call_gas, gas_used
from benchmarks.params import POINTS, VALIDITY

FIRST_EPOCH: int = 1


@dataclass(frozen=True)
class PointsLedgerGas:
    mint_new_holder: int
    mint_existing_group: int
    transfer_oldest_group: int
    transfer_three_groups: int
    transfer_three_groups_new_epochs: int
    """The receiver holds only current-epoch points, so three of its ring slots are written fresh."""
    burn_oldest_group: int
    balance_of_one_group: int
    balance_of_six_groups: int


def _epoch_groups(token: ContractInstance, account: AccountAPI | AddressType, epochs: range) -> list[int]:
    return [token.balanceOfAtEpoch(epoch, account) for epoch in epochs]


def measure_points_ledger(bench: Bench) -> PointsLedgerGas:
    token = bench.deploy_points()
    merchant = bench.merchant
    sender_small, sender_drain, sender_drain_new, burner = bench.holders[:4]
    receiver = fresh_address("points:receiver")
    receiver_new_epochs = fresh_address("points:receiver-current-epoch-only")
    newcomer = fresh_address("points:newcomer")
    live = range(FIRST_EPOCH, FIRST_EPOCH + VALIDITY)

    for epoch in live:
        bench.travel_to_epoch(token, epoch)
        recipients = [sender_small, sender_drain, sender_drain_new, burner, receiver]
        if epoch == live[-1]:
            recipients.append(receiver_new_epochs)
        token.mint_batch(recipients, [POINTS] * len(recipients), order_ref(f"setup-{epoch}"), sender=merchant)
    if _epoch_groups(token, sender_small, live) != [POINTS] * VALIDITY:
        raise RuntimeError("set-up failed: the sender does not hold points in 6 live epochs")

    mint_new_holder = gas_used(token.mint(newcomer, POINTS, order_ref("new"), sender=merchant))
    mint_existing_group = gas_used(token.mint(newcomer, POINTS, order_ref("again"), sender=merchant))

    balance_of_one_group = estimated_call_gas(token.balanceOf, newcomer, sender=merchant)
    balance_of_six_groups = estimated_call_gas(token.balanceOf, sender_small, sender=merchant)

    transfer_oldest_group = gas_used(token.transfer(receiver, POINTS // 10, sender=sender_small))

    three_groups = 3 * POINTS
    transfer_three_groups = gas_used(token.transfer(receiver, three_groups, sender=sender_drain))
    if _epoch_groups(token, sender_drain, live) != [0, 0, 0] + [POINTS] * (VALIDITY - 3):
        raise RuntimeError("the 3-group transfer did not drain exactly the 3 oldest groups")
    transfer_three_groups_new_epochs = gas_used(
        token.transfer(receiver_new_epochs, three_groups, sender=sender_drain_new)
    )

    burn_oldest_group = gas_used(token.burn(POINTS // 10, sender=burner))

    return PointsLedgerGas(
        mint_new_holder=mint_new_holder,
        mint_existing_group=mint_existing_group,
        transfer_oldest_group=transfer_oldest_group,
        transfer_three_groups=transfer_three_groups,
        transfer_three_groups_new_epochs=transfer_three_groups_new_epochs,
        burn_oldest_group=burn_oldest_group,
        balance_of_one_group=balance_of_one_group,
        balance_of_six_groups=balance_of_six_groups,
    )
