"""The live-network path for real: a custom network `alliance-testnet` described, as a user does, in
the ape data folder's own ape-config.yaml (never the project's), served by a separately started
Anvil, and a deployer imported with `ape accounts import` (not a development account) that signs
without a prompt from APE_ACCOUNTS_<alias>_PASSPHRASE.

ape takes the node's URI from the network choice (`ethereum:alliance-testnet:<uri>`), so the test's
Anvil can listen on any free port; the ape data folder, where the keyfile lands, is a temporary one.
"""

import pytest
from eth_account import Account
from eth_utils import keccak

from points.manifest import load_manifest
from tests.support.services import anvil, ape_cli, ape_run, dev_account, free_port

ALIAS = "alliance-deployer"
PASSPHRASE = "correct horse battery staple 42!"
DEPLOYER_KEY = keccak(text="points tests: the live deployer")
DEPLOYER = Account.from_key(DEPLOYER_KEY).address
USER_CONFIG = """\
networks:
  custom:
    - name: alliance-testnet
      chain_id: 31337
      ecosystem: ethereum
      base_ecosystem_plugin: ethereum
      default_provider: node
"""


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A separate Anvil, a temporary ape data folder holding the imported deployer, and its manifest path."""
    with anvil() as node:
        data_folder = tmp_path_factory.mktemp("ape-data")
        (data_folder / "ape-config.yaml").write_text(USER_CONFIG)
        # The prompts (key, passphrase, confirmation) read standard input, as from a user's terminal.
        answers = f"{DEPLOYER_KEY.hex()}\n{PASSPHRASE}\n{PASSPHRASE}\n"
        imported = ape_cli(node, "accounts", "import", ALIAS, stdin=answers, APE_DATA_FOLDER=str(data_folder))
        assert imported.code == 0, imported.output
        assert DEPLOYER in imported.output
        node.transact(dev_account(0).address, DEPLOYER, value=10**20)
        manifest = tmp_path_factory.mktemp("deployment") / "ethereum-alliance-testnet.json"
        yield node, data_folder, manifest


def deploy_live(live, *arguments: str, passphrase: str = PASSPHRASE, stdin: str | None = None):
    node, data_folder, manifest = live
    return ape_cli(
        node, "run", "deploy", "--network", f"ethereum:alliance-testnet:{node.url}", "--account", ALIAS,
        "--manifest", str(manifest), *arguments, stdin=stdin,
        APE_DATA_FOLDER=str(data_folder), **{f"APE_ACCOUNTS_{ALIAS}_PASSPHRASE": passphrase},
    )


def test_a_live_deploy_shows_its_plan_and_sends_nothing_unless_confirmed(live):
    node, _, manifest_file = live

    declined = deploy_live(live, stdin="n\n")

    assert declined.code == 1, declined.output
    lines = [line.strip() for line in declined.output.splitlines()]
    assert f"Plan for ethereum:alliance-testnet (chain 31337), signed by {DEPLOYER}:" in lines
    assert "deploy program 'coffee' (BEAN)" in lines
    assert "route coffee -> airline: approved by coffee's owner" in lines
    assert "Send these 18 transactions? [y/N]: Error: not confirmed: nothing sent" in lines
    assert node.nonce(DEPLOYER) == 0
    assert not manifest_file.exists()


def test_deploys_with_an_imported_account_and_redeploys_nothing(live):
    node, _, manifest_file = live

    first = deploy_live(live, "--yes")
    nonce, block = node.nonce(DEPLOYER), node.block_number()
    second = deploy_live(live)

    assert first.code == 0, first.output
    assert first.output.count("Using cached key") == 1, "said once, not per transaction"
    manifest = load_manifest(manifest_file)
    assert manifest.network == "alliance-testnet"
    assert set(manifest.programs) == {"coffee", "airline"}
    for program in manifest.programs.values():
        assert node.read(program.address, "owner()") == int(DEPLOYER, 16)
    assert node.nonce(dev_account(0).address) == 1, "only the funding came from a development account"
    assert second.code == 0, second.output
    assert (node.nonce(DEPLOYER), node.block_number()) == (nonce, block)
    assert "Deployment of 2 programs is up to date" in second.output


def test_wrong_passphrase_is_one_line(live):
    node, _, _ = live
    block = node.block_number()

    outcome = deploy_live(live, passphrase="not the passphrase")

    assert outcome.code == 1
    assert outcome.error == "wrong passphrase for the signing account"
    assert node.block_number() == block


def test_the_demo_refuses_a_live_network(live):
    node, data_folder, manifest = live

    outcome = ape_run(node, "demo", "--network", f"ethereum:alliance-testnet:{node.url}", "--manifest", str(manifest),
                      APE_DATA_FOLDER=str(data_folder))

    assert outcome.error == "the demo moves the chain's clock and runs only on the local development chain"


def test_a_node_that_is_down_or_serves_another_chain_is_one_line(live):
    node, data_folder, manifest = live
    arguments = ("--address", DEPLOYER, "--manifest", str(manifest))

    down = ape_run(node, "balance", "--network", f"ethereum:alliance-testnet:http://127.0.0.1:{free_port()}",
                   *arguments, APE_DATA_FOLDER=str(data_folder))
    other_chain = ape_run(node, "balance", "--network", f"ethereum:sepolia:{node.url}", *arguments,
                          APE_DATA_FOLDER=str(data_folder))

    assert not any('File "' in outcome.output for outcome in (down, other_chain)), "no frames printed"
    assert down.code == 1
    assert down.error.endswith("Is the node running? Check --network.")
    assert other_chain.code == 1
    assert other_chain.error == (
        "Provider connected to chain ID '31337', which does not match network chain ID '11155111'. Are you "
        "connected to 'sepolia'? Check --network: the node serves another chain."
    )
