"""The live feed: each newly indexed movement as a server-sent event.

Each connection polls the database for movements after the last one it sent; the indexer commits
whole batches, so a poll never sees half a block. Event ids are history cursors: a client that
reconnects with `Last-Event-ID` (browsers' EventSource does so by itself) resumes without gaps.
When a reorganisation removes movements already sent, a `reorg` event names the first block to
forget, and the feed continues with the canonical chain's movements from there.
"""

from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated, Any, cast

import anyio
import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from api.database import Database, Reader
from api.dependencies import PROGRAM_NOT_FOUND, IndexedDatabase, ProgramFilter
from api.models import Movement
from api.movements import CURSOR_LIST, CURSOR_SHAPE, movement_item, movement_key
from api.pagination import decode_cursor, encode_cursor
from api.params import Address
from api.queries import INDEXED_BLOCK, MOVEMENT_KEY, latest_movement_query, movements_after_query

router = APIRouter(tags=["live"])
POLL_SECONDS = 0.2
HEARTBEAT_SECONDS = 15.0
BATCH_ROWS = 500
Key = tuple[int, int, int]


@router.get("/stream", response_class=StreamingResponse, responses={**PROGRAM_NOT_FOUND, 200: {
    "description": "`text/event-stream`: `movement` events whose data is a Movement, `reorg` events "
                   "whose data is `{\"from_block\": n}`, and comment lines as heartbeats",
    "content": {"text/event-stream": {"schema": {"$ref": "#/components/schemas/Movement"}}},
}})
async def stream(request: Request, db: IndexedDatabase,
                 program: ProgramFilter = None,
                 account: Annotated[Address | None, Query(description="only this account's movements")] = None,
                 after: Annotated[str | None, Query(
                     max_length=512, description="start after this movement: a history or movements cursor, or an "
                                                 "event id (a browser's EventSource cannot send a header at first)",
                 )] = None,
                 last_event_id: Annotated[str | None, Header(description="resume after this event")] = None,
                 ) -> StreamingResponse:
    """New movements as they are indexed, optionally of one program or one account; from now, or after a
    given movement."""
    start_after = last_event_id or after
    resume = decode_cursor(CURSOR_LIST, start_after, CURSOR_SHAPE) if start_after else None
    feed = _Feed(db, program, account)
    # decode_cursor checked the key's shape (CURSOR_SHAPE): three ints.
    start = cast(Key, resume) if resume is not None else await db.read(feed.latest)
    return StreamingResponse(_events(request, feed, start), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


class _Feed:
    def __init__(self, database: Database, program: str | None, account: str | None) -> None:
        self.database = database
        self.filters = {name: value for name, value in (("program", program), ("account", account))
                        if value is not None}
        self._latest = latest_movement_query("program" in self.filters, "account" in self.filters)
        self._after = movements_after_query("program" in self.filters, "account" in self.filters)

    def latest(self, reader: Reader) -> Key:
        rows = reader.rows(self._latest, self.filters)
        return (rows[0][0], rows[0][1], rows[0][2]) if rows else (-1, -1, -1)

    def after(self, reader: Reader, last: Key) -> tuple[int | None, list[dict[str, Any]]]:
        """The indexed block and the movements after `last`, oldest first."""
        indexed = reader.rows(INDEXED_BLOCK, {})
        rows = reader.dicts(self._after, {**self.filters, **dict(zip(MOVEMENT_KEY, last, strict=True)),
                                          "limit": BATCH_ROWS})
        return (indexed[0][0] if indexed else None), [movement_item(row) for row in rows]


async def _events(request: Request, feed: _Feed, last: Key) -> AsyncIterator[bytes]:
    quiet = 0.0
    while not await request.is_disconnected():
        indexed, rows = await feed.database.read(partial(feed.after, last=last))
        if indexed is not None and last[0] > indexed:
            # The blocks after `indexed` were rolled back: what was sent from them is void.
            last = (indexed, 2**31, 2**31)
            yield b"event: reorg\ndata: " + orjson.dumps({"from_block": indexed + 1}) + b"\n\n"
            continue
        for row in rows:
            last = movement_key(row)
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
