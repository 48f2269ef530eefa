"""Commits the indexer's batches on a thread of its own, one at a time and in order.

The database works outside Python's interpreter lock (SQLite's engine, or PostgreSQL's server),
so while one batch is committed the indexer projects the next one instead of waiting. A batch
is encoded before it is handed over, because the projector keeps changing the rows it came from.
Each batch is still one transaction with its checkpoint: a crash loses at most the batch in
flight, which the restart reads again.
"""

import sys
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from indexer.store import BatchWrite, Store

# The writer takes the interpreter lock back after each statement and the commit; the projector
# lets go of it only every switch interval (5 ms by default), which made a batch's few dozen
# statements wait for it longer than SQLite worked on them.
SWITCH_INTERVAL_SECONDS = 0.0005


class BatchWriter:
    def __init__(self, store: Store, chain_id: int) -> None:
        self.store = store
        self.chain_id = chain_id
        sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="indexer-writer")
        self._pending: tuple[Future[None], Callable[[], None] | None] | None = None

    def submit(self, batch: BatchWrite, on_committed: Callable[[], None] | None = None) -> None:
        """Starts committing `batch` once the previous batch is committed; `on_committed` runs in
        the caller's thread, from the `submit` or `wait` that sees the commit done."""
        encoded = self.store.encode(batch)
        self.wait()
        self._pending = (self._thread.submit(self.store.write, encoded, self.chain_id), on_committed)

    def wait(self) -> None:
        """Returns when every batch submitted is committed; raises the error of one that failed."""
        if self._pending is None:
            return
        (commit, on_committed), self._pending = self._pending, None
        commit.result()
        if on_committed is not None:
            on_committed()

    def close(self) -> None:
        """Lets the batch in flight finish, then stops the thread."""
        try:
            self.wait()
        finally:
            self._thread.shutdown()
