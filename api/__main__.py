"""`python -m api [--host H] [--port P] [--db URL] [--workers N] [--manifest PATH] [--relayer-url URL]`:
serves the read API with uvicorn."""

import argparse
import os
import sys

import uvicorn

from points.settings import load_settings


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m api", description="Serve the read API over the indexed database.")
    parser.add_argument("--host", help="interface to listen on (env POINTS_API_HOST)")
    parser.add_argument("--port", type=int, help="port to listen on (env POINTS_API_PORT)")
    parser.add_argument("--db", help="SQLAlchemy database URL (env POINTS_DATABASE_URL)")
    parser.add_argument("--workers", type=int, help="worker processes (env POINTS_API_WORKERS)")
    parser.add_argument("--manifest", help="deployment manifest naming the exchange (env POINTS_MANIFEST)")
    parser.add_argument("--relayer-url", help="the relayer the dashboard sends signed requests to "
                                              "(env POINTS_RELAYER_URL)")
    arguments = parser.parse_args(argv)
    settings = load_settings(api_host=arguments.host, api_port=arguments.port, database_url=arguments.db,
                             api_workers=arguments.workers, manifest=arguments.manifest,
                             relayer_url=arguments.relayer_url)
    # Workers import `api.app` afresh and read their settings from the environment.
    os.environ["POINTS_DATABASE_URL"] = settings.database_url
    os.environ["POINTS_MANIFEST"] = str(settings.manifest)
    if settings.relayer_url:
        os.environ["POINTS_RELAYER_URL"] = str(settings.relayer_url)
    uvicorn.run("api.app:app", host=settings.api_host, port=settings.api_port, workers=settings.api_workers,
                log_level="info", access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
