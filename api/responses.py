"""Validated JSON responses, built where the route runs.

FastAPI validates and serializes a sync route's return value in a second trip to the thread pool;
a route that returns a ready `Response` skips that trip. Routes declare their `response_model`
for the OpenAPI document as usual and validate against the same model here, so the document and
the answers cannot drift apart.
"""

from typing import Any

from fastapi import Response
from pydantic import BaseModel


def validated(model: type[BaseModel], content: dict[str, Any]) -> Response:
    return Response(model.model_validate(content).model_dump_json(), media_type="application/json")

