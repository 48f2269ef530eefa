"""The relayer's command line (SPEC section 6).

    python -m relayer [--host H] [--port P] [--account ALIAS] [--manifest PATH] [--db URL] [--rpc URL]
                      [--no-worker]
    python -m relayer migrate [--db URL]
"""

import argparse
import logging
import sys
import threading
from pathlib import Path

import uvicorn

from chain.rpc import RpcClient
from points.errors import PointsError
from points.manifest import load_manifest
from points.settings import Settings, load_settings
from relayer.app import Services, create_app
from relayer.checks import Checker, Deployment
from relayer.keys import check_key_fits_chain, load_key
from relayer.policy import Policy
from relayer.store import Store
from relayer.worker import Worker

log = logging.getLogger("relayer")


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m relayer",
                                     description="Submit customers' signed redemptions and exchanges, paying the gas.")
    if argv[:1] == ["migrate"]:
        parser.add_argument("command", choices=["migrate"], help="upgrade the queue's schema to this relayer's")
        parser.add_argument("--db", help="SQLAlchemy URL of the queue (env POINTS_RELAYER_DATABASE_URL)")
        return parser.parse_args(argv)
    parser.add_argument("--host", help="interface to listen on (env POINTS_RELAYER_HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (env POINTS_RELAYER_PORT)")
    parser.add_argument("--account", help="the paying key: an `ape accounts` alias, or TEST::N on a local chain "
                                          "(env POINTS_RELAYER_ACCOUNT)")
    parser.add_argument("--manifest", type=Path, help="deployment manifest (env POINTS_MANIFEST)")
    parser.add_argument("--db", help="SQLAlchemy URL of the queue (env POINTS_RELAYER_DATABASE_URL)")
    parser.add_argument("--rpc", help="JSON-RPC URL (env POINTS_RPC_URL)")
    parser.add_argument("--no-worker", action="store_true",
                        help="only accept and queue; another process (one per key) sends (env POINTS_RELAYER_WORKER)")
    arguments = parser.parse_args(argv)
    arguments.command = "serve"
    return arguments


def serve(settings: Settings) -> None:
    if settings.relayer_account is None:
        raise PointsError("--account is required: an `ape accounts` alias (its passphrase in "
                          "APE_ACCOUNTS_<alias>_PASSPHRASE), or TEST::N on a local chain")
    key = load_key(settings.relayer_account)
    rpc = RpcClient.from_settings(settings)
    check_key_fits_chain(key, str(rpc.call("web3_clientVersion")))
    deployment = Deployment.read(rpc, load_manifest(settings.manifest))
    store = Store(settings.relayer_database_url)
    store.prepare()
    worker = Worker(store, RpcClient.from_settings(settings), key, deployment.chain_id, settings)
    checker = Checker(rpc, deployment, Policy(settings, store), key.address,
                      settings.relayer_merchants or [key.address])
    app = create_app(Services(settings, store, checker, rpc, key.address, worker.wake.set))
    thread = threading.Thread(target=worker.run, name="relayer-worker", daemon=True)
    if settings.relayer_worker:
        thread.start()
    log.info("relayer %s for chain %d serving on http://%s:%d (worker %s)", key.address, deployment.chain_id,
             settings.relayer_host, settings.relayer_port, "on" if settings.relayer_worker else "off")
    try:
        uvicorn.run(app, host=settings.relayer_host, port=settings.relayer_port, log_level="warning",
                    access_log=False)
    finally:
        worker.stop.set()
        if thread.is_alive():
            thread.join(timeout=30)
        store.close()
        rpc.close()


def main(argv: list[str]) -> int:
    arguments = _arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        if arguments.command == "migrate":
            store = Store(load_settings(relayer_database_url=arguments.db).relayer_database_url)
            try:
                before, after = store.migrate()
            finally:
                store.close()
            print(f"schema revision {before} -> {after}")
            return 0
        serve(load_settings(relayer_host=arguments.host, relayer_port=arguments.port,
                            relayer_account=arguments.account, manifest=arguments.manifest,
                            relayer_database_url=arguments.db, rpc_url=arguments.rpc,
                            relayer_worker=False if arguments.no_worker else None))
        return 0
    except PointsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
