"""Servers the scheduler tests start on 127.0.0.1: a webhook receiver, an SMTP server (aiosmtpd) and a page that
answers slowly (to keep an audit busy while it is stopped)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    items: list[Any] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def add(self, item: Any) -> None:
        self.items.append(item)
        self.arrived.set()


@contextmanager
def webhook_server(status: int = 200) -> Iterator[tuple[str, Received]]:
    """POSTs to http://127.0.0.1:PORT/hook/SECRET are recorded as parsed JSON; the server answers `status`."""
    received = Received()

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.add({"path": self.path, "type": self.headers.get("Content-Type"), "json": json.loads(body)})
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *_args: Any) -> None:
            pass

    with _serving(Hook) as port:
        yield f"http://127.0.0.1:{port}/hook/T000-SECRET", received


@contextmanager
def slow_page(seconds: float = 30.0) -> Iterator[tuple[str, threading.Event, threading.Event]]:
    """A page that answers only after `seconds` (or once `release` is set); `hit` is set at its first request."""
    hit, release = threading.Event(), threading.Event()

    class Slow(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            hit.set()
            release.wait(seconds)
            body = b"<html><head><title>slow</title></head><body>slow</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except OSError:
                pass  # the audit that asked was stopped meanwhile

        do_HEAD = do_GET

        def log_message(self, *_args: Any) -> None:
            pass

    with _serving(Slow) as port:
        try:
            yield f"http://127.0.0.1:{port}/slow", hit, release
        finally:
            release.set()


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


class _Mailbox:
    def __init__(self, received: Received) -> None:
        self.received = received

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
        self.received.add({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                           "data": envelope.content.decode("utf-8", "replace")})
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[tuple[int, Received]]:
    """An SMTP server on 127.0.0.1 that keeps every message it is given."""
    received = Received()
    with socket.socket() as probe:  # aiosmtpd's controller needs the port before it starts
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(_Mailbox(received), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()
