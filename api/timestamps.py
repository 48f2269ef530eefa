"""Unix times from the chain, as the timezone-aware datetimes the API returns."""

from datetime import UTC, datetime


def utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)
