"""The live feed: movements indexed while a client listens arrive as server-sent events.

A real chain, the indexer following it and the API served by uvicorn; mints are sent while a
client reads `/v1/stream`, filtered by account or by program, and a reconnect with Last-Event-ID
resumes exactly after the last event seen.
"""

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

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


@pytest.fixture(scope="module")
def live(tmp_path_factory) -> Iterator[tuple[Node, Manifest, Path, str]]:
    directory = tmp_path_factory.mktemp("stream")
    manifest_file, database = directory / "manifest.json", directory / "points.db"
    with anvil() as node:
        deploy(node, manifest_file)
        follower = subprocess.Popen([sys.executable, "-m", "indexer", "run", "--follow", "--manifest",
                                     str(manifest_file), "--db", f"sqlite:///{database}", "--rpc", node.url],
                                    stdout=subprocess.DEVNULL, stderr=(directory / "follow.log").open("w"))
        try:
            with serve_api(f"sqlite:///{database}") as base_url:
                deadline = time.monotonic() + SECONDS
                while httpx.get(f"{base_url}/v1/health").json()["indexed_block"] != node.block_number():
                    assert time.monotonic() < deadline, (directory / "follow.log").read_text()
                    time.sleep(0.2)
                yield node, load_manifest(manifest_file), manifest_file, base_url
        finally:
            follower.terminate()
            follower.wait(timeout=30)


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
    assert [(event["data"]["kind"], event["data"]["amount"]) for event in events] == [("issued", 11), ("issued", 13)]
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

    assert (first["data"]["program"], first["data"]["amount"]) == (coffee, 21)
    assert (resumed["data"]["program"], resumed["data"]["amount"]) == (coffee, 22)
    assert after_page["data"] == newest_two["items"][0] == resumed["data"]


def test_a_malformed_last_event_id_is_a_422(live):
    _, _, _, base_url = live

    response = httpx.get(f"{base_url}/v1/stream", headers={"Last-Event-ID": "garbage"}, timeout=SECONDS)

    assert response.status_code == 422
