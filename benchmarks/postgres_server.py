"""A throw-away PostgreSQL server: the machine's own binaries on a temporary data directory and a
free port, stopped and deleted afterwards.

PostgreSQL refuses to run as root; when we are root (as in some containers), only the server's
processes run as `nobody`, on a directory it owns.
"""

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from points.errors import PointsError
from points.ports import free_port

TOOLS = ("initdb", "pg_ctl", "postgres")
USER = "points"
DATABASE = "points"


def postgres_bin() -> Path | None:
    """Where initdb, pg_ctl and postgres are: on PATH, or in Debian's and Ubuntu's versioned directory."""
    on_path = shutil.which("initdb")
    versioned = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: float(path.parent.name),
                       reverse=True)
    for directory in ([Path(on_path).parent] if on_path else []) + versioned:
        if all((directory / tool).exists() for tool in TOOLS):
            return directory
    return None


def _server_account() -> dict[str, Any]:
    """`subprocess` arguments that run the server as `nobody` when we are root."""
    if os.geteuid() != 0:
        return {}
    nobody = pwd.getpwnam("nobody")
    return {"user": nobody.pw_uid, "group": nobody.pw_gid, "extra_groups": []}


@contextmanager
def postgres_server(durable: bool = True, count_statements: bool = False) -> Iterator[str]:
    """Starts a server with an empty database; yields its `postgresql+psycopg://` URL.

    `durable=False` turns fsync off: tests look at what is committed, not at what would survive a
    power cut, and save seconds. `count_statements` loads `pg_stat_statements` into the database,
    which counts the executions of each statement.
    """
    binaries = postgres_bin()
    if binaries is None:
        raise PointsError("PostgreSQL's initdb, pg_ctl and postgres are not installed")
    account = _server_account()
    # Not under a private temporary directory of ours: the server's account must reach it.
    directory = Path(tempfile.mkdtemp(prefix="points-postgres-"))
    if account:
        os.chown(directory, account["user"], account["group"])
    data, log = directory / "data", directory / "server.log"
    port = free_port()

    def run(tool: str, *arguments: str) -> None:
        done = subprocess.run([str(binaries / tool), *arguments], cwd=directory, capture_output=True, text=True,
                              timeout=120, check=False, **account)
        if done.returncode != 0:
            server_log = log.read_text() if log.exists() else ""
            raise PointsError(f"{tool} failed:\n{done.stdout}{done.stderr}{server_log}")

    try:
        run("initdb", "--pgdata", str(data), "--username", USER, "--auth", "trust", "--locale", "C",
            "--encoding", "UTF8", "--no-sync")
        run("pg_ctl", "start", "--pgdata", str(data), "--log", str(log), "--wait", "--timeout", "60",
            "-o", f"-p {port} -k {directory} -c listen_addresses=127.0.0.1"
            + ("" if durable else " -c fsync=off -c synchronous_commit=off")
            + (" -c shared_preload_libraries=pg_stat_statements" if count_statements else ""))
        with psycopg.connect(host="127.0.0.1", port=port, user=USER, dbname="postgres", autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {DATABASE}")
        if count_statements:
            with psycopg.connect(host="127.0.0.1", port=port, user=USER, dbname=DATABASE,
                                 autocommit=True) as connection:
                connection.execute("CREATE EXTENSION pg_stat_statements")
        yield f"postgresql+psycopg://{USER}@127.0.0.1:{port}/{DATABASE}"
    finally:
        if (data / "postmaster.pid").exists():
            run("pg_ctl", "stop", "--pgdata", str(data), "--mode", "fast", "--wait")
        shutil.rmtree(directory, ignore_errors=True)


def create_database(server_url: str, name: str) -> str:
    """An empty database `name` on the server of `server_url`; its `postgresql+psycopg://` URL."""
    with psycopg.connect(server_url.replace("+psycopg", ""), autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return server_url.rsplit("/", 1)[0] + f"/{name}"
