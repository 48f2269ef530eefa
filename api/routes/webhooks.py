"""Webhook delivery state: per subscription, what was delivered, what waits and what gave up.

Subscriptions appear once the notifier has started them. Their URLs and secrets are not here: the
notifier's `webhooks list` shows URLs to operators, and secrets are shown nowhere.
"""

from typing import Any

from fastapi import APIRouter, Response
from sqlalchemy import func, select

from api.dependencies import IndexedDatabase
from api.models import WebhookState
from api.pagination import Page, decode_cursor, page
from api.params import DEFAULT_LIMIT, Cursor, Limit
from api.queries import WEBHOOK_CURSORS, WEBHOOK_DELIVERIES, after_parameters, ascending_list_query
from api.timestamps import utc

router = APIRouter(tags=["service"])
KEY = ("subscription",)
COUNTS = (select(WEBHOOK_DELIVERIES.c.subscription, WEBHOOK_DELIVERIES.c.state, func.count().label("count"),
                 func.min(WEBHOOK_DELIVERIES.c.created_at).label("oldest"))
          .group_by(WEBHOOK_DELIVERIES.c.subscription, WEBHOOK_DELIVERIES.c.state))


@router.get("/webhooks", response_model=Page[WebhookState])
async def list_webhooks(db: IndexedDatabase, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Response:
    """Each webhook subscription's delivery state, by name."""
    after = decode_cursor("webhooks", cursor, (str,))
    query = ascending_list_query(WEBHOOK_CURSORS, KEY, (), after is not None)
    parameters = {"limit": limit + 1, **after_parameters(KEY, after)}
    cursors, counts = await db.read(lambda reader: (reader.dicts(query, parameters), reader.dicts(COUNTS, {})))
    by_state = {(row["subscription"], row["state"]): row for row in counts}

    def state(row: dict[str, Any]) -> dict[str, Any]:
        name = row["subscription"]
        pending = by_state.get((name, "pending"), {})
        last_delivered = row["last_delivered_at"]
        return {
            "subscription": name, "position_block": row["block"], "delivered": row["delivered"],
            "pending": pending.get("count", 0), "dead": by_state.get((name, "dead"), {}).get("count", 0),
            "cancelled": by_state.get((name, "cancelled"), {}).get("count", 0),
            "oldest_pending_since": utc(pending["oldest"]) if pending else None,
            "last_delivered_at": None if last_delivered is None else utc(last_delivered),
            "last_error": row["last_error"],
        }

    return page(Page[WebhookState], "webhooks", [state(row) for row in cursors], limit,
                lambda item: (item["subscription"],))
