"""Mirrors the contracts' events into SQL: `python -m indexer run [--follow]` and `python -m indexer verify`."""

import gc

# A full collection every this many batches (in the indexer) or ranges (in its log reader).
COLLECT_EVERY = 64


class PeriodicCollector:
    """Stands in for the automatic garbage collector: one full collection every COLLECT_EVERY ticks.

    Indexing allocates a few containers per log and keeps a large state, and almost none of it
    forms reference cycles: a whole backfill leaves a few thousand objects in cycles in the
    indexer (SQLAlchemy's transactions among them), and its log reader a few dozen per request
    (httpx's). The automatic collector, even with its thresholds raised far higher, scanned the
    live objects again and again to find them, at a cost in CPU in each process.
    """

    def __init__(self) -> None:
        gc.disable()
        self._ticks = 0

    def tick(self) -> None:
        self._ticks += 1
        if self._ticks % COLLECT_EVERY == 0:
            gc.collect()
