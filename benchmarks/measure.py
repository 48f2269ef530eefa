"""Gas readings: from mined transactions' receipts, or eth_estimateGas for views."""

from typing import Any

from ape.api import AccountAPI, ReceiptAPI
from ape.contracts.base import ContractCallHandler


def gas_used(receipt: ReceiptAPI) -> int:
    """The gas a mined, successful transaction used (after refunds), from its receipt."""
    if receipt.failed:
        raise RuntimeError(f"transaction {receipt.txn_hash} failed")
    return int(receipt.gas_used)


def estimated_call_gas(view: ContractCallHandler, *args: Any, sender: AccountAPI) -> int:
    """eth_estimateGas of a view sent as a transaction: 21,000 intrinsic + calldata + execution."""
    return int(view.estimate_gas_cost(*args, sender=sender))
