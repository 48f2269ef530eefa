"""Fixtures shared by the tests: accounts by role, a deployed program, time travel, and the demo
alliance's chain that the end-to-end modules index."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ape.contracts import ContractInstance
from ape.exceptions import TransactionError
from ape_ethereum.trace import Trace
from ape_vyper.compiler.api import VyperCompiler

from benchmarks.postgres_server import postgres_bin, postgres_server
from points.manifest import Manifest, load_manifest
from tests.support.services import Node, anvil, ape_run, deploy

EPOCH_LENGTH = 1_000
VALIDITY = 6
CAP_PERIOD = 3_000
MERCHANT_CAP = 1_000_000


@pytest.fixture(scope="session", autouse=True)
def reverts_without_call_trace() -> Iterator[None]:
    """On each reverted transaction ape-foundry fetches and prints the call trace, ape rebuilds a
    Python traceback through the Vyper sources, and ape-vyper looks for a `# dev:` comment at the
    revert, which streams the transaction's whole step trace and maps it onto the source (nine
    tenths of a reverting call's time in a profile of the access tests). The revert reason, which
    the tests check, needs none of them: our contracts give reasons, not dev comments."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Trace, "show", lambda self, *args, **kwargs: None)
        patch.setattr(TransactionError, "_get_ape_traceback", lambda self: None)
        patch.setattr(VyperCompiler, "enrich_error", lambda self, error: error)
        yield


@pytest.fixture(scope="session")
def owner(accounts):
    return accounts[0]


@pytest.fixture(scope="session")
def merchant(accounts):
    return accounts[1]


@pytest.fixture(scope="session")
def alice(accounts):
    return accounts[2]


@pytest.fixture(scope="session")
def bob(accounts):
    return accounts[3]


@pytest.fixture(scope="session")
def deploy_token(project, owner) -> Callable[..., ContractInstance]:
    """Deploys a PointsToken; keyword arguments override the test defaults."""

    def deploy(**overrides):
        args = {
            "name": "Coffee Club Points",
            "symbol": "BEAN",
            "epoch_length": EPOCH_LENGTH,
            "validity": VALIDITY,
            "cap_period": CAP_PERIOD,
            "transferable": True,
            "owner": owner,
        } | overrides
        return owner.deploy(project.PointsToken, *args.values())

    return deploy


@pytest.fixture(scope="module")
def token(deploy_token, owner, merchant):
    token = deploy_token()
    token.set_merchant(merchant, MERCHANT_CAP, "Till", sender=owner)
    return token


@pytest.fixture
def travel(chain) -> Callable[[int], None]:
    """Mines a block `seconds` after the latest one."""

    def travel_by(seconds: int) -> None:
        chain.mine(timestamp=chain.blocks.head.timestamp + seconds)

    return travel_by


@pytest.fixture(scope="session")
def pauser(accounts):
    """An account the tests name as a pauser (it holds no role until `set_pauser`)."""
    return accounts[6]


@pytest.fixture(scope="session")
def new_owner(accounts):
    """The account the tests hand ownership to (it holds no role until it accepts)."""
    return accounts[7]


# Blocks with no activity between the deployment and the demo: the indexer's ranges grow wide over
# them (wide enough for tests/support/flaky_rpc.py to refuse `eth_getLogs`), as on a real chain's backfill.
DEMO_EMPTY_BLOCKS = 1_500


@dataclass(frozen=True)
class DemoChain:
    node: Node
    manifest_file: Path
    manifest: Manifest


@pytest.fixture(scope="session")
def demo_chain(tmp_path_factory) -> Iterator[DemoChain]:
    """An Anvil of its own with the demo alliance deployed and five months of the demo's activity,
    which has every kind of movement. Deploying and playing take half a minute, so the end-to-end
    modules share it: each indexes it into a database of its own. A module may add activity, which
    the later ones then index too; none may take any away (no snapshots reverted, no reorgs)."""
    manifest_file = tmp_path_factory.mktemp("demo-chain") / "manifest.json"
    with anvil() as node:
        deploy(node, manifest_file)
        node.chain.request("anvil_mine", hex(DEMO_EMPTY_BLOCKS))
        played = ape_run(node, "demo", "--manifest", str(manifest_file), "--customers", "12", "--days", "150",
                         "--seed", "7")
        assert played.code == 0, played.output
        yield DemoChain(node, manifest_file, load_manifest(manifest_file))


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str | None]:
    """A PostgreSQL server for the session, or None without the machine's binaries; the URL of its
    first database. Tests that write take a database of their own (`create_database`).

    Ask for it in a test's arguments or a module fixture's, not with `getfixturevalue`: ape's
    isolation sets up again every module fixture that was set up before a session fixture."""
    if postgres_bin() is None:
        yield None
        return
    with postgres_server(durable=False) as url:
        yield url


@pytest.fixture(scope="session")
def postgres(postgres_server_url) -> str:
    """The session's PostgreSQL server's URL; skips the test where there is none."""
    if postgres_server_url is None:
        pytest.skip("PostgreSQL's initdb, pg_ctl and postgres are not installed")
    return postgres_server_url
