"""Query and path parameters shared by the routes, validated before a route runs.

A value that fails here is a 422 naming the parameter and what is wrong with it.
"""

from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated

from eth_utils import to_checksum_address
from fastapi import Query
from pydantic import AfterValidator, StringConstraints

from database.kinds import MovementKind
from points.alliance import PROGRAM_KEY_PATTERN

ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000

# The checksum is a keccak hash; dashboards ask about the same few accounts again and again.
checksummed = lru_cache(maxsize=65_536)(to_checksum_address)

# Accepted in any case (wallets and block explorers differ), always answered checksummed.
Address = Annotated[
    str,
    StringConstraints(pattern=ADDRESS_PATTERN),
    AfterValidator(checksummed),
]

# A program is named by its token address or by its key in the manifest (see points.alliance.PROGRAM_KEY).
PROGRAM_REFERENCE_PATTERN = rf"^(0x[0-9a-fA-F]{{40}}|{PROGRAM_KEY_PATTERN.strip('^$')})$"
ProgramReference = Annotated[str, StringConstraints(pattern=PROGRAM_REFERENCE_PATTERN)]


def is_address(text: str) -> bool:
    return len(text) == 42 and text.startswith("0x")


Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"items per page, at most {MAX_LIMIT}")]
Cursor = Annotated[
    str | None,
    Query(max_length=512, description="`next_cursor` of the previous page; absent for the first page"),
]

# Only YYYY-MM-DD: pydantic's `date` would also take unix times and datetimes, which a client
# most likely sent by mistake. The text is validated, and the route receives the `date` made of it.
if TYPE_CHECKING:
    Day = date
else:
    Day = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"), AfterValidator(date.fromisoformat)]

KindFilter = Annotated[MovementKind | None, Query(description="only movements of this kind")]
