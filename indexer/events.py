"""The contracts' events and a fast decoder for raw logs.

Every field but the merchants' and rewards' names is a static ABI type, so a log decodes by
slicing its topics and 32-byte data words; no per-log ABI machinery. A name (`string`, never
indexed) is the one dynamic field: its data word is the offset of its length and bytes.
`tests/test_indexer_events.py` checks these specs against the compiled contracts' ABI.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

import orjson

# pysha3 rather than eth_utils: the log reader starts with every backfill, and eth_utils would
# add slow imports (pydantic among them) to its start; and a backfill hashes every new holder's
# address, which pysha3 does many times faster than eth_hash's default.
from sha3 import keccak_256

from points.addresses import eip55

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
        return "0x" + keccak_256(self.signature.encode()).hexdigest()


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
    _event("MerchantSet", ("merchant", "address", True), ("cap", "uint256"), ("name", "string")),
    _event("RewardListed", ("reward_id", "uint256", True), ("merchant", "address", True), ("price", "uint256"),
           ("stock", "uint256"), ("name", "string")),
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

# The same two events as the first contracts logged them, without a name: a database of such a
# deployment, migrated to the schema with names, goes on following it (its names stay '').
V1_TOKEN_EVENTS: tuple[EventSpec, ...] = (
    _event("MerchantSet", ("merchant", "address", True), ("cap", "uint256")),
    _event("RewardListed", ("reward_id", "uint256", True), ("merchant", "address", True), ("price", "uint256"),
           ("stock", "uint256")),
)

EVENTS_BY_TOPIC: dict[str, EventSpec] = {
    spec.topic0: spec for spec in TOKEN_EVENTS + EXCHANGE_EVENTS + V1_TOKEN_EVENTS
}


# Cached because holders recur: a backfill meets each one many times.
checksum = lru_cache(maxsize=1_000_000)(eip55)


def _field_expression(kind: str, topic: int | None, word: int) -> str:
    """The Python expression that reads a field of `kind` from a log's `topics` and `data` (hex
    strings with their 0x): from topic number `topic`, or else from data word number `word`."""
    start = 2 + 64 * word
    end = start + 64
    if kind == "string":
        if topic is not None:
            raise ValueError("an indexed string is logged as its hash: no event here has one")
        return f"_text(data, 2 + 2 * int(data[{start}:{end}], 16))"
    if kind == "address":
        return f"checksum(topics[{topic}][26:])" if topic is not None else f"checksum(data[{start + 24}:{end}])"
    if kind == "bool":
        return f"topics[{topic}][-1] != '0'" if topic is not None else f"data[{end - 1}] != '0'"
    if kind == "bytes32":
        return f"topics[{topic}]" if topic is not None else f"'0x' + data[{start}:{end}]"
    return f"int(topics[{topic}], 16)" if topic is not None else f"int(data[{start}:{end}], 16)"


def _text(data: str, at: int) -> str:
    """The string whose length word starts at hex position `at` of `data`.

    Contracts take any bytes for a name: invalid UTF-8 reads as U+FFFD, and so does NUL, which
    PostgreSQL's text refuses (a name with one would otherwise stop the indexer).
    """
    length = int(data[at : at + 64], 16)
    text = bytes.fromhex(data[at + 64 : at + 64 + 2 * length]).decode("utf-8", errors="replace")
    return text.replace("\x00", "\ufffd")


class DecodedLog(NamedTuple):
    # The first RAW_EVENT_FIELDS fields are a `rawevent` row, in its column order: the indexer
    # stores every log's row as a slice of it (tests/test_indexer_projector.py checks the order).
    block: int
    log_index: int
    contract: str
    name: str
    tx_hash: str
    # `args` as the raw event table stores them.
    args_json: str
    args: dict[str, Any]


RAW_EVENT_FIELDS = 6


class UnknownEvent(ValueError):
    pass


# A decoded log as a plain tuple, in DecodedLog's field order: what the log reader sends, because
# plain tuples are built faster than named ones, and marshal takes only built-in types.
LogRow = tuple[int, int, str, str, str, str, dict[str, Any]]


def decode_log(log: dict[str, Any]) -> DecodedLog:
    """Decodes a JSON-RPC log object of one of the contracts' events."""
    return DecodedLog._make(decode_log_row(log))


def decode_log_row(log: dict[str, Any]) -> LogRow:
    """`decode_log`'s fields as a plain tuple."""
    topics: list[str] = log["topics"]
    # Nodes send lower-case hex; another case costs a second lookup.
    if not topics or (decoder := _DECODERS.get(topics[0]) or _DECODERS.get(topics[0].lower())) is None:
        raise UnknownEvent(f"log {log.get('transactionHash')}:{log.get('logIndex')} "
                           "is not one of the contracts' events")
    return decoder(log, topics)


# The deployment's few contracts, checksummed, by the address as the node sends it: every log
# names one, and a lookup here skips the slice and the LRU bookkeeping of `checksum`'s cache.
_CONTRACTS: dict[str, str] = {}


def _contract(address: str) -> str:
    checksummed = _CONTRACTS.get(address)
    if checksummed is None:
        checksummed = _CONTRACTS[address] = checksum(address[2:])
    return checksummed


def _json(args: dict[str, Any]) -> str:
    try:
        return orjson.dumps(args).decode()
    except TypeError:  # orjson stops at 64-bit integers; the standard library does not
        return json.dumps(args, separators=(",", ":"))


RowDecoder = Callable[[dict[str, Any], list[str]], LogRow]


def _row_decoder(spec: EventSpec) -> RowDecoder:
    """A function of a JSON-RPC log (and its topics) that returns its `LogRow`.

    Compiled from the spec, with one expression per field in one dict display: a backfill decodes
    hundreds of thousands of logs, and a call per field (a reader each, in a comprehension) took
    about a quarter of its decoding time. The source is made of the specs above only.
    """
    fields = []
    topic_index, word_index = 1, 0
    for field in spec.fields:
        if field.indexed:
            fields.append(f"{field.name!r}: {_field_expression(field.type, topic_index, 0)}")
            topic_index += 1
        else:
            fields.append(f"{field.name!r}: {_field_expression(field.type, None, word_index)}")
            word_index += 1
    source = (
        "def decode(log, topics):\n"
        "    data = log['data']\n"
        f"    args = {{{', '.join(fields)}}}\n"
        "    return (int(log['blockNumber'], 16), int(log['logIndex'], 16), _contract(log['address']),\n"
        f"            {spec.name!r}, log['transactionHash'], _json(args), args)\n"
    )
    namespace: dict[str, Any] = {"checksum": checksum, "_text": _text, "_contract": _contract, "_json": _json}
    # Named after the event, so that a profile or a traceback says which decoder ran.
    exec(compile(source, f"<decoder of {spec.signature}>", "exec"), namespace)
    decoder: RowDecoder = namespace["decode"]
    return decoder


_DECODERS = {topic: _row_decoder(spec) for topic, spec in EVENTS_BY_TOPIC.items()}
