"""The read API served for tests by a real uvicorn, in a thread of the test process."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from api.app import create_app
from points.settings import Settings
from tests.support.services import free_port


@contextmanager
def serve_api(database_url: str) -> Iterator[str]:
    """Serves the API over `database_url`; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(Settings(database_url=database_url)), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
