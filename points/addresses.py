"""Addresses typed by people: 0x and 40 hex digits, and an EIP-55 checksum that must hold when the
letters are mixed-case, so that a one-character typo is refused instead of sending points to an
address nobody controls. All-lowercase or all-uppercase input carries no checksum and is accepted."""

from eth_utils import is_hex_address, to_checksum_address


class AddressError(ValueError):
    """An address that is malformed or fails its checksum; the message says which."""


def checksummed(value: str) -> str:
    """`value` as an EIP-55 checksummed address, or an `AddressError` saying what is wrong."""
    if not isinstance(value, str) or not value.startswith(("0x", "0X")) or not is_hex_address(value):
        raise AddressError(f"{value!r} is not an address (0x followed by 40 hex digits)")
    expected = to_checksum_address(value)
    digits = value[2:]
    if digits != digits.lower() and digits != digits.upper() and value != expected:
        raise AddressError(f"{value!r} fails its EIP-55 checksum (checksum mismatch: possible typo)")
    return expected
