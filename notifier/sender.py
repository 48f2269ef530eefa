"""One HTTP attempt of a delivery: signed, bounded in time, never following a redirect."""

from chain.http import TRANSPORT_ERRORS, Poster
from notifier.config import Subscription
from notifier.queue import Attempt, Delivery
from points.webhooks import SIGNATURE_HEADER, signature

USER_AGENT = "points-notifier/1"
ERROR_LENGTH = 200
REDIRECTS = frozenset({301, 302, 303, 307, 308})


def poster_for(subscription: Subscription) -> Poster:
    """Keep-alive connections to a subscription's receiver, one per request in flight: other
    subscriptions have their own, so that a slow receiver holds up no other. The proxy settings of
    the environment are ignored: receivers are named by their URLs alone. http.client follows no
    redirect."""
    return Poster(subscription.url, subscription.timeout_seconds, proxies=False)


def post(poster: Poster, subscription: Subscription, event_type: str, body: bytes) -> str | None:
    """Posts a signed body; returns None when the receiver accepted it (a 2xx), else why not."""
    headers = {"User-Agent": USER_AGENT, "X-Points-Event": event_type,
               SIGNATURE_HEADER: signature(subscription.secret, body)}
    try:
        status, _ = poster.send(body, headers)
    except TimeoutError:
        return f"no answer within {subscription.timeout_seconds:g} s"
    except TRANSPORT_ERRORS as error:
        return f"{type(error).__name__}: {str(error)[:ERROR_LENGTH] or 'the request failed'}"
    if 200 <= status < 300:
        return None
    if status in REDIRECTS:
        return f"HTTP {status}: redirects are not followed; subscribe the final URL"
    return f"HTTP {status}"


def attempt(poster: Poster, subscription: Subscription, delivery: Delivery) -> Attempt:
    error = post(poster, subscription, delivery.type, delivery.body)
    return Attempt(delivery, delivered=error is None, error=error)
