"""The live feed: each newly indexed movement as a server-sent event.

One poll per API process feeds every connection (api/live.py). Event ids are history cursors: a
client that reconnects with `Last-Event-ID` (browsers' EventSource does so by itself) resumes
without gaps. When a reorganisation removes movements already sent, a `reorg` event names the
first block to forget, and the feed continues with the canonical chain's movements from there.
"""

from functools import partial
from typing import Annotated, cast

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import StreamingResponse

from api.dependencies import PROGRAM_NOT_FOUND, IndexedDatabase, ProgramFilter
from api.live import Key, LiveFeed, Subscriber, latest_movement
from api.movements import CURSOR_LIST, CURSOR_SHAPE
from api.pagination import decode_cursor
from api.params import Address

router = APIRouter(tags=["live"])


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
    filters = {name: value for name, value in (("program", program), ("account", account)) if value is not None}
    # decode_cursor checked the key's shape (CURSOR_SHAPE): three ints.
    start = cast(Key, resume) if resume is not None else await db.read(partial(latest_movement, filters=filters))
    feed: LiveFeed = request.app.state.live_feed
    return StreamingResponse(feed.events(Subscriber(filters, start)), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
