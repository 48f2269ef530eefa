"""JSON responses, built where the route runs.

FastAPI validates and serializes a sync route's return value in a second trip to the thread pool;
a route that returns a ready `Response` skips that trip. Routes declare their `response_model`
for the OpenAPI document as usual and validate against the same model here, so the document and
the answers cannot drift apart.

The busiest route, the account view, skips pydantic: validating its few rows and serializing them
through the model's decimal-string serializers cost about as much as its query. It builds the
model's JSON with orjson from plain dicts (numbers already decimal strings, fields in the model's
order), and its tests check that the answer is what the model itself would write.
"""

from typing import Any

import orjson
from fastapi import Response
from pydantic import BaseModel


def validated(model: type[BaseModel], content: dict[str, Any]) -> Response:
    return Response(model.model_validate(content).model_dump_json(), media_type="application/json")


def json_response(content: dict[str, Any]) -> Response:
    """`content` as JSON: times (timezone-aware datetimes) in UTC end in `Z`, as pydantic writes them."""
    return Response(orjson.dumps(content, option=orjson.OPT_UTC_Z), media_type="application/json")
