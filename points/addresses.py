"""Addresses typed by people: 0x and 40 hex digits, and an EIP-55 checksum that must hold when the
letters are mixed-case, so that a one-character typo is refused instead of sending points to an
address nobody controls. All-lowercase or all-uppercase input carries no checksum and is accepted.

Light to import (the indexer's log reader uses `eip55`), and pysha3 rather than eth_utils: eth_hash's
default Keccak (pycryptodome) takes 13 us a hash against 1.5 us, and its checks about as long again.
"""

import string

from sha3 import keccak_256

ADDRESS_DIGITS = 40
# EIP-55 upper-cases each letter of the address whose nibble in the hash is 8 or more. Done on the
# 40 characters at once, as 320-bit integers: a letter (a-f) is the only hex digit with bit 0x40
# set, and clearing its bit 0x20 upper-cases it. A loop over the characters cost a large share of
# a backfill's decoding when every holder is new.
_HIGH_NIBBLE = str.maketrans({digit: "\x20" if int(digit, 16) >= 8 else "\x00" for digit in "0123456789abcdef"})
_LETTER_BITS = int.from_bytes(b"\x40" * ADDRESS_DIGITS, "big")
_HEX_DIGITS = frozenset(string.hexdigits)


class AddressError(ValueError):
    """An address that is malformed or fails its checksum; the message says which."""


def eip55(address_hex40: str) -> str:
    """A checksummed address (EIP-55) from its 40 hex digits, in any case, unchecked: the same as
    `eth_utils.to_checksum_address` without its input checks."""
    digits = address_hex40.lower().encode()
    hashed = keccak_256(digits).hexdigest()[:ADDRESS_DIGITS].translate(_HIGH_NIBBLE).encode()
    address = int.from_bytes(digits, "big")
    upper_cased = address & ~(int.from_bytes(hashed, "big") & (address & _LETTER_BITS) >> 1)
    return "0x" + upper_cased.to_bytes(ADDRESS_DIGITS, "big").decode()


def checksummed(value: str) -> str:
    """`value` as an EIP-55 checksummed address, or an `AddressError` saying what is wrong."""
    if (not isinstance(value, str) or len(value) != 2 + ADDRESS_DIGITS or not value.startswith(("0x", "0X"))
            or not _HEX_DIGITS.issuperset(value[2:])):
        raise AddressError(f"{value!r} is not an address (0x followed by 40 hex digits)")
    expected = eip55(value[2:])
    digits = value[2:]
    if digits != digits.lower() and digits != digits.upper() and value != expected:
        raise AddressError(f"{value!r} fails its EIP-55 checksum (checksum mismatch: possible typo)")
    return expected
