"""Fixtures of the contract tests: more accounts by role, travel to an epoch's first second, and
EIP-2612 permits signed with a test account's key."""

from collections.abc import Callable

from ape.contracts import ContractInstance
from eth_account import Account
import pytest

from points.signing import DOMAIN_TYPE, PERMIT_TYPE


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
    """Signs an EIP-2612 permit with `signer`'s private key (eth-account typed-data signing).

    Returns `(v, r, s)` ready for `token.permit`. The domain is the token's (name, version "1",
    the chain id, the token's address) and the nonce is `token.nonces(owner)`; each can be
    overridden to forge a wrong signature. `owner` defaults to `signer`'s address.
    """

    def sign(token, signer, spender, value, deadline, *, owner=None, nonce=None, **domain):
        def address(account) -> str:
            return str(getattr(account, "address", account))

        owner = address(owner if owner is not None else signer)
        message = {
            "types": {"EIP712Domain": DOMAIN_TYPE, "Permit": PERMIT_TYPE},
            "primaryType": "Permit",
            "domain": {
                "name": token.name(),
                "version": "1",
                "chainId": chain.chain_id,
                "verifyingContract": address(token),
            }
            | domain,
            "message": {
                "owner": owner,
                "spender": address(spender),
                "value": value,
                "nonce": token.nonces(owner) if nonce is None else nonce,
                "deadline": deadline,
            },
        }
        signed = Account.sign_typed_data(signer.private_key, full_message=message)
        return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")

    return sign
