"""The relayer as users run it (`python -m relayer`, a child process) and a customer who signs for it."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount

from chain.calldata import calldata
from points.ports import free_port
from points.settings import REPO_ROOT
from points.signing import (
    EXCHANGE_DOMAIN_NAME,
    SigningDomain,
    exchange_typed_data,
    permit_typed_data,
    redeem_typed_data,
    sign_typed_data,
)
from tests.support.services import Node

START_TIMEOUT = 60.0


@dataclass
class Relayer:
    url: str
    process: subprocess.Popen[str]
    log: Path
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.url, timeout=30)

    def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return self.client.post(path, json=body)

    def status(self, kind: str, request_id: str) -> dict[str, Any]:
        response = self.client.get(f"/v1/{kind}/{request_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def wait_for(self, kind: str, request_id: str, *statuses: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            status = self.status(kind, request_id)
            if status["status"] in statuses:
                return status
            assert time.monotonic() < deadline, f"{kind} {request_id} stayed {status}, wanted {statuses}"
            time.sleep(0.1)

    def kill(self) -> None:
        """kill -9: no handler runs, no buffer is flushed."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.client.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        self.client.close()

    def output(self) -> str:
        return self.log.read_text()


def start_relayer(node: Node, manifest: Path, database: Path, *arguments: str, account: str = "TEST::1",
                  **environment: str) -> Relayer:
    """Starts `python -m relayer` and returns once `/v1/health` answers; `environment` adds `POINTS_*`."""
    port = free_port()
    log = database.with_name(f"{database.stem}-{port}.log")
    process = subprocess.Popen(
        [sys.executable, "-m", "relayer", "--port", str(port), "--account", account, "--manifest", str(manifest),
         "--db", f"sqlite:///{database}", "--rpc", node.url, *arguments],
        cwd=REPO_ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT, text=True,
        env=os.environ | {"POINTS_RELAYER_CONFIRMATIONS": "1", "POINTS_RELAYER_POLL_SECONDS": "0.05"} | environment,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            if httpx.get(f"{url}/v1/health", timeout=2).status_code == 200:
                return Relayer(url, process, log)
        except httpx.HTTPError:
            pass
        assert process.poll() is None, f"the relayer exited with {process.returncode}: {log.read_text()}"
        assert time.monotonic() < deadline, f"the relayer did not answer: {log.read_text()}"
        time.sleep(0.1)


@contextmanager
def running_relayer(node: Node, manifest: Path, database: Path, *arguments: str, **environment: str
                    ) -> Iterator[Relayer]:
    relayer = start_relayer(node, manifest, database, *arguments, **environment)
    try:
        yield relayer
    finally:
        relayer.stop()


@dataclass
class Customer:
    """A wallet with points and no ETH, signing as the member app does."""

    node: Node
    chain_id: int
    account: LocalAccount = field(default_factory=Account.create)

    @property
    def address(self) -> str:
        return str(self.account.address)

    def nonce(self, contract: str) -> int:
        return self.node.read(contract, "nonces(address)", self.address)

    def redemption(self, token: str, token_name: str, reward_id: int, quantity: int, max_points: int,
                   deadline: int, nonce: int | None = None, chain_id: int | None = None) -> dict[str, Any]:
        domain = SigningDomain(token_name, chain_id or self.chain_id, token)
        nonce = self.nonce(token) if nonce is None else nonce
        signature = sign_typed_data(self.account.key, redeem_typed_data(
            domain, self.address, reward_id, quantity, max_points, nonce, deadline))
        return {"token": token, "holder": self.address, "reward_id": reward_id, "quantity": quantity,
                "max_points": max_points, "deadline": deadline, "signature": "0x" + signature.packed.hex()}

    def exchange(self, exchange: str, from_token: str, to_token: str, amount_in: int, min_out: int,
                 deadline: int) -> dict[str, Any]:
        domain = SigningDomain(EXCHANGE_DOMAIN_NAME, self.chain_id, exchange)
        signature = sign_typed_data(self.account.key, exchange_typed_data(
            domain, self.address, from_token, to_token, amount_in, min_out, self.nonce(exchange), deadline))
        return {"account": self.address, "from_token": from_token, "to_token": to_token, "amount_in": amount_in,
                "min_out": min_out, "deadline": deadline, "signature": "0x" + signature.packed.hex()}

    def permit_by(self, submitter: str, token: str, token_name: str, spender: str, value: int,
                  deadline: int) -> None:
        """An EIP-2612 permit that `submitter` (any funded account) puts on chain: the customer pays nothing."""
        domain = SigningDomain(token_name, self.chain_id, token)
        signature = sign_typed_data(self.account.key, permit_typed_data(
            domain, self.address, spender, value, self.nonce(token), deadline))
        self.node.transact(submitter, token, calldata(
            "permit(address,address,uint256,uint256,uint8,bytes32,bytes32)", self.address, spender, value,
            deadline, signature.v, signature.r, signature.s))
