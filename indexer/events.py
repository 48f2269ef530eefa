"""The contracts' events and a fast decoder for raw logs.

Every field of every event is a static ABI type, so a log decodes by slicing its topics and
32-byte data words; no per-log ABI machinery. `tests/test_indexer_events.py` checks these specs
against the compiled contracts' ABI.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import orjson
# eth_hash rather than eth_utils: the log reader starts with every backfill, and eth_utils
# would add a fifth of a second of imports (pydantic among them) to its start.
from eth_hash.auto import keccak

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    indexed: bool = False


@dataclass(frozen=True)
class EventSpec:
    name: str
    fields: tuple[Field, ...]

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(field.type for field in self.fields)})"

    @property
    def topic0(self) -> str:
        return "0x" + keccak(self.signature.encode()).hex()


def _event(name: str, *fields: tuple[str, str] | tuple[str, str, bool]) -> EventSpec:
    return EventSpec(name, tuple(Field(*field) for field in fields))


TOKEN_EVENTS: tuple[EventSpec, ...] = (
    _event("Transfer", ("sender", "address", True), ("receiver", "address", True), ("value", "uint256")),
    _event("TransferAtEpoch", ("sender", "address", True), ("receiver", "address", True), ("epoch", "uint256"),
           ("value", "uint256")),
    _event("Approval", ("owner", "address", True), ("spender", "address", True), ("value", "uint256")),
    _event("Issued", ("merchant", "address", True), ("to", "address", True), ("amount", "uint256"),
           ("epoch", "uint256"), ("ref", "bytes32")),
    _event("Revoked", ("account", "address", True), ("amount", "uint256"), ("ref", "bytes32")),
    _event("Redeemed", ("holder", "address", True), ("reward_id", "uint256", True), ("merchant", "address", True),
           ("quantity", "uint256"), ("points", "uint256")),
    _event("MerchantSet", ("merchant", "address", True), ("cap", "uint256")),
    _event("RewardListed", ("reward_id", "uint256", True), ("merchant", "address", True), ("price", "uint256"),
           ("stock", "uint256")),
    _event("RewardUpdated", ("reward_id", "uint256", True), ("price", "uint256"), ("stock", "uint256"),
           ("active", "bool")),
    _event("TransferableSet", ("transferable", "bool")),
    _event("PauserSet", ("account", "address", True), ("enabled", "bool")),
    _event("Paused", ("account", "address")),
    _event("Unpaused", ("account", "address")),
    _event("OwnershipTransferred", ("previous_owner", "address", True), ("new_owner", "address", True)),
    _event("OwnershipTransferStarted", ("previous_owner", "address", True), ("new_owner", "address", True)),
)

EXCHANGE_EVENTS: tuple[EventSpec, ...] = (
    _event("RouteSet", ("from_token", "address", True), ("to_token", "address", True), ("rate_num", "uint256"),
           ("rate_den", "uint256"), ("cap", "uint256")),
    _event("RouteApproved", ("from_token", "address", True), ("to_token", "address", True), ("enabled", "bool")),
    _event("Exchanged", ("account", "address", True), ("from_token", "address", True), ("to_token", "address", True),
           ("amount_in", "uint256"), ("amount_out", "uint256")),
)

EVENTS_BY_TOPIC: dict[str, EventSpec] = {spec.topic0: spec for spec in TOKEN_EVENTS + EXCHANGE_EVENTS}


_UPPER = {digit: digit.upper() for digit in "0123456789abcdef"}


@lru_cache(maxsize=1_000_000)
def checksum(address_hex40: str) -> str:
    """A checksummed address (EIP-55) from its 40 hex digits; cached because holders recur.

    The same as `eth_utils.to_checksum_address` without its input checks, which cost more than
    the hash on a backfill's first sight of each holder.
    """
    digits = address_hex40.lower()
    digest = keccak(digits.encode()).hex()
    return "0x" + "".join([_UPPER[digit] if nibble >= "8" else digit for digit, nibble in zip(digits, digest)])


def _converter(kind: str) -> Callable[[str], Any]:
    """How one 64-hex-digit ABI word of `kind` becomes a Python value."""
    if kind == "address":
        return lambda word: checksum(word[24:])
    if kind == "bool":
        return lambda word: word[-1] != "0"
    if kind == "bytes32":
        return lambda word: "0x" + word
    return lambda word: int(word, 16)


def _field_readers(spec: EventSpec) -> tuple[tuple[str, bool, int, Callable[[str], Any]], ...]:
    """Per field: its name, whether it is a topic, its position there or in the data, its converter."""
    readers = []
    topic_index, word_index = 1, 0
    for field in spec.fields:
        if field.indexed:
            readers.append((field.name, True, topic_index, _converter(field.type)))
            topic_index += 1
        else:
            readers.append((field.name, False, word_index * 64, _converter(field.type)))
            word_index += 1
    return tuple(readers)


_READERS = {topic: (spec.name, _field_readers(spec)) for topic, spec in EVENTS_BY_TOPIC.items()}


class DecodedLog(NamedTuple):
    name: str
    contract: str
    block: int
    log_index: int
    tx_hash: str
    args: dict[str, Any]
    # `args` as the raw event table stores them.
    args_json: str


class UnknownEvent(ValueError):
    pass


def decode_log(log: dict[str, Any]) -> DecodedLog:
    """Decodes a JSON-RPC log object of one of the contracts' events."""
    topics: list[str] = log["topics"]
    if not topics or (decoder := _READERS.get(topics[0].lower())) is None:
        raise UnknownEvent(f"log {log.get('transactionHash')}:{log.get('logIndex')} is not one of the contracts' events")
    name, readers = decoder
    data = log["data"]
    args = {
        field: convert(topics[position][2:] if is_topic else data[2 + position : 66 + position])
        for field, is_topic, position, convert in readers
    }
    return DecodedLog(name, checksum(log["address"][2:]), int(log["blockNumber"], 16), int(log["logIndex"], 16),
                      log["transactionHash"], args, _json(args))


def _json(args: dict[str, Any]) -> str:
    try:
        return orjson.dumps(args).decode()
    except TypeError:  # orjson stops at 64-bit integers; the standard library does not
        return json.dumps(args, separators=(",", ":"))
