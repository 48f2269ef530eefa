"""`ape` commands without their start-up: a process that has imported ape's libraries once forks a
fresh process for each command, which then runs `ape` as its console script does.

Importing ape, web3, pandas and the plugins takes about 3.5 s of each `ape run`, most of a script
test's time. Only third-party libraries are imported ahead: the project's own modules (scripts,
points, chain), ape's configuration, plugins' registration, the network connection and the command
itself all happen in the forked process, with the command's own environment, folder and files.

Run as `python ape_forkserver.py SOCKET`; it serves until its standard input closes, so it ends
with the test process that started it. A request is one JSON line on a connection to SOCKET:
`{"argv", "env", "cwd", "stdin", "stdout", "stderr"}` (the last three are file paths); the answer is
the command's process id on one line, then its exit code on another.
"""

import json
import os
import select
import signal
import socket
import sys
from pathlib import Path
from typing import Any

# Whatever an `ape run` of the project's scripts imports from outside the project, measured with
# `python -X importtime`; none of these reads the environment or the working folder when imported.
LIBRARIES = (
    "ape._cli", "ape.api.providers", "ape.api.query", "ape.api.transactions", "ape.cli", "ape.contracts.base",
    "ape.managers.accounts", "ape.managers.chain", "ape.managers.compilers", "ape.managers.config",
    "ape.managers.converters", "ape.managers.networks", "ape.managers.plugins", "ape.managers.project",
    "ape.managers.query", "ape.types.signatures", "ape.utils.basemodel",
    "ape_accounts.accounts", "ape_cache.models", "ape_ethereum.ecosystem", "ape_ethereum.provider",
    "ape_ethereum.trace", "ape_ethereum.transactions", "ape_foundry.provider", "ape_node.provider", "ape_run._cli",
    "ape_test.provider", "ape_vyper.compiler",
    "coincurve", "eth_abi", "eth_account", "ethpm_types", "httpx", "pandas", "pydantic_settings", "rich",
    "sqlalchemy", "web3",
)
CONSOLE_SCRIPT_FOLDER = str(Path(sys.executable).parent)


def serve(path: str) -> dict[str, Any]:
    """Forks a handler for each request until standard input closes; returns only in a command's
    own process, with its request."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    # Handlers are not waited for: the kernel reaps them.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    while True:
        ready, _, _ = select.select([listener, sys.stdin], [], [])
        if sys.stdin in ready and not os.read(sys.stdin.fileno(), 4096):
            sys.exit(0)
        if listener not in ready:
            continue
        connection, _ = listener.accept()
        if os.fork() == 0:
            listener.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            return handle(connection)
        connection.close()


def handle(connection: socket.socket) -> dict[str, Any]:
    """Reads the request, forks the command's process and reports its id and then its exit code."""
    with connection, connection.makefile("rb") as lines:
        request = json.loads(lines.readline())
        pid = os.fork()
        if pid == 0:
            return request
        connection.sendall(f"{pid}\n".encode())
        _, status = os.waitpid(pid, 0)
        connection.sendall(f"{os.waitstatus_to_exitcode(status)}\n".encode())
    os._exit(0)


def run(request: dict[str, Any]) -> None:
    """Becomes the command's process, as the `ape` console script would start it."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    for fd, name, flags in ((0, "stdin", os.O_RDONLY), (1, "stdout", os.O_WRONLY), (2, "stderr", os.O_WRONLY)):
        opened = os.open(request[name], flags)
        os.dup2(opened, fd)
        os.close(opened)
    sys.argv = list(request["argv"])
    sys.path[0] = CONSOLE_SCRIPT_FOLDER
    from ape._cli import cli

    sys.exit(cli())


def main() -> None:
    for library in LIBRARIES:
        __import__(library)
    run(serve(sys.argv[1]))


if __name__ == "__main__":
    main()
