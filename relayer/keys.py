"""The key that pays for relayed transactions: an `ape accounts` alias or, on a local chain only, a
development account `TEST::N`.

An alias is read from ape's keyfile (`$APE_DATA_FOLDER/accounts/<alias>.json`, an Ethereum keystore)
and decrypted with `APE_ACCOUNTS_<alias>_PASSPHRASE`, without importing ape. The key lives in one
libsecp256k1 (coincurve) object; nothing here formats it, and `RelayerKey`'s repr shows the address
alone, so it cannot reach a log line, an error or a response.
"""

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rlp
from coincurve import PrivateKey
from eth_account import Account
from eth_account.signers.local import LocalAccount
from sha3 import keccak_256

from points.errors import PointsError

TEST_MNEMONIC = "test test test test test test test test test test test junk"
"""The mnemonic of ape's and Anvil's development accounts (ape-config.yaml keeps ape's default)."""
TEST_ACCOUNTS = 10
_TEST_ALIAS = re.compile(r"TEST::(\d+)")
# Nodes whose development accounts are the mnemonic's: a key known to everyone is only safe there.
DEVELOPMENT_CLIENTS = ("anvil", "hardhat", "ganache")
EIP1559_TYPE = 2


@dataclass(frozen=True)
class RelayerKey:
    alias: str
    address: str
    _key: PrivateKey = field(repr=False, compare=False)
    is_test_account: bool = False

    def sign_transaction(self, transaction: dict[str, Any]) -> tuple[str, str]:
        """An EIP-1559 transaction (eth_account's dict: `type` 2, `chainId`, `nonce`, `to`, `value`,
        `data`, `gas`, `maxFeePerGas`, `maxPriorityFeePerGas`) signed: the raw bytes and the hash,
        both 0x-hex.

        Encoded here and signed by libsecp256k1, because eth_account's checks and conversions take
        over a millisecond a transaction in pure Python, and the worker signs every request it sends.
        """
        if transaction.get("type") != EIP1559_TYPE:
            raise ValueError(f"only EIP-1559 (type 2) transactions are signed here, not {transaction!r}")
        fields = [transaction["chainId"], transaction["nonce"], transaction["maxPriorityFeePerGas"],
                  transaction["maxFeePerGas"], transaction["gas"], bytes.fromhex(transaction["to"][2:]),
                  transaction["value"], bytes.fromhex(transaction.get("data", "0x")[2:]), []]
        prefix = bytes([EIP1559_TYPE])
        signature = self._key.sign_recoverable(keccak_256(prefix + rlp.encode(fields)).digest(), hasher=None)
        raw = prefix + rlp.encode([*fields, signature[64], int.from_bytes(signature[:32], "big"),
                                   int.from_bytes(signature[32:64], "big")])
        return "0x" + raw.hex(), "0x" + keccak_256(raw).hexdigest()


def ape_data_folder() -> Path:
    return Path(os.environ.get("APE_DATA_FOLDER") or Path.home() / ".ape")


def load_key(alias: str) -> RelayerKey:
    """The account named `alias`: `TEST::N`, or an `ape accounts` alias unlocked from the environment."""
    if match := _TEST_ALIAS.fullmatch(alias):
        return _test_key(alias, int(match.group(1)))
    keyfile = ape_data_folder() / "accounts" / f"{alias}.json"
    if not keyfile.is_file():
        raise PointsError(f"no `ape accounts` alias {alias!r} (looked for {keyfile}): "
                          "import the key with `ape accounts import`")
    variable = f"APE_ACCOUNTS_{alias}_PASSPHRASE"
    passphrase = os.environ.get(variable)
    if passphrase is None:
        raise PointsError(f"set {variable} to the passphrase of alias {alias!r}: the relayer signs without a prompt")
    try:
        keystore = json.loads(keyfile.read_text())
        private_key = Account.decrypt(keystore, passphrase)
    except ValueError:
        raise PointsError(f"{variable} does not unlock alias {alias!r} (wrong passphrase or damaged keyfile)") from None
    account: LocalAccount = Account.from_key(private_key)
    return RelayerKey(alias, account.address, PrivateKey(bytes(account.key)))


def _test_key(alias: str, index: int) -> RelayerKey:
    if index >= TEST_ACCOUNTS:
        raise PointsError(f"{alias}: there are {TEST_ACCOUNTS} development accounts, "
                          f"TEST::0 to TEST::{TEST_ACCOUNTS - 1}")
    Account.enable_unaudited_hdwallet_features()
    account: LocalAccount = Account.from_mnemonic(TEST_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return RelayerKey(alias, account.address, PrivateKey(bytes(account.key)), is_test_account=True)


def check_key_fits_chain(key: RelayerKey, client_version: str) -> None:
    """Refuses a development account anywhere but a local development node: its key is public."""
    if key.is_test_account and not client_version.lower().startswith(DEVELOPMENT_CLIENTS):
        raise PointsError(f"{key.alias} is a development account whose key everyone knows: it may only pay on a "
                          f"local development chain, and this node is {client_version!r}; use an `ape accounts` alias")
