"""The system as a user runs it, for browser tests: the indexer following a chain into a database of
its own and the API serving it (with the dashboard at `/`), as subprocesses with their logs kept."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, ViewportSize, expect, sync_playwright

from points.settings import REPO_ROOT
from tests.support.services import Node, free_port

DASHBOARD = REPO_ROOT / "dashboard" / "dist" / "index.html"
STARTUP_SECONDS = 60
# A loaded machine (two cores running the chain, the indexer, the API and the browser) is slow to settle.
EXPECT_SECONDS = 15


class Service:
    """A long-running part of the system, its output kept in a log file for failure messages."""

    def __init__(self, log: Path, *arguments: str, environment: dict[str, str] | None = None) -> None:
        self.log = log
        self.process = subprocess.Popen([sys.executable, *arguments], cwd=REPO_ROOT, stdout=log.open("wb"),
                                        stderr=subprocess.STDOUT, env=os.environ | (environment or {}))

    def check(self) -> None:
        assert self.process.poll() is None, f"{self.log.name} exited: {self.log.read_text()[-2000:]}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Api:
    def __init__(self, url: str) -> None:
        self.url = url
        self.client = httpx.Client(base_url=f"{url}/v1", timeout=10)

    def __call__(self, path: str, **params: Any) -> Any:
        response = self.client.get(path, params=params)
        response.raise_for_status()
        return response.json()

    def items(self, path: str, **params: Any) -> list[dict[str, Any]]:
        return self(path, **({"limit": 1000} | params))["items"]

    def wait_for_block(self, block: int, *services: Service) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            for service in services:
                service.check()
            try:
                if (self("/health")["indexed_block"] or -1) >= block:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the API did not serve block {block} within {STARTUP_SECONDS} s")


@contextmanager
def indexed_api(node: Node, manifest: Path, directory: Path, *api_arguments: str) -> Iterator[Api]:
    """The indexer following `node` into a database of its own, and the API serving it (with the
    deployment's manifest, as `make run` does); yields once the API serves the chain's head."""
    assert DASHBOARD.is_file(), "the dashboard is not built: `make dashboard` (make test builds it)"
    database = f"sqlite:///{directory / 'points.db'}"
    indexer = Service(directory / "indexer.log", "-m", "indexer", "run", "--follow", "--manifest", str(manifest),
                      "--db", database, "--rpc", node.url)
    port = free_port()
    api_server = Service(directory / "api.log", "-m", "api", "--port", str(port), "--db", database,
                         "--manifest", str(manifest), *api_arguments)
    try:
        api = Api(f"http://127.0.0.1:{port}")
        api.wait_for_block(node.block_number(), indexer, api_server)
        yield api
    finally:
        api_server.stop()
        indexer.stop()


@contextmanager
def browser_page(executable: str, url: str, viewport: ViewportSize, *init_scripts: str | Path) -> Iterator[Page]:
    """A headless Chromium page at `url`, after `init_scripts` (source text, or files); on leaving,
    fails if the page logged an error or threw."""
    # A loaded machine (two cores running the chain, the indexer, the API and the browser) is slow to settle.
    expect.set_options(timeout=EXPECT_SECONDS * 1000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable)
        context = browser.new_context(viewport=viewport, locale="en-US", timezone_id="UTC")
        for script in init_scripts:
            if isinstance(script, Path):
                context.add_init_script(path=script)
            else:
                context.add_init_script(script=script)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.goto(url)
        yield page
        browser.close()
        assert not errors, f"the page reported errors: {errors}"
