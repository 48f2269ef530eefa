"""The dashboard's types of the API's responses are generated, not copied: `make dashboard` writes
the API's OpenAPI document to dashboard/openapi.json and openapi-typescript turns it into
dashboard/src/openapi.ts. Both are checked in; these tests fail when either is stale."""

import subprocess
from pathlib import Path

import orjson

from api.openapi import openapi_document
from points.settings import REPO_ROOT

DOCUMENT = REPO_ROOT / "dashboard" / "openapi.json"
TYPES = REPO_ROOT / "dashboard" / "src" / "openapi.ts"
GENERATOR = REPO_ROOT / "node_modules" / ".bin" / "openapi-typescript"


def _stale(path: Path) -> str:
    return f"{path.relative_to(REPO_ROOT)} is stale: `make dashboard` regenerates it; commit the result"


def test_the_checked_in_openapi_document_is_the_apis():
    assert DOCUMENT.read_bytes() == openapi_document(), _stale(DOCUMENT)


def test_the_dashboards_types_are_generated_from_the_document(tmp_path):
    generated = tmp_path / "openapi.ts"
    run = subprocess.run([GENERATOR, DOCUMENT, "--output", generated], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert generated.read_text() == TYPES.read_text(), _stale(TYPES)


# Integers the API sends as JSON numbers: block numbers, log indexes, epochs, ids and counts, none of
# which can reach 2**53. Everything else a uint256 holds is a decimal string (api.models.NUMBERS).
JSON_NUMBERS = {"block", "chain_head", "chain_id", "deployed_block", "epoch", "exchanges", "holders",
                "indexed_block", "lag_blocks", "log_index", "position_block", "reward_id", "validity",
                "delivered", "pending", "dead", "cancelled", "loc"}


def _integer_properties(schema: object, name: str | None = None) -> set[str]:
    if not isinstance(schema, dict):
        return set()
    found = {name} if name and schema.get("type") == "integer" else set()
    for alternative in schema.get("anyOf", []):
        found |= _integer_properties(alternative, name)
    for field, value in schema.get("properties", {}).items():
        found |= _integer_properties(value, field)
    return found | _integer_properties(schema.get("items"), name)


def test_only_blocks_epochs_ids_and_counts_are_json_numbers():
    document = orjson.loads(openapi_document())
    integers = set().union(*(_integer_properties(schema) for schema in document["components"]["schemas"].values()))
    assert integers <= JSON_NUMBERS, f"send these as decimal strings: {sorted(integers - JSON_NUMBERS)}"
    movement = document["components"]["schemas"]["Movement"]["properties"]["amount"]
    assert (movement["type"], movement["pattern"]) == ("string", r"^-?[0-9]{1,78}$")
    assert "decimal string" in document["info"]["description"]
