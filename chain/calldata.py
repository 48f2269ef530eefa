"""Calldata and return data: encoding a call of a function signature, decoding the words it returns.

The selector is Keccak in C (safe-pysha3), and eth_abi, which is slow to import, is imported at
the first encoding: the indexer's log reader imports this module (through `chain.rpc`) and
encodes nothing.
"""

import string
from functools import lru_cache
from typing import Any

from sha3 import keccak_256

WORD_BYTES = 32


@lru_cache(maxsize=256)
def _parsed(signature: str) -> tuple[bytes, tuple[str, ...]]:
    """A signature's selector and argument types; no tuple types."""
    if "(" not in signature or not signature.endswith(")"):
        raise ValueError(f"not a function signature: {signature!r} (expected e.g. 'balanceOf(address)')")
    types = signature[signature.index("(") + 1:-1]
    return keccak_256(signature.encode()).digest()[:4], tuple(types.split(",")) if types else ()


def selector(signature: str) -> str:
    """The 4-byte selector of `signature`, as 0x-prefixed hex."""
    return "0x" + _parsed(signature)[0].hex()


def calldata(signature: str, *args: Any) -> str:
    """ABI-encoded call of `signature` (e.g. `mint(address,uint256,bytes32)`) with `args`."""
    function_selector, types = _parsed(signature)
    if len(args) == len(types) and all(kind in _WORD_TYPES for kind in types):
        # A word per argument: a tenth of eth_abi's time, and the relayer encodes a dozen reads per request.
        encoded = "".join(_word(kind, value) for kind, value in zip(types, args, strict=True))
        return "0x" + function_selector.hex() + encoded
    from eth_abi import encode

    return "0x" + (function_selector + encode(types, args)).hex()


_WORD_TYPES = frozenset({"address", "uint256"})


def _word(kind: str, value: Any) -> str:
    """An address or uint256 argument as its word's 64 hex digits."""
    if kind == "address":
        digits = value.hex() if isinstance(value, bytes) else value.removeprefix("0x")
        if len(digits) != 40 or not all(char in string.hexdigits for char in digits):
            raise ValueError(f"{value!r} is not an address")
        return digits.lower().rjust(2 * WORD_BYTES, "0")
    if type(value) is not int or not 0 <= value < 2 ** (8 * WORD_BYTES):
        raise ValueError(f"{value!r} is not a uint256")
    return f"{value:064x}"


def words(result: str) -> list[int]:
    """The 32-byte words of a call's return data, as integers (every value read here is static)."""
    data = bytes.fromhex(result.removeprefix("0x"))
    return [int.from_bytes(data[start:start + WORD_BYTES], "big") for start in range(0, len(data), WORD_BYTES)]


def as_address(word: int) -> str:
    """The address held in a word (its low 20 bytes), lower-case."""
    return "0x" + word.to_bytes(WORD_BYTES, "big")[12:].hex()
