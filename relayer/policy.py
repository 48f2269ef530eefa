"""The merchant's limits on what its relayer pays for, on top of what the chain allows."""

import threading
import time
from collections import deque

from points import preconditions
from points.errors import PointsError
from points.preconditions import utc
from points.settings import Settings
from relayer.errors import BAD_REQUEST, TOO_MANY, UNAVAILABLE, Refused
from relayer.store import Row, Store

WINDOW_SECONDS = 60.0
# Past this many tracked keys, the idle ones are forgotten, so a flood of addresses cannot grow memory.
MAX_TRACKED_KEYS = 50_000
ETHER = 10**18
SPENT_CACHE_SECONDS = 1.0


class RateLimiter:
    """At most `per_minute` hits per key in any 60 seconds, kept in memory: per process, and reset by a
    restart (the pending limits, kept in the database, are not)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, now: float) -> bool:
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - WINDOW_SECONDS:
                hits.popleft()
            if len(hits) >= self.per_minute:
                return False
            hits.append(now)
            if len(self._hits) > MAX_TRACKED_KEYS:
                self._forget_idle(now)
            return True

    def _forget_idle(self, now: float) -> None:
        for key in [key for key, hits in self._hits.items() if not hits or hits[-1] <= now - WINDOW_SECONDS]:
            del self._hits[key]


class Policy:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.limiter = RateLimiter(settings.relayer_requests_per_minute)
        self._lock = threading.Lock()
        self._spent = 0
        self._spent_read_at = -SPENT_CACHE_SECONDS

    def admit(self, signer: str, client: str) -> list[Row]:
        """Rates, pending counts and the day's gas budget: what is checked before the chain is asked.
        Returns the signer's pending requests (`Store.pending`), which the checks read too."""
        now = time.time()
        settings = self.settings
        if not self.limiter.allow(f"client:{client}", now):
            raise Refused(TOO_MANY, f"more than {settings.relayer_requests_per_minute} requests a minute from "
                                    f"{client}: retry in a minute")
        if not self.limiter.allow(f"signer:{signer}", now):
            raise Refused(TOO_MANY, f"more than {settings.relayer_requests_per_minute} requests a minute for "
                                    f"{signer}: retry in a minute")
        pending, by_client = self.store.pending(signer, client)
        if (by_signer := len(pending)) >= settings.relayer_pending_per_holder:
            raise Refused(TOO_MANY, f"{signer} has {by_signer} requests waiting to be mined, the most this "
                                    "relayer takes: retry once one is mined")
        if by_client >= settings.relayer_pending_per_client:
            raise Refused(TOO_MANY, f"{client} has {by_client} requests waiting to be mined, the most this "
                                    "relayer takes: retry once one is mined")
        if (spent := self._spent_today(now)) >= settings.relayer_daily_budget_wei:
            budget = settings.relayer_daily_budget_wei / ETHER
            raise Refused(UNAVAILABLE, f"the relayer has spent its gas budget for today ({spent / ETHER:.6f} of "
                                       f"{budget:.6f} ETH): retry after midnight UTC")
        return pending

    def _spent_today(self, now: float) -> int:
        """The day's spending, read at most once a second: it moves by a transaction's cost at a time."""
        with self._lock:
            if now - self._spent_read_at >= SPENT_CACHE_SECONDS:
                self._spent, self._spent_read_at = self.store.spent_today(now), now
            return self._spent

    def check_deadline(self, deadline: int, chain_time: int) -> None:
        settings = self.settings
        try:
            preconditions.check_deadline(deadline, chain_time)
        except PointsError as error:
            raise Refused(BAD_REQUEST, str(error)) from None
        if deadline < chain_time + settings.relayer_min_deadline_seconds:
            raise Refused(BAD_REQUEST, f"the deadline {utc(deadline)} leaves less than "
                                       f"{settings.relayer_min_deadline_seconds} s to mine it: sign with a later one")
        if deadline > (latest := chain_time + settings.relayer_max_deadline_seconds):
            raise Refused(BAD_REQUEST, f"the deadline {utc(deadline)} is more than "
                                       f"{settings.relayer_max_deadline_seconds} s away; this relayer takes "
                                       f"signatures valid until {utc(latest)} at most: sign with an earlier one")

    def check_balance(self, balance: int) -> None:
        if balance < self.settings.relayer_min_balance_wei:
            raise Refused(UNAVAILABLE, "the relayer's balance is below its minimum, so it takes no new requests "
                                       "until its operator funds it")
