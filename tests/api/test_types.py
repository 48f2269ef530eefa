"""The dashboard's types of the API's responses are generated, not copied: `make dashboard` writes
the API's OpenAPI document to dashboard/openapi.json and openapi-typescript turns it into
dashboard/src/openapi.ts. Both are checked in; these tests fail when either is stale."""

import subprocess
from pathlib import Path

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
