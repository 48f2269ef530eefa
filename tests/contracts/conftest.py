"""Fixtures of the contract tests: more accounts by role, travel to an epoch's first second, and
EIP-2612 permits signed with a test account's key through `points.signing`'s typed data."""

from collections.abc import Callable

import pytest
from ape.contracts import ContractInstance

from tests.contracts import signing_helpers


@pytest.fixture(scope="session")
def carol(accounts):
    return accounts[4]


@pytest.fixture(scope="session")
def stranger(accounts):
    return accounts[5]


@pytest.fixture
def travel_to_epoch(chain) -> Callable[[ContractInstance, int], None]:
    """Mines a block at the first second of `epoch` of `token` (so the next transaction is in it)."""

    def travel(token, epoch: int) -> None:
        target = token.epoch_start() + epoch * token.epochLength()
        chain.mine(timestamp=target)

    return travel


@pytest.fixture(scope="session")
def sign_permit(chain) -> Callable[..., tuple[int, bytes, bytes]]:
    """`signing_helpers.sign_permit` on this session's chain: `(v, r, s)` ready for `token.permit`."""

    def sign(token, signer, spender, value, deadline, **overrides):
        return signing_helpers.sign_permit(chain, token, signer, spender, value, deadline, **overrides)

    return sign
