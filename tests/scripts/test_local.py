"""The merchants' and customers' scripts through `ape run`, on an Anvil of the module's own.

The alliance is config/alliance.yaml: development account 0 owns both programs, 1 and 2 are the
coffee chain's tills, 3 and 4 the airline's; 5 to 9 are customers here.
"""

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from eth_abi import decode
from eth_utils import keccak, to_checksum_address

from chain.calldata import calldata
from points.alliance import load_alliance
from points.manifest import Manifest, load_manifest
from points.settings import REPO_ROOT
from points.signing import SignedRedemption, SigningDomain, redeem_typed_data, sign_typed_data
from tests.support.services import (
    APE_RUN_TIMEOUT,
    Node,
    Outcome,
    anvil,
    ape,
    ape_console_script,
    ape_environment,
    ape_run,
    ape_run_all,
    deploy,
    dev_account,
)

OWNER = dev_account(0).address
COFFEE_TILL = dev_account(1).address
COFFEE_CAP = 50_000
ISSUED_TOPIC = "0x" + keccak(text="Issued(address,address,uint256,uint256,bytes32)").hex()
MERCHANT_SET_TOPIC = "0x" + keccak(text="MerchantSet(address,uint256,string)").hex()
REWARD_LISTED_TOPIC = "0x" + keccak(text="RewardListed(uint256,address,uint256,uint256,string)").hex()
ALLIANCE_FILE = REPO_ROOT / "config" / "alliance.yaml"
ESPRESSO, ESPRESSO_PRICE = 1, 120
BREAKFAST, BREAKFAST_PRICE = 2, 300


@pytest.fixture(scope="module")
def node() -> Iterator[Node]:
    with anvil() as started:
        yield started


@pytest.fixture(scope="module")
def first_deploy(node, tmp_path_factory) -> tuple[Path, Outcome]:
    path = tmp_path_factory.mktemp("deployment") / "ethereum-local.json"
    return path, deploy(node, path)


@pytest.fixture(scope="module")
def manifest_file(first_deploy) -> Path:
    return first_deploy[0]


@pytest.fixture(scope="module")
def manifest(manifest_file) -> Manifest:
    return load_manifest(manifest_file)


@pytest.fixture(scope="module")
def coffee(manifest) -> str:
    return manifest.programs["coffee"].address


@pytest.fixture(scope="module")
def airline(manifest) -> str:
    return manifest.programs["airline"].address


def run(node: Node, manifest_file: Path, script: str, *arguments: str):
    return ape_run(node, script, "--manifest", str(manifest_file), *arguments)


def issue(node: Node, token: str, to: str, amount: int, till: str = COFFEE_TILL) -> None:
    node.transact(till, token, calldata("mint(address,uint256,bytes32)", to, amount, bytes(32)))


def balance(node: Node, token: str, holder: str) -> int:
    return node.read(token, "balanceOf(address)", holder)


def test_redeploy_sends_nothing(node, manifest_file, manifest):
    block, nonce = node.block_number(), node.nonce(OWNER)

    outcome = deploy(node, manifest_file)

    assert (node.block_number(), node.nonce(OWNER)) == (block, nonce)
    assert f"Deployment of 2 programs is up to date: {manifest_file}" in outcome.output
    assert load_manifest(manifest_file) == manifest


def merchants_on_chain(node: Node, token: str) -> dict[str, tuple[int, str]]:
    """Each merchant's `(cap, name)` from its latest `MerchantSet`: the token keeps names only in events."""
    return {
        to_checksum_address("0x" + log["topics"][1][-40:]): decode(["uint256", "string"], data(log))
        for log in node.chain.logs(token, [MERCHANT_SET_TOPIC], 0)
    }


def data(log: dict) -> bytes:
    return bytes.fromhex(log["data"].removeprefix("0x"))


def test_deploy_puts_the_files_names_on_chain(node, manifest):
    alliance = load_alliance(ALLIANCE_FILE)

    for key, program in alliance.programs.items():
        token = manifest.programs[key].address
        wanted = {merchant.address: (merchant.cap, merchant.name) for merchant in program.merchants}
        wanted[manifest.exchange.address] = (alliance.exchange_cap(key), "Partner exchange")
        assert merchants_on_chain(node, token) == wanted
        listed = [decode(["uint256", "uint256", "string"], data(log))
                  for log in node.chain.logs(token, [REWARD_LISTED_TOPIC], 0)]
        assert listed == [(reward.price, reward.stock, reward.name) for reward in program.rewards]
    assert merchants_on_chain(node, manifest.programs["coffee"].address)[COFFEE_TILL] == (COFFEE_CAP, "Downtown store")


def test_deploy_states_each_caps_worst_case_across_a_reset(first_deploy, manifest):
    _, outcome = first_deploy
    lines = [line.strip() for line in outcome.output.splitlines()]

    assert "Caps hold per fixed period: across a reset, twice a cap can be issued within seconds." in lines
    assert (f"coffee: merchant {COFFEE_TILL} (Downtown store): cap 50,000 BEAN per day; at most 100,000 BEAN "
            "within any day-long window that crosses a reset") in lines
    assert (f"coffee: merchant {manifest.exchange.address} (Partner exchange): cap 30,000 BEAN per day; "
            "at most 60,000 BEAN within any day-long window that crosses a reset") in lines
    assert ("route coffee -> airline: cap 20,000 MILE per day; at most 40,000 MILE within any day-long window "
            "that crosses a reset") in lines


def test_a_renamed_merchant_is_renamed_on_chain_keeping_its_cap_and_usage(node, manifest_file, coffee, tmp_path):
    renamed = tmp_path / "alliance.yaml"
    renamed.write_text(ALLIANCE_FILE.read_text().replace("name: Airport kiosk", "name: Airport kiosk, gate B"))
    kiosk = dev_account(2).address
    issue(node, coffee, "0x" + "ab" * 20, 1_000, till=kiosk)
    nonce = node.nonce(OWNER)

    first = deploy(node, manifest_file, "--config", str(renamed))
    again = deploy(node, manifest_file, "--config", str(renamed))

    assert node.nonce(OWNER) == nonce + 1, first.output + again.output
    assert merchants_on_chain(node, coffee)[kiosk] == (20_000, "Airport kiosk, gate B")
    assert node.read(coffee, "mintable(address)", kiosk) == 19_000


def test_mint_issues_with_a_hashed_ref(node, manifest_file, coffee):
    customer = "0x000000000000000000000000000000000000c0fe"

    # Through the console script from a fresh interpreter, as a user types it: the other script tests
    # fork theirs from a process that has imported ape already (tests/support/ape_forkserver.py).
    outcome = ape_console_script(node, "run", "mint", "--manifest", str(manifest_file), "--program", "coffee",
                                 "--to", customer, "--amount", "75", "--ref", "order 1234")

    assert outcome.code == 0, outcome.output
    assert balance(node, coffee, customer) == 75
    ref = keccak(text="order 1234")
    assert f"ref 0x{ref.hex()}" in outcome.output
    [issued] = node.chain.logs(coffee, [ISSUED_TOPIC, None, "0x" + customer[2:].rjust(64, "0")], 0)
    assert issued["data"].endswith(ref.hex())
    assert int(issued["topics"][1], 16) == int(COFFEE_TILL, 16)


def test_bad_input_gets_one_line(node, manifest_file, tmp_path, coffee):
    customer = dev_account(9)
    issue(node, coffee, customer.address, 100)
    expired = sign_redemption(node, coffee, customer, BREAKFAST, deadline_offset=-1)
    expired_file = tmp_path / "expired.json"
    expired_file.write_text(expired.to_json())
    # A smart account's proof is longer than 65 bytes; an account without code cannot have made one.
    long_proof = tmp_path / "long-proof.json"
    valid = sign_redemption(node, coffee, customer, ESPRESSO, deadline_offset=3_600)
    long_proof.write_text(valid.model_copy(update={"signature": valid.signature + "00" * 65}).to_json())
    revoked_reward = list_then_revoke_a_merchant(node, coffee)
    over_cap = tmp_path / "over-cap.csv"
    over_cap.write_text(f"{'0x' + '11' * 20},{COFFEE_CAP}\n{'0x' + '22' * 20},1\n")
    typo = customer.address[:-1] + ("0" if customer.address[-1] != "0" else "1")  # one wrong digit
    mistyped = tmp_path / "mistyped.csv"
    mistyped.write_text(f"{'0x' + '11' * 20},5\n{typo},5\n")
    manifest = str(manifest_file)
    block = node.block_number()

    outcomes = ape_run_all(node, [
        ("mint", "--manifest", manifest, "--program", "coffee", "--to", "0x1234", "--amount", "5"),
        ("mint", "--manifest", manifest, "--program", "coffee", "--to", customer.address,
         "--amount", str(COFFEE_CAP + 1)),
        ("mint", "--manifest", manifest, "--program", "tea", "--to", customer.address, "--amount", "5"),
        ("balance", "--manifest", str(tmp_path / "missing.json"), "--address", customer.address),
        ("airdrop", "--manifest", manifest, "--program", "coffee", "--csv", str(over_cap)),
        ("redeem", "--manifest", manifest, "--program", "coffee", "--reward", str(BREAKFAST),
         "--account", "TEST::9"),
        ("relay-redeem", "--manifest", manifest, "--file", str(expired_file)),
        ("relay-redeem", "--manifest", manifest, "--file", str(long_proof)),
        ("redeem", "--manifest", manifest, "--program", "coffee", "--reward", str(revoked_reward),
         "--account", "TEST::9"),
        ("mint", "--manifest", manifest, "--program", "coffee", "--to", typo, "--amount", "5"),
        ("airdrop", "--manifest", manifest, "--program", "coffee", "--csv", str(mistyped)),
        ("balance", "--manifest", manifest, "--address", typo),
        ("mint", "--manifest", manifest, "--program", "coffee", "--to", "0x" + "00" * 20, "--amount", "5"),
    ])

    errors = [outcome.error for outcome in outcomes]
    assert all(outcome.code == 1 for outcome in outcomes), errors
    (bad_address, over_the_cap, unknown_program, no_manifest, campaign_over_cap, poor, too_late, too_long,
     of_a_revoked_merchant, mint_typo, airdrop_typo, balance_typo, to_nobody) = errors
    assert bad_address == "--to '0x1234' is not an address (0x followed by 40 hex digits)"
    assert over_the_cap.startswith(f"{COFFEE_CAP + 1} points are over what {COFFEE_TILL} may still issue in 'coffee'")
    assert "(its cap is 50000 per 86400 s)" in over_the_cap
    assert unknown_program == "unknown program 'tea': the manifest has airline, coffee"
    assert no_manifest == f"no deployment manifest at {tmp_path / 'missing.json'}: run `ape run deploy` first"
    assert campaign_over_cap.startswith(f"{COFFEE_CAP + 1} points are over what {COFFEE_TILL} may still issue")
    assert poor == f"{customer.address} holds 100 BEAN, not the {BREAKFAST_PRICE} BEAN the redemption costs"
    assert too_late.startswith("the signature expired at ")
    assert too_long == (f"the signature is 130 bytes, but {customer.address} has no code: an account without code "
                        "signs with its key, in 65 bytes")
    assert of_a_revoked_merchant == (f"reward {revoked_reward} of 'coffee' cannot be redeemed: its merchant "
                                     f"{POP_UP} was revoked")
    mismatch = f"{typo!r} fails its EIP-55 checksum (checksum mismatch: possible typo)"
    assert mint_typo == f"--to {mismatch}"
    assert airdrop_typo == f"{mistyped}:2: {mismatch}"
    assert balance_typo == f"--address {mismatch}"
    assert to_nobody == "--to is the zero address: points cannot be issued to it"
    assert "Traceback" not in "".join(outcome.output for outcome in outcomes)
    assert node.block_number() == block


POP_UP = to_checksum_address("0x" + "bb" * 20)


def list_then_revoke_a_merchant(node: Node, coffee: str) -> int:
    """A pop-up stand's reward, listed while the stand was a merchant: its id."""
    node.transact(OWNER, coffee, calldata("set_merchant(address,uint256,string)", POP_UP, 100, "Pop-up stand"))
    node.transact(OWNER, coffee, calldata("add_reward(uint256,uint256,address,string)", 10, 5, POP_UP, "Sticker"))
    node.transact(OWNER, coffee, calldata("set_merchant(address,uint256,string)", POP_UP, 0, "Pop-up stand"))
    return node.read(coffee, "reward_count()")


def test_airdrop_resumed_after_a_failure_halfway_issues_nothing_twice(node, manifest_file, tmp_path, coffee):
    recipients = [f"0x{index:040x}" for index in range(0xA1, 0xA1 + 12)]
    campaign = tmp_path / "member-day.csv"
    campaign.write_text("address,amount\n" + "".join(f"{address},{10 + i}\n" for i, address in enumerate(recipients)))
    arguments = ("--manifest", str(manifest_file), "--program", "coffee", "--csv", str(campaign), "--chunk-size", "1")

    # The owner pauses the program right after the first chunk is confirmed: the run fails halfway.
    first = subprocess.Popen(ape("airdrop", *arguments), cwd=REPO_ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, text=True, env=ape_environment(node))
    assert first.stdout is not None
    output = []
    for line in first.stdout:
        output.append(line)
        if "chunk 1/12" in line:
            node.transact(OWNER, coffee, calldata("pause()"))
            break
    output.append(first.stdout.read())
    assert first.wait(timeout=APE_RUN_TIMEOUT) == 1, "".join(output)
    assert "paused" in "".join(output).splitlines()[-1]
    issued = [balance(node, coffee, address) for address in recipients]
    done = sum(1 for amount in issued if amount)
    assert 1 <= done < len(recipients)

    node.transact(OWNER, coffee, calldata("unpause()"))
    second = ape_run(node, "airdrop", *arguments)

    assert second.code == 0, second.output
    assert f"12 recipients in 12 chunk(s); {done} recipient(s) already issued ({done} chunk(s))" in second.output
    assert [balance(node, coffee, address) for address in recipients] == [10 + i for i in range(12)]

    block = node.block_number()
    third = ape_run(node, "airdrop", *arguments)
    assert "Nothing to send: this campaign is fully issued" in third.output
    assert node.block_number() == block


def sign_redemption(node: Node, token: str, customer, reward_id: int, deadline_offset: int) -> SignedRedemption:
    chain_id = int(node.chain.request("eth_chainId"), 16)
    deadline = node.chain.head_timestamp() + deadline_offset
    nonce = node.read(token, "nonces(address)", customer.address)
    domain = SigningDomain(name="Bean Counter Coffee Rewards", chain_id=chain_id, address=token)
    typed = redeem_typed_data(domain, customer.address, reward_id, 1, BREAKFAST_PRICE, nonce, deadline)
    return SignedRedemption(
        chain_id=chain_id, token=token, holder=customer.address, reward_id=reward_id, quantity=1,
        max_points=BREAKFAST_PRICE, nonce=nonce, deadline=deadline,
        signature="0x" + sign_typed_data(customer.key, typed).packed.hex(),
    )


def test_customer_redeems_directly(node, manifest_file, coffee):
    customer = dev_account(5).address
    issue(node, coffee, customer, 250)

    outcome = run(node, manifest_file, "redeem", "--program", "coffee", "--reward", str(ESPRESSO), "--quantity", "2",
                  "--account", "TEST::5")

    assert outcome.code == 0, outcome.output
    assert "coffee: redeemed 2 x reward 1 for 240 BEAN" in outcome.output
    assert balance(node, coffee, customer) == 10


def test_signed_redemption_is_relayed_by_the_merchant_once(node, manifest_file, tmp_path, coffee):
    customer = dev_account(6).address
    issue(node, coffee, customer, 400)
    signed = tmp_path / "redeem.json"
    customer_nonce = node.nonce(customer)

    signing = run(node, manifest_file, "sign-redeem", "--program", "coffee", "--reward", str(BREAKFAST),
                  "--account", "TEST::6", "--output", str(signed))
    relayed = run(node, manifest_file, "relay-redeem", "--file", str(signed))
    replayed = run(node, manifest_file, "relay-redeem", "--file", str(signed))

    assert signing.code == 0, signing.output
    message = json.loads(signed.read_text())
    assert message | {"signature": None, "deadline": None} == {
        "chain_id": 31337, "token": coffee, "holder": customer, "reward_id": BREAKFAST, "quantity": 1,
        "max_points": BREAKFAST_PRICE, "nonce": 0, "signature": None, "deadline": None,
    }
    assert relayed.code == 0, relayed.output
    assert f"redeemed 1 x reward 2 for 300 BEAN on behalf of {customer}" in relayed.output
    assert balance(node, coffee, customer) == 100
    # The customer sent nothing and paid nothing: the till did.
    assert node.nonce(customer) == customer_nonce
    assert replayed.error == (
        "the signature's nonce 0 is not the holder's current nonce 1: it was already used or superseded"
    )


def test_exchange_needs_no_approve_transaction(node, manifest_file, coffee, airline, manifest):
    customer = dev_account(7).address
    issue(node, coffee, customer, 105)
    customer_nonce = node.nonce(customer)

    outcome = run(node, manifest_file, "exchange", "--from", "coffee", "--to", "airline", "--amount", "105",
                  "--account", "TEST::7")

    assert outcome.code == 0, outcome.output
    assert "exchanged 100 BEAN for 10 MILE (5 BEAN stay with you)" in outcome.output
    assert (balance(node, coffee, customer), balance(node, airline, customer)) == (5, 10)
    assert node.nonce(customer) == customer_nonce + 1
    assert node.read(coffee, "allowance(address,address)", customer, manifest.exchange.address) == 0


def test_balance_lists_points_by_expiry(node, manifest_file, coffee, airline):
    customer = dev_account(8).address
    start, length, validity = (node.read(coffee, signature) for signature in
                               ("epoch_start()", "epochLength()", "validityDuration()"))
    issue(node, coffee, customer, 100)
    first_epoch = node.read(coffee, "currentEpoch()")
    node.travel(length + 86_400)
    issue(node, coffee, customer, 50)
    second_epoch = node.read(coffee, "currentEpoch()")
    issue(node, airline, customer, 700, till=dev_account(3).address)

    outcome = run(node, manifest_file, "balance", "--account", "TEST::8")

    assert outcome.code == 0, outcome.output
    lines = [line.strip() for line in outcome.output.splitlines()]
    older, newer = (start + (epoch + validity) * length for epoch in (first_epoch, second_epoch))
    assert lines[lines.index("coffee: 150 BEAN") + 1:][:3] == [
        f"100 BEAN expire at {utc(older)}",
        f"50 BEAN expire at {utc(newer)}",
        f"next expiry: 100 BEAN at {utc(older)}",
    ]
    assert "airline: 700 MILE" in lines


def utc(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
