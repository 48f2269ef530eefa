"""The notifier's command line (SPEC section 7, docs/operations.md).

    python -m notifier run [--db URL] [--config PATH]
    python -m notifier webhooks list [--db URL] [--config PATH]
    python -m notifier webhooks test NAME
    python -m notifier webhooks replay NAME [--event ID]
    python -m notifier webhooks add NAME --url URL --secret-env VARIABLE [--type TYPE]... [--program ADDRESS]...
                                    [--lead-days N] [--confirmations N] [--max-attempts N] [--timeout S]
                                    [--from-block N]
    python -m notifier webhooks remove NAME
"""

import argparse
import logging
import os
import sys
import time
import uuid
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy import delete, insert, select

from notifier.config import SUBSCRIPTIONS, Subscription, database_row, load_subscriptions
from notifier.queue import Queue
from notifier.sender import post, poster_for
from points.errors import PointsError
from points.settings import Settings, load_settings
from points.webhooks import TEST_EVENT, EventType, event_body

console = Console(stderr=True, soft_wrap=True)


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m notifier", description="Send the chain's events to webhooks.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="deliver events until stopped")
    webhooks = commands.add_parser("webhooks", help="see and manage subscriptions").add_subparsers(
        dest="action", required=True)
    actions = {
        "list": webhooks.add_parser("list", help="subscriptions and their delivery state"),
        "test": webhooks.add_parser("test", help="send a signed webhook.test event now"),
        "replay": webhooks.add_parser("replay", help="send dead deliveries again"),
        "add": webhooks.add_parser("add", help="add a subscription to the database"),
        "remove": webhooks.add_parser("remove", help="remove a subscription from the database"),
    }
    for command in (run, *actions.values()):
        command.add_argument("--db", help="SQLAlchemy database URL (env POINTS_DATABASE_URL)")
        command.add_argument("--config", type=Path, help="subscriptions file (env POINTS_WEBHOOKS_FILE)")
    for name in ("test", "replay", "add", "remove"):
        actions[name].add_argument("name", help="the subscription's name")
    actions["replay"].add_argument("--event", help="only the dead delivery of this event id")
    add = actions["add"]
    add.add_argument("--url", required=True)
    add.add_argument("--secret-env", required=True, help="environment variable holding the signing secret")
    add.add_argument("--type", dest="types", action="append", choices=[kind.value for kind in EventType])
    add.add_argument("--program", dest="programs", action="append", help="a token address (repeatable)")
    add.add_argument("--lead-days", type=int)
    add.add_argument("--confirmations", type=int)
    add.add_argument("--max-attempts", type=int)
    add.add_argument("--timeout", dest="timeout_seconds", type=float)
    add.add_argument("--from-block", type=int)
    return parser.parse_args(argv)


def _subscription(settings: Settings, queue: Queue, name: str) -> Subscription:
    for subscription in load_subscriptions(queue.engine, settings.webhooks_file):
        if subscription.name == name:
            return subscription
    raise PointsError(f"no subscription named {name!r} in {settings.webhooks_file} or the database")


def _list(settings: Settings, queue: Queue) -> None:
    subscriptions = load_subscriptions(queue.engine, settings.webhooks_file)
    states = queue.states()
    table = Table("name", "source", "url", "types", "confirmations", "lead days", "pending", "dead", "delivered",
                  "last error")
    for subscription in subscriptions:
        state = states.get(subscription.name)
        table.add_row(subscription.name, subscription.source, subscription.url, ", ".join(subscription.types),
                      str(subscription.confirmations), str(subscription.lead_days),
                      *(("-", "-", "-", "not started") if state is None else
                        (str(state.pending), str(state.dead), str(state.delivered), state.last_error or "")))
    # Wide enough for one line per subscription when piped (rich assumes 80 columns then).
    Console(width=max(Console().width, 200)).print(table)


def _test(settings: Settings, queue: Queue, name: str) -> int:
    subscription = _subscription(settings, queue, name)
    body = event_body(f"evt_test_{uuid.uuid4().hex}", TEST_EVENT, time.time(), None,
                      {"subscription": subscription.name})
    started = time.perf_counter()
    with poster_for(subscription) as poster:
        error = post(poster, subscription, TEST_EVENT, body)
    seconds = time.perf_counter() - started
    if error is not None:
        console.print(f"[red]failed:[/red] {subscription.name}: {error} after {seconds * 1000:.0f} ms")
        return 1
    console.print(f"delivered a signed {TEST_EVENT} event to {subscription.name} in {seconds * 1000:.0f} ms")
    return 0


def _add(settings: Settings, queue: Queue, arguments: argparse.Namespace) -> None:
    secret = os.environ.get(arguments.secret_env)
    if not secret:
        raise PointsError(f"the environment variable {arguments.secret_env} is not set: put the secret there")
    given = {key: getattr(arguments, key) for key in ("url", "types", "programs", "lead_days", "confirmations",
                                                       "max_attempts", "timeout_seconds", "from_block")}
    try:
        subscription = Subscription(name=arguments.name, secret=secret, source="database",
                                    **{key: value for key, value in given.items() if value is not None})
    except ValidationError as error:
        problem = error.errors()[0]
        field = ".".join(str(part) for part in problem["loc"])
        raise PointsError(f"{field}: {problem['msg'].removeprefix('Value error, ')}") from None
    if any(existing.name == subscription.name for existing in load_subscriptions(queue.engine, settings.webhooks_file)):
        raise PointsError(f"a subscription named {subscription.name!r} exists already")
    with queue.engine.begin() as connection:
        connection.execute(insert(SUBSCRIPTIONS).values(database_row(subscription)))
    console.print(f"added {subscription.name}: a running notifier starts it within seconds")


def _remove(queue: Queue, name: str) -> None:
    with queue.engine.begin() as connection:
        known = connection.execute(select(SUBSCRIPTIONS.c.name).where(SUBSCRIPTIONS.c.name == name)).first()
        if known is None:
            raise PointsError(f"no subscription named {name!r} in the database (a file's are removed from the file)")
        connection.execute(delete(SUBSCRIPTIONS).where(SUBSCRIPTIONS.c.name == name))
    console.print(f"removed {name}; its dead deliveries stay until replayed")


def main(argv: list[str]) -> int:
    arguments = _arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    settings = load_settings(database_url=arguments.db, webhooks_file=arguments.config)
    try:
        if arguments.command == "run":
            from notifier.service import Notifier

            Notifier(settings).run()
            return 0
        queue = Queue(settings.database_url)
        try:
            if queue.head() is None:
                raise PointsError(f"the database {settings.database_url} has no indexed chain yet: run the indexer")
            queue.check_schema()
            if arguments.action == "list":
                _list(settings, queue)
            elif arguments.action == "test":
                return _test(settings, queue, arguments.name)
            elif arguments.action == "replay":
                _subscription(settings, queue, arguments.name)
                count = queue.replay(arguments.name, arguments.event)
                console.print(f"{count} dead deliveries of {arguments.name} are queued again")
            elif arguments.action == "add":
                _add(settings, queue, arguments)
            else:
                _remove(queue, arguments.name)
        finally:
            queue.close()
        return 0
    except PointsError as error:
        console.print(f"[red]error:[/red] {error}")
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
