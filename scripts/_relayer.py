"""Hands a signed redemption to a relayer (`python -m relayer`) instead of sending it from this machine."""

import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click
import httpx

from points.errors import PointsError
from points.signing import SignedRedemption

P = ParamSpec("P")
R = TypeVar("R")

FINAL = ("mined", "confirmed", "failed")
WAIT_SECONDS = 120.0


def relayer_option() -> Callable[[Callable[P, R]], Callable[P, R]]:
    return click.option("--relayer", "relayer_url", default=None, metavar="URL",
                        help="post to this relayer (e.g. http://127.0.0.1:8100), which pays the gas")


def submit_redemption(url: str, redemption: SignedRedemption, wait: bool = True) -> dict[str, str]:
    """Posts to `url`'s `/v1/redemptions`; with `wait`, follows the request until it is mined or failed."""
    body = {"token": redemption.token, "holder": redemption.holder, "reward_id": redemption.reward_id,
            "quantity": redemption.quantity, "max_points": redemption.max_points, "deadline": redemption.deadline,
            "signature": redemption.signature}
    base = url.rstrip("/")
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            response = client.post("/v1/redemptions", json=body)
            accepted = _answer(response)
            click.echo(f"  the relayer queued it as {accepted['id']}: {base}/v1/redemptions/{accepted['id']}")
            status = accepted
            deadline = time.monotonic() + WAIT_SECONDS
            while wait and status["status"] not in FINAL and time.monotonic() < deadline:
                time.sleep(0.5)
                status = _answer(client.get(f"/v1/redemptions/{accepted['id']}"))
    except httpx.HTTPError as error:
        raise PointsError(f"cannot reach the relayer at {base}: {error}") from None
    if status["status"] == "failed":
        raise PointsError(f"the relayer could not redeem it: {status['reason']}")
    return status


def _answer(response: httpx.Response) -> dict[str, str]:
    try:
        payload = response.json()
    except ValueError:
        payload = {"detail": response.text[:200]}
    if response.status_code >= 400:
        raise PointsError(f"the relayer refused it ({response.status_code}): {payload.get('detail')}")
    return dict(payload)
