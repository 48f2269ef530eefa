"""EIP-712 messages the contracts accept: a PointsToken's signed redemptions and EIP-2612 permits,
and the PartnerExchange's signed exchanges.

A token's domain is its own (its name, version "1", chain id, the token's address) and the
exchange's is ("PartnerExchange", "1", chain id, the exchange's address), so a signature is good
for one contract on one chain only. These builders are the single source of the typed
data for the scripts, the demo, the benchmarks and the tests. Signing is done either by an ape
account (`account.sign_message(signable(typed_data))`) or, with a raw key, by `sign_typed_data`.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from coincurve import PrivateKey, PublicKey
from eth_account.messages import SignableMessage, encode_typed_data
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from sha3 import keccak_256

from points.addresses import checksummed, eip55
from points.errors import PointsError, invalid_file

EIP712_VERSION = "1"
EXCHANGE_DOMAIN_NAME = "PartnerExchange"
ECDSA_SIGNATURE_BYTES = 65
# `redeem_with_sig` and `exchange_with_sig` take `Bytes[2048]`: longer than 65 bytes is a
# smart-contract wallet's ERC-1271 proof (a Safe's several owners' signatures, say).
MAX_SIGNATURE_BYTES = 2048
WORD_BYTES = 32
ADDRESS_BYTES = 20
SECP256K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
# The largest `s` the contracts take (EIP-2): a larger one would make a second valid signature of
# the same message.
MALLEABILITY_THRESHOLD = SECP256K1_ORDER // 2

DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
REDEEM_TYPE = [
    {"name": "holder", "type": "address"},
    {"name": "rewardId", "type": "uint256"},
    {"name": "quantity", "type": "uint256"},
    {"name": "maxPoints", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]
EXCHANGE_TYPE = [
    {"name": "account", "type": "address"},
    {"name": "fromToken", "type": "address"},
    {"name": "toToken", "type": "address"},
    {"name": "amountIn", "type": "uint256"},
    {"name": "minOut", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]
PERMIT_TYPE = [
    {"name": "owner", "type": "address"},
    {"name": "spender", "type": "address"},
    {"name": "value", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]


@dataclass(frozen=True)
class SigningDomain:
    """A contract's EIP-712 domain: its name, version "1", the chain and its address (for the
    exchange, `SigningDomain(EXCHANGE_DOMAIN_NAME, chain_id, exchange_address)`)."""

    name: str
    chain_id: int
    address: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": EIP712_VERSION,
            "chainId": self.chain_id,
            "verifyingContract": checksummed(self.address),
        }


@dataclass(frozen=True)
class Signature:
    v: int
    r: bytes
    s: bytes

    @property
    def packed(self) -> bytes:
        """`r || s || v`, the 65 bytes an ECDSA signer gives `redeem_with_sig` and `exchange_with_sig`."""
        return self.r + self.s + bytes([self.v])

    @classmethod
    def from_packed(cls, packed: bytes) -> "Signature":
        """An ECDSA signature only: a longer ERC-1271 proof has no (v, r, s) and goes to the chain as it is."""
        if len(packed) != ECDSA_SIGNATURE_BYTES:
            raise PointsError(f"an ECDSA signature is {ECDSA_SIGNATURE_BYTES} bytes, not {len(packed)}")
        return cls(v=packed[64], r=packed[:32], s=packed[32:64])

    @classmethod
    def from_parts(cls, v: int, r: int | bytes, s: int | bytes) -> "Signature":
        def word(part: int | bytes) -> bytes:
            return part.to_bytes(32, "big") if isinstance(part, int) else bytes(part).rjust(32, b"\0")

        return cls(v=v, r=word(r), s=word(s))


def redeem_typed_data(
    domain: SigningDomain, holder: str, reward_id: int, quantity: int, max_points: int, nonce: int, deadline: int
) -> dict[str, Any]:
    """The typed data of `redeem_with_sig`: `Redeem(address holder,uint256 rewardId,...)`."""
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, "Redeem": REDEEM_TYPE},
        "primaryType": "Redeem",
        "domain": domain.as_dict(),
        "message": {
            "holder": checksummed(holder),
            "rewardId": reward_id,
            "quantity": quantity,
            "maxPoints": max_points,
            "nonce": nonce,
            "deadline": deadline,
        },
    }


def exchange_typed_data(
    domain: SigningDomain,
    account: str,
    from_token: str,
    to_token: str,
    amount_in: int,
    min_out: int,
    nonce: int,
    deadline: int,
) -> dict[str, Any]:
    """The typed data of `exchange_with_sig`: `Exchange(address account,address fromToken,...)`
    in the exchange's own domain."""
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, "Exchange": EXCHANGE_TYPE},
        "primaryType": "Exchange",
        "domain": domain.as_dict(),
        "message": {
            "account": checksummed(account),
            "fromToken": checksummed(from_token),
            "toToken": checksummed(to_token),
            "amountIn": amount_in,
            "minOut": min_out,
            "nonce": nonce,
            "deadline": deadline,
        },
    }


def permit_typed_data(
    domain: SigningDomain, owner: str, spender: str, value: int, nonce: int, deadline: int
) -> dict[str, Any]:
    """The typed data of EIP-2612 `permit`."""
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, "Permit": PERMIT_TYPE},
        "primaryType": "Permit",
        "domain": domain.as_dict(),
        "message": {
            "owner": checksummed(owner),
            "spender": checksummed(spender),
            "value": value,
            "nonce": nonce,
            "deadline": deadline,
        },
    }


def signable(typed_data: dict[str, Any]) -> SignableMessage:
    return encode_typed_data(full_message=typed_data)


def typed_data_digest(typed_data: dict[str, Any]) -> bytes:
    """The 32 bytes a signer signs (EIP-712's `keccak256(0x1901 || domainSeparator || structHash)`),
    which an ERC-1271 wallet's `isValidSignature` is asked about.

    Computed here rather than by eth_account's `encode_typed_data`, which takes about 0.5 ms in pure
    Python: the relayer hashes every request it checks. The messages above are flat structs of
    addresses, integers and strings, which is all this encodes.
    """
    types, domain = typed_data["types"], typed_data["domain"]
    domain_fields = tuple((field["name"], field["type"]) for field in types["EIP712Domain"])
    separator = _domain_separator(domain_fields, tuple(domain[name] for name, _ in domain_fields))
    primary = typed_data["primaryType"]
    fields = tuple((field["name"], field["type"]) for field in types[primary])
    message = typed_data["message"]
    return keccak_256(b"\x19\x01" + separator + _struct_hash(primary, fields, [message[name] for name, _ in fields])
                      ).digest()


@lru_cache(maxsize=256)
def _domain_separator(fields: tuple[tuple[str, str], ...], values: tuple[Any, ...]) -> bytes:
    return _struct_hash("EIP712Domain", fields, values)


@lru_cache(maxsize=64)
def _type_hash(primary: str, fields: tuple[tuple[str, str], ...]) -> bytes:
    return keccak_256(f"{primary}({','.join(f'{kind} {name}' for name, kind in fields)})".encode()).digest()


def _struct_hash(primary: str, fields: tuple[tuple[str, str], ...], values: Sequence[Any]) -> bytes:
    encoded = b"".join(_encoded(kind, value) for (_, kind), value in zip(fields, values, strict=True))
    return keccak_256(_type_hash(primary, fields) + encoded).digest()


def _encoded(kind: str, value: Any) -> bytes:
    """One member's 32 bytes in `encodeData`."""
    if kind == "address":
        raw = bytes.fromhex(value[2:])
        if len(raw) != ADDRESS_BYTES:
            raise ValueError(f"{value!r} is not an address")
        return raw.rjust(WORD_BYTES, b"\0")
    if kind == "uint256":
        return int(value).to_bytes(WORD_BYTES, "big")
    if kind == "string":
        return keccak_256(value.encode()).digest()
    raise ValueError(f"EIP-712 type {kind!r} is not one these messages use")


def ecrecover(digest: bytes, signature: Signature) -> str | None:
    """The signer that the contracts' `ecrecover` finds for `signature` over `digest`, or None where
    they find the zero address: `v` other than 27 or 28, an `s` above half the group order (EIP-2,
    refused by `signatures.vy`), or values that are no signature at all."""
    if signature.v not in (27, 28) or int.from_bytes(signature.s, "big") > MALLEABILITY_THRESHOLD:
        return None
    try:
        public = PublicKey.from_signature_and_message(signature.r + signature.s + bytes([signature.v - 27]), digest,
                                                      hasher=None)
    except ValueError:
        return None
    return eip55(keccak_256(public.format(compressed=False)[1:]).digest()[-ADDRESS_BYTES:].hex())


def sign_typed_data(private_key: bytes | str, typed_data: dict[str, Any]) -> Signature:
    """The key's signature of the typed data, as eth_account makes it (RFC 6979, low `s`)."""
    key = bytes.fromhex(private_key.removeprefix("0x")) if isinstance(private_key, str) else bytes(private_key)
    signed = PrivateKey(key).sign_recoverable(typed_data_digest(typed_data), hasher=None)
    return Signature(v=27 + signed[64], r=signed[:32], s=signed[32:64])


def recover_signer(typed_data: dict[str, Any], signature: Signature) -> str:
    """The address whose key made `signature` over the typed data, as the contracts see it."""
    signer = ecrecover(typed_data_digest(typed_data), signature)
    if signer is None:
        raise PointsError("the signature is malformed: v must be 27 or 28 and s at most half the secp256k1 order, "
                          "and (r, s) must be a signature")
    return signer


def signature_hex(value: str) -> str:
    """A signature as the contracts take it: 0x and hex for 65 to 2,048 bytes, lower-case; a
    `ValueError` otherwise."""
    digits = value.removeprefix("0x").lower()
    size, odd = divmod(len(digits), 2)
    if odd or any(char not in "0123456789abcdef" for char in digits) or not (
        ECDSA_SIGNATURE_BYTES <= size <= MAX_SIGNATURE_BYTES
    ):
        raise ValueError(f"must be 0x followed by hex digits for {ECDSA_SIGNATURE_BYTES} to "
                         f"{MAX_SIGNATURE_BYTES:,} bytes")
    return "0x" + digits


class SignedByHex(BaseModel):
    """A model whose `signature` is hex (see `signature_hex`), with its bytes as the chain takes them."""

    signature: str

    @field_validator("signature")
    @classmethod
    def _signature(cls, value: str) -> str:
        return signature_hex(value)

    @property
    def signature_bytes(self) -> bytes:
        """The signature as the chain takes it, whatever its kind."""
        return bytes.fromhex(self.signature[2:])


class SignedRedemption(SignedByHex):
    """What `ape run sign-redeem` prints and `ape run relay-redeem` submits (no personal data).

    `signature` is 65 bytes from an account that signs with its key (ECDSA), or up to 2,048 bytes
    of a smart-contract wallet's proof, which only the wallet itself (ERC-1271) can check.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    chain_id: int
    token: str
    holder: str
    reward_id: int
    quantity: int
    max_points: int
    nonce: int
    deadline: int
    signature: str

    @field_validator("token", "holder")
    @classmethod
    def _address(cls, value: str) -> str:
        return checksummed(value)

    @property
    def is_ecdsa(self) -> bool:
        return len(self.signature_bytes) == ECDSA_SIGNATURE_BYTES

    def parsed_signature(self) -> Signature:
        """The (v, r, s) of a 65-byte ECDSA signature; a longer proof has none."""
        return Signature.from_packed(self.signature_bytes)

    def typed_data(self, token_name: str) -> dict[str, Any]:
        return redeem_typed_data(
            SigningDomain(token_name, self.chain_id, self.token),
            self.holder, self.reward_id, self.quantity, self.max_points, self.nonce, self.deadline,
        )

    def to_json(self) -> str:
        return json.dumps(self.model_dump(), indent=2)


def load_signed_redemption(text: str, source: str) -> SignedRedemption:
    """Parses a signed redemption; every problem is one line naming the source and the field."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise PointsError(f"{source} is not JSON: {error}") from None
    try:
        return SignedRedemption.model_validate(raw)
    except ValidationError as error:
        raise invalid_file(Path(source), error) from None
