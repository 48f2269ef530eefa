"""Signatures, the demo receiver's checks and de-duplication, and what the sender refuses to do."""

import hashlib
import hmac
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notifier.config import Subscription
from notifier.receiver import Receiver
from notifier.sender import post, poster_for
from points.ports import free_port
from points.webhooks import SIGNATURE_HEADER, event_body, event_id, signature, verify_signature

SECRET = "a-long-enough-secret"


def test_the_signature_is_hex_hmac_sha256_of_the_body():
    body = event_body("evt_1", "points.issued", 0, "0xabc", {"amount": 5})
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert signature(SECRET, body) == f"sha256={expected}"
    assert body.startswith(b'{"id":"evt_1","type":"points.issued","created_at":"1970-01-01T00:00:00Z"')


@settings(max_examples=50)
@given(body=st.binary(max_size=200), flip=st.integers(min_value=0))
def test_only_the_exact_body_and_secret_verify(body, flip):
    header = signature(SECRET, body)
    assert verify_signature(SECRET, body, header)
    assert not verify_signature("another-long-secret", body, header)
    assert not verify_signature(SECRET, body, None)
    assert not verify_signature(SECRET, body, header.removeprefix("sha256="))
    if body:
        tampered = bytearray(body)
        tampered[flip % len(body)] ^= 1
        assert not verify_signature(SECRET, bytes(tampered), header)


def test_event_ids_are_stable_and_distinct():
    assert event_id(1, "points.issued", "0xtx", 3, 0) == event_id(1, "points.issued", "0xtx", 3, 0)
    assert len({event_id(1, "points.issued", "0xtx", 3, 0), event_id(1, "points.issued", "0xtx", 3, 1),
                event_id(2, "points.issued", "0xtx", 3, 0), event_id(1, "points.revoked", "0xtx", 3, 0)}) == 4


@contextmanager
def _serving(server: ThreadingHTTPServer) -> Iterator[str]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks"
    finally:
        server.shutdown()
        server.server_close()


def test_the_demo_receiver_refuses_bad_signatures_and_drops_duplicates(caplog):
    caplog.set_level("INFO", logger="receiver")
    with _serving(Receiver(("127.0.0.1", free_port()), SECRET)) as url:
        body = event_body("evt_dup", "points.issued", 0, "0xabc", {"account": "0x1", "amount": 5})
        assert httpx.post(url, content=body, headers={SIGNATURE_HEADER: signature(SECRET, body)}).status_code == 204
        assert httpx.post(url, content=body, headers={SIGNATURE_HEADER: signature(SECRET, body)}).status_code == 204
        assert httpx.post(url, content=body, headers={SIGNATURE_HEADER: signature("wrong-secret-value", body)}
                          ).status_code == 401
        assert httpx.post(url, content=body + b" ", headers={SIGNATURE_HEADER: signature(SECRET, body)}
                          ).status_code == 401
    lines = [record.getMessage() for record in caplog.records if "evt_dup" in record.getMessage()]
    assert len(lines) == 2 and "duplicate, dropped" in lines[1] and "duplicate" not in lines[0]


class _Redirecting(BaseHTTPRequestHandler):
    hits: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.hits.append(self.path)
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(307 if self.path == "/hooks" else 204)
        self.send_header("Location", "/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def test_redirects_are_not_followed():
    with _serving(ThreadingHTTPServer(("127.0.0.1", free_port()), _Redirecting)) as url:
        subscription = Subscription(name="crm", url=url, secret=SECRET, source="file")
        with poster_for(subscription) as poster:
            error = post(poster, subscription, "points.issued", b"{}")
    assert error is not None and "redirects are not followed" in error
    assert _Redirecting.hits == ["/hooks"]


@pytest.mark.parametrize("url", ["ftp://a.example/", "file:///etc/passwd", "gopher://a.example", "//a.example/"])
def test_a_subscription_refuses_urls_other_than_http(url):
    with pytest.raises(ValueError, match="not an http"):
        Subscription(name="crm", url=url, secret=SECRET, source="database")


def test_an_unreachable_receiver_is_an_error_without_the_secret():
    subscription = Subscription(name="crm", url=f"http://127.0.0.1:{free_port()}/", secret=SECRET, source="file",
                                timeout_seconds=1)
    with poster_for(subscription) as poster:
        error = post(poster, subscription, "points.issued", b"{}")
    assert error is not None and error.startswith("ConnectionRefusedError") and SECRET not in error
