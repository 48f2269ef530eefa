"""`python -m notifier run`: a lane per subscription, kept in step with the file and the database.

Subscriptions in the database are read again every few seconds, so that `webhooks add` and
`webhooks remove` take effect without a restart; the file is read once, at start. The outbox rows
that every subscription has taken, and that no rollback can reach any more, are deleted now and
then.
"""

import logging
import signal
import threading
import time
from types import FrameType

from notifier.config import Subscription, load_database, load_file, merged
from notifier.lane import Lane
from notifier.queue import Queue
from points.settings import Settings

log = logging.getLogger("notifier")

RELOAD_SECONDS = 5.0
PRUNE_SECONDS = 60.0
# As deep as the indexer's reorganisation window (indexer/store.py): rows within it may still be rolled back.
KEEP_OUTBOX_BLOCKS = 256


class Notifier:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.queue = Queue(settings.database_url)
        self.file_subscriptions = load_file(settings.webhooks_file)
        self.lanes: dict[str, Lane] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._on_signal)
        log.info("event=started subscriptions_in_file=%d file=%s", len(self.file_subscriptions),
                 self.settings.webhooks_file)
        pruned_at = time.monotonic()
        try:
            while not self.stopping.is_set():
                subscriptions = self._subscriptions()
                if subscriptions is not None:
                    self._reconcile(subscriptions)
                    if time.monotonic() - pruned_at > PRUNE_SECONDS and (head := self.queue.head()) is not None:
                        pruned = self.queue.prune_outbox(subscriptions, head, KEEP_OUTBOX_BLOCKS)
                        pruned_at = time.monotonic()
                        if pruned:
                            log.info("event=outbox_pruned rows=%d", pruned)
                self.stopping.wait(RELOAD_SECONDS)
        finally:
            for lane in self.lanes.values():
                lane.stop()
            for lane in self.lanes.values():
                lane.join(timeout=60)
            self.queue.close()

    def _on_signal(self, _signum: int, _frame: FrameType | None) -> None:
        self.stopping.set()

    def _subscriptions(self) -> list[Subscription] | None:
        """Every subscription; None while the indexer has not created the database yet."""
        if self.queue.head() is None:
            log.info("event=waiting reason=the indexer has not written a batch yet")
            return None
        if not self.lanes:
            self.queue.check_schema()
        with self.queue.engine.begin() as connection:
            return merged(self.file_subscriptions, load_database(connection), self.settings.webhooks_file)

    def _reconcile(self, subscriptions: list[Subscription]) -> None:
        """Starts a lane for each new or changed subscription, and stops those of the others."""
        wanted = {subscription.name: subscription for subscription in subscriptions}
        for name, lane in list(self.lanes.items()):
            if wanted.get(name) != lane.subscription:
                lane.stop()
                lane.join(timeout=60)
                del self.lanes[name]
                log.info("event=lane_stopped subscription=%s", name)
        for name, subscription in wanted.items():
            if name not in self.lanes:
                lane = self.lanes[name] = Lane(subscription, self.queue, concurrency=self.settings.webhook_concurrency,
                                               poll_seconds=self.settings.notifier_poll_seconds,
                                               longest_backoff=self.settings.webhook_max_backoff)
                lane.start()
                log.info("event=lane_started subscription=%s source=%s types=%s", name, subscription.source,
                         ",".join(subscription.types))
