"""The scripts' pure helpers: campaign files and their chunks, signed redemptions, the caps' worst
case in words, and the EIP-712 builders against a real token and exchange."""

from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from points.airdrop import Campaign, Grant, campaign_key, plan_chunks, read_campaign
from points.caps import worst_case
from points.errors import PointsError
from points.signing import (
    EXCHANGE_DOMAIN_NAME,
    Signature,
    SignedRedemption,
    SigningDomain,
    exchange_typed_data,
    load_signed_redemption,
    permit_typed_data,
    recover_signer,
    redeem_typed_data,
    sign_typed_data,
)

ALICE = "0x" + "a1" * 20
BOB = "0x" + "b0" * 20


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "campaign.csv"
    path.write_text(text)
    return path


def test_campaign_file_with_header_and_blank_lines(tmp_path):
    path = write(tmp_path, f"address,amount\n{ALICE},10\n\n {BOB} , 25 \n")

    assert read_campaign(path) == Campaign([Grant(to_checksum_address(ALICE), 10), Grant(to_checksum_address(BOB), 25)],
                                          merged=0)


@pytest.mark.parametrize("encoded", [
    "\ufeffaddress,amount\r\n{alice},10\r\n{bob},25\r\n".encode(),  # Excel's UTF-8 CSV: a byte-order mark, CRLF
    b"address;amount\n{alice};10\n{bob};25\n",  # a semicolon-separated export
], ids=["byte-order-mark", "semicolons"])
def test_spreadsheet_exports_are_read(tmp_path, encoded):
    path = tmp_path / "campaign.csv"
    path.write_bytes(encoded.replace(b"{alice}", ALICE.encode()).replace(b"{bob}", BOB.encode()))

    assert read_campaign(path).grants == [Grant(to_checksum_address(ALICE), 10), Grant(to_checksum_address(BOB), 25)]


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = tmp_path / "campaign.csv"
    path.write_bytes(f"{ALICE},1\n".encode("utf-16"))  # "Unicode text" as some spreadsheets save it

    with pytest.raises(PointsError, match=r"campaign\.csv is not UTF-8 text"):
        read_campaign(path)


def test_a_repeated_address_is_refused_or_merged_when_asked(tmp_path):
    path = write(tmp_path, f"{ALICE},10\n{BOB},5\n{ALICE.upper().replace('0X', '0x')},7\n")

    with pytest.raises(PointsError, match=f"campaign.csv: {to_checksum_address(ALICE)} is on lines 1, 3: remove"):
        read_campaign(path)
    assert read_campaign(path, merge_duplicates=True) == Campaign(
        [Grant(to_checksum_address(ALICE), 17), Grant(to_checksum_address(BOB), 5)], merged=1
    )


@pytest.mark.parametrize(("text", "message"), [
    (f"{ALICE},10\n0x12,5\n", "campaign.csv:2: '0x12' is not an address"),
    (f"{ALICE},0\n", "campaign.csv:1: amount '0' is not a whole number of points above 0"),
    (f"{ALICE},1.5\n", "campaign.csv:1: amount '1.5' is not a whole number"),
    (f"{ALICE},{'9' * 85}\n", "campaign.csv:1: amount 99999"),
    (f"{ALICE},²\n", "campaign.csv:1: amount '²' is not a whole number"),
    (f"{ALICE}\n", "campaign.csv:1: expected two columns, address,amount"),
    (f"{'0x' + '0' * 40},5\n", "campaign.csv:1: points cannot be issued to the zero address"),
    ("address,amount\n", "campaign.csv lists no recipients"),
])
def test_campaign_file_errors_name_the_line(tmp_path, text, message):
    with pytest.raises(PointsError, match=message.replace(".", r"\.").replace("(", r"\(")):
        read_campaign(write(tmp_path, text))


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
    edited = plan_chunks([*grants[:4], Grant(BOB, 5)], campaign_key(path, "member day, March"), size=2)
    assert [chunk.ref for chunk in edited][:2] == [chunk.ref for chunk in relabelled][:2]
    assert edited[2].ref != relabelled[2].ref
    with pytest.raises(PointsError, match="a chunk holds 1 to 256 recipients, not 257"):
        plan_chunks(grants, keccak(text="x"), size=257)


def test_signed_redemption_json_round_trip_and_errors():
    key = keccak(text="holder")
    domain = SigningDomain(name="Coffee Club Points", chain_id=31337, address="0x" + "cc" * 20)
    holder = Account.from_key(key).address
    signature = sign_typed_data(key, redeem_typed_data(domain, holder, 3, 1, 120, 0, 2**40))
    message = SignedRedemption(chain_id=31337, token=domain.address, holder=holder, reward_id=3, quantity=1,
                               max_points=120, nonce=0, deadline=2**40, signature="0x" + signature.packed.hex())

    loaded = load_signed_redemption(message.to_json(), "redeem.json")

    assert loaded == message
    assert recover_signer(loaded.typed_data(domain.name), loaded.parsed_signature()) == holder
    assert Signature.from_packed(signature.packed) == signature
    with pytest.raises(PointsError, match=r"redeem\.json: signature: must be 0x followed by hex digits for 65 to "
                                          r"2,048 bytes"):
        load_signed_redemption(message.to_json().replace(message.signature, "0x1234"), "redeem.json")
    with pytest.raises(PointsError, match=r"redeem\.json is not JSON"):
        load_signed_redemption("{", "redeem.json")


def _redemption(signature: str) -> SignedRedemption:
    return SignedRedemption(chain_id=1, token="0x" + "cc" * 20, holder="0x" + "5a" * 20, reward_id=1, quantity=1,
                            max_points=120, nonce=0, deadline=2**40, signature=signature)


def test_a_smart_account_proof_longer_than_65_bytes_is_kept_whole():
    # A 2-of-3 Safe sends its owners' signatures one after the other: 130 bytes for two.
    proof = bytes(range(130))

    redemption = load_signed_redemption(_redemption("0x" + proof.hex().upper()).to_json(), "redeem.json")

    assert redemption.signature_bytes == proof
    assert not redemption.is_ecdsa
    with pytest.raises(PointsError, match="an ECDSA signature is 65 bytes, not 130"):
        redemption.parsed_signature()
    assert _redemption("0x" + "ab" * 2048).signature_bytes == bytes([0xAB]) * 2048


@pytest.mark.parametrize("signature", ["0x" + "ab" * 64, "0x" + "ab" * 2049, "0x" + "a" * 131, "0x" + "zz" * 65])
def test_a_signature_outside_65_to_2048_bytes_is_refused(signature):
    with pytest.raises(PointsError, match="signature: must be 0x followed by hex digits for 65 to 2,048 bytes"):
        load_signed_redemption(_redemption("0x" + "ab" * 65).to_json().replace("0x" + "ab" * 65, signature),
                               "redeem.json")


@pytest.mark.parametrize(("cap", "period", "words"), [
    (50_000, 86_400, "cap 50,000 BEAN per day; at most 100,000 BEAN within any day-long window that crosses a reset"),
    (20_000, 2_592_000, "cap 20,000 BEAN per 30 days; at most 40,000 BEAN within any 30-day window"),
    (7, 604_800, "cap 7 BEAN per week; at most 14 BEAN within any week-long window"),
    (1, 3_000, "cap 1 BEAN per 50 minutes; at most 2 BEAN within any 50-minute window"),
    (3, 3_001, "cap 3 BEAN per 3,001 seconds; at most 6 BEAN within any 3,001-second window"),
])
def test_worst_case_of_a_cap_is_twice_it_in_the_periods_unit(cap, period, words):
    assert worst_case(cap, period, "BEAN").startswith(words)


def test_builders_match_the_token(deploy_token, owner, merchant, alice, bob, chain):
    token = deploy_token()
    token.set_merchant(merchant, 1_000, "Downtown store", sender=owner)
    token.mint(alice, 500, bytes(32), sender=merchant)
    reward_id = token.add_reward(100, 10, merchant, "Free espresso", sender=owner).return_value
    domain = SigningDomain(name=token.name(), chain_id=chain.chain_id, address=token.address)
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


def test_exchange_builder_matches_the_exchange(project, deploy_token, owner, merchant, alice, bob, chain):
    source, target = deploy_token(), deploy_token(name="Skyway Miles", symbol="MILE")
    exchange = owner.deploy(project.PartnerExchange)
    source.set_merchant(merchant, 1_000, "Downtown store", sender=owner)
    target.set_merchant(exchange, 1_000, "Partner exchange", sender=owner)
    exchange.set_route(source, target, 1, 2, 1_000, sender=owner)
    exchange.approve_route(source, target, True, sender=owner)
    source.mint(alice, 100, bytes(32), sender=merchant)
    source.approve(exchange, 100, sender=alice)
    domain = SigningDomain(EXCHANGE_DOMAIN_NAME, chain.chain_id, exchange.address)
    deadline = chain.blocks.head.timestamp + 3_600

    signature = sign_typed_data(alice.private_key, exchange_typed_data(
        domain, alice.address, source.address, target.address, 100, 50, exchange.nonces(alice), deadline))
    exchange.exchange_with_sig(alice, source, target, 100, 50, deadline, signature.packed, sender=bob)

    assert (source.balanceOf(alice), target.balanceOf(alice)) == (0, 50)
    assert exchange.nonces(alice) == 1
