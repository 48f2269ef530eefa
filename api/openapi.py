"""`python -m api.openapi PATH`: writes the read API's OpenAPI document, as JSON, to PATH.

It comes from the application itself (`api.app`), without serving it or opening the database.
The dashboard's TypeScript types are generated from this file (`make dashboard`), so that they
and the API's response models cannot drift apart.
"""

import sys
from pathlib import Path

import orjson

from api.app import app


def openapi_document() -> bytes:
    return orjson.dumps(app.openapi(), option=orjson.OPT_INDENT_2) + b"\n"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m api.openapi PATH", file=sys.stderr)
        return 2
    Path(argv[0]).write_bytes(openapi_document())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
