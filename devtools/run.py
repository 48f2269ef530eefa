"""`make run`: bring up the whole system on its embedded defaults and stop it cleanly on Ctrl-C.

A local Anvil keeps its state under `data/`, so a restart carries on with the same chain and
deployment; `ape run deploy` then converges that chain on `config/alliance.yaml` (sending
nothing when it already matches). On the first start, `ape run demo` plays months of activity so
that there is something to look at; a fresh chain starts that many days in the past, so the
demo's history ends about now instead of in the future.
"""

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from types import FrameType
from urllib.parse import urlsplit

import httpx

from chain.rpc import answers
from devtools.demo import DAY, DEFAULT_DAYS
from devtools.devchain import wait_until_answering
from notifier.config import load_file
from points.errors import PointsError
from points.settings import DATA_DIR, LOCAL_DATABASE, LOCAL_RELAYER_DATABASE, REPO_ROOT, Settings, load_settings

ANVIL_STATE = DATA_DIR / "anvil-state.json"
# Written once the demo has played on the chain kept in ANVIL_STATE.
DEMO_MARKER = DATA_DIR / "demo-played"
# The demo's last day should fall a little before the present, whatever the deployment took.
DEMO_HEADROOM_SECONDS = 120
# The state file grows to 100+ MB with historical states, so it is not rewritten too often;
# Anvil also writes it when it stops.
STATE_DUMP_SECONDS = 60
STARTUP_TIMEOUT_SECONDS = 30
# The Downtown store's till (config/alliance.yaml) pays for customers' redemptions of its rewards.
RELAYER_ACCOUNT = "TEST::1"
VENV_BIN = REPO_ROOT / ".venv" / "bin"
# config/webhooks.yaml's demo subscription names its secret by this variable; each `make run` makes
# a new one, known to the notifier and the demo receiver only.
DEMO_WEBHOOK = "demo"
DEMO_SECRET_VARIABLE = "POINTS_DEMO_WEBHOOK_SECRET"


def start_anvil(settings: Settings, genesis_timestamp: int | None) -> subprocess.Popen[bytes]:
    DATA_DIR.mkdir(exist_ok=True)
    anvil = subprocess.Popen(
        [
            str(VENV_BIN / "anvil"),
            "--host", "127.0.0.1",
            "--port", str(settings.anvil_port),
            "--state", str(ANVIL_STATE),
            "--state-interval", str(STATE_DUMP_SECONDS),
            # Keeps `eth_call` at past blocks working after a restart (the indexer's `verify`).
            "--preserve-historical-states",
            "--silent",
            *(["--timestamp", str(genesis_timestamp)] if genesis_timestamp is not None else []),
        ],
        stdout=(DATA_DIR / "anvil.log").open("ab"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_answering(settings.rpc_url, anvil, STARTUP_TIMEOUT_SECONDS)
    except PointsError as error:
        anvil.terminate()
        sys.exit(f"{error}: see {DATA_DIR / 'anvil.log'}")
    return anvil


def ape_run(settings: Settings, script: str, *arguments: str) -> None:
    # ape-foundry connects to this host instead of the one in ape-config.yaml, so that
    # POINTS_ANVIL_PORT and POINTS_RPC_URL move the scripts along with Anvil.
    environment = os.environ | {"APE_FOUNDRY_HOST": settings.rpc_url}
    completed = subprocess.run([str(VENV_BIN / "ape"), "run", script, *arguments], cwd=REPO_ROOT, env=environment)
    if completed.returncode != 0:
        raise RuntimeError(f"`ape run {script}` failed with exit code {completed.returncode}")


def demo_receiver_port(settings: Settings) -> int:
    """The port of the demo subscription's URL: the demo receiver listens there."""
    for subscription in load_file(settings.webhooks_file):
        if subscription.name == DEMO_WEBHOOK:
            return urlsplit(subscription.url).port or 80
    raise RuntimeError(f"{settings.webhooks_file} has no `{DEMO_WEBHOOK}` subscription for the demo receiver")


def start_service(settings: Settings, name: str, *arguments: str) -> subprocess.Popen[bytes]:
    """Starts a long-running part of the system with the settings in its environment."""
    environment = os.environ | {
        "POINTS_WEBHOOKS_FILE": str(settings.webhooks_file),
        "POINTS_MANIFEST": str(settings.manifest),
        "POINTS_DATABASE_URL": settings.database_url,
        "POINTS_RPC_URL": settings.rpc_url,
        "POINTS_API_HOST": settings.api_host,
        "POINTS_API_PORT": str(settings.api_port),
        "POINTS_RELAYER_HOST": settings.relayer_host,
        "POINTS_RELAYER_PORT": str(settings.relayer_port),
        "POINTS_RELAYER_DATABASE_URL": settings.relayer_database_url,
        "POINTS_RELAYER_CONFIRMATIONS": str(settings.relayer_confirmations),
        # The dashboard and the member app are served by the API, on another origin than the relayer.
        "POINTS_RELAYER_CORS_ORIGINS": json.dumps(settings.relayer_cors_origins
                                                  or [f"http://{settings.api_host}:{settings.api_port}"]),
    }
    return subprocess.Popen(
        [sys.executable, *arguments], cwd=REPO_ROOT, env=environment,
        stdout=(DATA_DIR / f"{name}.log").open("ab"), stderr=subprocess.STDOUT,
    )


def wait_for_health(name: str, url: str, process: subprocess.Popen[bytes]) -> None:
    """Returns once `url/v1/health` answers 200; raises if the service exits or stays silent."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while True:
        try:
            if httpx.get(f"{url}/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"the {name} exited with code {process.returncode}: see {DATA_DIR / f'{name}.log'}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the {name} did not answer on {url} within {STARTUP_TIMEOUT_SECONDS} s")
        time.sleep(0.2)


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Interrupts the newest first (Anvil last, so it can dump its state), then waits for each."""
    for process in reversed(processes):
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    for process in reversed(processes):
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


def main() -> None:
    # On the local chain a mined block is final (nothing reorganises it), and Anvil mines only when
    # there are transactions: waiting for blocks on top would leave requests at `mined`.
    settings = load_settings(relayer_confirmations=int(os.environ.get("POINTS_RELAYER_CONFIRMATIONS", "0")))
    if answers(settings.rpc_url):
        sys.exit(f"something already answers on {settings.rpc_url}: "
                 "stop it, or set POINTS_ANVIL_PORT and POINTS_RPC_URL")

    processes: list[subprocess.Popen[bytes]] = []
    interrupted = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal interrupted
        interrupted = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        fresh_chain = not ANVIL_STATE.exists()
        if fresh_chain:
            DEMO_MARKER.unlink(missing_ok=True)
            # The database mirrored a chain that is gone, and the relayer's queue used its nonces.
            for stale in [*DATA_DIR.glob(f"{LOCAL_DATABASE.name}*"), *DATA_DIR.glob(f"{LOCAL_RELAYER_DATABASE.name}*")]:
                stale.unlink()
        genesis = int(time.time()) - DEFAULT_DAYS * DAY - DEMO_HEADROOM_SECONDS if fresh_chain else None
        processes.append(start_anvil(settings, genesis))
        ape_run(settings, "deploy")
        if not DEMO_MARKER.exists():
            ape_run(settings, "demo", "--customers", str(settings.demo_size), "--days", str(DEFAULT_DAYS))
            DEMO_MARKER.write_text(f"{settings.demo_size} customers per program over {DEFAULT_DAYS} days\n")
        os.environ.setdefault(DEMO_SECRET_VARIABLE, secrets.token_hex(32))
        receiver_port = demo_receiver_port(settings)
        processes.append(start_service(settings, "receiver", "-m", "notifier.receiver", "--port", str(receiver_port),
                                       "--secret-env", DEMO_SECRET_VARIABLE))
        processes.append(start_service(settings, "indexer", "-m", "indexer", "run", "--follow"))
        processes.append(start_service(settings, "notifier", "-m", "notifier", "run"))
        relayer_url = f"http://{settings.relayer_host}:{settings.relayer_port}"
        # The API tells the member app where the relayer is (GET /v1/config).
        os.environ.setdefault("POINTS_RELAYER_URL", relayer_url)
        processes.append(start_service(settings, "api", "-m", "api"))
        api_url = f"http://{settings.api_host}:{settings.api_port}"
        wait_for_health("api", api_url, processes[-1])
        processes.append(start_service(settings, "relayer", "-m", "relayer", "--account", RELAYER_ACCOUNT))
        wait_for_health("relayer", relayer_url, processes[-1])
        print(
            "\nThe points platform is up:\n"
            f"  dashboard          {api_url}/\n"
            f"  member app         {api_url}/#/member  (merchant console: {api_url}/#/merchant)\n"
            f"  read API           {api_url}/v1  (OpenAPI: {api_url}/docs, log: data/api.log)\n"
            f"  chain (JSON-RPC)   {settings.rpc_url}\n"
            f"  deployment         {settings.manifest.relative_to(REPO_ROOT)}\n"
            f"  chain state        {ANVIL_STATE.relative_to(REPO_ROOT)}\n"
            f"  indexed database   {settings.database_url}  (log: data/indexer.log)\n"
            f"  webhooks           python -m notifier (log: data/notifier.log), subscriptions in "
            f"{settings.webhooks_file.relative_to(REPO_ROOT)}, state at {api_url}/v1/webhooks\n"
            f"  demo receiver      http://127.0.0.1:{receiver_port}/  (what it gets: data/receiver.log)\n"
            f"  relayer            {relayer_url}/v1  (pays as {RELAYER_ACCOUNT}, the Downtown store; OpenAPI: "
            f"{relayer_url}/docs, log: data/relayer.log)\n"
            "Press Ctrl-C to stop.",
            flush=True,
        )
        while not interrupted and all(process.poll() is None for process in processes):
            time.sleep(0.5)
    except (RuntimeError, PointsError) as error:
        print(f"make run: {error}", file=sys.stderr)
        stop(processes)
        sys.exit(1)
    stop(processes)
    print("Stopped; the chain's state is saved under data/.")


if __name__ == "__main__":
    main()
