"""`python -m indexer verify`: the database against the chain, at the indexed block.

Every account the database knows in a program (any account with a movement) must have the
indexed balance on chain (`balanceOf` at the indexed block), every reward its indexed stock, and
each program its indexed total supply.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlmodel import select

from chain.calldata import calldata
from chain.rpc import RpcClient
from database.schema import Balance, Checkpoint, Movement, Program, Reward
from indexer.store import Store
from points.errors import PointsError
from points.manifest import Manifest

CALLS_PER_REQUEST = 500
# rewards() returns (merchant, price, stock, active).
STOCK_WORD = 2


@dataclass(frozen=True)
class Difference:
    what: str
    indexed: int
    on_chain: int

    def __str__(self) -> str:
        return f"{self.what}: indexed {self.indexed}, on chain {self.on_chain}"


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class Verification:
    block: int
    compared: int
    differences: list[Difference]


def require_database_file(url: str) -> None:
    """Refuses a SQLite file that does not exist: connecting would create an empty one, and verify
    would then compare nothing and leave the file behind."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return  # the store names a malformed URL
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return
    path = Path(parsed.database)
    if not path.is_file():
        raise PointsError(f"no database file at {path.absolute()} (sqlite:///relative/path or "
                          "sqlite:////absolute/path): run `python -m indexer run` first")


def _check_same_deployment(manifest: Manifest, rpc: RpcClient, checkpoint: Checkpoint, indexed: set[str]) -> None:
    """The manifest, the node and the database must all describe one deployment on one chain."""
    served = rpc.chain_id()
    if served != manifest.chain_id:
        raise PointsError(f"the manifest is for chain {manifest.chain_id} but the RPC at {rpc.url} serves chain "
                          f"{served}")
    if checkpoint.chain_id != manifest.chain_id:
        raise PointsError(f"the database indexes chain {checkpoint.chain_id} but the manifest is for chain "
                          f"{manifest.chain_id}")
    if rpc.call("eth_getCode", [manifest.exchange.address, "latest"]) in ("0x", "0x0", None):
        raise PointsError(f"the RPC at {rpc.url} has no contract at the manifest's exchange "
                          f"{manifest.exchange.address}: it serves another chain of id {served}")
    wanted = {program.address for program in manifest.programs.values()}
    if foreign := sorted(indexed - wanted):
        raise PointsError(f"the database indexes programs that the manifest does not have ({', '.join(foreign)}): "
                          "it belongs to another deployment")


def _check_indexed_block(rpc: RpcClient, checkpoint: Checkpoint) -> None:
    """Refuses to compare with a chain that lacks the indexed block or holds another one there: every
    value would differ, or the node would refuse the calls, and neither says why."""
    indexed = checkpoint.indexed_block
    head = rpc.block_number()
    if head < indexed:
        raise PointsError(f"the chain's head is block {head}, below the indexed block {indexed}: the node is behind "
                          "or the chain went back; verify once the indexer has caught up")
    on_chain = rpc.header(indexed).hash
    if on_chain != checkpoint.indexed_hash:
        raise PointsError(f"block {indexed} on chain is {on_chain}, not the indexed {checkpoint.indexed_hash}: the "
                          "chain reorganised (verify once the indexer has followed it), or the node serves another "
                          "chain of the same id")


def verify(store: Store, rpc: RpcClient, manifest: Manifest) -> Verification:
    """Compares the database with the chain at the indexed block: how many values, and each difference."""
    checkpoint = store.checkpoint()
    if checkpoint is None:
        raise PointsError("the database is empty: run `python -m indexer run` first")
    with store.engine.connect() as connection:
        programs = connection.execute(select(Program.address, Program.key, Program.total_supply)).all()
        balances = {
            (program, account): balance
            for program, account, balance in connection.execute(
                select(Balance.program, Balance.account, Balance.balance))
        }
        accounts = connection.execute(select(Movement.program, Movement.account).distinct()).all()
        rewards = connection.execute(select(Reward.program, Reward.reward_id, Reward.stock)).all()
    _check_same_deployment(manifest, rpc, checkpoint, {address for address, _, _ in programs})
    _check_indexed_block(rpc, checkpoint)
    # (description, contract, calldata, which word of the answer, indexed value)
    expectations: list[tuple[str, str, str, int, int]] = []
    keys = {address: key for address, key, _ in programs}
    for address, key, supply in programs:
        expectations.append((f"{key} totalSupply", address, calldata("totalSupply()"), 0, supply))
    for program, account in accounts:
        expectations.append((
            f"{keys[program]} balanceOf({account})", program, calldata("balanceOf(address)", account), 0,
            balances.get((program, account), 0),
        ))
    for program, reward_id, stock in rewards:
        expectations.append((f"{keys[program]} reward {reward_id} stock", program,
                             calldata("rewards(uint256)", reward_id), STOCK_WORD, stock))

    differences: list[Difference] = []
    for chunk in _chunks(expectations, CALLS_PER_REQUEST):
        answers = rpc.calls([(to, data) for _, to, data, _, _ in chunk], checkpoint.indexed_block)
        for (what, _, _, word, indexed), answer in zip(chunk, answers, strict=True):
            if answer[word] != indexed:
                differences.append(Difference(what, indexed, answer[word]))
    return Verification(checkpoint.indexed_block, len(expectations), differences)
