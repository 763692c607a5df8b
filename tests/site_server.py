"""Static and misbehaving web sites on 127.0.0.1 for the site crawler's tests."""

from __future__ import annotations

import functools
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Quiet:
    def log_message(self, *_args: object) -> None:  # keep test output clean
        pass


class Server:
    """A ThreadingHTTPServer on a free port of 127.0.0.1 in a daemon thread; `hits` counts requests by path."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], **handler_args: object) -> None:
        self.hits: Counter[str] = Counter()
        hits = self.hits

        class Counting(handler):  # type: ignore[misc, valid-type]
            def do_GET(self) -> None:  # noqa: N802
                hits[self.path] += 1
                super().do_GET()

        factory = functools.partial(Counting, **handler_args) if handler_args else Counting
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), factory)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def __enter__(self) -> Server:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def static_site(folder: Path) -> Server:
    """What `python -m http.server -d folder` serves."""

    class Handler(_Quiet, SimpleHTTPRequestHandler):
        pass

    return Server(Handler, directory=str(folder))
