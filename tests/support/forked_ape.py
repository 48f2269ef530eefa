"""The test process's side of tests/support/ape_forkserver.py: one server for the process, started on
first use and ended with the process."""

import atexit
import functools
import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from points.settings import REPO_ROOT

SERVER = Path(__file__).with_name("ape_forkserver.py")
PYTHON = REPO_ROOT / ".venv" / "bin" / "python"
STARTUP_TIMEOUT = 120


@dataclass(frozen=True)
class Completed:
    code: int
    stdout: str
    stderr: str


class ForkServer:
    """A running ape_forkserver.py; `run` is `subprocess.run` for an `ape` command line."""

    def __init__(self) -> None:
        self.folder = tempfile.TemporaryDirectory(prefix="ape-forkserver-")
        self.socket = Path(self.folder.name) / "socket"
        self.log = Path(self.folder.name) / "server.log"
        environment = {key: value for key, value in os.environ.items() if not key.startswith("APE_")}
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [str(PYTHON), str(SERVER), str(self.socket)], cwd=REPO_ROOT, stdin=subprocess.PIPE,
                stdout=log, stderr=log, env=environment | {"PYTHONUNBUFFERED": "1"},
            )
        self.wait_until_listening()

    def wait_until_listening(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not self.socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"ape_forkserver.py did not start:\n{self.log.read_text()}")
            time.sleep(0.05)

    def run(self, argv: list[str], environment: dict[str, str], stdin: str | None, timeout: float) -> Completed:
        """Runs `argv` (an `ape` command line) from the repository with exactly `environment`."""
        with tempfile.TemporaryDirectory(prefix="ape-command-") as folder:
            files = {name: Path(folder) / name for name in ("stdin", "stdout", "stderr")}
            files["stdin"].write_text(stdin or "")
            for name in ("stdout", "stderr"):
                files[name].touch()
            request = {"argv": argv, "env": environment, "cwd": str(REPO_ROOT)} | {
                name: str(path) for name, path in files.items()
            }
            code = self.exchange(request, argv, timeout)
            return Completed(code, files["stdout"].read_text(), files["stderr"].read_text())

    def exchange(self, request: Mapping[str, object], argv: list[str], timeout: float) -> int:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(timeout)
            connection.connect(str(self.socket))
            connection.sendall(json.dumps(request).encode() + b"\n")
            with connection.makefile("rb") as answers:
                pid = int(answers.readline())
                try:
                    return int(answers.readline())
                except TimeoutError:
                    os.kill(pid, signal.SIGKILL)
                    raise subprocess.TimeoutExpired(argv, timeout) from None

    def stop(self) -> None:
        """Closing the server's standard input ends it; commands still running finish on their own."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)
        self.folder.cleanup()


_starting = threading.Lock()


def forkserver() -> ForkServer:
    """This process's server, started on first use (by one thread, when several ask at once)."""
    with _starting:
        return _started()


@functools.cache
def _started() -> ForkServer:
    server = ForkServer()
    atexit.register(server.stop)
    return server
