"""POSTs to one URL over keep-alive connections shared by any number of threads, with the standard
library's `http.client`: the JSON-RPC client's calls of the node, and the notifier's webhooks.

httpx, which both used before, spends about 1 ms of CPU a request in its connection pool and
streams, http.client about a quarter of that; the relayer makes a request of the node for every
request it checks, from many threads at once, and the notifier one per event. Like httpx, it
honours `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY` (unless told not to), and credentials in the
URL (basic authentication).
"""

import base64
import threading
from collections.abc import Mapping
from http.client import HTTPConnection, HTTPException, HTTPSConnection, InvalidURL
from types import TracebackType
from typing import Self
from urllib.parse import SplitResult, unquote, urlsplit
from urllib.request import getproxies, proxy_bypass

TRANSPORT_ERRORS = (OSError, HTTPException)
"""What a POST raises when the connection fails: no answer, or none that can be read."""


class RetryLater(Exception):
    """The server answered 429 or 5xx: the request may succeed later."""


class Poster:
    def __init__(self, url: str, timeout: float, *, proxies: bool = True) -> None:
        """`timeout` bounds the connection and each read and write of a request; `proxies` says
        whether the environment's proxy settings apply."""
        parts = urlsplit(url)
        try:
            port, usable = parts.port, parts.scheme in ("http", "https") and bool(parts.hostname)
        except ValueError:  # a port that is not a number
            port, usable = None, False
        # Refused at each POST rather than here: the commands build their client before they report
        # errors as one line.
        self._invalid = None if usable else f"{url!r} is not an http:// or https:// URL"
        self._https = parts.scheme == "https"
        host = parts.hostname or ""
        self._address = (host, port or (443 if self._https else 80))
        self._target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._headers = {"Content-Type": "application/json"}
        if parts.username is not None:
            credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
            self._headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode()
        proxy = getproxies().get(parts.scheme) if proxies and not proxy_bypass(host) else None
        self._proxy: SplitResult | None = urlsplit(proxy) if proxy else None
        if self._proxy is not None and not self._https:
            # A plain-HTTP proxy takes the whole URL as the target.
            self._target = f"http://{host}:{self._address[1]}{self._target}"
        self._timeout = timeout
        self._idle: list[HTTPConnection] = []
        self._lock = threading.Lock()

    def post(self, body: bytes) -> bytes:
        """The body of the answer to a POST of `body` (JSON); `RetryLater` for 429 and 5xx, else as
        `send`."""
        status, data = self.send(body)
        if status == 429 or status >= 500:
            raise RetryLater(f"HTTP {status}")
        return data

    def send(self, body: bytes, headers: Mapping[str, str] | None = None) -> tuple[int, bytes]:
        """The status and body of the answer to a POST of `body` (JSON) with `headers` besides the
        usual ones, whatever the status; one of `TRANSPORT_ERRORS` when the connection fails (a
        `TimeoutError` when the server took too long), `InvalidURL` when the URL is not HTTP(S)."""
        if self._invalid is not None:
            raise InvalidURL(self._invalid)
        every_header = self._headers if headers is None else {**self._headers, **headers}
        with self._lock:
            connection = self._idle.pop() if self._idle else None
        if connection is not None:
            try:
                return self._exchange(connection, body, every_header)
            except ConnectionError:
                pass  # a connection the server closed while it was idle: once more, on a new one
        return self._exchange(self._connect(), body, every_header)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()

    def _exchange(self, connection: HTTPConnection, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]:
        try:
            connection.request("POST", self._target, body, headers)
            response = connection.getresponse()
            data = response.read()
        except BaseException:
            connection.close()
            raise
        if response.will_close:
            connection.close()
        else:
            with self._lock:
                self._idle.append(connection)
        return response.status, data

    def _connect(self) -> HTTPConnection:
        host, port = self._address
        if self._proxy is None:
            kind = HTTPSConnection if self._https else HTTPConnection
            return kind(host, port, timeout=self._timeout)
        proxy_host, proxy_port = self._proxy.hostname or "", self._proxy.port or 80
        if not self._https:
            return HTTPConnection(proxy_host, proxy_port, timeout=self._timeout)
        tunnel = HTTPSConnection(proxy_host, proxy_port, timeout=self._timeout)
        tunnel.set_tunnel(host, port)
        return tunnel
