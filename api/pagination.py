"""Keyset pagination: opaque cursors and the page envelope every list returns.

A cursor is the sort key of a page's last item, tagged with the list it belongs to, encoded as
URL-safe base64 of JSON. Clients must treat it as opaque; the API checks the tag and the key's
shape, so a cursor from another list or one edited by hand is a 422, never a wrong page.
"""

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import orjson
from fastapi import Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from api.responses import validated

Item = TypeVar("Item")
KeyPart = int | str


class Page(BaseModel, Generic[Item]):
    items: list[Item]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


def encode_cursor(list_name: str, key: Sequence[KeyPart]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps([list_name, *key])).decode().rstrip("=")


def decode_cursor(list_name: str, cursor: str | None, shape: Sequence[type]) -> tuple[KeyPart, ...] | None:
    """The key a cursor carries, or None for the first page; a malformed cursor is a 422."""
    if cursor is None:
        return None
    try:
        decoded = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError):
        raise _bad_cursor("it is not a cursor this API issued") from None
    if not isinstance(decoded, list) or not decoded or decoded[0] != list_name:
        raise _bad_cursor(f"it does not belong to this list ({list_name})")
    key = decoded[1:]
    # bool is an int to Python, but never part of a key.
    if len(key) != len(shape) or any(type(part) is not kind for part, kind in zip(key, shape, strict=True)):
        raise _bad_cursor("its key has the wrong shape")
    return tuple(key)


def page(model: type[BaseModel], list_name: str, rows: Sequence[dict[str, Any]], limit: int,
         key_of: Callable[[dict[str, Any]], Sequence[KeyPart]]) -> Response:
    """The first `limit` rows as a page of `model`; `rows` holds one more row when another page follows."""
    items = rows[:limit]
    more = len(rows) > limit
    return validated(model, {"items": items,
                             "next_cursor": encode_cursor(list_name, key_of(items[-1])) if more else None})


def _bad_cursor(reason: str) -> RequestValidationError:
    return RequestValidationError([{
        "type": "value_error", "loc": ("query", "cursor"), "msg": f"malformed cursor: {reason}", "input": None,
    }])

