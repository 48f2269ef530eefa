"""A request the relayer will not queue, with the HTTP status that says whose move it is."""

from points.errors import PointsError

BAD_REQUEST = 422
"""The request is wrong, or the chain would refuse it: change it (sign again)."""
FORBIDDEN = 403
"""This relayer does not serve it (another merchant's reward)."""
CONFLICT = 409
"""The signature is already queued."""
TOO_MANY = 429
"""Over a rate or pending limit: retry later."""
UNAVAILABLE = 503
"""The relayer cannot pay now (balance, budget) or cannot reach the chain."""


class Refused(PointsError):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)
