"""What every benchmark gets: the accounts by role, both contracts, and time travel."""

from collections.abc import Sequence
from dataclasses import dataclass

from ape.api import AccountAPI
from ape.contracts import ContractContainer, ContractInstance
from ape.managers import ChainManager
from ape.types import AddressType
from eth_utils import keccak, to_checksum_address

from benchmarks.params import CAP_PERIOD, EPOCH_LENGTH, MERCHANT_CAP, VALIDITY

MERCHANT_NAME = "Benchmark till"


@dataclass(frozen=True)
class Bench:
    chain: ChainManager
    owner: AccountAPI
    merchant: AccountAPI
    holders: Sequence[AccountAPI]
    """Funded accounts that sign holder transactions; a benchmark may reuse them per deployment."""
    points_token: ContractContainer
    plain_erc20: ContractContainer
    exchange: ContractContainer

    def deploy_points(self) -> ContractInstance:
        """A fresh PointsToken (epoch 0 starts now) with `merchant` allowed to mint."""
        token = self.owner.deploy(
            self.points_token,
            "Benchmark Points",
            "BENCH",
            EPOCH_LENGTH,
            VALIDITY,
            CAP_PERIOD,
            True,
            self.owner,
        )
        token.set_merchant(self.merchant, MERCHANT_CAP, MERCHANT_NAME, sender=self.owner)
        return token

    def deploy_plain(self) -> ContractInstance:
        """A fresh plain ERC-20 with `merchant` as a minter, like the PointsToken's merchant."""
        token = self.owner.deploy(self.plain_erc20, "Plain Points", "PLAIN", "Plain Points", "1")
        token.set_minter(self.merchant, True, sender=self.owner)
        return token

    def travel_to_epoch(self, token: ContractInstance, epoch: int) -> None:
        """Mines a block just inside `epoch` of `token`, so that the next transactions fall in it."""
        self.chain.mine(timestamp=token.epoch_start() + epoch * EPOCH_LENGTH + 1)
        current = token.currentEpoch()
        if current != epoch:
            raise RuntimeError(f"time travel reached epoch {current}, not {epoch}")


def fresh_address(label: str) -> AddressType:
    """A deterministic address nobody has used: a holder-to-be that never signs."""
    return AddressType(to_checksum_address(keccak(text=f"benchmarks:{label}")[-20:]))


def order_ref(label: str) -> bytes:
    """A realistic `ref`: a 32-byte hash (nonzero calldata, as a till would send)."""
    return keccak(text=f"order:{label}")
