"""A closed-loop HTTP/1.1 load generator, light enough to share two cores with the server it measures.

Each of a few keep-alive connections sends a GET, reads the whole response and sends the next
one, for a fixed time; every request's latency is recorded. Plain asyncio streams and hand
parsing of the status line and Content-Length keep the client's own cost per request far below a
general-purpose HTTP client's, so the figures describe the server.
"""

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit


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


async def _connection(host: str, port: int, targets: Sequence[str], stop_at: float, offset: int,
                      latencies: list[float]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    requests = [f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode() for target in targets]
    index = offset
    try:
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            writer.write(requests[index % len(requests)])
            index += 1
            status_line = await reader.readline()
            if not status_line.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"{targets[(index - 1) % len(targets)]} answered {status_line!r}")
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
    finally:
        writer.close()


async def _load(url: str, targets: Sequence[str], seconds: float, connections: int) -> LoadResult:
    parts = urlsplit(url)
    latencies: list[float] = []
    started = time.perf_counter()
    await asyncio.gather(*(_connection(parts.hostname or "127.0.0.1", parts.port or 80, targets, started + seconds,
                                       offset, latencies) for offset in range(connections)))
    return LoadResult(len(latencies), time.perf_counter() - started, latencies)


def load(url: str, targets: Sequence[str], seconds: float = 5.0, connections: int = 4) -> LoadResult:
    """GETs `targets` (paths, taken in turn) on the server at `url` for `seconds`."""
    return asyncio.run(_load(url, targets, seconds, connections))
