"""What every ape script shares: who signs, which deployment, and one-line errors.

Imported only inside `ape run`, where ape has connected the selected network.
"""

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click
from ape import accounts, chain, project
from ape.api import AccountAPI
from ape.contracts import ContractInstance
from ape.exceptions import ApeException, ContractLogicError
from ape_accounts.accounts import InvalidPasswordError, KeyfileAccount
from eth_utils import is_address, to_checksum_address

from points.errors import PointsError
from points.manifest import Manifest, load_manifest
from points.settings import DEPLOYMENTS_DIR

P = ParamSpec("P")
R = TypeVar("R")

LOCAL_NETWORKS = {"local"}


def one_line_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turns the errors a user can cause into `Error: <what went wrong>` instead of a traceback."""

    @functools.wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except PointsError as error:
            raise click.ClickException(str(error)) from None
        except ContractLogicError as error:
            raise click.ClickException(f"the transaction reverted: {error.message}") from None
        except InvalidPasswordError:
            raise click.ClickException("wrong passphrase for the signing account") from None
        except ApeException as error:
            raise click.ClickException(str(error).splitlines()[0]) from None

    return wrapper


def is_local(network_name: str) -> bool:
    return network_name in LOCAL_NETWORKS


def signer(account: AccountAPI | None, network_name: str, default_index: int = 0) -> AccountAPI:
    """The account that signs: `--account` when given, else a development account on the local chain.

    A keyfile account is unlocked once here, from `APE_ACCOUNTS_<alias>_PASSPHRASE` when set,
    so that no transaction prompts.
    """
    if account is None:
        if not is_local(network_name):
            raise PointsError(f"--account is required on network {network_name!r} (an `ape accounts` alias)")
        return accounts.test_accounts[default_index]
    if isinstance(account, KeyfileAccount):
        account.set_autosign(True)
    return account


def manifest_path(ecosystem_name: str, network_name: str) -> Path:
    return DEPLOYMENTS_DIR / f"{ecosystem_name}-{network_name}.json"


def current_manifest(ecosystem_name: str, network_name: str, path: Path | None = None) -> Manifest:
    """The manifest of this network's deployment, checked against the connected chain."""
    manifest = load_manifest(path or manifest_path(ecosystem_name, network_name))
    if manifest.chain_id != chain.chain_id:
        raise PointsError(
            f"the manifest is for chain {manifest.chain_id} but the connected chain is {chain.chain_id}"
        )
    return manifest


def program_token(manifest: Manifest, key: str) -> ContractInstance:
    return project.PointsToken.at(manifest.program(key).address)


def exchange_contract(manifest: Manifest) -> ContractInstance:
    return project.PartnerExchange.at(manifest.exchange.address)


def parse_address(value: str, what: str) -> str:
    """A checksummed address, or an error that names the bad argument."""
    if not is_address(value):
        raise PointsError(f"{what} {value!r} is not an address (0x followed by 40 hex digits)")
    return to_checksum_address(value)


def has_code(address: str) -> bool:
    return len(chain.provider.get_code(address)) > 0


def send(description: str, method: Any, *args: Any, sender: AccountAPI) -> Any:
    """Sends one transaction and says what it did, so that operators can follow a long run."""
    receipt = method(*args, sender=sender)
    click.echo(f"  {description} (block {receipt.block_number})")
    return receipt
