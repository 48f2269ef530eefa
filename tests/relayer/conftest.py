"""One Anvil with the demo alliance deployed per module, and what the relayer's tests share."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from chain.calldata import calldata
from points.manifest import Manifest, load_manifest
from tests.support.relayer import Customer
from tests.support.services import Node, anvil, deploy

DOWNTOWN = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
"""TEST::1, the coffee program's Downtown store: the relayer's key in these tests."""
AIRPORT = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
"""TEST::2, the coffee program's Airport kiosk, another merchant."""
OWNER = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
ESPRESSO, BREAKFAST, BEANS = 1, 2, 3
ESPRESSO_PRICE = 120
COFFEE_NAME = "Bean Counter Coffee Rewards"
HOUR = 3600


@dataclass(frozen=True)
class Alliance:
    node: Node
    manifest_file: Path
    manifest: Manifest

    @property
    def coffee(self) -> str:
        return self.manifest.program("coffee").address

    @property
    def airline(self) -> str:
        return self.manifest.program("airline").address

    @property
    def exchange(self) -> str:
        return self.manifest.exchange.address

    def chain_time(self) -> int:
        return self.node.chain.head_timestamp()

    def customer(self, points: int = 5_000) -> Customer:
        """A new wallet holding `points` coffee points and no ETH."""
        customer = Customer(self.node, self.manifest.chain_id)
        self.node.transact(DOWNTOWN, self.coffee, calldata("mint(address,uint256,bytes32)", customer.address, points,
                                                           bytes(32)))
        return customer

    def redeemed_events(self, holder: str) -> int:
        topic = "0x" + bytes(12).hex() + holder[2:].lower()
        redeemed = "0x" + _keccak("Redeemed(address,uint256,address,uint256,uint256)")
        return len(self.node.chain.logs(self.coffee, [redeemed, topic], 0))

    def relayer_nonce(self, address: str = DOWNTOWN) -> int:
        return self.node.nonce(address)


def _keccak(text: str) -> str:
    from eth_utils import keccak

    return keccak(text=text).hex()


@pytest.fixture(scope="module")
def alliance(tmp_path_factory) -> Iterator[Alliance]:
    manifest_file = tmp_path_factory.mktemp("relayer-chain") / "manifest.json"
    with anvil() as node:
        deploy(node, manifest_file)
        yield Alliance(node, manifest_file, load_manifest(manifest_file))
