"""What every ape script shares: who signs, which deployment, and one-line errors."""

import functools
import logging
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click
from ape import accounts, chain, project
from ape.api import AccountAPI
from ape.cli import ConnectedProviderCommand
from ape.contracts import ContractInstance
from ape.exceptions import ApeException, ContractLogicError, NetworkMismatchError, ProviderError
from ape_accounts.accounts import InvalidPasswordError, KeyfileAccount
from eth_utils import keccak

from points import preconditions
from points.addresses import AddressError, checksummed
from points.errors import PointsError
from points.manifest import Manifest, load_manifest
from points.settings import DEPLOYMENTS_DIR, REPO_ROOT

P = ParamSpec("P")
R = TypeVar("R")

LOCAL_NETWORKS = {"local"}
ZERO_REF = bytes(32)

# ape-vyper 0.8.12's config model trips this pydantic-settings warning on every contract lookup;
# it tells an operator nothing and would clutter the one line a script prints.
warnings.filterwarnings("ignore", message="Field 'import_remapping' has an incomplete definition")


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


class OperatorCommand(ConnectedProviderCommand):
    """ape's connected command, with a node that is down or serves another chain said in one line.

    ape connects before the script's own code runs, and prints the traceback of any failure there
    (it counts every frame under the project folder as the project's, `.venv` included)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except NetworkMismatchError as error:
            raise click.ClickException(f"{error} Check --network: the node serves another chain.") from None
        except ProviderError as error:
            raise click.ClickException(f"{error} Is the node running? Check --network.") from None


def is_local(network_name: str) -> bool:
    return network_name in LOCAL_NETWORKS


def signer(account: AccountAPI | None, network_name: str, default_index: int = 0) -> AccountAPI:
    """The account that signs: `--account` when given, else a development account on the local chain."""
    if account is None:
        if not is_local(network_name):
            raise PointsError(f"--account is required on network {network_name!r} (an `ape accounts` alias)")
        return accounts.test_accounts[default_index]
    return unlocked(account)


def customer_signer(account: AccountAPI | None) -> AccountAPI:
    """A customer signs for themselves: there is no sensible default account."""
    if account is None:
        raise PointsError(
            "--account is required: the customer's `ape accounts` alias (TEST::N for development account N)"
        )
    return unlocked(account)


def merchant_signer(account: AccountAPI | None, network_name: str, token: ContractInstance, key: str) -> AccountAPI:
    """`--account`, else on the local chain the first development account that is a merchant of `token`."""
    if account is not None or not is_local(network_name):
        return signer(account, network_name)
    for candidate in accounts.test_accounts:
        if token.merchant_cap(candidate.address) > 0:
            return candidate
    raise PointsError(f"no development account is a merchant of {key!r}: pass --account")


class _OnceFilter(logging.Filter):
    """Lets the first record of a message through: ape warns "Using cached key" at every signature,
    which buries a long run's output in one repeated line."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message
        self.seen = False

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != self.message:
            return True
        seen, self.seen = self.seen, True
        return not seen


_CACHED_KEY_ONCE = _OnceFilter("Using cached key for %s")


def unlocked(account: AccountAPI) -> AccountAPI:
    """A keyfile account is unlocked once here, from `APE_ACCOUNTS_<alias>_PASSPHRASE` when set,
    so that no transaction or signature prompts."""
    if isinstance(account, KeyfileAccount):
        logging.getLogger("ape").addFilter(_CACHED_KEY_ONCE)
        account.set_autosign(True)
    return account


def manifest_option() -> Callable[[Callable[P, R]], Callable[P, R]]:
    return click.option(
        "--manifest", "manifest_file", type=click.Path(path_type=Path, dir_okay=False), default=None,
        help="the deployment manifest [default: deployments/<ecosystem>-<network>.json]",
    )


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
    try:
        return checksummed(value)
    except AddressError as error:
        raise PointsError(f"{what} {error}") from None


def parse_recipient(value: str, what: str) -> str:
    """An address that points may be sent to: the zero address would burn them (the token refuses it)."""
    address = parse_address(value, what)
    if int(address, 16) == 0:
        raise PointsError(f"{what} is the zero address: points cannot be issued to it")
    return address


def has_code(address: str) -> bool:
    return len(chain.provider.get_code(address)) > 0


def check_not_paused(token: ContractInstance, key: str) -> None:
    preconditions.check_not_paused(token.paused(), key)


def check_mintable(token: ContractInstance, key: str, merchant: str, amount: int) -> None:
    """Says, before any transaction, when `merchant` may not issue `amount` points now."""
    check_not_paused(token, key)
    cap = token.merchant_cap(merchant)
    if cap == 0:
        raise PointsError(f"{merchant} is not a merchant of {key!r}")
    mintable = token.mintable(merchant)
    if amount > mintable:
        raise PointsError(
            f"{amount} points are over what {merchant} may still issue in {key!r} this period: {mintable} "
            f"(its cap is {cap} per {token.cap_period()} s)"
        )


def ref_of(text: str | None) -> bytes:
    """The on-chain `ref` of an order or campaign: its keccak hash, so no personal data goes on chain."""
    return ZERO_REF if text is None else keccak(text=text)


def chain_time() -> int:
    return chain.blocks.head.timestamp


def shown(path: Path) -> str:
    """A path as the user would type it: relative inside the repository, absolute elsewhere."""
    resolved = path.resolve()
    return str(resolved.relative_to(REPO_ROOT)) if resolved.is_relative_to(REPO_ROOT) else str(resolved)


def send(description: str, method: Any, *args: Any, sender: AccountAPI) -> Any:
    """Sends one transaction and says what it did, so that operators can follow a long run."""
    receipt = method(*args, sender=sender)
    click.echo(f"  {description} (block {receipt.block_number})")
    return receipt
