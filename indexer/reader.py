"""Reads and decodes ranges of blocks in a process of its own.

Parsing the node's JSON and decoding its logs take about as long as projecting and writing them;
in a second process they run on another core while the indexer applies the previous range,
instead of taking turns with it for one interpreter's lock. Within the reader, a thread asks the
node for the next range while the current one is decoded, so that the node and the decoder work
at the same time rather than in turns.

The indexer starts `python -m indexer.reader RPC_URL ATTEMPTS MAX_BACKOFF ADDRESS...` (with its
own client's retry settings) and writes one request line per range, `first last near_head`; the
reader answers each, in order, with a frame: eight bytes of length, then `marshal`'s bytes of
`("ok", range)` or `("error", message, is_points_error)`: plain tuples, lists, dicts, strings and
numbers, which marshal writes several times as fast as pickle (the two processes run the
same interpreter, which is all that marshal's format asks). The reader ends when its input closes,
so it never outlives the indexer, even one killed with SIGKILL.
"""

import logging
import marshal
import queue
import struct
import subprocess
import sys
import threading
import traceback
from collections import deque
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from chain.rpc import BlockHeader, RpcClient
from indexer import PeriodicCollector
from indexer.events import DecodedLog, LogRow, decode_log_row
from points.errors import PointsError

_LENGTH = struct.Struct(">Q")
_CHAIN_ORDER = itemgetter(0, 1)  # a LogRow's block and log index
# The directory that holds the `indexer` package, whatever the indexer's working directory.
_PROJECT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class LogBlock:
    """A block as its logs describe it."""

    number: int
    hash: str
    timestamp: int | None


@dataclass(frozen=True)
class Fetched:
    first: int
    last: int
    near_head: bool
    # Every block's header near the head, the last block's only deeper.
    headers: list[BlockHeader]
    logs: list[DecodedLog]
    # One entry per run of logs with the same block hash: what the reorg checks and the
    # timestamps need, without looking at every log again.
    log_blocks: list[LogBlock]


@dataclass(frozen=True)
class Download:
    """A range as the node sent it, not decoded yet."""

    first: int
    last: int
    near_head: bool
    headers: list[BlockHeader]
    chunks: list[list[dict[str, Any]]]


def download(rpc: RpcClient, addresses: list[str], first: int, last: int, near_head: bool) -> Download:
    """Reads the logs of `first..last` and their headers."""
    headers = rpc.headers(list(range(first, last + 1)) if near_head else [last])
    return Download(first, last, near_head, headers, list(rpc.logs(addresses, first, last)))


def decode(download: Download) -> tuple[list[LogRow], list[LogBlock]]:
    """Decodes a range's logs, in chain order, and lists the blocks they come from."""
    logs: list[LogRow] = []
    log_blocks: list[LogBlock] = []
    block_hash = tx_hash = None
    for chunk in download.chunks:
        for entry in chunk:
            # One string object per transaction hash: marshal then sends a campaign's hundreds of
            # logs one hash and back-references, and the indexer reads one string, not hundreds.
            if entry["transactionHash"] == tx_hash:
                entry["transactionHash"] = tx_hash
            else:
                tx_hash = entry["transactionHash"]
            decoded = decode_log_row(entry)
            logs.append(decoded)
            if entry["blockHash"] != block_hash:
                block_hash = entry["blockHash"]
                timestamp = entry.get("blockTimestamp")
                log_blocks.append(LogBlock(decoded[0], block_hash, None if timestamp is None else int(timestamp, 16)))
    logs.sort(key=_CHAIN_ORDER)
    return logs, log_blocks


class LogReader:
    """The indexer's side: requests ranges of the reader process and takes its answers in order."""

    def __init__(self, rpc: RpcClient, addresses: list[str]) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "indexer.reader", rpc.url, str(rpc.max_attempts), str(rpc.max_backoff), *addresses],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=_PROJECT,
        )
        self._requests: deque[tuple[int, int]] = deque()

    @property
    def outstanding(self) -> tuple[int, int] | None:
        """The oldest range requested and not taken yet, as (first, last)."""
        return self._requests[0] if self._requests else None

    @property
    def newest(self) -> int | None:
        """The last block of the newest range requested and not taken yet."""
        return self._requests[-1][1] if self._requests else None

    @property
    def requested(self) -> int:
        """How many ranges are requested and not taken yet."""
        return len(self._requests)

    def request(self, first: int, last: int, near_head: bool) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(f"{first} {last} {int(near_head)}\n".encode())
        self._process.stdin.flush()
        self._requests.append((first, last))

    def take(self) -> Fetched:
        """The answer to the oldest outstanding request; raises the reader's error, if it had one."""
        self._requests.popleft()
        (length,) = _LENGTH.unpack(self._read(_LENGTH.size))
        answer = marshal.loads(self._read(length))
        if answer[0] == "error":
            _, message, is_points_error = answer
            raise PointsError(message) if is_points_error else RuntimeError(f"the log reader failed: {message}")
        first, last, near_head, headers, logs, log_blocks = answer[1]
        return Fetched(first, last, near_head, [BlockHeader(*header) for header in headers],
                       list(map(DecodedLog._make, logs)), [LogBlock(*block) for block in log_blocks])

    def _read(self, size: int) -> bytes:
        """`size` bytes of the reader's answers; the reader ending before them is an error."""
        assert self._process.stdout is not None
        data = self._process.stdout.read(size)
        if len(data) < size:
            raise PointsError(f"the log reader stopped (exit code {self._process.wait()})")
        return data

    def close(self) -> None:
        """Stops the reader at once: it may be retrying a node that is gone, and its warnings
        must not come after the indexer's last word."""
        self._process.kill()
        self._process.wait()
        for pipe in (self._process.stdin, self._process.stdout):
            if pipe is not None:
                pipe.close()


def _download_all(requests: IO[bytes], downloads: "queue.Queue[Download | BaseException | None]", rpc: RpcClient,
                  addresses: list[str]) -> None:
    """The reader's fetching thread: downloads the requested ranges in order, at most two ahead
    of the decoder (one in the queue, one downloading), and ends the queue with None when the
    requests end."""
    try:
        for line in requests:
            first, last, near_head = (int(word) for word in line.split())
            try:
                downloads.put(download(rpc, addresses, first, last, bool(near_head)))
            except Exception as error:  # answered in its turn, as the range's result
                downloads.put(error)
    finally:
        downloads.put(None)


def _serve(requests: IO[bytes], answers: IO[bytes], rpc: RpcClient, addresses: list[str]) -> None:
    downloads: queue.Queue[Download | BaseException | None] = queue.Queue(maxsize=1)
    threading.Thread(target=_download_all, args=(requests, downloads, rpc, addresses), daemon=True).start()
    collector = PeriodicCollector()
    while (frame := _next_answer(downloads)) is not None:
        answers.write(_LENGTH.pack(len(frame)))
        answers.write(frame)
        answers.flush()
        del frame
        collector.tick()


def _next_answer(downloads: "queue.Queue[Download | BaseException | None]") -> bytes | None:
    """The next range's answer, marshalled; None when the requests have ended."""
    downloaded = downloads.get()
    if downloaded is None:
        return None
    answer: tuple[Any, ...]
    try:
        if isinstance(downloaded, BaseException):
            raise downloaded
        logs, log_blocks = decode(downloaded)
        # Plain tuples: marshal takes built-in types only.
        answer = ("ok", (
            downloaded.first, downloaded.last, downloaded.near_head,
            [(h.number, h.hash, h.parent_hash, h.timestamp) for h in downloaded.headers],
            logs,
            [(block.number, block.hash, block.timestamp) for block in log_blocks],
        ))
        del downloaded  # the node's JSON, as large as the decoded logs: freed before marshalling
    except PointsError as error:  # the indexer reports it, as if it had read the range itself
        answer = ("error", str(error), True)
    except Exception:
        answer = ("error", traceback.format_exc(), False)
    return marshal.dumps(answer)


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    rpc_url, attempts, max_backoff, *addresses = argv
    rpc = RpcClient(rpc_url, max_attempts=int(attempts), max_backoff=float(max_backoff))
    try:
        # A buffered writer of its own: where PYTHONUNBUFFERED is set (as in many container
        # images), sys.stdout.buffer is the raw file, and a write into a full pipe that a stop
        # and continue interrupts (Ctrl-Z and fg, a profiler) returns having taken part of the
        # answer; the rest was lost, and the indexer read the next answer's bytes in its place.
        # A buffered writer writes the rest.
        with open(sys.stdout.fileno(), "wb", closefd=False) as answers:
            _serve(sys.stdin.buffer, answers, rpc, addresses)
    except (BrokenPipeError, KeyboardInterrupt):  # the indexer has gone, or is going
        pass
    finally:
        rpc.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
