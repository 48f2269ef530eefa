"""POSTs to one URL over keep-alive connections shared by any number of threads, with the standard
library's `http.client`.

httpx, which the JSON-RPC client used before, spends about 1 ms of CPU a request in its connection
pool and streams, http.client about a quarter of that; the relayer makes a request of the node for
every request it checks, from many threads at once. Like httpx, it honours `HTTP_PROXY`,
`HTTPS_PROXY` and `NO_PROXY`, and credentials in the URL (basic authentication).
"""

import base64
import threading
from http.client import HTTPConnection, HTTPException, HTTPSConnection, InvalidURL
from urllib.parse import SplitResult, unquote, urlsplit
from urllib.request import getproxies, proxy_bypass

TRANSPORT_ERRORS = (OSError, HTTPException)
"""What a POST raises when the connection fails: no answer, or none that can be read."""


class RetryLater(Exception):
    """The server answered 429 or 5xx: the request may succeed later."""


class Poster:
    def __init__(self, url: str, timeout: float) -> None:
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
        proxy = None if proxy_bypass(host) else getproxies().get(parts.scheme)
        self._proxy: SplitResult | None = urlsplit(proxy) if proxy else None
        if self._proxy is not None and not self._https:
            # A plain-HTTP proxy takes the whole URL as the target.
            self._target = f"http://{host}:{self._address[1]}{self._target}"
        self._timeout = timeout
        self._idle: list[HTTPConnection] = []
        self._lock = threading.Lock()

    def post(self, body: bytes) -> bytes:
        """The body of the answer to a POST of `body` (JSON); `RetryLater` for 429 and 5xx, one of
        `TRANSPORT_ERRORS` when the connection fails, `InvalidURL` when the URL is not HTTP(S)."""
        if self._invalid is not None:
            raise InvalidURL(self._invalid)
        with self._lock:
            connection = self._idle.pop() if self._idle else None
        if connection is not None:
            try:
                return self._exchange(connection, body)
            except ConnectionError:
                pass  # a connection the server closed while it was idle: once more, on a new one
        return self._exchange(self._connect(), body)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _exchange(self, connection: HTTPConnection, body: bytes) -> bytes:
        try:
            connection.request("POST", self._target, body, self._headers)
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
        if response.status == 429 or response.status >= 500:
            raise RetryLater(f"HTTP {response.status}")
        return data

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
