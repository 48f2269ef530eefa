"""One HTTP attempt of a delivery: signed, bounded in time, never following a redirect."""

import httpx

from notifier.config import Subscription
from notifier.queue import Attempt, Delivery
from points.webhooks import SIGNATURE_HEADER, signature

USER_AGENT = "points-notifier/1"
ERROR_LENGTH = 200


def client_for(subscription: Subscription, concurrency: int) -> httpx.Client:
    """A client of one subscription: its own connections, so that a slow receiver holds up no other.
    The proxy settings of the environment are ignored: receivers are named by their URLs alone."""
    return httpx.Client(timeout=httpx.Timeout(subscription.timeout_seconds), follow_redirects=False,
                        trust_env=False,
                        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency))


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


def attempt(client: httpx.Client, subscription: Subscription, delivery: Delivery) -> Attempt:
    error = post(client, subscription, delivery.type, delivery.body)
    return Attempt(delivery, delivered=error is None, error=error)
