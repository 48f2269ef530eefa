"""The EIP-712 digests, signatures and recoveries of `points.signing` against eth_account's, and
its recovery refusing what the contracts' `ecrecover` refuses."""

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from points.signing import (
    EXCHANGE_DOMAIN_NAME,
    MALLEABILITY_THRESHOLD,
    SECP256K1_ORDER,
    Signature,
    SigningDomain,
    ecrecover,
    exchange_typed_data,
    permit_typed_data,
    recover_signer,
    redeem_typed_data,
    sign_typed_data,
    typed_data_digest,
)

uints = st.integers(min_value=0, max_value=2**256 - 1)
addresses = st.binary(min_size=20, max_size=20).map(lambda raw: "0x" + raw.hex())
keys = st.integers(min_value=1, max_value=SECP256K1_ORDER - 1).map(lambda number: number.to_bytes(32, "big"))
domains = st.builds(SigningDomain, st.text(max_size=40), st.integers(min_value=1, max_value=2**64), addresses)
messages = st.one_of(
    st.builds(redeem_typed_data, domains, addresses, uints, uints, uints, uints, uints),
    st.builds(exchange_typed_data, domains, addresses, addresses, addresses, uints, uints, uints, uints),
    st.builds(permit_typed_data, domains, addresses, addresses, uints, uints, uints),
)


def _eth_account_digest(typed_data):
    message = encode_typed_data(full_message=typed_data)
    return keccak(b"\x19" + message.version + message.header + message.body)


@settings(max_examples=60, deadline=None)
@given(typed_data=messages, key=keys)
def test_digests_and_signatures_are_eth_accounts(typed_data, key):
    expected = Account.sign_message(encode_typed_data(full_message=typed_data), key)

    signature = sign_typed_data(key, typed_data)

    assert typed_data_digest(typed_data) == _eth_account_digest(typed_data)
    assert (signature.v, signature.r, signature.s) == (expected.v, expected.r.to_bytes(32, "big"),
                                                      expected.s.to_bytes(32, "big"))
    assert recover_signer(typed_data, signature) == Account.from_key(key).address


def test_recovery_refuses_what_the_contracts_ecrecover_refuses():
    key = keccak(text="holder")
    typed_data = redeem_typed_data(SigningDomain(EXCHANGE_DOMAIN_NAME, 1, "0x" + "cc" * 20),
                                   Account.from_key(key).address, 1, 1, 10, 0, 2**40)
    digest = typed_data_digest(typed_data)
    good = sign_typed_data(key, typed_data)
    # The same signature with `s` mirrored and `v` flipped is valid secp256k1, and EIP-2 refuses it.
    high_s = SECP256K1_ORDER - int.from_bytes(good.s, "big")
    mirrored = Signature(v=55 - good.v, r=good.r, s=high_s.to_bytes(32, "big"))

    assert ecrecover(digest, good) == Account.from_key(key).address
    assert int.from_bytes(mirrored.s, "big") > MALLEABILITY_THRESHOLD
    assert ecrecover(digest, mirrored) is None
    assert ecrecover(digest, Signature(v=good.v - 27, r=good.r, s=good.s)) is None
    assert ecrecover(digest, Signature(v=good.v, r=bytes(32), s=good.s)) is None
    assert ecrecover(digest, Signature(v=good.v, r=SECP256K1_ORDER.to_bytes(32, "big"), s=good.s)) is None
