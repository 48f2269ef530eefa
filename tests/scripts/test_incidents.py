"""Incident tools through `ape run`, on an Anvil of the module's own with config/alliance.yaml
deployed: `rewards` (the catalog with names), `pause` and `unpause`, `merchant` (cap, name,
revocation) and `revoke` (corrections). Development account 0 owns both programs; 1 and 2 are the
coffee chain's tills; 8 is named a pauser here and 9 is a stranger."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from chain.calldata import calldata
from points.manifest import load_manifest
from tests.support.services import Node, anvil, ape_run, ape_run_all, deploy, dev_account

OWNER = dev_account(0).address
DOWNTOWN = dev_account(1).address
AIRPORT = dev_account(2).address
PAUSER = dev_account(8).address
STRANGER = dev_account(9).address
NEW_TILL = dev_account(7).address


@pytest.fixture(scope="module")
def node() -> Iterator[Node]:
    with anvil() as started:
        yield started


@pytest.fixture(scope="module")
def manifest_file(node, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("deployment") / "ethereum-local.json"
    deploy(node, path)
    return path


@pytest.fixture(scope="module")
def coffee(manifest_file) -> str:
    return load_manifest(manifest_file).programs["coffee"].address


def run(node: Node, manifest_file: Path, script: str, *arguments: str):
    return ape_run(node, script, "--manifest", str(manifest_file), *arguments)


def is_paused(node: Node, token: str) -> bool:
    return node.read(token, "paused()") == 1


def test_rewards_lists_the_catalog_with_names(node, manifest_file):
    outcome = run(node, manifest_file, "rewards", "--program", "coffee")

    assert outcome.code == 0, outcome.output
    assert "coffee (BEAN): 3 rewards" in outcome.output
    assert (f"#1 Free espresso: 120 BEAN, 5,000 in stock, at Downtown store ({DOWNTOWN}); redeemable"
            in outcome.output)
    assert f"#3 Bag of house beans: 900 BEAN, 200 in stock, at Airport kiosk ({AIRPORT})" in outcome.output


def test_a_pauser_pauses_and_only_the_owner_unpauses(node, manifest_file, coffee):
    node.transact(OWNER, coffee, calldata("set_pauser(address,bool)", PAUSER, True))
    manifest = str(manifest_file)
    block = node.block_number()

    refused = ape_run_all(node, [
        ("pause", "--manifest", manifest, "--program", "coffee", "--account", "TEST::9"),
        ("pause", "--manifest", manifest, "--program", "tea", "--account", "TEST::8"),
    ])

    assert [outcome.code for outcome in refused] == [1, 1]
    assert refused[0].error == f"{STRANGER} is neither the owner nor a pauser of 'coffee'"
    assert refused[1].error.startswith("unknown program 'tea'")
    assert node.block_number() == block

    paused = run(node, manifest_file, "pause", "--program", "coffee", "--account", "TEST::8")
    both = run(node, manifest_file, "pause", "--program", "coffee", "--program", "airline")

    assert paused.code == 0, paused.output
    assert "coffee: paused" in paused.output
    assert is_paused(node, coffee)
    assert both.code == 0, both.output
    assert "coffee: already paused" in both.output and "airline: paused" in both.output

    again = run(node, manifest_file, "unpause", "--program", "coffee", "--account", "TEST::8")

    assert again.code == 1
    assert again.error == f"only the owner of 'coffee' ({OWNER}) can unpause it; {PAUSER} is not"
    assert is_paused(node, coffee)

    lifted = run(node, manifest_file, "unpause", "--program", "coffee", "--program", "airline")

    assert lifted.code == 0, lifted.output
    assert not is_paused(node, coffee)


def test_revoking_a_merchant_says_which_rewards_stop_and_a_rerun_sends_nothing(node, manifest_file, coffee):
    revoked = run(node, manifest_file, "merchant", "--program", "coffee", "--address", AIRPORT, "--revoke")

    assert revoked.code == 0, revoked.output
    assert f"merchant {AIRPORT} (Airport kiosk) revoked" in revoked.output
    assert "its rewards can no longer be redeemed: #3 Bag of house beans" in revoked.output
    assert node.read(coffee, "merchant_cap(address)", AIRPORT) == 0

    block = node.block_number()
    rerun = run(node, manifest_file, "merchant", "--program", "coffee", "--address", AIRPORT, "--revoke")
    catalog = run(node, manifest_file, "rewards", "--program", "coffee")

    assert rerun.code == 0 and "nothing sent" in rerun.output, rerun.output
    assert node.block_number() == block
    assert "#3 Bag of house beans: 900 BEAN, 200 in stock, at Airport kiosk" in catalog.output
    assert "not redeemable: its merchant was revoked" in catalog.output


def test_the_owner_grants_a_new_till_and_is_told_the_true_bound(node, manifest_file, coffee):
    outcome = run(node, manifest_file, "merchant", "--program", "coffee", "--address", NEW_TILL, "--cap", "500",
                  "--name", "Station kiosk")

    assert outcome.code == 0, outcome.output
    assert f"merchant {NEW_TILL} (Station kiosk) may issue 500 per period" in outcome.output
    assert "at most 1,000 BEAN within any day-long window that crosses a reset" in outcome.output
    assert node.read(coffee, "merchant_cap(address)", NEW_TILL) == 500


def test_merchant_and_revoke_refuse_bad_requests_before_sending(node, manifest_file, coffee):
    manifest = str(manifest_file)
    typo = DOWNTOWN[:-1] + ("9" if DOWNTOWN[-1] != "9" else "8")
    block = node.block_number()

    outcomes = ape_run_all(node, [
        ("merchant", "--manifest", manifest, "--program", "coffee", "--address", DOWNTOWN, "--cap", "5",
         "--account", "TEST::9"),
        ("merchant", "--manifest", manifest, "--program", "coffee", "--address", STRANGER, "--cap", "5"),
        ("merchant", "--manifest", manifest, "--program", "coffee", "--address", DOWNTOWN, "--cap", "5",
         "--name", "x" * 65),
        ("merchant", "--manifest", manifest, "--program", "coffee", "--address", typo, "--revoke"),
        ("revoke", "--manifest", manifest, "--program", "coffee", "--from", STRANGER, "--amount", "5",
         "--ref", "ticket-1"),
        ("revoke", "--manifest", manifest, "--program", "coffee", "--from", STRANGER, "--amount", "5",
         "--ref", "ticket-1", "--account", "TEST::1"),
    ])

    errors = [outcome.error for outcome in outcomes]
    assert errors[0] == f"only the owner of 'coffee' ({OWNER}) can set its merchants; {STRANGER} is not"
    assert errors[1] == f"{STRANGER} is not yet a merchant: give its public name with --name"
    assert errors[2] == "--name is 65 bytes of UTF-8; the chain keeps 64 at most"
    assert errors[3] == f"--address {typo!r} fails its EIP-55 checksum (checksum mismatch: possible typo)"
    assert errors[4] == f"{STRANGER} holds 0 BEAN, fewer than the 5 to revoke"
    assert errors[5] == f"only the owner of 'coffee' ({OWNER}) can revoke points; {DOWNTOWN} is not"
    assert node.block_number() == block
    neither = run(node, manifest_file, "merchant", "--program", "coffee", "--address", DOWNTOWN)
    assert neither.code == 2 and "give either --cap N or --revoke" in neither.output


def test_the_owner_revokes_points_with_a_reference_even_while_paused(node, manifest_file, coffee):
    node.transact(DOWNTOWN, coffee, calldata("mint(address,uint256,bytes32)", STRANGER, 40, bytes(32)))
    node.transact(OWNER, coffee, calldata("pause()"))

    outcome = run(node, manifest_file, "revoke", "--program", "coffee", "--from", STRANGER, "--amount", "15",
                  "--ref", "ticket-7")

    assert outcome.code == 0, outcome.output
    assert f"coffee: revoked 15 BEAN from {STRANGER} (ref 0x" in outcome.output
    assert node.read(coffee, "balanceOf(address)", STRANGER) == 25
    node.transact(OWNER, coffee, calldata("unpause()"))
