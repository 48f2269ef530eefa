"""`ape run deploy` makes the chain match the alliance file: merchants left out are revoked, rewards
(matched by name) change price, stock and activity, routes left out close, and a second run sends
nothing. Customers' redemptions in between are not restocked."""

from pathlib import Path

import pytest
import yaml

from chain.calldata import calldata
from points.manifest import load_manifest
from points.settings import REPO_ROOT
from tests.support.services import Node, anvil, deploy, dev_account

OWNER = dev_account(0).address
DOWNTOWN = dev_account(1).address
KIOSK = dev_account(2).address
CUSTOMER = dev_account(5).address
ESPRESSO, BREAKFAST, BEANS = 1, 2, 3


@pytest.fixture(scope="module")
def node():
    with anvil() as started:
        yield started


def reward(node: Node, token: str, reward_id: int) -> tuple[int, int, bool]:
    """`(price, stock, active)` of a reward on chain."""
    _, price, stock, active = node.chain.calls([(token, calldata("rewards(uint256)", reward_id))])[0]
    return price, stock, bool(active)


def changed_alliance(path: Path) -> Path:
    """The demo alliance without the airport kiosk (and its reward) and the route back to coffee, with
    a dearer espresso, the breakfast combo retired, and coffee points no longer transferable."""
    alliance = yaml.safe_load((REPO_ROOT / "config" / "alliance.yaml").read_text())
    coffee = alliance["programs"]["coffee"]
    coffee["transferable"] = False
    coffee["merchants"] = [merchant for merchant in coffee["merchants"] if merchant["name"] != "Airport kiosk"]
    coffee["rewards"] = [reward for reward in coffee["rewards"] if reward["merchant"] != KIOSK]
    coffee["rewards"][0]["price"] = 150
    coffee["rewards"][1]["active"] = False
    alliance["routes"] = [route for route in alliance["routes"] if route["to"] != "coffee"]
    path.write_text(yaml.safe_dump(alliance))
    return path


def test_the_chain_follows_the_file_and_a_second_run_sends_nothing(node, tmp_path):
    manifest_file = tmp_path / "ethereum-local.json"
    deploy(node, manifest_file)
    manifest = load_manifest(manifest_file)
    coffee, airline = manifest.programs["coffee"].address, manifest.programs["airline"].address
    node.transact(DOWNTOWN, coffee, calldata("mint(address,uint256,bytes32)", CUSTOMER, 1_000, bytes(32)))
    node.transact(CUSTOMER, coffee, calldata("redeem(uint256,uint256,uint256)", ESPRESSO, 2, 240))
    config = changed_alliance(tmp_path / "alliance.yaml")

    changed = deploy(node, manifest_file, "--config", str(config))
    nonce = node.nonce(OWNER)
    again = deploy(node, manifest_file, "--config", str(config))

    lines = [line.strip() for line in changed.output.splitlines()]
    assert lines[lines.index("coffee:") + 1:lines.index("routes:")] == [
        f"merchant {KIOSK} (Airport kiosk): revoked, not in the file",
        "merchant the partner exchange (Partner exchange): revoked, not in the file",
        "reward #1 'Free espresso': price 120 -> 150",
        "reward #2 'Breakfast combo': deactivated",
        "transferable: True -> False",
    ]
    assert "route airline -> coffee: closed (cap 0), not in the file" in lines
    assert ("note: coffee: reward #3 'Bag of house beans' is not in the file: left as it is (to retire it, add it "
            "with `active: false`)") in lines
    assert node.read(coffee, "merchant_cap(address)", KIOSK) == 0
    assert node.read(coffee, "merchant_cap(address)", manifest.exchange.address) == 0
    assert node.read(coffee, "merchant_cap(address)", DOWNTOWN) == 50_000
    assert reward(node, coffee, ESPRESSO) == (150, 4_998, True), "the two redeemed are not restocked"
    assert reward(node, coffee, BREAKFAST) == (300, 1_000, False)
    assert node.read(coffee, "transferable()") == 0
    route_back = calldata("routes(address,address)", airline, coffee)
    assert node.chain.calls([(manifest.exchange.address, route_back)])[0][2] == 0, "its cap is 0"
    assert node.nonce(OWNER) == nonce, again.output
    assert "Nothing to change: the chain matches" in again.output
