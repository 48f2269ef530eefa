"""A closed-loop HTTP/1.1 load generator, light enough to share two cores with the server it measures.

Each of a few keep-alive connections sends a request, reads the whole response and sends the next
one; every request's latency is recorded. Plain asyncio streams and hand parsing of the status line
and Content-Length keep the client's own cost per request far below a general-purpose HTTP client's
(httpx's connection pool alone spends about 10 ms of CPU a request with 50 connections open), so the
figures describe the server.
"""

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import orjson


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class Connection:
    """One keep-alive HTTP/1.1 connection: a request at a time, its answer read whole."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def __aenter__(self) -> Self:
        self._streams = await asyncio.open_connection(self.host, self.port)
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        traceback: TracebackType | None) -> None:
        if self._streams is not None:
            self._streams[1].close()

    async def send(self, request: bytes) -> tuple[int, bytes]:
        """Sends a whole request as bytes; returns the status and the body."""
        assert self._streams is not None, "use the connection in `async with`"
        reader, writer = self._streams
        writer.write(request)
        status_line = await reader.readline()
        if not status_line.startswith(b"HTTP/1.1 "):
            raise RuntimeError(f"not an HTTP/1.1 answer: {status_line!r}")
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        return int(status_line[9:12]), await reader.readexactly(length)

    def get_request(self, target: str) -> bytes:
        return f"GET {target} HTTP/1.1\r\nHost: {self.host}\r\n\r\n".encode()

    async def get_json(self, target: str) -> tuple[int, Any]:
        status, body = await self.send(self.get_request(target))
        return status, orjson.loads(body)

    async def post_json(self, target: str, payload: Any) -> tuple[int, Any]:
        body = orjson.dumps(payload)
        head = (f"POST {target} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        status, answer = await self.send(head + body)
        return status, orjson.loads(answer)


async def _connection(url: str, targets: Sequence[str], stop_at: float, offset: int, latencies: list[float]) -> None:
    async with Connection(url) as connection:
        requests = [connection.get_request(target) for target in targets]
        index = offset
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            status, _ = await connection.send(requests[index % len(requests)])
            index += 1
            if status != 200:
                raise RuntimeError(f"{targets[(index - 1) % len(targets)]} answered {status}")
            latencies.append(time.perf_counter() - started)


async def _load(url: str, targets: Sequence[str], seconds: float, connections: int) -> LoadResult:
    latencies: list[float] = []
    started = time.perf_counter()
    await asyncio.gather(*(_connection(url, targets, started + seconds, offset, latencies)
                           for offset in range(connections)))
    return LoadResult(len(latencies), time.perf_counter() - started, latencies)


def load(url: str, targets: Sequence[str], seconds: float = 5.0, connections: int = 4) -> LoadResult:
    """GETs `targets` (paths, taken in turn) on the server at `url` for `seconds`."""
    return asyncio.run(_load(url, targets, seconds, connections))
