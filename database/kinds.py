"""What the indexer counts: the kinds of movement `movement.kind` holds, and the per-day counters of
`dailystat`. The projector writes them, the schema's columns and the API's models and queries are
derived from them, and the dashboard's types are generated from the API's OpenAPI document.
"""

from enum import StrEnum


class MovementKind(StrEnum):
    """Why an account's points changed."""

    ISSUED = "issued"
    REDEEMED = "redeemed"
    TRANSFERRED = "transferred"
    EXCHANGED = "exchanged"
    REVOKED = "revoked"
    BURNED = "burned"
    EXPIRED = "expired"


class DailyCounter(StrEnum):
    """Points per program and UTC day, by kind of movement; an exchange counts on both programs, as
    points exchanged out of one and exchanged in to the other."""

    ISSUED = "issued"
    REDEEMED = "redeemed"
    EXPIRED = "expired"
    REVOKED = "revoked"
    BURNED = "burned"
    TRANSFERRED = "transferred"
    EXCHANGED_IN = "exchanged_in"
    EXCHANGED_OUT = "exchanged_out"
