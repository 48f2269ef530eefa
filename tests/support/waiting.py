"""Polling for a condition that another process or thread brings about."""

import time
from collections.abc import Callable


def wait_until(condition: Callable[[], bool], timeout: float = 60.0, interval: float = 0.1) -> None:
    """Returns once `condition()` is true; fails the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(interval)
