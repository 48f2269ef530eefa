"""The indexer end to end on PostgreSQL: the demo's activity on a real Anvil, indexed into a real
PostgreSQL server that the test starts, verified on chain, and row for row equal to the same chain
indexed into SQLite.

The server is the machine's own PostgreSQL binaries on a temporary data directory and a free
port. PostgreSQL refuses to run as root, so when the tests do (as in some containers), only the
server's processes run as `nobody`.
"""

import os
import pwd
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from indexer.store import FACTS_BY_NAME, STATE_BY_NAME
from points.devchain import calldata, words
from points.manifest import Manifest, load_manifest
from tests.scripts_support import Node, anvil, ape_run, free_port, deploy

POSTGRES_TOOLS = ("initdb", "pg_ctl", "postgres")
USER = "points"
COMPARED_TABLES = [*STATE_BY_NAME, *FACTS_BY_NAME]


def postgres_bin() -> Path | None:
    """Where initdb, pg_ctl and postgres are: on PATH, or in Debian's and Ubuntu's versioned directory."""
    on_path = shutil.which("initdb")
    versioned = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: float(path.parent.name),
                       reverse=True)
    for directory in ([Path(on_path).parent] if on_path else []) + versioned:
        if all((directory / tool).exists() for tool in POSTGRES_TOOLS):
            return directory
    return None


def server_account() -> dict[str, Any]:
    """`subprocess` arguments that run the server as `nobody` when the tests run as root."""
    if os.geteuid() != 0:
        return {}
    nobody = pwd.getpwnam("nobody")
    return {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}


@dataclass(frozen=True)
class Postgres:
    port: int

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str) -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user=USER, dbname=database, autocommit=True)


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    binaries = postgres_bin()
    if binaries is None:
        pytest.skip("PostgreSQL's initdb, pg_ctl and postgres are not installed")
    account = server_account()
    # Not pytest's tmp_path: its parent is private to the test user, which the server may not be.
    directory = Path(tempfile.mkdtemp(prefix="points-postgres-"))
    if account:
        os.chown(directory, account["user"], account["group"])
    data, log = directory / "data", directory / "server.log"
    port = free_port()

    def run(tool: str, *arguments: str) -> None:
        done = subprocess.run([str(binaries / tool), *arguments], cwd=directory, capture_output=True, text=True,
                              timeout=120, check=False, **account)
        server_log = log.read_text() if log.exists() else ""
        assert done.returncode == 0, f"{tool} failed:\n{done.stdout}{done.stderr}{server_log}"

    try:
        run("initdb", "--pgdata", str(data), "--username", USER, "--auth", "trust", "--locale", "C",
            "--encoding", "UTF8", "--no-sync")
        # A throwaway server: skipping fsync costs nothing the tests look at, and saves seconds.
        options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
        run("pg_ctl", "start", "--pgdata", str(data), "--log", str(log), "--wait", "--timeout", "60", "-o", options)
        server = Postgres(port)
        with server.connect("postgres") as connection:
            connection.execute("CREATE DATABASE points")
        yield server
    finally:
        if (data / "postmaster.pid").exists():
            run("pg_ctl", "stop", "--pgdata", str(data), "--mode", "fast", "--wait")
        shutil.rmtree(directory)


def indexer(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "indexer", *arguments], capture_output=True, text=True,
                          timeout=300, check=False)


@dataclass(frozen=True)
class Indexed:
    node: Node
    manifest: Manifest
    manifest_file: Path
    server: Postgres
    sqlite_file: Path

    def run(self, url: str) -> subprocess.CompletedProcess[str]:
        return indexer("run", "--manifest", str(self.manifest_file), "--db", url, "--rpc", self.node.url)

    def index_both(self) -> None:
        """Indexes the chain into PostgreSQL, and into SQLite for comparison."""
        for url in (self.server.url("points"), f"sqlite:///{self.sqlite_file}"):
            run = self.run(url)
            assert run.returncode == 0, run.stderr

    def verify(self) -> subprocess.CompletedProcess[str]:
        return indexer("verify", "--manifest", str(self.manifest_file), "--db", self.server.url("points"),
                       "--rpc", self.node.url)

    def rows(self, query: str, *parameters: Any) -> list[tuple]:
        with self.server.connect("points") as connection:
            return connection.execute(query, parameters).fetchall()


@pytest.fixture(scope="module")
def indexed(postgres, tmp_path_factory) -> Iterator[Indexed]:
    """A deployment with two months of demo activity, indexed once into PostgreSQL (and SQLite)."""
    directory = tmp_path_factory.mktemp("postgres")
    manifest_file = directory / "manifest.json"
    with anvil() as node:
        deploy(node, manifest_file)
        played = ape_run(node, "demo", "--manifest", str(manifest_file), "--customers", "8", "--days", "60",
                         "--seed", "7")
        assert played.code == 0, played.output
        indexed = Indexed(node, load_manifest(manifest_file), manifest_file, postgres, directory / "points.db")
        indexed.index_both()
        yield indexed


def contents_of_postgres(indexed: Indexed) -> dict[str, set[tuple]]:
    return {name: set(indexed.rows(f"SELECT * FROM {name}")) for name in COMPARED_TABLES}


def contents_of_sqlite(database: Path) -> dict[str, set[tuple]]:
    with sqlite3.connect(database) as connection:
        return {name: set(connection.execute(f"SELECT * FROM {name}").fetchall()) for name in COMPARED_TABLES}


def test_verify_finds_no_difference(indexed):
    verified = indexed.verify()

    assert verified.returncode == 0, verified.stderr
    assert ": 0 differ" in verified.stderr


def test_history_has_every_kind_of_movement(indexed):
    kinds = dict(indexed.rows("SELECT kind, COUNT(*) FROM movement GROUP BY kind"))

    for kind in ("issued", "redeemed", "transferred", "exchanged", "revoked", "expired"):
        assert kinds.get(kind, 0) > 0, f"no {kind} movement in {kinds}"


def test_balances_and_supply_equal_the_chain(indexed):
    node = indexed.node
    [(indexed_block,)] = indexed.rows("SELECT indexed_block FROM checkpoint")
    for key, program in indexed.manifest.programs.items():
        [(supply, holders)] = indexed.rows("SELECT total_supply, holders FROM program WHERE address = %s",
                                           program.address)
        balances = indexed.rows("SELECT account, balance FROM balance WHERE program = %s", program.address)
        at_block = [node.chain.request("eth_call", {"to": program.address, "data": calldata(
            "balanceOf(address)", account)}, hex(indexed_block)) for account, _ in balances]
        on_chain_supply = node.chain.request("eth_call", {"to": program.address, "data": calldata("totalSupply()")},
                                             hex(indexed_block))

        assert supply == sum(balance for _, balance in balances), key
        assert holders == len(balances) > 0, key
        assert [words(result)[0] for result in at_block] == [balance for _, balance in balances], key
        assert words(on_chain_supply)[0] == supply, key


def test_same_rows_as_sqlite(indexed):
    assert contents_of_postgres(indexed) == contents_of_sqlite(indexed.sqlite_file)


def test_more_activity_is_indexed_incrementally(indexed):
    [(before,)] = indexed.rows("SELECT COUNT(*) FROM movement")

    played = ape_run(indexed.node, "demo", "--manifest", str(indexed.manifest_file), "--customers", "4",
                     "--days", "20", "--seed", "8")
    assert played.code == 0, played.output
    indexed.index_both()

    [(after,)] = indexed.rows("SELECT COUNT(*) FROM movement")
    duplicates = indexed.rows("SELECT block, log_index, seq FROM movement GROUP BY 1, 2, 3 HAVING COUNT(*) > 1")
    assert after > before
    assert duplicates == []
    assert indexed.verify().returncode == 0
    assert contents_of_postgres(indexed) == contents_of_sqlite(indexed.sqlite_file)


def test_absent_database_gives_one_clear_error(indexed):
    run = indexed.run(indexed.server.url("absent"))

    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    [line] = run.stderr.splitlines()
    assert re.match(r"error: cannot open database .*absent.*: .*does not exist", line), line
