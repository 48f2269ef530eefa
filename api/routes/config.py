"""What the dashboard's member app and merchant console need to act, beyond the indexed data:
the chain to connect the wallet to, the exchange's address and the relayer's URL."""

from fastapi import APIRouter, HTTPException, Request, Response

from api.dependencies import IndexedDatabase
from api.models import AppConfig
from api.queries import CHECKPOINT_ROW
from api.responses import validated

router = APIRouter(tags=["service"])


@router.get("/config", response_model=AppConfig)
async def config(request: Request, db: IndexedDatabase) -> Response:
    """The chain id of the indexed deployment, its exchange and the relayer that the API was told of
    (`POINTS_RELAYER_URL`); 503 until the indexer has written its first batch."""
    row = await db.read(lambda reader: reader.first(CHECKPOINT_ROW, {}))
    if row is None:
        raise HTTPException(503, "the indexer has not recorded the chain yet")
    return validated(AppConfig, {"chain_id": row["chain_id"], "exchange": request.app.state.exchange,
                                 "relayer_url": request.app.state.relayer_url})
