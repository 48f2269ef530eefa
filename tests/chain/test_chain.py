"""The chain layer without a chain: the client's retries and range splitting against a scripted
node, and calldata round trips."""

import base64
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from eth_abi import decode

from chain.calldata import as_address, calldata, selector, words
from chain.programs import NotAProgram, ProgramSettings, read_settings
from chain.rpc import RpcClient, RpcError, RpcUnavailable

ADDRESS = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
# A node's answer to one request body: the JSON to send back, or None to drop the connection.
Script = Callable[[Any], Any | None]


class _Node(ThreadingHTTPServer):
    daemon_threads = True
    script: Script
    bodies: list[Any]
    targets: list[tuple[str, str | None]]
    """Each request's target and Authorization header."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so that a dropped connection surprises a pooled client
    server: _Node

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        self.server.bodies.append(body)
        self.server.targets.append((self.path, self.headers["authorization"]))
        answer = self.server.script(body)
        if answer is None:
            self.close_connection = True
            return
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@contextmanager
def scripted_node(script: Script) -> Iterator[_Node]:
    node = _Node(("127.0.0.1", 0), _Handler)
    node.script, node.bodies, node.targets = script, [], []
    thread = threading.Thread(target=node.serve_forever, daemon=True)
    thread.start()
    try:
        yield node
    finally:
        node.shutdown()
        node.server_close()


def url_of(node: _Node) -> str:
    return f"http://127.0.0.1:{node.server_port}"


def result(body: dict[str, Any], value: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": body["id"], "result": value}


def error(body: dict[str, Any], code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": body["id"], "error": {"code": code, "message": message}}


def client(node: _Node, attempts: int = 4) -> RpcClient:
    return RpcClient(url_of(node), max_attempts=attempts, first_backoff=0.001, max_backoff=0.002)


def test_a_dropped_connection_is_retried():
    with scripted_node(lambda body: None if len(node.bodies) <= 2 else result(body, "0x7a69")) as node:
        with client(node) as rpc:
            assert rpc.chain_id() == 31337
    assert len(node.bodies) == 3


def test_a_proxy_from_the_environment_and_credentials_in_the_url_are_used(monkeypatch):
    with scripted_node(lambda body: result(body, "0x7a69")) as node:
        for variable in ("NO_PROXY", "no_proxy", "http_proxy"):
            monkeypatch.delenv(variable, raising=False)
        monkeypatch.setenv("HTTP_PROXY", url_of(node))
        with RpcClient("http://user:s%40cret@node.invalid:8545/v3/key?tier=1") as rpc:
            assert rpc.chain_id() == 31337
    assert node.targets == [("http://node.invalid:8545/v3/key?tier=1",
                             "Basic " + base64.b64encode(b"user:s@cret").decode())]


def test_a_url_that_is_not_http_is_one_line_without_retries():
    with RpcClient("localhost:8545", first_backoff=60) as rpc:
        with pytest.raises(RpcUnavailable, match="'localhost:8545' is not an http:// or https:// URL"):
            rpc.chain_id()


def test_a_rate_limit_is_retried():
    def script(body: Any) -> Any:
        if len(node.bodies) == 1:
            return error(body, -32005, "request rate limited")
        return result(body, "0x10")

    with scripted_node(script) as node, client(node) as rpc:
        assert rpc.block_number() == 16
    assert len(node.bodies) == 2


def test_a_node_that_stays_silent_ends_with_one_line():
    with scripted_node(lambda body: None) as node, client(node, attempts=3) as rpc:
        with pytest.raises(RpcUnavailable, match=r"did not answer after 3 attempts \("):
            rpc.chain_id()
    assert len(node.bodies) == 3


def test_an_error_answer_is_not_retried():
    with scripted_node(lambda body: error(body, -32000, "execution reverted")) as node, client(node) as rpc:
        with pytest.raises(RpcError, match="eth_call failed: execution reverted"):
            rpc.call("eth_call", ({"to": ADDRESS, "data": "0x"}, "latest"))
    assert len(node.bodies) == 1


def test_a_batch_comes_back_in_the_calls_order():
    def script(body: Any) -> Any:
        return [result(call, call["params"][0]) for call in reversed(body)]

    with scripted_node(script) as node, client(node) as rpc:
        assert rpc.batch([("echo", ("a",)), ("echo", ("b",)), ("echo", ("c",))]) == ["a", "b", "c"]


def test_a_log_range_refused_as_too_large_is_split_in_block_order():
    def script(body: Any) -> Any:
        query = body["params"][0]
        first, last = int(query["fromBlock"], 16), int(query["toBlock"], 16)
        if last - first + 1 > 2:
            return error(body, -32005, "query returned more than 10000 results")
        return result(body, [{"blockNumber": hex(number)} for number in range(first, last + 1)])

    with scripted_node(script) as node, client(node) as rpc:
        chunks = list(rpc.logs([ADDRESS], 10, 17))
    assert [int(log["blockNumber"], 16) for chunk in chunks for log in chunk] == list(range(10, 18))
    assert all(len(chunk) <= 2 for chunk in chunks)


def test_a_program_is_read_in_one_batch():
    settings = [1_700_000_000, 86_400, 8, 3_600, 1]

    def script(body: Any) -> Any:
        return [result(call, "0x" + value.to_bytes(32, "big").hex())
                for call, value in zip(body, settings, strict=True)]

    with scripted_node(script) as node, client(node) as rpc:
        assert read_settings(rpc, ADDRESS, 5) == ProgramSettings(1_700_000_000, 86_400, 8, 3_600, True)
    [batch] = node.bodies
    assert batch[0]["params"] == [{"to": ADDRESS, "data": selector("epoch_start()")}, "0x5"]


def test_an_address_without_code_is_not_a_program():
    with scripted_node(lambda body: [result(call, "0x") for call in body]) as node, client(node) as rpc:
        with pytest.raises(NotAProgram, match=f"{ADDRESS} is not a PointsToken"):
            read_settings(rpc, ADDRESS)


def test_calldata_round_trips():
    data = bytes.fromhex(calldata("mint_batch(address[],uint256[],bytes32)", [ADDRESS], [2**255], b"\x01" * 32)[2:])
    assert data[:4].hex() == selector("mint_batch(address[],uint256[],bytes32)")[2:]
    assert decode(["address[]", "uint256[]", "bytes32"], data[4:]) == ((ADDRESS,), (2**255,), b"\x01" * 32)
    assert selector("transfer(address,uint256)") == "0xa9059cbb"
    assert calldata("totalSupply()") == selector("totalSupply()")


def test_return_words_and_addresses_round_trip():
    encoded = calldata("f(address,uint256,bool)", ADDRESS, 2**256 - 1, True)
    address, amount, flag = words("0x" + encoded[10:])
    assert (as_address(address), amount, flag) == (ADDRESS, 2**256 - 1, 1)
    assert words("0x") == []


def test_a_malformed_signature_is_one_clear_error():
    with pytest.raises(ValueError, match="not a function signature: 'balanceOf'"):
        calldata("balanceOf")
