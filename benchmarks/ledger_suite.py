"""The ledger suite: PointsToken mint / transfer / burn / balanceOf against the plain ERC-20."""

from benchmarks.context import Bench
from benchmarks.many_mints import ManyMintsGas, measure_after_many_mints
from benchmarks.plain_ledger import measure_plain_ledger
from benchmarks.points_ledger import measure_points_ledger
from benchmarks.table import Row


def _versus_six_mints(many: ManyMintsGas, ours: int, six_mints: int) -> str:
    per_epoch = many.mints // many.epochs
    return (
        f"{per_epoch} mints per epoch, ring slots recycled; "
        f"{ours - six_mints:+,} gas vs the same transfer after one mint per epoch"
    )


def ledger_rows(bench: Bench) -> list[Row]:
    ours = measure_points_ledger(bench)
    plain = measure_plain_ledger(bench)
    many = measure_after_many_mints(bench)
    after_many = f"after {many.mints:,} mints over {many.epochs} epochs"
    return [
        Row("mint to a new holder", ours.mint_new_holder, plain.mint_new_holder, 1.25),
        Row(
            "mint to a holder with points of this epoch",
            ours.mint_existing_group,
            plain.mint_existing_holder,
            1.35,
        ),
        Row(
            "transfer covered by the oldest group",
            ours.transfer_oldest_group,
            plain.transfer,
            1.5,
            note="validity 6, the sender holds points in 6 live epochs, the receiver has a group in each",
        ),
        Row("transfer draining 3 groups", ours.transfer_three_groups, plain.transfer_large, 2.5),
        Row(
            "transfer draining 3 groups, to a holder new to those epochs",
            ours.transfer_three_groups_new_epochs,
            plain.transfer_large,
            note="the receiver holds only current-epoch points, so 3 of its ring slots are first "
            "written (22,100 gas each); a holder of 6+ epochs' standing has every slot written already",
        ),
        Row("burn covered by the oldest group", ours.burn_oldest_group, plain.burn, 1.5),
        Row(
            "balanceOf, 1 live group (estimate)",
            ours.balance_of_one_group,
            plain.balance_of,
            note="eth_estimateGas of the call, 21,000 intrinsic gas and calldata included; "
            "the loop reads all 6 ring slots whatever the account holds",
        ),
        Row("balanceOf, 6 live groups (estimate)", ours.balance_of_six_groups, plain.balance_of),
        Row(
            f"transfer, oldest group, {after_many}",
            many.transfer_oldest_group,
            plain.transfer,
            1.5,
            note=_versus_six_mints(many, many.transfer_oldest_group, ours.transfer_oldest_group),
        ),
        Row(
            f"transfer draining 3 groups, {after_many}",
            many.transfer_three_groups,
            plain.transfer_large,
            2.5,
            note=_versus_six_mints(many, many.transfer_three_groups, ours.transfer_three_groups),
        ),
    ]
