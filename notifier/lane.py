"""One subscription's deliveries, on a thread of their own.

The lane keeps its sending threads busy: it hands them due deliveries, up to `OUT_PER_SENDER` per
thread at once, and whenever half of those have come back it records what became of them, in one
transaction, and hands out more. The senders thus never wait for the database or for the slowest
request of a batch. When it has nothing left to hand out, the lane takes the confirmed events into
deliveries, queues the `points.expiring` notices due, and reads the next due deliveries.

An account has at most one delivery out at a time, its oldest pending one, and its next one is due
only once that one is recorded, so that an account's events arrive in order. A slow or failing
receiver holds up its own lane only: the indexer and other subscriptions never wait for it.
"""

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from queue import Empty, SimpleQueue

from sqlalchemy.exc import SQLAlchemyError

from notifier.config import Subscription
from notifier.queue import NOTICES_PER_SCAN, Attempt, Delivery, Head, Queue
from notifier.sender import attempt, poster_for

log = logging.getLogger("notifier")

# Deliveries out at once (sent or being sent, not yet recorded), per sending thread: what a
# notifier killed at any moment sends again when it restarts.
OUT_PER_SENDER = 4
# Due deliveries read at once, per sending thread: one query of the queue serves several handouts.
READ_PER_SENDER = 16
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
        self._most_out = concurrency * OUT_PER_SENDER
        # Read and due, not yet handed out.
        self._ready: deque[Delivery] = deque()
        # The ids of the deliveries out: handed to a sender and not yet recorded.
        self._out: set[int] = set()
        # Attempts that came back (or were cancelled), not yet recorded.
        self._returned: list[Attempt] = []
        self._finished: SimpleQueue[Future[Attempt]] = SimpleQueue()

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        with poster_for(self.subscription) as poster, \
                ThreadPoolExecutor(self.concurrency, thread_name_prefix=self.name) as pool:

            def submit(delivery: Delivery) -> None:
                pool.submit(attempt, poster, self.subscription, delivery).add_done_callback(self._finished.put)

            busy = True
            while not self.stopping.is_set():
                try:
                    busy = self.step(submit, wait=not busy)
                except SQLAlchemyError as error:
                    _log_database_error(self.subscription, error)
                    busy = False
                    self.stopping.wait(self.poll_seconds)
                    continue
                # With deliveries out, the next step waits for one of them to come back instead.
                if not busy and not self._out:
                    self.stopping.wait(self.poll_seconds)
        self._settle()

    def step(self, submit: Callable[[Delivery], None], *, wait: bool) -> bool:
        """Records what came back and, unless stopping, hands out more; returns whether it did
        either. With `wait`, waits (a poll interval at most) for an attempt to come back first."""
        self._collect(wait)
        recorded = self._record()
        if self.stopping.is_set() or len(self._out) - len(self._returned) > self._most_out // 2:
            return recorded
        read = 0 if self._ready else self._read()
        return self._hand_out(submit) or recorded or read > 0

    def _collect(self, wait: bool) -> None:
        """Takes the attempts that came back, waiting while more than half of the most out are out."""
        while True:
            outstanding = len(self._out) - len(self._returned)
            block = outstanding > 0 and (wait or outstanding > self._most_out // 2)
            try:
                future = self._finished.get(block=block, timeout=self.poll_seconds)
            except Empty:
                return
            wait = False
            self._returned.append(future.result())

    def _record(self) -> bool:
        if not self._returned:
            return False
        attempts = self._returned
        self.queue.record(self.subscription, attempts, self.longest_backoff)
        self._returned = []
        self._out.difference_update(outcome.delivery.id for outcome in attempts)
        for outcome in attempts:
            if outcome.error and not outcome.cancelled:
                log.warning("event=attempt_failed subscription=%s id=%s attempt=%d error=%s", self.subscription.name,
                            outcome.delivery.event_id, outcome.delivery.attempts + 1, outcome.error)
        log.info("event=recorded subscription=%s delivered=%d failed=%d", self.subscription.name,
                 sum(outcome.delivered for outcome in attempts), sum(not outcome.delivered for outcome in attempts))
        return True

    def _read(self) -> int:
        """Takes events into deliveries and reads the due ones; returns how many of either."""
        head = self.queue.head()
        if head is None:
            return 0
        if not self._started_cursor:
            self.queue.start(self.subscription, head)
            self._started_cursor = True
        taken = self.queue.dispatch(self.subscription, head)
        self._scan_expiring(head)
        # The oldest pending delivery of an account with one out is that one: read past them.
        due = self.queue.due(self.subscription, self.concurrency * READ_PER_SENDER + len(self._out))
        self._ready.extend(delivery for delivery in due if delivery.id not in self._out)
        return taken + len(self._ready)

    def _hand_out(self, submit: Callable[[Delivery], None]) -> bool:
        room = self._most_out - len(self._out)
        batch = [self._ready.popleft() for _ in range(min(room, len(self._ready)))]
        held = self.queue.still_expiring(batch)
        for delivery in batch:
            self._out.add(delivery.id)
            if delivery.type == "points.expiring" and delivery.id not in held:
                self._returned.append(Attempt(delivery, delivered=False, cancelled=True,
                                              error="the points were spent or expired before the notice was sent"))
            else:
                submit(delivery)
        return bool(batch)

    def _settle(self) -> None:
        """Records the attempts that came back after the last step, so that a restart does not send
        them again; the senders have stopped."""
        try:
            self._collect(wait=False)
            self._record()
        except SQLAlchemyError as error:
            _log_database_error(self.subscription, error)

    def _scan_expiring(self, head: Head) -> None:
        if "points.expiring" not in self.subscription.types:
            return
        block, at = self._scanned
        if block == head.block or time.monotonic() - at < EXPIRING_SCAN_SECONDS:
            return
        queued = self.queue.queue_expiring(self.subscription, head)
        # A scan that stopped at its limit goes on at the next read, whatever the block.
        self._scanned = (head.block if queued < NOTICES_PER_SCAN else -1, time.monotonic())
        if queued:
            log.info("event=expiring_queued subscription=%s notices=%d", self.subscription.name, queued)


def _log_database_error(subscription: Subscription, error: SQLAlchemyError) -> None:
    log.warning("event=database_error subscription=%s error=%s", subscription.name,
                str(error.orig if hasattr(error, "orig") else error).splitlines()[0])
