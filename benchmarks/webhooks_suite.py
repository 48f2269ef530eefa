"""Webhook delivery speed: `python -m notifier run` sending an indexed history's events to a local
receiver (the demo's, `notifier.receiver`, which checks every signature), in deliveries per second.

The notifier runs as users run it, in a child process over the indexer's database; the receiver
runs in this process. The rate is counted over a fixed window once the first event has arrived,
so that start-up is not in it.

    python -m benchmarks.webhooks_suite --db sqlite:///data/points.db
"""

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import yaml
from rich.console import Console

from benchmarks.table import Measurement, render_measurements_console
from notifier.receiver import Receiver
from points.ports import free_port
from points.settings import REPO_ROOT

DELIVERY_SECONDS = 10.0
DELIVERY_TARGET = 500
SECRET_VARIABLE = "BENCH_WEBHOOK_SECRET"


def _received(receiver: Receiver) -> int:
    with receiver.lock:
        return len(receiver.seen)


def delivery_measurement(database_url: str) -> Measurement:
    secret = secrets.token_hex(32)
    receiver = Receiver(("127.0.0.1", free_port()), secret)
    thread = threading.Thread(target=receiver.serve_forever, daemon=True)
    thread.start()
    with tempfile.TemporaryDirectory(prefix="points-bench-webhooks-") as scratch:
        config = Path(scratch) / "webhooks.yaml"
        config.write_text(yaml.safe_dump({"subscriptions": {"bench": {
            "url": f"http://127.0.0.1:{receiver.server_address[1]}/hooks", "secret_env": SECRET_VARIABLE,
            "types": ["points.issued"], "confirmations": 0, "from_block": 0}}}))
        environment = os.environ | {"POINTS_DATABASE_URL": database_url, "POINTS_WEBHOOKS_FILE": str(config),
                                    SECRET_VARIABLE: secret}
        log = Path(scratch) / "notifier.log"
        notifier = subprocess.Popen([sys.executable, "-m", "notifier", "run"], cwd=REPO_ROOT, env=environment,
                                    stdout=subprocess.DEVNULL, stderr=log.open("w"))
        try:
            deadline = time.monotonic() + 120
            while _received(receiver) == 0:
                if notifier.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the notifier delivered nothing:\n{log.read_text()[-2000:]}")
                time.sleep(0.05)
            started, before = time.perf_counter(), _received(receiver)
            time.sleep(DELIVERY_SECONDS)
            seconds, delivered = time.perf_counter() - started, _received(receiver) - before
        finally:
            notifier.terminate()
            notifier.wait(timeout=60)
            receiver.shutdown()
            receiver.server_close()
    rate = delivered / seconds
    return Measurement("webhook deliveries to a local receiver", f"{rate:,.0f} deliveries/s",
                       f">= {DELIVERY_TARGET}", rate >= DELIVERY_TARGET,
                       note=f"{delivered:,} signed points.issued events over {seconds:.1f} s, one subscription, "
                            "the receiver checking each signature (notifier.receiver)")


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.webhooks_suite")
    parser.add_argument("--db", required=True, help="an indexed database's URL (the notifier writes its state there)")
    row = delivery_measurement(parser.parse_args(argv).db)
    render_measurements_console([row], title="Webhooks", console=Console(width=160))
    return 0 if row.passed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
