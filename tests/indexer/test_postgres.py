"""The indexer end to end on PostgreSQL: the demo's activity on a real Anvil, indexed into a real
PostgreSQL server that the test starts, verified on chain, and row for row equal to the same chain
indexed into SQLite.

The server is the machine's own PostgreSQL binaries on a temporary data directory and a free
port. PostgreSQL refuses to run as root, so when the tests do (as in some containers), only the
server's processes run as `nobody`.
"""

import json
import re
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from sqlalchemy import create_engine

from benchmarks.postgres_server import create_database
from chain.calldata import calldata, words
from database.versions import alembic_config, head_revision
from indexer.store import FACTS_BY_NAME, STATE_BY_NAME, Store
from points.errors import PointsError
from points.manifest import Manifest
from tests.indexer.test_reorg import check_rollbacks_below_the_indexed_block
from tests.indexer.test_store import check_a_rollback_restores_names
from tests.support.postgres import rows, storage_parameters
from tests.support.services import Node, ape_run, indexer

COMPARED_TABLES = [*STATE_BY_NAME, *FACTS_BY_NAME]


@dataclass(frozen=True)
class Indexed:
    node: Node
    manifest: Manifest
    manifest_file: Path
    server_url: str
    sqlite_file: Path

    def run(self, url: str) -> subprocess.CompletedProcess[str]:
        return indexer("run", "--manifest", str(self.manifest_file), "--db", url, "--rpc", self.node.url)

    def index_both(self) -> None:
        """Indexes the chain into PostgreSQL, and into SQLite for comparison."""
        for url in (self.server_url, f"sqlite:///{self.sqlite_file}"):
            run = self.run(url)
            assert run.returncode == 0, run.stderr

    def verify(self) -> subprocess.CompletedProcess[str]:
        return indexer("verify", "--manifest", str(self.manifest_file), "--db", self.server_url,
                       "--rpc", self.node.url)

    def rows(self, query: str, *parameters: Any) -> list[tuple]:
        return rows(self.server_url, query, *parameters)


@pytest.fixture(scope="module")
def indexed(postgres, demo_chain, tmp_path_factory) -> Indexed:
    """The demo chain, indexed once into PostgreSQL (and SQLite)."""
    indexed = Indexed(demo_chain.node, demo_chain.manifest, demo_chain.manifest_file,
                      create_database(postgres, "demo"), tmp_path_factory.mktemp("postgres") / "points.db")
    indexed.index_both()
    return indexed


def contents_of_postgres(indexed: Indexed) -> dict[str, set[tuple]]:
    return {name: set(indexed.rows(f"SELECT * FROM {name}")) for name in COMPARED_TABLES}


def contents_of_sqlite(database: Path) -> dict[str, set[tuple]]:
    with sqlite3.connect(database) as connection:
        return {name: set(connection.execute(f"SELECT * FROM {name}").fetchall()) for name in COMPARED_TABLES}


def test_verify_finds_no_difference(indexed):
    verified = indexed.verify()

    assert verified.returncode == 0, verified.stderr
    assert ": 0 differ" in verified.stderr


def test_the_backfill_gives_back_the_default_storage_parameters(indexed):
    assert storage_parameters(indexed.server_url) == {}


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
    run = indexed.run(indexed.server_url.rsplit("/", 1)[0] + "/absent")

    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    [line] = run.stderr.splitlines()
    assert re.match(r"error: cannot open database .*absent.*: .*does not exist", line), line


def _indexes(url: str) -> set[tuple[str, str]]:
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
        return set(connection.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'").fetchall())


def test_a_revision_0003_database_migrates_to_the_new_schema_with_every_row(indexed):
    old = indexed.server_url.rsplit("/", 1)[0] + "/revision_0003"
    with psycopg.connect(indexed.server_url.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute("CREATE DATABASE revision_0003")
    engine = create_engine(old)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0003")
        connection.exec_driver_sql("INSERT INTO rawevent VALUES (1, 0, '0xc', 'Transfer', '0xt', '{}')")
    engine.dispose()
    assert "ix_rawevent_contract" in {name for name, _ in _indexes(old)}

    migrated = indexer("migrate", "--db", old)

    assert migrated.returncode == 0, migrated.stderr
    assert f"0003 -> {head_revision()}" in migrated.stderr
    assert _indexes(old) == _indexes(indexed.server_url)
    with psycopg.connect(old.replace("+psycopg", "")) as connection:
        assert connection.execute("SELECT block, log_index, contract FROM rawevent").fetchall() == [(1, 0, "0xc")]


def _columns(url: str, *tables: str) -> set[tuple[Any, ...]]:
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as connection:
        return set(connection.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = ANY(%s)", (list(tables),)).fetchall())


def test_a_rollback_restores_a_renamed_merchants_name(postgres):
    check_a_rollback_restores_names(create_database(postgres, "names_rollback"))


def test_a_chain_gone_back_below_the_indexed_block_is_rolled_back_at_once(postgres, tmp_path):
    check_rollbacks_below_the_indexed_block(create_database(postgres, "gone_back"), tmp_path, new_block_at_once=False)


def test_a_revision_0004_database_gets_empty_names_in_rows_and_journal(postgres):
    old, fresh = create_database(postgres, "revision_0004"), create_database(postgres, "fresh_head")
    engine = create_engine(old)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0004")
        connection.exec_driver_sql("INSERT INTO merchant VALUES ('0xp', '0xm', '500', 7, 3)")
        connection.exec_driver_sql(
            "INSERT INTO undo (batch_id, table_name, key, old) VALUES (1, 'merchant', '[[\"0xp\",\"0xm\"]]', "
            "'[{\"program\":\"0xp\",\"merchant\":\"0xm\",\"cap\":400,\"issued\":7,\"redeemed\":3},null]')")
    engine.dispose()
    fresh_store = Store(fresh)
    fresh_store.prepare(31337)
    fresh_store.close()

    migrated = indexer("migrate", "--db", old)

    assert migrated.returncode == 0, migrated.stderr
    assert _columns(old, "merchant", "reward") == _columns(fresh, "merchant", "reward")
    with psycopg.connect(old.replace("+psycopg", "")) as connection:
        assert connection.execute("SELECT merchant, cap, name FROM merchant").fetchall() == [("0xm", "500", "")]
        [(journal,)] = connection.execute("SELECT old FROM undo").fetchall()
    assert json.loads(journal) == [{"program": "0xp", "merchant": "0xm", "cap": 400, "issued": 7, "redeemed": 3,
                                    "name": ""}, None]


def test_a_second_indexer_on_the_same_database_is_refused_until_the_first_stops(postgres):
    url = create_database(postgres, "two_writers")
    first, second = Store(url), Store(url)
    try:
        first.prepare(31337)
        refusal = r"^another indexer is writing this database \(advisory lock [0-9]+ is held\)"
        with pytest.raises(PointsError, match=refusal):
            second.prepare(31337)
        first.close()

        second.prepare(31337)
    finally:
        first.close()
        second.close()
