"""Read API speed: latency and throughput of the dashboard's commonest requests under uvicorn.

The API runs as users run it (`python -m api`, one worker) over an indexed database; this process
is the client (benchmarks/http_load.py). `/v1/version` touches neither the database nor any model
beyond a constant: its rate is the framework's ceiling on this machine, measured in the same run.
The account view's share of that ceiling comes from short rounds alternating the two against the
same warm server: what else the machine runs changes both rates alike, and the median of the
rounds' ratios is not at the mercy of one disturbed round.

    python -m benchmarks.api_suite --db sqlite:///data/points.db
"""

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace

import httpx
from rich.console import Console
from sqlalchemy import create_engine, func, select

from benchmarks.http_load import LoadResult, load
from benchmarks.table import Measurement, render_measurements_console
from database.schema import RawEvent, table_of
from points.ports import free_port
from points.settings import REPO_ROOT

SECONDS = 5.0
WARM_UP_SECONDS = 1.0
# A fresh server answers its first seconds of requests markedly slower, whatever the route.
SERVER_WARM_UP_SECONDS = 5.0
CONNECTIONS = 4
P99_TARGET_MS = 25.0
ACCOUNT_SHARE_TARGET = 0.5
SHARE_ROUNDS = 10
SHARE_ROUND_SECONDS = 1.5
ACCOUNTS_SAMPLED = 200
TRIVIAL = "trivial endpoint (/v1/version)"
ACCOUNT = "/v1/accounts/{address}"
RAW_EVENTS = table_of(RawEvent)


@contextmanager
def api_server(database_url: str) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "api", "--port", str(port), "--db", database_url],
                               cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/v1/health").json().get("indexed_block") is not None:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the API did not start: {process.stderr.read().decode() if process.stderr else ''}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def _targets(url: str) -> dict[str, list[str]]:
    """The requests of each measured route: many accounts, so no single row stays in a cache."""
    with httpx.Client(base_url=f"{url}/v1", timeout=60) as client:
        programs = client.get("/programs").json()["items"]
        busiest = max(programs, key=lambda program: program["holders"])
        holders = client.get(f"/programs/{busiest['address']}/holders", params={"limit": ACCOUNTS_SAMPLED}).json()
        expiring = client.get(f"/programs/{busiest['address']}/expiring", params={"within_days": 30}).json()
    accounts = [holder["account"] for holder in holders["items"]]
    return {
        TRIVIAL: ["/v1/version"],
        ACCOUNT: [f"/v1/accounts/{account}" for account in accounts],
        "history page (/v1/accounts/{address}/history)": [f"/v1/accounts/{account}/history" for account in accounts],
        "holders page (/v1/programs/{token}/holders)": [f"/v1/programs/{busiest['address']}/holders"] + (
            [f"/v1/programs/{busiest['address']}/holders?cursor={holders['next_cursor']}"]
            if holders["next_cursor"] else []),
        "/v1/stats/daily": ["/v1/stats/daily", f"/v1/stats/daily?program={busiest['address']}"],
        "expiring page (/v1/programs/{token}/expiring)": [f"/v1/programs/{busiest['address']}/expiring"] + (
            [f"/v1/programs/{busiest['address']}/expiring?cursor={expiring['next_cursor']}"]
            if expiring["next_cursor"] else []),
    }


def _row(name: str, latency: LoadResult, throughput: LoadResult) -> Measurement:
    p50, p99 = latency.percentile(0.5) * 1000, latency.percentile(0.99) * 1000
    return Measurement(f"{name}: p50 / p99", f"{p50:.1f} / {p99:.1f} ms", f"p99 < {P99_TARGET_MS:.0f} ms",
                       p99 < P99_TARGET_MS,
                       note=f"{throughput.per_second:,.0f} requests/s over {CONNECTIONS} connections; latency "
                            f"of {latency.requests:,} requests one at a time")


def api_measurements(database_url: str, events: int, label: str = "", share_target: bool = True) -> list[Measurement]:
    """Per route: latency with one request at a time (no queueing in the figures), then throughput
    with several connections keeping the server busy; then the account view's share of the ceiling.
    `label` (the database's name) starts each row's name. Without `share_target` the share is
    reported without its target: a database server's reads wait for the network on worker threads,
    which SQLite's in-process reads do not."""
    with api_server(database_url) as url:
        results: dict[str, tuple[LoadResult, LoadResult]] = {}
        routes = _targets(url)
        load(url, [target for targets in routes.values() for target in targets], SERVER_WARM_UP_SECONDS, CONNECTIONS)
        for name, targets in routes.items():
            load(url, targets, WARM_UP_SECONDS, CONNECTIONS)
            results[name] = load(url, targets, SECONDS, 1), load(url, targets, SECONDS, CONNECTIONS)
        rounds = _share_rounds(url, routes[TRIVIAL], routes[ACCOUNT])
    prefix = f"{label}: " if label else ""
    rows = [_row(f"{prefix}{name}, {events:,} events indexed" if index == 0 else f"{prefix}{name}", *measured)
            for index, (name, measured) in enumerate(results.items())]
    share = _share_row(rounds)
    rows.append(replace(share, name=prefix + share.name) if share_target
                else replace(share, name=prefix + share.name, target=None, passed=None))
    return rows


def _share_rounds(url: str, trivial: list[str], account: list[str]) -> list[tuple[float, float]]:
    """(trivial, account) requests/s of each round; every other round starts with the account view, so
    that neither side always follows the other."""
    rounds = []
    for index in range(SHARE_ROUNDS):
        order = [(TRIVIAL, trivial), (ACCOUNT, account)]
        rates = {name: load(url, targets, SHARE_ROUND_SECONDS, CONNECTIONS).per_second
                 for name, targets in (order if index % 2 == 0 else order[::-1])}
        rounds.append((rates[TRIVIAL], rates[ACCOUNT]))
    return rounds


def _share_row(rounds: list[tuple[float, float]]) -> Measurement:
    shares = sorted(account / trivial for trivial, account in rounds)
    share = statistics.median(shares)
    return Measurement(
        "/v1/accounts/{address} requests/s ÷ trivial endpoint's", f"{share:.2f}", f">= {ACCOUNT_SHARE_TARGET:.2f}",
        share >= ACCOUNT_SHARE_TARGET,
        note=f"median over {len(rounds)} rounds of {SHARE_ROUND_SECONDS:g} s of each, alternating, on "
             f"{CONNECTIONS} connections (rounds from {shares[0]:.2f} to {shares[-1]:.2f}); median rates "
             f"{statistics.median(account for _, account in rounds):,.0f} vs "
             f"{statistics.median(trivial for trivial, _ in rounds):,.0f} requests/s")


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.api_suite")
    parser.add_argument("--db", required=True, help="an indexed database's URL")
    arguments = parser.parse_args(argv)
    rows = api_measurements(arguments.db, events=indexed_events(arguments.db))
    render_measurements_console(rows, title="Read API", console=Console(width=160))
    return 0


def indexed_events(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(RAW_EVENTS)).scalar_one())
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
