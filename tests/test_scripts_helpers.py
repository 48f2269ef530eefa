"""The scripts' pure helpers: campaign files and their chunks, and the EIP-712 builders against a real token."""

from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from points.airdrop import Grant, campaign_key, plan_chunks, read_grants
from points.errors import PointsError
from points.signing import (
    Signature, SignedRedemption, TokenDomain, load_signed_redemption, permit_typed_data, recover_signer,
    redeem_typed_data, sign_typed_data,
)

ALICE = "0x" + "a1" * 20
BOB = "0x" + "b0" * 20


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "campaign.csv"
    path.write_text(text)
    return path


def test_campaign_file_with_header_and_blank_lines(tmp_path):
    path = write(tmp_path, f"address,amount\n{ALICE},10\n\n {BOB} , 25 \n")

    assert read_grants(path) == [Grant(to_checksum_address(ALICE), 10), Grant(to_checksum_address(BOB), 25)]


@pytest.mark.parametrize(("text", "message"), [
    (f"{ALICE},10\n0x12,5\n", "campaign.csv:2: '0x12' is not an address"),
    (f"{ALICE},0\n", "campaign.csv:1: amount '0' is not a whole number of points above 0"),
    (f"{ALICE},1.5\n", "campaign.csv:1: amount '1.5' is not a whole number"),
    (f"{ALICE}\n", "campaign.csv:1: expected two columns, address,amount"),
    (f"{'0x' + '0' * 40},5\n", "campaign.csv:1: points cannot be issued to the zero address"),
    ("address,amount\n", "campaign.csv lists no recipients"),
])
def test_campaign_file_errors_name_the_line(tmp_path, text, message):
    with pytest.raises(PointsError, match=message.replace(".", r"\.").replace("(", r"\(")):
        read_grants(write(tmp_path, text))


def test_chunk_refs_depend_on_campaign_position_and_rows(tmp_path):
    grants = [Grant(ALICE, amount) for amount in range(1, 6)]
    path = write(tmp_path, "anything")
    by_file = plan_chunks(grants, campaign_key(path, None), size=2)

    assert [len(chunk.grants) for chunk in by_file] == [2, 2, 1]
    assert [chunk.total for chunk in by_file] == [3, 7, 5]
    assert plan_chunks(grants, campaign_key(path, None), size=2) == by_file
    assert len({chunk.ref for chunk in by_file}) == 3
    relabelled = plan_chunks(grants, campaign_key(path, "member day, March"), size=2)
    assert not {chunk.ref for chunk in relabelled} & {chunk.ref for chunk in by_file}
    edited = plan_chunks(grants[:4] + [Grant(BOB, 5)], campaign_key(path, "member day, March"), size=2)
    assert [chunk.ref for chunk in edited][:2] == [chunk.ref for chunk in relabelled][:2]
    assert edited[2].ref != relabelled[2].ref
    with pytest.raises(PointsError, match="a chunk holds 1 to 256 recipients, not 257"):
        plan_chunks(grants, keccak(text="x"), size=257)


def test_signed_redemption_json_round_trip_and_errors():
    key = keccak(text="holder")
    domain = TokenDomain(name="Coffee Club Points", chain_id=31337, address="0x" + "cc" * 20)
    holder = Account.from_key(key).address
    signature = sign_typed_data(key, redeem_typed_data(domain, holder, 3, 1, 120, 0, 2**40))
    message = SignedRedemption(chain_id=31337, token=domain.address, holder=holder, reward_id=3, quantity=1,
                               max_points=120, nonce=0, deadline=2**40, signature="0x" + signature.packed.hex())

    loaded = load_signed_redemption(message.to_json(), "redeem.json")

    assert loaded == message
    assert recover_signer(loaded.typed_data(domain.name), loaded.parsed_signature()) == holder
    assert Signature.from_packed(signature.packed) == signature
    with pytest.raises(PointsError, match=r"redeem\.json: signature: must be 0x followed by 130 hex digits"):
        load_signed_redemption(message.to_json().replace(message.signature, "0x1234"), "redeem.json")
    with pytest.raises(PointsError, match=r"redeem\.json is not JSON"):
        load_signed_redemption("{", "redeem.json")


def test_builders_match_the_token(deploy_token, owner, merchant, alice, bob, chain):
    token = deploy_token()
    token.set_merchant(merchant, 1_000, sender=owner)
    token.mint(alice, 500, bytes(32), sender=merchant)
    reward_id = token.add_reward(100, 10, merchant, sender=owner).return_value
    domain = TokenDomain(name=token.name(), chain_id=chain.chain_id, address=token.address)
    deadline = chain.blocks.head.timestamp + 3_600

    permit = sign_typed_data(alice.private_key,
                             permit_typed_data(domain, alice.address, bob.address, 70, token.nonces(alice), deadline))
    token.permit(alice, bob, 70, deadline, permit.v, permit.r, permit.s, sender=bob)
    redemption = sign_typed_data(alice.private_key, redeem_typed_data(domain, alice.address, reward_id, 2, 200,
                                                                      token.nonces(alice), deadline))
    token.redeem_with_sig(alice, reward_id, 2, 200, deadline, redemption.packed, sender=merchant)

    assert token.allowance(alice, bob) == 70
    assert token.balanceOf(alice) == 300
    assert token.nonces(alice) == 2
