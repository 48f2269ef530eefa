"""The live feed: movements indexed while a client listens arrive as server-sent events.

A real chain, the indexer following it and the API served by uvicorn; mints are sent while a
client reads `/v1/stream`, filtered by account or by program, and a reconnect with Last-Event-ID
resumes exactly after the last event seen. Then the scale-out layout: the same chain followed into
PostgreSQL by one indexer, read by two `python -m api` processes that give the same answers and
both stream a new movement.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from benchmarks.api_suite import api_server
from benchmarks.indexer_suite import following
from benchmarks.postgres_server import create_database
from points.manifest import Manifest, load_manifest
from tests.support.api_server import serve_api
from tests.support.services import Node, anvil, ape_run, deploy

CUSTOMERS = ["0x" + f"{index:040x}" for index in range(0xC0FFEE01, 0xC0FFEE04)]
SECONDS = 30


def _events(response: httpx.Response, wanted: int) -> list[dict[str, Any]]:
    """The first `wanted` events (id, event, data) of an open stream."""
    events: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    for line in response.iter_lines():
        if line.startswith(":"):
            continue
        if not line:
            if current:
                events.append(current)
                current = {}
            if len(events) == wanted:
                return events
            continue
        field, _, value = line.partition(": ")
        current[field] = orjson.loads(value) if field == "data" else value
    raise AssertionError(f"the stream ended after {events}")


def _wait_until_indexed(base_url: str, node: Node, log: Path) -> None:
    """Until the API serves the node's head; it answers 503 until the indexer has created the database."""
    deadline = time.monotonic() + SECONDS
    while httpx.get(f"{base_url}/v1/health").json().get("indexed_block") != node.block_number():
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.2)


@pytest.fixture(scope="module")
def live(postgres_server_url, tmp_path_factory) -> Iterator[tuple[Node, Manifest, Path, str]]:
    """The chain, followed into SQLite and served. It asks for the PostgreSQL server, which the
    scale-out test uses, so that the server is set up first (tests/conftest.py says why)."""
    directory = tmp_path_factory.mktemp("stream")
    manifest_file, database = directory / "manifest.json", directory / "points.db"
    with anvil() as node:
        deploy(node, manifest_file)
        with following(manifest_file, f"sqlite:///{database}", node.url, directory / "follow.log"), \
                serve_api(f"sqlite:///{database}") as base_url:
            _wait_until_indexed(base_url, node, directory / "follow.log")
            yield node, load_manifest(manifest_file), manifest_file, base_url


def _mint(node: Node, manifest_file: Path, program: str, to: str, amount: int) -> None:
    minted = ape_run(node, "mint", "--manifest", str(manifest_file), "--program", program, "--to", to,
                     "--amount", str(amount), "--ref", "stream-test")
    assert minted.code == 0, minted.output


def test_account_feed_pushes_its_new_movements_only(live):
    node, _, manifest_file, base_url = live
    customer, other = CUSTOMERS[0], CUSTOMERS[1]
    with httpx.stream("GET", f"{base_url}/v1/stream", params={"account": customer.upper().replace("0X", "0x")},
                      timeout=SECONDS) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        _mint(node, manifest_file, "coffee", other, 5)
        _mint(node, manifest_file, "coffee", customer, 11)
        _mint(node, manifest_file, "airline", customer, 13)
        events = _events(response, 2)

    assert [event["event"] for event in events] == ["movement", "movement"]
    assert [(event["data"]["kind"], event["data"]["amount"]) for event in events] \
        == [("issued", "11"), ("issued", "13")]
    assert {event["data"]["account"].lower() for event in events} == {customer}
    assert all(event["data"]["tx_hash"] and event["id"] for event in events)
    # Each says by name which till issued it, as the account's history does.
    merchants = {(merchant["program"], merchant["merchant"]): merchant["name"]
                 for merchant in httpx.get(f"{base_url}/v1/merchants").json()["items"]}
    assert all(event["data"]["counterparty_name"]
               == merchants[(event["data"]["program"], event["data"]["counterparty"])] != "" for event in events)


def test_program_feed_and_resume_after_the_last_event(live):
    node, manifest, manifest_file, base_url = live
    coffee = manifest.programs["coffee"].address
    customer = CUSTOMERS[2]
    with httpx.stream("GET", f"{base_url}/v1/stream", params={"program": coffee}, timeout=SECONDS) as response:
        _mint(node, manifest_file, "airline", customer, 7)
        _mint(node, manifest_file, "coffee", customer, 21)
        (first,) = _events(response, 1)
    _mint(node, manifest_file, "coffee", customer, 22)

    with httpx.stream("GET", f"{base_url}/v1/stream", headers={"Last-Event-ID": first["id"]},
                      params={"program": coffee}, timeout=SECONDS) as response:
        (resumed,) = _events(response, 1)
    newest_two = httpx.get(f"{base_url}/v1/movements", params={"program": coffee, "limit": 2}).json()
    with httpx.stream("GET", f"{base_url}/v1/stream", params={"program": coffee, "after": newest_two["next_cursor"]},
                      timeout=SECONDS) as response:
        (after_page,) = _events(response, 1)

    assert (first["data"]["program"], first["data"]["amount"]) == (coffee, "21")
    assert (resumed["data"]["program"], resumed["data"]["amount"]) == (coffee, "22")
    assert after_page["data"] == newest_two["items"][0] == resumed["data"]


def test_a_malformed_last_event_id_is_a_422(live):
    _, _, _, base_url = live

    response = httpx.get(f"{base_url}/v1/stream", headers={"Last-Event-ID": "garbage"}, timeout=SECONDS)

    assert response.status_code == 422


@contextmanager
def _scaled_out(node: Node, manifest_file: Path, database_url: str, log: Path) -> Iterator[tuple[str, str]]:
    """One indexer following the chain into PostgreSQL, and two API processes reading it."""
    with following(manifest_file, database_url, node.url, log), api_server(database_url) as first, \
            api_server(database_url) as second:
        for base_url in (first, second):
            _wait_until_indexed(base_url, node, log)
        yield first, second


def test_two_api_processes_on_one_postgresql_give_the_same_answers_and_both_stream(live, postgres_server_url,
                                                                                  tmp_path):
    """The scale-out layout. One test, not a module fixture: ape's isolation would set up the
    module's chain again for a module fixture set up after the first test."""
    if postgres_server_url is None:
        pytest.skip("PostgreSQL's initdb, pg_ctl and postgres are not installed")
    node, manifest, manifest_file, _ = live
    airline, customer = manifest.programs["airline"].address, CUSTOMERS[0]
    with _scaled_out(node, manifest_file, create_database(postgres_server_url, "scale_out"),
                     tmp_path / "follow.log") as scaled_out:
        with httpx.stream("GET", f"{scaled_out[0]}/v1/stream", params={"account": customer},
                          timeout=SECONDS) as first, \
                httpx.stream("GET", f"{scaled_out[1]}/v1/stream", params={"account": customer},
                             timeout=SECONDS) as second:
            _mint(node, manifest_file, "airline", customer, 17)
            streamed = [_events(response, 1)[0] for response in (first, second)]
        paths = ["/v1/programs", f"/v1/programs/{airline}/holders", "/v1/merchants", "/v1/movements?limit=20",
                 f"/v1/accounts/{customer}", f"/v1/accounts/{customer}/history", "/v1/stats/daily"]
        answers = [[httpx.get(f"{base_url}{path}").json() for path in paths] for base_url in scaled_out]

    assert streamed[0] == streamed[1]
    assert (streamed[0]["data"]["kind"], streamed[0]["data"]["amount"]) == ("issued", "17")
    assert answers[0] == answers[1]
    assert all(answer.get("items") or answer.get("programs") for answer in answers[0]), answers[0]
