"""The live feed: each newly indexed movement as a server-sent event.

Each connection polls the database for movements after the last one it sent; the indexer commits
whole batches, so a poll never sees half a block. Event ids are history cursors: a client that
reconnects with `Last-Event-ID` (browsers' EventSource does so by itself) resumes without gaps.
When a reorganisation removes movements already sent, a `reorg` event names the first block to
forget, and the feed continues with the canonical chain's movements from there.
"""

from collections.abc import AsyncIterator
from typing import Annotated, Any

import anyio
import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select, tuple_

from api.database import CHECKPOINT, Database
from api.dependencies import database
from api.models import Movement
from api.pagination import decode_cursor, encode_cursor
from api.params import Address
from api.routes.movements import (
    CURSOR_LIST,
    CURSOR_SHAPE,
    MOVEMENT_COLUMNS,
    MOVEMENT_ORDER,
    MOVEMENTS,
    NAMED_MOVEMENTS,
    movement_item,
)

router = APIRouter(tags=["live"])
POLL_SECONDS = 0.2
HEARTBEAT_SECONDS = 15.0
BATCH_ROWS = 500
Key = tuple[int, int, int]


@router.get("/stream", response_class=StreamingResponse, responses={200: {
    "description": "`text/event-stream`: `movement` events whose data is a Movement, `reorg` events "
                   "whose data is `{\"from_block\": n}`, and comment lines as heartbeats",
    "content": {"text/event-stream": {"schema": Movement.model_json_schema()}},
}})
async def stream(request: Request,
                 program: Annotated[Address | None, Query(description="only this program's movements")] = None,
                 account: Annotated[Address | None, Query(description="only this account's movements")] = None,
                 after: Annotated[str | None, Query(
                     max_length=512, description="start after this movement: a history or movements cursor, or an "
                                                 "event id (a browser's EventSource cannot send a header at first)")] = None,
                 last_event_id: Annotated[str | None, Header(description="resume after this event")] = None,
                 ) -> StreamingResponse:
    """New movements as they are indexed, optionally of one program or one account; from now, or after a
    given movement."""
    start_after = last_event_id or after
    resume = decode_cursor(CURSOR_LIST, start_after, CURSOR_SHAPE) if start_after else None
    feed = _Feed(database(request), program, account)
    start: Key = resume if resume is not None else await anyio.to_thread.run_sync(feed.latest)  # type: ignore[assignment]
    return StreamingResponse(_events(request, feed, start), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


class _Feed:
    def __init__(self, database: Database, program: str | None, account: str | None) -> None:
        self.database = database
        self.filters = [column == value for column, value in ((MOVEMENTS.c.program, program),
                                                               (MOVEMENTS.c.account, account)) if value is not None]
        self.order = MOVEMENT_ORDER

    def latest(self) -> Key:
        with self.database.connect() as connection:
            row = connection.execute(select(*self.order).where(*self.filters)
                                     .order_by(*(column.desc() for column in self.order)).limit(1)).first()
        return (row[0], row[1], row[2]) if row else (-1, -1, -1)

    def after(self, last: Key) -> tuple[int | None, list[dict[str, Any]]]:
        """The indexed block and the movements after `last`, oldest first."""
        with self.database.connect() as connection:
            indexed = connection.execute(select(CHECKPOINT.c.indexed_block)).scalar()
            rows = connection.execute(
                select(*MOVEMENT_COLUMNS, MOVEMENTS.c.seq).select_from(NAMED_MOVEMENTS).where(tuple_(*self.order) > tuple_(*last), *self.filters)
                .order_by(*self.order).limit(BATCH_ROWS)).mappings().all()
        return indexed, [movement_item(row) for row in rows]


async def _events(request: Request, feed: _Feed, last: Key) -> AsyncIterator[bytes]:
    quiet = 0.0
    while not await request.is_disconnected():
        indexed, rows = await anyio.to_thread.run_sync(feed.after, last)
        if indexed is not None and last[0] > indexed:
            # The blocks after `indexed` were rolled back: what was sent from them is void.
            last = (indexed, 2**31, 2**31)
            yield b"event: reorg\ndata: " + orjson.dumps({"from_block": indexed + 1}) + b"\n\n"
            continue
        for row in rows:
            last = (row["block"], row["log_index"], row.pop("seq"))
            event_id = encode_cursor(CURSOR_LIST, last)
            yield (b"id: " + event_id.encode() + b"\nevent: movement\ndata: "
                   + orjson.dumps(Movement.model_validate(row).model_dump(mode="json")) + b"\n\n")
        if rows:
            quiet = 0.0
            continue
        await anyio.sleep(POLL_SECONDS)
        quiet += POLL_SECONDS
        if quiet >= HEARTBEAT_SECONDS:
            quiet = 0.0
            yield b": heartbeat\n\n"
