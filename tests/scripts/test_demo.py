"""`ape run demo` on a fresh deployment: every kind of activity lands on chain and points expire."""

from collections import Counter

import pytest
from eth_utils import keccak

from chain.calldata import calldata
from points.manifest import load_manifest
from tests.support.services import anvil, ape_run, deploy

DAYS = 120
ZERO_TOPIC = "0x" + "0" * 64


def topic(signature: str) -> str:
    return "0x" + keccak(text=signature).hex()


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    """A deployment, its manifest and the demo's output, read once for all the checks."""
    with anvil() as node:
        manifest_file = tmp_path_factory.mktemp("demo") / "ethereum-local.json"
        deploy(node, manifest_file)
        started = node.chain.head_timestamp()
        outcome = ape_run(node, "demo", "--manifest", str(manifest_file), "--customers", "10", "--days", str(DAYS),
                          "--seed", "4")
        yield node, load_manifest(manifest_file), outcome, started


def test_demo_reports_its_activity(played):
    node, _, outcome, started = played

    assert outcome.code == 0, outcome.output
    assert "20 customers over 120 days" in outcome.output
    for kind in ("purchases", "campaign batches", "direct redemptions", "signed redemptions", "gifts", "exchanges",
                 "relayed exchanges", "relayed permits", "corrections"):
        assert f" {kind}" in outcome.output, kind
    assert node.chain.head_timestamp() >= started + DAYS * 86_400


def test_every_kind_of_activity_is_on_chain(played):
    node, manifest, _, _ = played
    coffee, airline = manifest.programs["coffee"].address, manifest.programs["airline"].address

    redeemed = [log for token in (coffee, airline)
                for log in node.chain.logs(token, [topic("Redeemed(address,uint256,address,uint256,uint256)")], 0)]
    senders = {log["transactionHash"]: node.chain.request("eth_getTransactionByHash", log["transactionHash"])["from"]
               for log in redeemed}
    holders = {log["transactionHash"]: "0x" + log["topics"][1][-40:] for log in redeemed}
    relayed = sum(1 for tx_hash, sender in senders.items() if sender.lower() != holders[tx_hash])
    assert 0 < relayed < len(redeemed)

    exchanged_topic = topic("Exchanged(address,address,address,uint256,uint256)")
    exchanged = node.chain.logs(manifest.exchange.address, [exchanged_topic], 0)
    directions = Counter(("0x" + log["topics"][2][-40:], "0x" + log["topics"][3][-40:]) for log in exchanged)
    assert set(directions) == {(coffee.lower(), airline.lower()), (airline.lower(), coffee.lower())}
    # Some exchanges were signed by the account and sent by a till (`exchange_with_sig`).
    exchangers = [node.chain.request("eth_getTransactionByHash", log["transactionHash"])["from"] for log in exchanged]
    relayed_exchanges = sum(1 for log, sender in zip(exchanged, exchangers, strict=True)
                            if sender != "0x" + log["topics"][1][-40:])
    assert 0 < relayed_exchanges < len(exchanged)

    campaigns = Counter(log["transactionHash"] for log in node.chain.logs(
        coffee, [topic("Issued(address,address,uint256,uint256,bytes32)")], 0))
    assert max(campaigns.values()) > 1

    transfers = node.chain.logs(coffee, [topic("Transfer(address,address,uint256)")], 0)
    assert any(ZERO_TOPIC not in log["topics"][1:] for log in transfers)
    airline_transfers = node.chain.logs(airline, [topic("Transfer(address,address,uint256)")], 0)
    assert all(ZERO_TOPIC in log["topics"][1:] for log in airline_transfers), "miles are not transferable"

    assert node.chain.logs(coffee, [topic("Revoked(address,uint256,bytes32)")], 0) + \
        node.chain.logs(airline, [topic("Revoked(address,uint256,bytes32)")], 0)


def test_unspent_points_expire(played):
    node, manifest, _, _ = played
    coffee = manifest.programs["coffee"].address
    transfers = node.chain.logs(coffee, [topic("Transfer(address,address,uint256)")], 0)
    minted = sum(int(log["data"], 16) for log in transfers if log["topics"][1] == ZERO_TOPIC)
    burnt = sum(int(log["data"], 16) for log in transfers if log["topics"][2] == ZERO_TOPIC)

    supply = node.chain.calls([(coffee, calldata("totalSupply()"))])[0][0]

    assert minted - burnt - supply > 0
