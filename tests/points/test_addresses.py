"""Addresses typed by people: malformed ones and mixed-case ones that fail EIP-55 are refused."""

import pytest
from eth_utils import to_checksum_address
from hypothesis import given
from hypothesis import strategies as st

from points.addresses import AddressError, checksummed

TILL = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


@pytest.mark.parametrize("typed", [TILL, TILL.lower(), "0x" + TILL[2:].upper()])
def test_checksummed_lowercase_and_uppercase_addresses_are_accepted(typed):
    assert checksummed(typed) == TILL


@pytest.mark.parametrize(
    "typo",
    [
        TILL[:-1] + "9",  # a wrong digit
        TILL[:-1] + "c",  # a letter in the wrong case
        TILL[:10] + TILL[10].swapcase() + TILL[11:],
    ],
    ids=["digit", "last-letter-case", "middle-letter-case"],
)
def test_a_mixed_case_typo_is_refused(typo):
    with pytest.raises(AddressError, match="checksum mismatch: possible typo"):
        checksummed(typo)


@pytest.mark.parametrize("malformed", ["", "0x", TILL[:-1], TILL + "0", "70997970C51812dc3A010C7d01b50e0d17dc79C8",
                                       "0x" + "g" * 40, None, 12])
def test_malformed_input_is_refused_with_its_form(malformed):
    with pytest.raises(AddressError, match="is not an address"):
        checksummed(malformed)


@given(st.binary(min_size=20, max_size=20))
def test_any_address_in_eip55_or_one_case_round_trips(raw):
    lowercase = "0x" + raw.hex()
    expected = to_checksum_address(lowercase)

    assert checksummed(lowercase) == checksummed(expected) == checksummed("0x" + raw.hex().upper()) == expected
