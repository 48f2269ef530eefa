"""One HTTP attempt of a delivery: signed, bounded in time, never following a redirect."""

import threading
from types import TracebackType

import httpx

from notifier.config import Subscription
from notifier.queue import Attempt, Delivery
from points.webhooks import SIGNATURE_HEADER, signature

USER_AGENT = "points-notifier/1"
ERROR_LENGTH = 200


def client_for(subscription: Subscription) -> httpx.Client:
    """A client of one connection to a subscription's receiver: clients of other subscriptions have
    their own, so that a slow receiver holds up no other. The proxy settings of the environment are
    ignored: receivers are named by their URLs alone."""
    return httpx.Client(timeout=httpx.Timeout(subscription.timeout_seconds), follow_redirects=False,
                        trust_env=False, limits=httpx.Limits(max_connections=1, max_keepalive_connections=1))


class ThreadClients:
    """A client of one connection per sending thread, for one subscription.

    Threads that share one client queue on its connection pool's lock: with 16 senders, a profile
    of `python -m notifier run` showed them waiting there for 42 % of the samples.
    """

    def __init__(self, subscription: Subscription) -> None:
        self.subscription = subscription
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._lock = threading.Lock()

    def current(self) -> httpx.Client:
        """The calling thread's client, made on its first call."""
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = client_for(self.subscription)
            with self._lock:
                self._clients.append(client)
        return client

    def __enter__(self) -> "ThreadClients":
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        with self._lock:
            for client in self._clients:
                client.close()
            self._clients.clear()


def post(client: httpx.Client, subscription: Subscription, event_type: str, body: bytes) -> str | None:
    """Posts a signed body; returns None when the receiver accepted it (a 2xx), else why not."""
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "X-Points-Event": event_type,
               SIGNATURE_HEADER: signature(subscription.secret, body)}
    try:
        response = client.post(subscription.url, content=body, headers=headers)
    except httpx.TimeoutException:
        return f"no answer within {subscription.timeout_seconds:g} s"
    except httpx.HTTPError as error:
        return f"{type(error).__name__}: {str(error)[:ERROR_LENGTH] or 'the request failed'}"
    if response.is_success:
        return None
    if response.is_redirect:
        return f"HTTP {response.status_code}: redirects are not followed; subscribe the final URL"
    return f"HTTP {response.status_code}"


def attempt(clients: ThreadClients, delivery: Delivery) -> Attempt:
    error = post(clients.current(), clients.subscription, delivery.type, delivery.body)
    return Attempt(delivery, delivered=error is None, error=error)
