"""The relayer's HTTP routes (SPEC section 6), CORS and a bound on request bodies.

Every error is `{"detail": "<one line>"}`: 422 for a request to change (the chain would refuse it), 403
for one this relayer does not serve, 404 for an unknown id, 409 for a signature already queued, 413 for
a body over the limit, 429 over a rate or pending limit, 503 when the relayer cannot pay or reach the
chain. Nothing a client sends yields a 500.
"""

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from chain.rpc import RpcClient, RpcError, RpcUnavailable
from points.errors import PointsError
from points.settings import Settings
from relayer.bodies import Accepted, ExchangeBody, Health, Problem, RedemptionBody, RequestStatus
from relayer.checks import Checked, Checker, new_row
from relayer.errors import Refused
from relayer.models import Kind, Status
from relayer.store import Duplicate, Store

log = logging.getLogger(__name__)

VERSION = "1"
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem, "description": description} for status, description in (
        (403, "not a request this relayer serves"), (409, "the signature is already queued"),
        (413, "the body is too large"), (422, "the chain would refuse it, or it is malformed"),
        (429, "over a rate or pending limit"), (503, "the relayer cannot pay or cannot reach the chain"))
}


@dataclass
class Services:
    settings: Settings
    store: Store
    checker: Checker
    rpc: RpcClient
    address: str
    wake: Callable[[], None]
    """Tells a worker in this process that a request is queued."""


def create_app(services: Services) -> FastAPI:
    app = FastAPI(title="Points relayer", version=VERSION, responses=ERRORS,
                  description="Submits customers' signed redemptions and exchanges, paying the gas.")
    store, checker = services.store, services.checker

    # The busy routes answer with their JSON built here: FastAPI's validation of a response model
    # took as long as the rest of a status read. `response_model` still documents them.

    def queue(checked: Checked, request: Request) -> Response:
        request_id = uuid.uuid4().hex
        try:
            store.add(new_row(checked, request_id, _client(request)))
        except Duplicate as error:
            raise Refused(409, str(error)) from None
        services.wake()
        return _json({"id": request_id, "status": Status.QUEUED.value}, status_code=202)

    @app.post("/v1/redemptions", status_code=202, response_model=Accepted, tags=["redemptions"])
    def post_redemption(body: RedemptionBody, request: Request) -> Response:
        """Checks a signed redemption as the chain would and queues it; the worker sends `redeem_with_sig`."""
        return queue(checker.redemption(body, _client(request)), request)

    @app.post("/v1/exchanges", status_code=202, response_model=Accepted, tags=["exchanges"])
    def post_exchange(body: ExchangeBody, request: Request) -> Response:
        """Checks a signed exchange as the chain would and queues it; the worker sends `exchange_with_sig`."""
        return queue(checker.exchange(body, _client(request)), request)

    def status_of(request_id: str, kind: Kind) -> Response:
        row = store.get(request_id) if len(request_id) <= 32 else None
        if row is None or row["kind"] != kind:
            raise HTTPException(404, f"no {kind.value} {request_id!r} here")
        return _json({"id": row["id"], "status": Status(row["status"]).public,
                      "tx_hash": row["tx_hash"] if row["status"] != Status.SIGNED else None,
                      "block_number": row["block_number"], "reason": row["reason"]})

    async def status_response(request_id: str, kind: Kind) -> Response:
        """Clients poll these many times a second. A SQLite read by primary key (a tenth of a
        millisecond, no network) runs on the event loop: handing it to a thread and back cost more
        than the read. A PostgreSQL read waits on the network, in a thread."""
        if store.is_sqlite:
            return status_of(request_id, kind)
        return await run_in_threadpool(status_of, request_id, kind)

    @app.get("/v1/redemptions/{request_id}", response_model=RequestStatus, tags=["redemptions"])
    async def get_redemption(request_id: str) -> Response:
        return await status_response(request_id, Kind.REDEMPTION)

    @app.get("/v1/exchanges/{request_id}", response_model=RequestStatus, tags=["exchanges"])
    async def get_exchange(request_id: str) -> Response:
        return await status_response(request_id, Kind.EXCHANGE)

    @app.get("/v1/health", response_model=Health, tags=["health"])
    def health() -> Health:
        settings = services.settings
        depth, oldest = store.queue_summary()
        try:
            balance: int | None = int(services.rpc.call("eth_getBalance", (services.address, "latest")), 16)
        except PointsError:
            balance = None
        status = ("chain_unavailable" if balance is None else
                  "low_balance" if balance < settings.relayer_min_balance_wei else "ok")
        return Health(status=status, address=services.address, balance=None if balance is None else str(balance),
                      min_balance=str(settings.relayer_min_balance_wei), chain_id=checker.deployment.chain_id,
                      queue_depth=depth, oldest_pending_seconds=None if oldest is None else time.time() - oldest)

    app.add_exception_handler(PointsError, _refused)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(SQLAlchemyError, _database_error)
    if services.settings.relayer_cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=services.settings.relayer_cors_origins,
                           allow_methods=["GET", "POST"], allow_headers=["Content-Type"])
    app.add_middleware(BodyLimit, limit=services.settings.relayer_max_body_bytes)
    return app


def _json(content: dict[str, Any], status_code: int = 200) -> Response:
    return Response(orjson.dumps(content), status_code=status_code, media_type="application/json")


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _refused(_request: Request, error: Exception) -> JSONResponse:
    """A refusal with its status; the chain unreachable is 503; any other problem is the request's."""
    if isinstance(error, Refused):
        status = error.status
    elif isinstance(error, RpcUnavailable | RpcError):
        status = 503
    else:
        status = 422
    return JSONResponse({"detail": str(error)}, status_code=status)


async def _invalid(_request: Request, error: Exception) -> JSONResponse:
    """The first problem as one line: `field: what is wrong`."""
    assert isinstance(error, RequestValidationError)
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"] if part != "body") or "body"
    message = str(problem["msg"]).removeprefix("Value error, ")
    return JSONResponse({"detail": f"{where}: {message}"}, status_code=422)


async def _database_error(_request: Request, error: Exception) -> JSONResponse:
    log.error("database error: %s", error)
    return JSONResponse({"detail": "the relayer's database is not available; see its log"}, status_code=503)


class BodyLimit:
    """Refuses a body over `limit` bytes with 413, by its Content-Length or, when streamed, as it arrives."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._too_large(send)
            return
        received = 0

        async def bounded() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.limit:
                raise _TooLarge
            return message

        try:
            await self.app(scope, bounded, send)
        except _TooLarge:
            await self._too_large(send)

    async def _too_large(self, send: Send) -> None:
        response = JSONResponse({"detail": f"the body is over {self.limit:,} bytes"}, status_code=413)
        await response({"type": "http"}, _no_body, send)


class _TooLarge(Exception):
    pass


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}

