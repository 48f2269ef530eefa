"""EIP-2612 permits and the EIP-712 / EIP-5267 domain, with real signatures from the test keys."""

import ape
import pytest
from eth_abi import encode
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from tests.contracts.token_helpers import MAX_UINT256, ZERO_ADDRESS, assert_events, next_tx_at

INVALID_SIGNATURE = "approvals: invalid permit signature"
EXPIRED = "approvals: permit deadline has passed"
DAY = 86_400

# The order of the secp256k1 group: (r, s) and (r, n - s) are both valid signatures.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


@pytest.fixture(scope="module")
def permit_token(token, merchant, alice, bob, carol, stranger, sign_permit):
    """The module's token with 1,000 points for alice."""
    token.mint(alice, 1_000, b"\x00" * 32, sender=merchant)
    return token


@pytest.fixture
def deadline(chain):
    return chain.pending_timestamp + DAY


def domain_separator(name: str, chain_id: int, verifying_contract: str) -> bytes:
    """The EIP-712 domain separator, computed from the standard's definition."""
    type_hash = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
    return keccak(
        encode(
            ["bytes32", "bytes32", "bytes32", "uint256", "address"],
            [type_hash, keccak(text=name), keccak(text="1"), chain_id, verifying_contract],
        )
    )


# the signing domain


def test_domain_separator_matches_eip712(permit_token, chain):
    expected = domain_separator("Coffee Club Points", chain.chain_id, permit_token.address)

    assert bytes(permit_token.DOMAIN_SEPARATOR()) == expected


def test_domain_separator_matches_eth_account(permit_token, chain):
    signable = encode_typed_data(
        full_message={
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "Ping": [{"name": "x", "type": "uint256"}],
            },
            "primaryType": "Ping",
            "domain": {
                "name": permit_token.name(),
                "version": "1",
                "chainId": chain.chain_id,
                "verifyingContract": permit_token.address,
            },
            "message": {"x": 1},
        }
    )
    # eth-account's header of an EIP-712 message is the domain separator.
    assert bytes(permit_token.DOMAIN_SEPARATOR()) == bytes(signable.header)


def test_domain_separator_differs_per_token(permit_token, deploy_token, chain):
    other = deploy_token(name="Tea Points", symbol="LEAF")

    assert bytes(other.DOMAIN_SEPARATOR()) == domain_separator("Tea Points", chain.chain_id, other.address)
    assert other.DOMAIN_SEPARATOR() != permit_token.DOMAIN_SEPARATOR()


def test_eip712_domain_fields(permit_token, chain):
    fields, name, version, chain_id, verifying_contract, salt, extensions = permit_token.eip712Domain()

    assert bytes(fields) == b"\x0f"  # name, version, chainId, verifyingContract; no salt
    assert name == "Coffee Club Points"
    assert version == "1"
    assert chain_id == chain.chain_id
    assert verifying_contract == permit_token.address
    assert bytes(salt) == b"\x00" * 32
    assert list(extensions) == []


def test_domain_with_the_longest_allowed_name(deploy_token, chain):
    name = "N" * 50
    long_named = deploy_token(name=name)

    assert long_named.name() == name
    assert long_named.eip712Domain()[1] == name
    assert bytes(long_named.DOMAIN_SEPARATOR()) == domain_separator(name, chain.chain_id, long_named.address)


# permit


def test_nonces_start_at_zero(permit_token, alice, stranger):
    assert permit_token.nonces(alice) == 0
    assert permit_token.nonces(stranger) == 0


def test_permit_sets_allowance(permit_token, sign_permit, alice, bob, stranger, deadline):
    v, r, s = sign_permit(permit_token, alice, bob, 300, deadline)

    # Anyone may submit the holder's signature (here a stranger pays the gas).
    receipt = permit_token.permit(alice, bob, 300, deadline, v, r, s, sender=stranger)

    assert permit_token.allowance(alice, bob) == 300
    assert permit_token.nonces(alice) == 1
    assert_events(receipt, permit_token.Approval(owner=alice, spender=bob, value=300))


def test_permitted_spender_can_transfer_from(permit_token, sign_permit, alice, bob, carol, deadline):
    permit_token.permit(alice, bob, 300, deadline, *sign_permit(permit_token, alice, bob, 300, deadline), sender=bob)

    permit_token.transferFrom(alice, carol, 300, sender=bob)

    assert permit_token.balanceOf(carol) == 300
    assert permit_token.allowance(alice, bob) == 0


def test_permit_overwrites_allowance(permit_token, sign_permit, alice, bob, deadline):
    permit_token.approve(bob, 999, sender=alice)

    permit_token.permit(alice, bob, 5, deadline, *sign_permit(permit_token, alice, bob, 5, deadline), sender=bob)

    assert permit_token.allowance(alice, bob) == 5


def test_permit_of_max_value_is_unlimited(permit_token, sign_permit, alice, bob, carol, deadline):
    v, r, s = sign_permit(permit_token, alice, bob, MAX_UINT256, deadline)
    permit_token.permit(alice, bob, MAX_UINT256, deadline, v, r, s, sender=bob)

    permit_token.transferFrom(alice, carol, 10, sender=bob)

    assert permit_token.allowance(alice, bob) == MAX_UINT256


def test_nonces_increment_per_permit(permit_token, sign_permit, alice, bob, carol, deadline):
    for nonce, (spender, value) in enumerate([(bob, 1), (carol, 2), (bob, 3)]):
        assert permit_token.nonces(alice) == nonce
        v, r, s = sign_permit(permit_token, alice, spender, value, deadline, nonce=nonce)
        permit_token.permit(alice, spender, value, deadline, v, r, s, sender=alice)

    assert permit_token.nonces(alice) == 3
    assert permit_token.nonces(bob) == 0
    assert permit_token.allowance(alice, bob) == 3
    assert permit_token.allowance(alice, carol) == 2


def test_permit_at_the_deadline_second(permit_token, sign_permit, alice, bob, chain):
    deadline = chain.pending_timestamp + 100
    v, r, s = sign_permit(permit_token, alice, bob, 10, deadline)
    next_tx_at(chain, deadline)

    permit_token.permit(alice, bob, 10, deadline, v, r, s, sender=bob)

    assert chain.blocks.head.timestamp == deadline
    assert permit_token.allowance(alice, bob) == 10


def test_permit_after_the_deadline_reverts(permit_token, sign_permit, alice, bob, chain):
    deadline = chain.pending_timestamp + 100
    v, r, s = sign_permit(permit_token, alice, bob, 10, deadline)
    next_tx_at(chain, deadline + 1)

    with ape.reverts(EXPIRED):
        permit_token.permit(alice, bob, 10, deadline, v, r, s, sender=bob)
    assert permit_token.allowance(alice, bob) == 0
    assert permit_token.nonces(alice) == 0


def test_permit_with_past_deadline_reverts(permit_token, sign_permit, alice, bob, chain):
    deadline = chain.blocks.head.timestamp - 1
    v, r, s = sign_permit(permit_token, alice, bob, 10, deadline)

    with ape.reverts(EXPIRED):
        permit_token.permit(alice, bob, 10, deadline, v, r, s, sender=bob)


def test_permit_signed_by_someone_else_reverts(permit_token, sign_permit, alice, bob, carol, deadline):
    # carol signs a permit over alice's points
    v, r, s = sign_permit(permit_token, carol, bob, 10, deadline, owner=alice)

    with ape.reverts(INVALID_SIGNATURE):
        permit_token.permit(alice, bob, 10, deadline, v, r, s, sender=bob)
    assert permit_token.allowance(alice, bob) == 0
    assert permit_token.nonces(alice) == 0


def test_replayed_permit_reverts(permit_token, sign_permit, alice, bob, deadline):
    v, r, s = sign_permit(permit_token, alice, bob, 10, deadline)
    permit_token.permit(alice, bob, 10, deadline, v, r, s, sender=bob)
    permit_token.approve(bob, 0, sender=alice)

    with ape.reverts(INVALID_SIGNATURE):
        permit_token.permit(alice, bob, 10, deadline, v, r, s, sender=bob)
    assert permit_token.allowance(alice, bob) == 0
    assert permit_token.nonces(alice) == 1


@pytest.mark.parametrize("field", ["value", "spender", "deadline", "owner"])
def test_tampered_permit_reverts(permit_token, sign_permit, alice, bob, carol, deadline, field):
    v, r, s = sign_permit(permit_token, alice, bob, 10, deadline)
    args = {"owner": alice, "spender": bob, "value": 10, "deadline": deadline}
    args[field] = {"value": 11, "spender": carol, "deadline": deadline + 1, "owner": carol}[field]

    with ape.reverts(INVALID_SIGNATURE):
        permit_token.permit(*args.values(), v, r, s, sender=bob)
    assert permit_token.allowance(args["owner"], args["spender"]) == 0


def test_permit_with_future_nonce_reverts(permit_token, sign_permit, alice, bob, deadline):
    v, r, s = sign_permit(permit_token, alice, bob, 10, deadline, nonce=1)

    with ape.reverts(INVALID_SIGNATURE):
        permit_token.permit(alice, bob, 10, deadline, v, r, s, sender=bob)


@pytest.mark.parametrize(
    "domain",
    [
        {"chainId": 1},
        {"verifyingContract": "0x000000000000000000000000000000000000dEaD"},
        {"name": "Tea Points"},
        {"version": "2"},
    ],
    ids=["chain_id", "verifying_contract", "name", "version"],
)
def test_permit_signed_for_another_domain_reverts(permit_token, sign_permit, alice, bob, deadline, domain):
    v, r, s = sign_permit(permit_token, alice, bob, 10, deadline, **domain)

    with ape.reverts(INVALID_SIGNATURE):
        permit_token.permit(alice, bob, 10, deadline, v, r, s, sender=bob)


def test_permit_for_one_token_is_void_on_another(permit_token, deploy_token, sign_permit, alice, bob, deadline):
    other = deploy_token(name="Coffee Club Points")  # same name, another contract
    v, r, s = sign_permit(permit_token, alice, bob, 10, deadline)

    with ape.reverts(INVALID_SIGNATURE):
        other.permit(alice, bob, 10, deadline, v, r, s, sender=bob)
    assert other.nonces(alice) == 0


def test_malleated_high_s_signature_reverts(permit_token, sign_permit, alice, bob, deadline):
    v, r, s = sign_permit(permit_token, alice, bob, 10, deadline)
    high_s = (SECP256K1_N - int.from_bytes(s, "big")).to_bytes(32, "big")
    flipped_v = 55 - v  # 27 <-> 28

    with ape.reverts("ecdsa: invalid signature `s` value"):
        permit_token.permit(alice, bob, 10, deadline, flipped_v, r, high_s, sender=bob)


def test_permit_for_the_zero_address_reverts(permit_token, bob, deadline):
    # An unrecoverable signature must not approve on behalf of the zero address.
    with ape.reverts("ecdsa: invalid signature"):
        permit_token.permit(ZERO_ADDRESS, bob, 10, deadline, 27, b"\x00" * 32, b"\x00" * 32, sender=bob)
    assert permit_token.allowance(ZERO_ADDRESS, bob) == 0


def test_permit_to_the_zero_address_spender_reverts(permit_token, sign_permit, alice, deadline):
    v, r, s = sign_permit(permit_token, alice, ZERO_ADDRESS, 10, deadline)

    with ape.reverts("approvals: approve to the zero address"):
        permit_token.permit(alice, ZERO_ADDRESS, 10, deadline, v, r, s, sender=alice)
