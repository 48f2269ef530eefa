"""The indexer end to end: the demo's activity on a real Anvil, indexed into SQLite, verified on chain.

`python -m indexer` runs as a user runs it (a subprocess); the database is then checked against
the chain and the known activity, more activity is indexed incrementally, and bad settings give
a clear error.
"""

import fcntl
import json
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine

from chain.calldata import calldata, words
from database.schema import DEFERRED_INDEXES
from database.versions import alembic_config, head_revision
from indexer.store import Store
from points.alliance import load_alliance
from points.manifest import Manifest
from points.settings import REPO_ROOT
from tests.support.services import Node, anvil, ape_run, indexer


@pytest.fixture(scope="module")
def indexed(demo_chain, tmp_path_factory) -> tuple[Node, Manifest, Path, Path]:
    """The demo chain, indexed once into a fresh database."""
    database = tmp_path_factory.mktemp("indexer") / "points.db"
    run = indexer("run", "--manifest", str(demo_chain.manifest_file), "--db", f"sqlite:///{database}",
                  "--rpc", demo_chain.node.url)
    assert run.returncode == 0, run.stderr
    return demo_chain.node, demo_chain.manifest, demo_chain.manifest_file, database


def _verify(node: Node, manifest_file: Path, database: Path) -> subprocess.CompletedProcess[str]:
    return indexer("verify", "--manifest", str(manifest_file), "--db", f"sqlite:///{database}", "--rpc", node.url)


def test_verify_finds_no_difference(indexed):
    node, _, manifest_file, database = indexed

    verified = _verify(node, manifest_file, database)

    assert verified.returncode == 0, verified.stderr
    indexed_block = sqlite3.connect(database).execute("SELECT indexed_block FROM checkpoint").fetchone()[0]
    assert f" values at block {indexed_block:,}: 0 differ" in verified.stderr


def test_history_has_every_kind_of_movement(indexed):
    _, _, _, database = indexed
    with sqlite3.connect(database) as connection:
        kinds = dict(connection.execute("SELECT kind, COUNT(*) FROM movement GROUP BY kind").fetchall())

    for kind in ("issued", "redeemed", "transferred", "exchanged", "revoked", "expired"):
        assert kinds.get(kind, 0) > 0, f"no {kind} movement in {kinds}"


def test_balances_and_supply_equal_the_chain(indexed):
    node, manifest, _, database = indexed
    with sqlite3.connect(database) as connection:
        indexed_block = connection.execute("SELECT indexed_block FROM checkpoint").fetchone()[0]
        for key, program in manifest.programs.items():
            supply, holders = connection.execute(
                "SELECT total_supply, holders FROM program WHERE address = ?", (program.address,)).fetchone()
            balances = connection.execute(
                "SELECT account, balance FROM balance WHERE program = ?", (program.address,)).fetchall()
            at_block = [node.chain.request("eth_call", {"to": program.address, "data": calldata(
                "balanceOf(address)", account)}, hex(indexed_block)) for account, _ in balances]

            assert supply == sum(balance for _, balance in balances), key
            assert holders == len(balances) > 0, key
            assert [words(result)[0] for result in at_block] == [balance for _, balance in balances], key
            on_chain_supply = node.chain.request("eth_call", {"to": program.address, "data": calldata("totalSupply()")},
                                                 hex(indexed_block))
            assert words(on_chain_supply)[0] == supply, key


def test_rewards_stock_and_redemptions_add_up(indexed):
    node, _, _, database = indexed
    with sqlite3.connect(database) as connection:
        rewards = connection.execute("SELECT program, reward_id, stock, redemptions FROM reward").fetchall()
        redeemed = dict(connection.execute(
            "SELECT program || ':' || reward_id, SUM(quantity) FROM redemption GROUP BY program, reward_id").fetchall())

    assert rewards
    for program, reward_id, stock, redemptions in rewards:
        _, _, chain_stock, _ = words(node.chain.request("eth_call", {"to": program, "data": calldata(
            "rewards(uint256)", reward_id)}, "latest"))
        assert int(stock) == chain_stock
        assert redemptions == redeemed.get(f"{program}:{reward_id}", 0)


def test_merchants_and_rewards_have_the_names_the_deployment_put_on_chain(indexed):
    _, manifest, _, database = indexed
    alliance = load_alliance(REPO_ROOT / "config" / "alliance.yaml")
    with sqlite3.connect(database) as connection:
        merchants = dict(connection.execute("SELECT program || ':' || merchant, name FROM merchant").fetchall())
        rewards = connection.execute("SELECT program, name FROM reward ORDER BY program, reward_id").fetchall()

    for key, program in alliance.programs.items():
        address = manifest.programs[key].address
        assert all(merchant.name for merchant in program.merchants), "the demo names every one"
        assert all(reward.name for reward in program.rewards), "the demo names every one"
        for merchant in program.merchants:
            assert merchants[f"{address}:{merchant.address}"] == merchant.name
        assert [name for of, name in rewards if of == address] == [reward.name for reward in program.rewards]


def test_more_activity_is_indexed_incrementally(indexed):
    node, _, manifest_file, database = indexed
    with sqlite3.connect(database) as connection:
        before = connection.execute("SELECT COUNT(*) FROM movement").fetchone()[0]

    played = ape_run(node, "demo", "--manifest", str(manifest_file), "--customers", "4", "--days", "20",
                     "--seed", "8")
    assert played.code == 0, played.output
    run = indexer("run", "--manifest", str(manifest_file), "--db", f"sqlite:///{database}", "--rpc", node.url)

    assert run.returncode == 0, run.stderr
    with sqlite3.connect(database) as connection:
        after = connection.execute("SELECT COUNT(*) FROM movement").fetchone()[0]
        duplicates = connection.execute(
            "SELECT COUNT(*) FROM (SELECT block, log_index, seq FROM movement GROUP BY 1, 2, 3 HAVING COUNT(*) > 1)"
        ).fetchone()[0]
    assert after > before
    assert duplicates == 0
    # Only a first backfill defers indexes: a database that has caught up keeps them.
    assert "indexes_built" not in run.stderr
    assert not set(DEFERRED_INDEXES) - {name for name, _ in _schema(database)}
    assert _verify(node, manifest_file, database).returncode == 0


def test_bad_settings_give_one_clear_error(indexed, tmp_path):
    node, _, manifest_file, database = indexed

    missing = indexer("run", "--manifest", str(tmp_path / "absent.json"), "--db", f"sqlite:///{tmp_path}/x.db",
                      "--rpc", node.url)
    unknown_database = indexer("run", "--manifest", str(manifest_file), "--db", "nosuchdb://points", "--rpc", node.url)
    unreachable = indexer("run", "--manifest", str(manifest_file), "--db", f"sqlite:///{tmp_path}/y.db",
                          "--rpc", "http://127.0.0.1:9", POINTS_RPC_MAX_BACKOFF="0.2")
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0000'")
    other_revision = indexer("run", "--manifest", str(manifest_file), "--db", f"sqlite:///{database}",
                             "--rpc", node.url)
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE alembic_version SET version_num = ?", (head_revision(),))

    assert missing.returncode == 2 and "no deployment manifest" in missing.stderr
    assert unknown_database.returncode == 2 and "cannot use database 'nosuchdb://points'" in unknown_database.stderr
    assert unreachable.returncode == 2 and "did not answer" in unreachable.stderr
    assert other_revision.returncode == 2 and "python -m indexer migrate" in other_revision.stderr
    for outcome in (missing, unknown_database, unreachable, other_revision):
        assert "Traceback" not in outcome.stderr


def test_verify_refuses_what_it_cannot_compare_in_one_line(indexed, tmp_path):
    node, _, manifest_file, database = indexed
    arguments = ("--manifest", str(manifest_file), "--rpc", node.url)

    missing = indexer("verify", *arguments, "--db", f"sqlite:///{tmp_path}/absent.db")
    malformed = indexer("verify", *arguments, "--db", "sqlite:/absent.db")
    server_down = indexer("verify", *arguments, "--db", "postgresql://points:secret@127.0.0.1:9/points")
    with anvil() as other_chain:
        other = indexer("verify", "--manifest", str(manifest_file), "--rpc", other_chain.url, "--db",
                        f"sqlite:///{database}")

    assert missing.returncode == 2
    assert f"no database file at {tmp_path}/absent.db" in missing.stderr
    assert not (tmp_path / "absent.db").exists(), "no empty database left behind"
    assert malformed.returncode == 2 and "cannot use database 'sqlite:/absent.db'" in malformed.stderr
    assert server_down.returncode == 2
    assert "cannot open database postgresql://points:***@127.0.0.1:9/points: connection failed" in server_down.stderr
    assert "secret" not in server_down.stderr
    assert other.returncode == 2 and "it serves another chain of id 31337" in other.stderr
    for outcome in (missing, malformed, server_down, other):
        assert "Traceback" not in outcome.stderr
        assert len(outcome.stderr.strip().splitlines()) == 1, outcome.stderr


def test_a_second_indexer_on_the_same_database_is_refused(indexed, tmp_path):
    node, _, manifest_file, database = indexed
    copy = tmp_path / "points.db"
    copy.write_bytes(database.read_bytes())
    url = f"sqlite:///{copy}"
    follower = subprocess.Popen([sys.executable, "-m", "indexer", "run", "--follow", "--manifest", str(manifest_file),
                                 "--db", url, "--rpc", node.url], stderr=subprocess.PIPE, text=True)
    try:
        _wait_until_locked(Path(f"{copy}.lock"), follower)
        second = indexer("run", "--manifest", str(manifest_file), "--db", url, "--rpc", node.url)
        migration = indexer("migrate", "--db", url)
    finally:
        follower.terminate()
        follower.wait(timeout=30)
    after = indexer("run", "--manifest", str(manifest_file), "--db", url, "--rpc", node.url)

    refusal = "another indexer is writing this database"
    assert second.returncode == 2 and refusal in second.stderr, second.stderr
    assert f"{copy}.lock is locked" in second.stderr
    assert migration.returncode == 2 and refusal in migration.stderr
    assert after.returncode == 0, "the lock goes with the process that held it"


def _wait_until_locked(lock: Path, holder: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert holder.poll() is None, holder.communicate()[1]
        if lock.exists():
            with lock.open("rb") as probe:
                try:
                    fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    return
                fcntl.flock(probe, fcntl.LOCK_UN)
        time.sleep(0.1)
    raise AssertionError(f"{lock} was not locked within two minutes")


WITHOUT_ROWID = ("movement", "rawevent")


def _alembic(database: Path, action: Callable[[Config, str], None], revision: str) -> None:
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as connection:
        action(alembic_config(connection), revision)
    engine.dispose()


def _schema(database: Path) -> set[tuple[str, str]]:
    """Every table's and index's SQL; a table that a migration rebuilt has its name quoted, as
    SQLite's ALTER TABLE RENAME writes it."""
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall()
    return {(name, re.sub(r'^CREATE TABLE "(\w+)"', r"CREATE TABLE \1", sql)) for name, sql in rows}


def _tables(database: Path) -> list[str]:
    with sqlite3.connect(database) as connection:
        return [name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'alembic_version'")]


def _contents(database: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(database) as connection:
        return {name: sorted(connection.execute(f"SELECT * FROM {name}").fetchall()) for name in _tables(database)}


def _copy_rows(source: Path, target: Path) -> None:
    """Copies the rows of every table the older `target` has."""
    with sqlite3.connect(target) as connection:
        connection.execute("ATTACH DATABASE ? AS source", (str(source),))
        for name in _tables(target):
            columns = ", ".join(column for _, column, *_ in connection.execute(f"PRAGMA table_info({name})"))
            connection.execute(f"INSERT INTO main.{name} ({columns}) SELECT {columns} FROM source.{name}")


def _unnamed_copy(database: Path, copy: Path) -> Path:
    """A copy of the database whose merchants and rewards have no names, as rows from before
    revision 0005 have once migrated, and whose webhook outbox is empty, as revision 0006 starts it."""
    with sqlite3.connect(database) as source, sqlite3.connect(copy) as target:
        source.backup(target)
        target.execute("UPDATE merchant SET name = ''")
        target.execute("UPDATE reward SET name = ''")
        target.execute("DELETE FROM outbox")
    return copy


def test_a_revision_0003_database_migrates_to_the_new_schema_with_every_row(indexed, tmp_path):
    node, _, manifest_file, database = indexed
    old = tmp_path / "old.db"
    _alembic(old, command.upgrade, "0003")
    _copy_rows(database, old)
    assert all("WITHOUT ROWID" not in sql for name, sql in _schema(old) if name in WITHOUT_ROWID)

    migrated = indexer("migrate", "--db", f"sqlite:///{old}")

    assert migrated.returncode == 0, migrated.stderr
    assert f"0003 -> {head_revision()}" in migrated.stderr
    assert _contents(old) == _contents(_unnamed_copy(database, tmp_path / "unnamed.db"))
    assert _schema(old) == _schema(database)
    assert all("WITHOUT ROWID" in sql for name, sql in _schema(old) if name in WITHOUT_ROWID)
    assert "ix_rawevent_contract" not in {name for name, _ in _schema(old)}
    assert _verify(node, manifest_file, old).returncode == 0


def test_downgrading_to_revision_0003_restores_its_schema_and_keeps_every_row(indexed, tmp_path):
    _, _, _, database = indexed
    downgraded, reference = tmp_path / "downgraded.db", tmp_path / "0003.db"
    for revision_0003 in (reference, downgraded):
        _alembic(revision_0003, command.upgrade, "0003")
        _copy_rows(database, revision_0003)
    _alembic(downgraded, command.upgrade, "head")

    _alembic(downgraded, command.downgrade, "0003")

    assert _schema(downgraded) == _schema(reference)
    assert _contents(downgraded) == _contents(reference)


def test_a_revision_0004_database_gets_empty_names_in_rows_and_journal(tmp_path):
    old, fresh = tmp_path / "old.db", tmp_path / "fresh.db"
    _alembic(old, command.upgrade, "0004")
    with sqlite3.connect(old) as connection:
        connection.execute("INSERT INTO reward VALUES ('0xp', 1, '0xm', '120', '5', 1, 2, 240)")
        connection.execute(
            "INSERT INTO undo (batch_id, table_name, key, old) VALUES (1, 'reward', '[[\"0xp\",1],[\"0xp\",2]]', "
            "'[{\"program\":\"0xp\",\"reward_id\":1,\"merchant\":\"0xm\",\"price\":120,\"stock\":7,"
            "\"active\":true,\"redemptions\":0,\"points_redeemed\":0},null]')")
    store = Store(f"sqlite:///{fresh}")
    store.prepare(31337)
    store.close()

    migrated = indexer("migrate", "--db", f"sqlite:///{old}")

    assert migrated.returncode == 0, migrated.stderr
    assert f"0004 -> {head_revision()}" in migrated.stderr
    assert _schema(old) == _schema(fresh)
    with sqlite3.connect(old) as connection:
        assert connection.execute("SELECT reward_id, stock, name FROM reward").fetchall() == [(1, "5", "")]
        [(journal,)] = connection.execute("SELECT old FROM undo").fetchall()
    assert json.loads(journal)[0]["name"] == "" and json.loads(journal)[1] is None
