"""Helpers for the tests of spending points (rewards, signed redemptions, the partner exchange):
log assertions, real EIP-712 signatures from the test accounts' keys, and the ERC-1271 test wallet."""

from functools import cache
from pathlib import Path
import sysconfig

from ape.contracts import ContractContainer
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak
from ethpm_types import ContractType
import vyper
from vyper.compiler.input_bundle import FilesystemInputBundle
from vyper.compiler.settings import Settings

from points.signing import (
    DOMAIN_TYPE,
    EXCHANGE_DOMAIN_NAME,
    PERMIT_TYPE,
    REDEEM_TYPE,
    SigningDomain,
    exchange_typed_data,
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
    for log, mock in zip(actual, expected):
        assert set(mock.event_arguments) == set(log.event_arguments), f"incomplete expectation {mock!r}"
        assert mock == log, f"log {log!r} != expected {mock!r}"


def _full_message(chain, token, primary_type, fields, message, domain_overrides) -> dict:
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, primary_type: fields},
        "primaryType": primary_type,
        "domain": {
            "name": token.name(),
            "version": "1",
            "chainId": chain.chain_id,
            "verifyingContract": address(token),
        }
        | domain_overrides,
        "message": message,
    }


def _sign(chain, token, signer, primary_type, fields, message, domain_overrides):
    full_message = _full_message(chain, token, primary_type, fields, message, domain_overrides)
    return Account.sign_typed_data(signer.private_key, full_message=full_message)


def _redeem_message(token, holder, reward_id, quantity, max_points, deadline, nonce) -> dict:
    return {
        "holder": holder,
        "rewardId": reward_id,
        "quantity": quantity,
        "maxPoints": max_points,
        "nonce": token.nonces(holder) if nonce is None else nonce,
        "deadline": deadline,
    }


def redeem_digest(chain, token, *, holder, reward_id, quantity, max_points, deadline, nonce=None, **domain) -> bytes:
    """The 32-byte EIP-712 digest of a `Redeem` message: what an ERC-1271 wallet is asked about."""
    message = _redeem_message(token, address(holder), reward_id, quantity, max_points, deadline, nonce)
    signable = encode_typed_data(full_message=_full_message(chain, token, "Redeem", REDEEM_TYPE, message, domain))
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def sign_redeem(
    chain, token, signer, *, holder=None, reward_id, quantity, max_points, deadline, nonce=None, **domain
) -> bytes:
    """`signer`'s 65-byte (r, s, v) EIP-712 signature of a `Redeem` message for `token`.

    `holder` defaults to the signer and `nonce` to `token.nonces(holder)`; keyword arguments
    named like the domain's fields (name, version, chainId, verifyingContract) override it."""
    holder = address(holder if holder is not None else signer)
    message = _redeem_message(token, holder, reward_id, quantity, max_points, deadline, nonce)
    return bytes(_sign(chain, token, signer, "Redeem", REDEEM_TYPE, message, domain).signature)


def sign_permit(chain, token, signer, spender, value, deadline, *, owner=None, nonce=None, **domain):
    """`signer`'s EIP-2612 permit for `token` as `(v, r, s)`; `owner` defaults to the signer."""
    owner = address(owner if owner is not None else signer)
    message = {
        "owner": owner,
        "spender": address(spender),
        "value": value,
        "nonce": token.nonces(owner) if nonce is None else nonce,
        "deadline": deadline,
    }
    signed = _sign(chain, token, signer, "Permit", PERMIT_TYPE, message, domain)
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
    message = signable(typed_data)
    return keccak(b"\x19" + message.version + message.header + message.body)


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
    return bytes(Account.sign_message(signable(typed_data), signer.private_key).signature)


def sign_digest(signer, digest: bytes) -> bytes:
    """`signer`'s raw 65-byte (r, s, v) signature of a 32-byte digest, as a wallet's owner signs
    for an ERC-1271 proof."""
    key = signer.private_key if hasattr(signer, "private_key") else signer.key  # an ape or eth-account account
    return bytes(Account.unsafe_sign_hash(digest, key).signature)


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
