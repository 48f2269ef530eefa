"""The FastAPI application: routes under /v1, error handling, CORS and the dashboard at /.

`uvicorn api.app:app` serves the database named by `POINTS_DATABASE_URL`; `create_app` builds an
app for any settings (tests, `python -m api`).
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from api.dashboard import mount_dashboard
from api.database import Database, NotIndexed
from api.live import LiveFeed
from api.models import NUMBERS
from api.routes import accounts, config, exchange, health, merchants, movements, programs, stats, stream, webhooks
from points.manifest import load_manifest
from points.settings import Settings, load_settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()

    database = Database(settings.database_url)
    live_feed = LiveFeed(database)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Read at start-up, not at import (`python -m api.openapi` imports the app): a broken
        # manifest stops the server with its one-line error; a missing one leaves the exchange out.
        if settings.manifest.is_file():
            app.state.exchange = load_manifest(settings.manifest).exchange.address
        live_feed.start()
        try:
            yield
        finally:
            await live_feed.stop()
            database.close()

    app = FastAPI(
        title="Points platform read API",
        version=health.API_VERSION,
        description="Read-only view of an alliance's loyalty points, mirrored from the chain by the indexer.\n\n"
                    + NUMBERS,
        lifespan=lifespan,
    )
    app.state.database = database
    app.state.live_feed = live_feed
    app.state.exchange = None
    app.state.relayer_url = str(settings.relayer_url) if settings.relayer_url else None
    # Routes match in this order, each tried in turn: the account view, the dashboard's busiest
    # request, comes right after the two service routes.
    for module in (health, accounts, config, programs, movements, merchants, exchange, stats, stream, webhooks):
        app.include_router(module.router, prefix="/v1")
    app.add_exception_handler(NotIndexed, _not_indexed)
    app.add_exception_handler(SQLAlchemyError, _database_error)
    if settings.api_cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.api_cors_origins, allow_methods=["GET"],
                           allow_headers=["Last-Event-ID"])
    mount_dashboard(app)
    return app


async def _not_indexed(_request: Request, error: Exception) -> JSONResponse:
    return JSONResponse({"detail": str(error)}, status_code=503)


async def _database_error(_request: Request, error: Exception) -> JSONResponse:
    # The cause is the server's (database down, not yet created by the indexer), never the client's.
    log.error("database error: %s", error)
    return JSONResponse({"detail": "the indexed database is not available; see the API's log"}, status_code=503)


app = create_app()
