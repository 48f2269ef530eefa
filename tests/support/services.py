"""What the script tests share: an Anvil of their own, `ape run` as a user types it, and raw chain access.

The scripts run in processes of their own (`ape run ...` from the repository), pointed at the test's
Anvil through APE_FOUNDRY_HOST, with every manifest under a temporary path: the developer's
`deployments/` and `make run`'s chain are never touched. Those processes are forked from one that has
imported ape's libraries already (tests/support/ape_forkserver.py), which spares each about 3.5 s of
start-up; `ape_console_script` and `ape` start the console script itself, for the few tests that take
that path end to end.
"""

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account

from chain.calldata import calldata
from devtools.devchain import DevChain, wait_until_answering
from points.ports import free_port
from points.settings import REPO_ROOT
from tests.support.forked_ape import forkserver

VENV_BIN = REPO_ROOT / ".venv" / "bin"
MNEMONIC = "test test test test test test test test test test test junk"
APE_RUN_TIMEOUT = 300



def dev_account(index: int) -> Any:
    """Anvil's (and ape's) development account `index`, with its key."""
    Account.enable_unaudited_hdwallet_features()
    return Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


@dataclass
class Node:
    url: str
    chain: DevChain

    def read(self, to: str, signature: str, *args: Any) -> int:
        return self.chain.calls([(to, calldata(signature, *args))])[0][0]

    def transact(self, sender: str, to: str, data: str = "0x", value: int = 0) -> dict[str, Any]:
        """Sends from an unlocked development account and waits for a successful receipt."""
        tx_hash = self.chain.request("eth_sendTransaction",
                                     {"from": sender, "to": to, "data": data, "value": hex(value)})
        for _ in range(200):
            if receipt := self.chain.request("eth_getTransactionReceipt", tx_hash):
                assert int(receipt["status"], 16) == 1, f"transaction to {to} reverted"
                return receipt
            time.sleep(0.05)
        raise AssertionError(f"transaction {tx_hash} was not mined")

    def block_number(self) -> int:
        return self.chain.block_number()

    def nonce(self, address: str) -> int:
        return int(self.chain.request("eth_getTransactionCount", address, "latest"), 16)

    def travel(self, seconds: int) -> None:
        self.chain.request("evm_increaseTime", seconds)
        self.chain.mine()


@contextmanager
def anvil() -> Iterator[Node]:
    port = free_port()
    # Anvil leaves spilled states under $HOME/.foundry/anvil/tmp when stopped; a home of its own
    # goes away with it.
    home = tempfile.TemporaryDirectory(prefix="points-anvil-")
    process = subprocess.Popen(
        [str(VENV_BIN / "anvil"), "--port", str(port), "--silent"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=os.environ | {"HOME": home.name},
    )
    url = f"http://127.0.0.1:{port}"
    chain = DevChain(url)
    try:
        wait_until_answering(url, process)
        yield Node(url, chain)
    finally:
        chain.close()
        process.terminate()
        process.wait(timeout=30)
        home.cleanup()


def ape_environment(node: Node, **extra: str) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("APE_")}
    return environment | {
        "APE_FOUNDRY_HOST": node.url,
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONUNBUFFERED": "1",
    } | extra


@dataclass(frozen=True)
class Outcome:
    code: int
    output: str

    @property
    def error(self) -> str:
        """The `Error: ...` line, checked to be the only sign of trouble (no traceback)."""
        assert "Traceback" not in self.output, self.output
        errors = [line for line in self.output.splitlines() if line.startswith("Error: ")]
        assert len(errors) == 1, self.output
        return errors[0].removeprefix("Error: ")


def ape_cli(node: Node, *arguments: str, stdin: str | None = None, **environment: str) -> Outcome:
    """`ape <arguments>` in a process of its own, forked from one that has imported ape already."""
    completed = forkserver().run([str(VENV_BIN / "ape"), *arguments], ape_environment(node, **environment), stdin,
                                 timeout=APE_RUN_TIMEOUT)
    return Outcome(completed.code, completed.stdout + completed.stderr)


def ape_console_script(node: Node, *arguments: str, stdin: str | None = None, **environment: str) -> Outcome:
    """`ape <arguments>` through the console script, from a fresh interpreter, exactly as a user types it."""
    completed = subprocess.run(
        [str(VENV_BIN / "ape"), *arguments], cwd=REPO_ROOT, input=stdin, capture_output=True, text=True,
        env=ape_environment(node, **environment), timeout=APE_RUN_TIMEOUT,
    )
    return Outcome(completed.returncode, completed.stdout + completed.stderr)


def ape_run(node: Node, script: str, *arguments: str, **environment: str) -> Outcome:
    return ape_cli(node, "run", script, *arguments, **environment)


def ape_run_all(node: Node, commands: Sequence[Sequence[str]]) -> list[Outcome]:
    """Independent runs side by side: each `ape run` spends seconds starting up."""
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        return list(pool.map(lambda command: ape_run(node, *command), commands))


def ape(script: str, *arguments: str) -> list[str]:
    """The command line of an `ape run`, for `subprocess.Popen` in tests that watch it live."""
    return [str(VENV_BIN / "ape"), "run", script, *arguments]


def deploy(node: Node, manifest: Path, *arguments: str, **environment: str) -> Outcome:
    outcome = ape_run(node, "deploy", "--manifest", str(manifest), *arguments, **environment)
    assert outcome.code == 0, outcome.output
    return outcome


def indexer(*arguments: str, **environment: str) -> subprocess.CompletedProcess[str]:
    """`python -m indexer ...` as a user runs it; `environment` adds `POINTS_*` settings."""
    return subprocess.run([sys.executable, "-m", "indexer", *arguments], capture_output=True, text=True,
                          timeout=300, check=False, env=os.environ | environment)
