"""Helpers for the tests of spending points (rewards, signed redemptions, the partner exchange):
log assertions, real EIP-712 signatures from the test accounts' keys, and the ERC-1271 test wallet."""

import sysconfig
from functools import cache
from pathlib import Path

import vyper
from ape.contracts import ContractContainer
from eth_account import Account
from eth_utils import keccak
from ethpm_types import ContractType
from vyper.compiler.input_bundle import FilesystemInputBundle
from vyper.compiler.settings import Settings

from points.signing import (
    EXCHANGE_DOMAIN_NAME,
    SigningDomain,
    exchange_typed_data,
    permit_typed_data,
    redeem_typed_data,
    signable,
)

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
NO_REF = b"\x00" * 32

# The order of the secp256k1 group: (r, s, v) and (r, n - s, v ^ 1) sign the same digest.
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def address(account) -> str:
    return str(getattr(account, "address", account))


def assert_logs(receipt, *expected) -> None:
    """The receipt's logs are exactly `expected` (ape mock logs such as
    `token.Transfer(sender=..., receiver=..., value=...)`, which also match the emitting
    contract), in order, each with every one of its fields given."""
    actual = list(receipt.events)
    assert len(actual) == len(expected), f"logs {actual} != expected {list(expected)}"
    for log, mock in zip(actual, expected, strict=True):
        assert set(mock.event_arguments) == set(log.event_arguments), f"incomplete expectation {mock!r}"
        assert mock == log, f"log {log!r} != expected {mock!r}"


def _token_typed_data(chain, token, typed_data_of, *fields, domain: dict) -> dict:
    """The typed data that `points.signing` builds for `token`'s domain, with any of the domain's
    fields (name, version, chainId, verifyingContract) overridden to forge a wrong signature."""
    typed_data = typed_data_of(SigningDomain(token.name(), chain.chain_id, address(token)), *fields)
    typed_data["domain"] |= domain
    return typed_data


def _digest(typed_data: dict) -> bytes:
    message = signable(typed_data)
    return keccak(b"\x19" + message.version + message.header + message.body)


def _key(signer) -> bytes:
    """The private key of an ape test account or of an eth-account account."""
    return signer.private_key if hasattr(signer, "private_key") else signer.key


def _signature(signer, typed_data: dict):
    return Account.sign_message(signable(typed_data), _key(signer))


def _redeem(chain, token, holder, reward_id, quantity, max_points, deadline, nonce, domain) -> dict:
    nonce = token.nonces(holder) if nonce is None else nonce
    return _token_typed_data(
        chain, token, redeem_typed_data, holder, reward_id, quantity, max_points, nonce, deadline, domain=domain
    )


def redeem_digest(chain, token, *, holder, reward_id, quantity, max_points, deadline, nonce=None, **domain) -> bytes:
    """The 32-byte EIP-712 digest of a `Redeem` message: what an ERC-1271 wallet is asked about."""
    return _digest(_redeem(chain, token, address(holder), reward_id, quantity, max_points, deadline, nonce, domain))


def sign_redeem(
    chain, token, signer, *, holder=None, reward_id, quantity, max_points, deadline, nonce=None, **domain
) -> bytes:
    """`signer`'s 65-byte (r, s, v) EIP-712 signature of a `Redeem` message for `token`.

    `holder` defaults to the signer and `nonce` to `token.nonces(holder)`; keyword arguments
    named like the domain's fields (name, version, chainId, verifyingContract) override it."""
    holder = address(holder if holder is not None else signer)
    typed_data = _redeem(chain, token, holder, reward_id, quantity, max_points, deadline, nonce, domain)
    return bytes(_signature(signer, typed_data).signature)


def sign_permit(chain, token, signer, spender, value, deadline, *, owner=None, nonce=None, **domain):
    """`signer`'s EIP-2612 permit for `token` as `(v, r, s)`; `owner` defaults to the signer, the
    nonce to `token.nonces(owner)`, and domain fields may be overridden as for `sign_redeem`."""
    owner = address(owner if owner is not None else signer)
    nonce = token.nonces(owner) if nonce is None else nonce
    typed_data = _token_typed_data(
        chain, token, permit_typed_data, owner, address(spender), value, nonce, deadline, domain=domain
    )
    signed = _signature(signer, typed_data)
    return signed.v, signed.r.to_bytes(32, "big"), signed.s.to_bytes(32, "big")


def high_s_twin(signature: bytes) -> bytes:
    """The malleable twin (r, n - s, v ^ 1) of a 65-byte signature: it recovers the same
    address from the same digest, and EIP-2 style checks must reject it."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])


def _exchange_typed_data(chain, exchange, account, from_token, to_token, amount_in, min_out, deadline, nonce, domain):
    typed_data = exchange_typed_data(
        SigningDomain(EXCHANGE_DOMAIN_NAME, chain.chain_id, address(exchange)),
        address(account),
        address(from_token),
        address(to_token),
        amount_in,
        min_out,
        exchange.nonces(account) if nonce is None else nonce,
        deadline,
    )
    typed_data["domain"] |= domain
    return typed_data


def exchange_digest(
    chain, exchange, *, account, from_token, to_token, amount_in, min_out, deadline, nonce=None, **domain
) -> bytes:
    """The 32-byte EIP-712 digest of an `Exchange` message: what an ERC-1271 wallet is asked about."""
    typed_data = _exchange_typed_data(
        chain, exchange, account, from_token, to_token, amount_in, min_out, deadline, nonce, domain
    )
    return _digest(typed_data)


def sign_exchange(
    chain, exchange, signer, *, account=None, from_token, to_token, amount_in, min_out, deadline, nonce=None, **domain
) -> bytes:
    """`signer`'s 65-byte EIP-712 signature of an `Exchange` message in `exchange`'s domain.

    `account` defaults to the signer and `nonce` to `exchange.nonces(account)`; keyword arguments
    named like the domain's fields override it."""
    account = address(account if account is not None else signer)
    typed_data = _exchange_typed_data(
        chain, exchange, account, from_token, to_token, amount_in, min_out, deadline, nonce, domain
    )
    return bytes(_signature(signer, typed_data).signature)


def sign_digest(signer, digest: bytes) -> bytes:
    """`signer`'s raw 65-byte (r, s, v) signature of a 32-byte digest, as a wallet's owner signs
    for an ERC-1271 proof."""
    return bytes(Account.unsafe_sign_hash(digest, _key(signer)).signature)


def smart_wallet_container() -> ContractContainer:
    """The one-owner ERC-1271 test wallet (tests/contracts/wallets/SmartWallet.vy)."""
    return fixture_contract_container("SmartWallet")


@cache
def fixture_contract_container(name: str) -> ContractContainer:
    """A test-only wallet contract of tests/contracts/wallets/, compiled here because ape compiles only
    contracts/; snekmate resolves from the venv's site-packages."""
    source_path = Path(__file__).parent / "wallets" / f"{name}.vy"
    output = vyper.compile_code(
        source_path.read_text(),
        contract_path=f"{name}.vy",
        output_formats=["abi", "bytecode", "bytecode_runtime"],
        input_bundle=FilesystemInputBundle([Path(sysconfig.get_paths()["purelib"])]),
        settings=Settings(evm_version="cancun"),
    )
    contract_type = ContractType.model_validate(
        {
            "contractName": name,
            "sourceId": f"tests/contracts/wallets/{name}.vy",
            "abi": output["abi"],
            "deploymentBytecode": {"bytecode": output["bytecode"]},
            "runtimeBytecode": {"bytecode": output["bytecode_runtime"]},
        }
    )
    return ContractContainer(contract_type)
