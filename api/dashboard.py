"""Serves the dashboard's built static files at `/`."""

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.staticfiles import StaticFiles

from points.settings import REPO_ROOT

DASHBOARD_BUILD = REPO_ROOT / "dashboard" / "dist"


def mount_dashboard(app: FastAPI, directory: Path = DASHBOARD_BUILD) -> None:
    if (directory / "index.html").is_file():
        app.mount("/", StaticFiles(directory=directory, html=True), name="dashboard")
        return

    @app.get("/", include_in_schema=False, response_class=PlainTextResponse)
    def dashboard_missing() -> str:
        return "The dashboard is not built: `make dashboard` builds it (`make run` and `make test` do too).\n"
