"""One subscription's deliveries, on a thread of their own.

Each round takes the confirmed events into deliveries, queues the `points.expiring` notices due,
then sends the due deliveries (at most one per account, so that an account's events arrive in
order) side by side, and records what became of each. A slow or failing receiver holds up its own
lane only: the indexer and other subscriptions never wait for it.
"""

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from sqlalchemy.exc import SQLAlchemyError

from notifier.config import Subscription
from notifier.queue import NOTICES_PER_SCAN, Attempt, Delivery, Head, Queue
from notifier.sender import attempt, poster_for

log = logging.getLogger("notifier")

# Deliveries a round sends, per request that may be in flight at once.
ROUND_PER_CONCURRENT = 4
# Expiring notices are looked for when the indexed block changed, at most this often.
EXPIRING_SCAN_SECONDS = 1.0


class Lane(threading.Thread):
    def __init__(self, subscription: Subscription, queue: Queue, *, concurrency: int, poll_seconds: float,
                 longest_backoff: float) -> None:
        super().__init__(name=f"lane-{subscription.name}", daemon=True)
        self.subscription = subscription
        self.queue = queue
        self.concurrency = concurrency
        self.poll_seconds = poll_seconds
        self.longest_backoff = longest_backoff
        self.stopping = threading.Event()
        self._started_cursor = False
        self._scanned: tuple[int, float] = (-1, 0.0)

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        with poster_for(self.subscription) as poster, \
                ThreadPoolExecutor(self.concurrency, thread_name_prefix=self.name) as pool:
            while not self.stopping.is_set():
                try:
                    busy = self.round(lambda delivery: pool.submit(attempt, poster, self.subscription, delivery))
                except SQLAlchemyError as error:
                    log.warning("event=database_error subscription=%s error=%s", self.subscription.name,
                                str(error.orig if hasattr(error, "orig") else error).splitlines()[0])
                    busy = False
                if not busy:
                    self.stopping.wait(self.poll_seconds)

    def round(self, submit: Callable[[Delivery], "Future[Attempt]"]) -> bool:
        """One round; returns whether there was anything to do."""
        head = self.queue.head()
        if head is None:
            return False
        if not self._started_cursor:
            self.queue.start(self.subscription, head)
            self._started_cursor = True
        taken = self.queue.dispatch(self.subscription, head)
        self._scan_expiring(head)
        due = self.queue.due(self.subscription, self.concurrency * ROUND_PER_CONCURRENT)
        if not due:
            return taken > 0
        held = self.queue.still_expiring(due)
        attempts: list[Attempt] = []
        futures = []
        for delivery in due:
            if delivery.type == "points.expiring" and delivery.id not in held:
                attempts.append(Attempt(delivery, delivered=False, cancelled=True,
                                        error="the points were spent or expired before the notice was sent"))
            else:
                futures.append(submit(delivery))
        attempts += [future.result() for future in futures]
        self.queue.record(self.subscription, attempts, self.longest_backoff)
        for outcome in attempts:
            if outcome.error and not outcome.cancelled:
                log.warning("event=attempt_failed subscription=%s id=%s attempt=%d error=%s", self.subscription.name,
                            outcome.delivery.event_id, outcome.delivery.attempts + 1, outcome.error)
        log.info("event=round subscription=%s delivered=%d failed=%d", self.subscription.name,
                 sum(outcome.delivered for outcome in attempts), sum(not outcome.delivered for outcome in attempts))
        return True

    def _scan_expiring(self, head: Head) -> None:
        if "points.expiring" not in self.subscription.types:
            return
        block, at = self._scanned
        if block == head.block or time.monotonic() - at < EXPIRING_SCAN_SECONDS:
            return
        queued = self.queue.queue_expiring(self.subscription, head)
        # A scan that stopped at its limit goes on at the next round, whatever the block.
        self._scanned = (head.block if queued < NOTICES_PER_SCAN else -1, time.monotonic())
        if queued:
            log.info("event=expiring_queued subscription=%s notices=%d", self.subscription.name, queued)
