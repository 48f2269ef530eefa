"""The indexer's command line (SPEC section 4).

    python -m indexer run [--follow] [--manifest PATH] [--db URL] [--rpc URL] [--confirmations N] [--no-webhooks]
    python -m indexer verify [--manifest PATH] [--db URL] [--rpc URL]
    python -m indexer migrate [--db URL]
"""

import argparse
import logging
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from chain.rpc import RpcClient
from indexer import PeriodicCollector
from indexer.reader import LogReader
from points.errors import PointsError
from points.manifest import load_manifest
from points.settings import load_settings

if TYPE_CHECKING:
    from indexer.follower import Follower
    from indexer.follower import Progress as BatchProgress

# Rich wraps at 80 columns when stderr is not a terminal; an error or a mismatch must stay one
# line in logs and pipes, for whoever greps them.
console = Console(stderr=True, soft_wrap=True)


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m indexer", description="Mirror the points contracts into SQL.")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("run", "index the deployment's events"), ("verify", "compare the database with the chain"),
                            ("migrate", "upgrade the database's schema to this indexer's")):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--manifest", type=Path, help="deployment manifest (env POINTS_MANIFEST)")
        command.add_argument("--db", help="SQLAlchemy database URL (env POINTS_DATABASE_URL)")
        command.add_argument("--rpc", help="JSON-RPC URL (env POINTS_RPC_URL)")
        if name == "run":
            command.add_argument("--follow", action="store_true", help="keep following the chain's head")
            command.add_argument("--confirmations", type=int,
                                 help="index only blocks this deep (env POINTS_CONFIRMATIONS)")
            command.add_argument("--no-webhooks", dest="webhooks", action="store_false", default=None,
                                 help="write no webhook outbox (env POINTS_WEBHOOKS=false)")
    return parser.parse_args(argv)


def _run(follower: "Follower", follow: bool, collector: PeriodicCollector) -> None:
    head = follower.rpc.block_number()
    backlog = max(0, head - follower.confirmations - follower.next_block + 1)
    started = time.perf_counter()
    totals = {"events": 0}
    with Progress(
        TextColumn("indexing"), BarColumn(), TextColumn("block {task.completed:,.0f}/{task.total:,.0f}"),
        TextColumn("{task.fields[rate]:,.0f} events/s"), TimeElapsedColumn(), console=console,
        disable=backlog == 0 or not console.is_terminal,
    ) as progress:
        task = progress.add_task("backfill", total=backlog, rate=0.0)
        first = follower.next_block

        def report(batch: "BatchProgress") -> None:
            collector.tick()
            totals["events"] += batch.events
            if progress.finished or batch.indexed_block >= head:
                logging.getLogger("indexer").info("event=batch indexed_block=%d chain_head=%d events=%d seconds=%.3f",
                             batch.indexed_block, batch.chain_head, batch.events, batch.seconds)
            elapsed = time.perf_counter() - started
            progress.update(task, completed=min(backlog, batch.indexed_block - first + 1),
                            rate=totals["events"] / elapsed if elapsed else 0.0)

        follower.on_batch = report
        follower.run(follow=follow)
    elapsed = time.perf_counter() - started
    console.print(f"indexed {totals['events']:,} events up to block {follower.next_block - 1:,} in {elapsed:.1f} s")


def _unreachable_database(error: Exception) -> str | None:
    """The first line of the driver's reason when `error` says the database server is down, refuses
    the login or the file cannot be opened; None for any other error. SQLAlchemy is imported only
    here, where it is loaded already: the indexer starts its log reader before the slow imports."""
    from sqlalchemy.exc import OperationalError

    if not isinstance(error, OperationalError):
        return None
    return str(error.orig).strip().splitlines()[0]


def _without_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main(argv: list[str]) -> int:
    arguments = _arguments(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    settings = load_settings(manifest=arguments.manifest, database_url=arguments.db, rpc_url=arguments.rpc,
                             confirmations=getattr(arguments, "confirmations", None),
                             webhooks=getattr(arguments, "webhooks", None))
    rpc = RpcClient.from_settings(settings)
    reader: LogReader | None = None
    store = None
    locks = ExitStack()
    try:
        manifest = load_manifest(settings.manifest) if arguments.command != "migrate" else None
        if arguments.command == "run":
            assert manifest is not None
            reader = LogReader(rpc, manifest.contract_addresses())
        # Imported once the log reader has started: they are slow to import, and the reader's
        # own start runs meanwhile instead of inside the backfill.
        from indexer.follower import Follower
        from indexer.lock import writer_lock
        from indexer.outbox import OutboxWriter
        from indexer.store import Store
        from indexer.verify import require_database_file, verify

        if arguments.command == "verify":
            require_database_file(settings.database_url)
        else:
            locks.enter_context(writer_lock(settings.database_url))
        store = Store(settings.database_url)
        if arguments.command == "migrate":
            before, after = store.migrate()
            console.print(f"schema revision {before} -> {after}")
            return 0
        if arguments.command == "verify":
            assert manifest is not None
            verification = verify(store, rpc, manifest)
            for difference in verification.differences:
                console.print(f"[red]mismatch[/red] {difference}")
            console.print(f"compared {verification.compared:,} values at block {verification.block:,}: "
                          f"{len(verification.differences)} differ")
            return 1 if verification.differences else 0
        collector = PeriodicCollector()  # before the state loads, which allocates as much as indexing
        assert reader is not None and manifest is not None  # made above for `run`, the only command left here
        outbox = OutboxWriter(settings.webhook_low_stock) if settings.webhooks else None
        follower = Follower(manifest, rpc, store, reader, confirmations=settings.confirmations, outbox=outbox)
        follower.start()
        try:
            _run(follower, arguments.follow, collector)
        finally:
            follower.close()
        return 0
    except PointsError as error:
        console.print(f"[red]error:[/red] {error}")
        return 2
    except Exception as error:
        if (reason := _unreachable_database(error)) is None:
            raise
        console.print(f"[red]error:[/red] cannot open database {_without_password(settings.database_url)}: {reason}")
        return 2
    except KeyboardInterrupt:
        console.print("stopped; the database is at the last committed batch")
        return 0
    finally:
        if reader is not None:
            reader.close()
        rpc.close()
        if store is not None:
            store.close()
        locks.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
