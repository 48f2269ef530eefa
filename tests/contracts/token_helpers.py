"""Helpers shared by the PointsToken unit tests (test_token_*.py)."""

from eth_utils import keccak

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
MAX_UINT256 = 2**256 - 1


def ref(label: str) -> bytes:
    """An opaque bytes32 reference, as a merchant's tool would derive from an order id."""
    return keccak(text=label)


def epoch_time(token, epoch: int, offset: int = 0) -> int:
    """The timestamp `offset` seconds into `epoch` of `token`."""
    return token.epoch_start() + epoch * token.epochLength() + offset


def next_tx_at(chain, timestamp: int) -> None:
    """Makes the next mined block (the next transaction) carry exactly `timestamp`."""
    chain.pending_timestamp = timestamp


def assert_events(receipt, *expected) -> None:
    """Asserts the receipt's logs are exactly `expected` (mock logs such as
    `token.Transfer(sender=..., receiver=..., value=...)`), in order, with every field given."""
    actual = list(receipt.events)
    assert len(actual) == len(expected), f"logs {actual} != expected {list(expected)}"
    for log, mock in zip(actual, expected, strict=True):
        assert set(mock.event_arguments) == set(log.event_arguments), f"incomplete expectation {mock!r}"
        assert mock == log, f"log {log!r} != expected {mock!r}"


def event_layout(event) -> tuple[str, list[tuple[str, bool]]]:
    """An event's signature and its (field, indexed) pairs, as the contract's ABI declares them."""
    abi = event.abi
    return abi.selector, [(field.name, field.indexed) for field in abi.inputs]
