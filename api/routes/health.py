"""How far the indexed database is behind the chain, and what this API serves."""

from fastapi import APIRouter, Response
from sqlalchemy.exc import DBAPIError

from api.database import NotIndexed
from api.dependencies import IndexedDatabase
from api.models import Health, Version
from api.queries import CHECKPOINT_ROW
from api.responses import validated
from api.timestamps import utc
from database.versions import head_revision

router = APIRouter(tags=["service"])
API_VERSION = "1"
# The indexer writes a batch per block when following; a few blocks of lag is normal.
BEHIND_AFTER_BLOCKS = 5
_SCHEMA_REVISION = head_revision()


@router.get("/health", response_model=Health)
async def health(db: IndexedDatabase) -> Response:
    """The indexed block, the chain head the indexer last saw, and the lag between them.

    Answers 200 even before the indexer has written anything, with status `not_indexed`, so that
    monitoring can tell a starting system from a broken one.
    """
    try:
        row = await db.read(lambda reader: reader.first(CHECKPOINT_ROW, {}))
    except NotIndexed:
        row = None
    except DBAPIError as error:
        if not _schema_missing(error):
            raise
        row = None
    if row is None:
        return validated(Health, {"status": "not_indexed", "indexed_block": None, "indexed_time": None,
                                  "chain_head": None, "lag_blocks": None})
    # Negative when the node the indexer reads is behind the indexed block (a lagging node, or a
    # chain that went back and has not grown again): the indexer waits for it, and so does the data.
    # The docstring stays as it is: it is the OpenAPI description, which the dashboard's types copy.
    lag = row["chain_head"] - row["indexed_block"]
    return validated(Health, {
        "status": "ok" if 0 <= lag <= BEHIND_AFTER_BLOCKS else "behind", "indexed_block": row["indexed_block"],
        "indexed_time": utc(row["indexed_timestamp"]), "chain_head": row["chain_head"], "lag_blocks": lag})


def _schema_missing(error: DBAPIError) -> bool:
    """The indexer has opened the database but not created its tables yet: SQLite says "no such
    table", PostgreSQL SQLSTATE 42P01 (undefined table)."""
    return getattr(error.orig, "sqlstate", None) == "42P01" or "no such table" in str(error.orig)


@router.get("/version", response_model=Version)
async def version() -> Response:
    """The API's version and the database schema revision it reads; touches nothing else."""
    return validated(Version, {"api": API_VERSION, "schema_revision": _SCHEMA_REVISION})
