"""A small web on 127.0.0.1 that misbehaves the way real sites do, for the link checker's tests.

`WebServer(kind)` serves one "site":

- `main`  every behaviour by path (see `ROUTES` below and `WebServer._main`)
- `soft`  a site that answers 200 with the same "nothing here" page for every unknown path (soft 404s)
- `spa`   an app shell: the same script-only page for every path (must never look dead)
- `parked` a domain-for-sale page for every path
- `wayback` a stub of the Wayback Machine availability API
- `locale` a site whose `/` redirects to its root listing `/en/`; retired pages redirect there
- `errors` a site that redirects every unknown path to a generic error page (200, "Something went wrong")
- `signin` a site that redirects every unknown path to its sign-in page; its `/` is public unless
  `state["home_public"]` is False (a site wholly behind a login)
- `moved` a retired domain: every path redirects to `state["to"]` (another site's home page)
- `limit` serves a small PDF under `/p/` (so HEAD is enough) and answers 429 with `Retry-After: 1` beyond
  `state["limit"]` requests in any second (a sliding window), or only to its `state["refuse_at"]`-th request
  (a host that refuses once); the paths in `state["busy"]` answer 429 to their first request each, whatever the
  rate (pages that ask for a pause once); with `state["announce"]` (`ietf`, `draft`, `github`) it counts in fixed
  one-second windows instead and says its budget in that style's rate-limit headers (`state["fixed"]`: the
  same windows, nothing said). `state["delay"]`
  seconds per answer. Every request is logged in `log` as (monotonic time, status)

Every request is counted per (method, path) in `hits`; the most requests in progress at once is `max_open`, and
the connections they came on are `clients` (address, port). `tls=` an SSL context serves HTTPS.
"""

from __future__ import annotations

import json
import math
import ssl
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

OK_PAGE = """<!doctype html><html><head><title>Widget docs</title></head><body>
<h1 id="intro">Widgets</h1><p>How to use widgets, with examples and a reference.</p>
<a name="old-anchor"></a><h2 id="install">Install</h2><p>pip install widgets</p></body></html>"""

SOFT_TEMPLATE = """<!doctype html><html><head><title>Acme Help Centre</title></head><body>
<nav>Home Products Pricing Support Blog Careers Contact</nav>
<main><h1>Oops!</h1><p>We looked everywhere but there is nothing at this address. Try the search box
or go back to the home page; our team keeps the help centre up to date every week.</p></main>
<footer>Acme Corporation, 1 Example Street. Terms. Privacy. Cookies.</footer></body></html>"""

SOFT_REAL = """<!doctype html><html><head><title>Billing FAQ - Acme Help Centre</title></head><body>
<nav>Home Products Pricing Support Blog Careers Contact</nav>
<main><h1>Billing questions</h1><p>Invoices are sent on the first of each month. You can change the card on
file under Settings, Billing. Refunds are issued within ten working days to the original payment method.</p>
<p>Annual plans are billed up front and can be cancelled at any time for a prorated refund.</p></main>
<footer>Acme Corporation, 1 Example Street. Terms. Privacy. Cookies.</footer></body></html>"""

SPA_SHELL = """<!doctype html><html><head><title>Acme App</title><script src="/app.js"></script></head>
<body><div id="root"></div><script>window.boot()</script></body></html>"""

PARKED = """<html><head><title>example-tools.test</title></head><body>
<h1>This domain is for sale!</h1><p>Buy this domain today. Make an offer on this domain.</p></body></html>"""

NOT_FOUND_200 = """<html><head><title>Page not found | Widgets</title></head><body>
<h1>Sorry</h1><p>The page you are looking for does not exist.</p></body></html>"""

CHALLENGE = """<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>
<noscript>Enable JavaScript and cookies to continue</noscript>
<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=1"></script>
</body></html>"""

LOGIN = """<html><head><title>Sign in - Widgets</title></head>
<body><form><input name="password"></form></body></html>"""

ERROR_PAGE = """<html><head><title>Widgets</title></head><body><h1>Something went wrong</h1>
<p>Please try again later or contact support.</p></body></html>"""


class WebServer:
    def __init__(self, kind: str = "main", host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.kind = kind
        self.tls = tls
        self.clients: set[tuple[str, int]] = set()  # one per connection: its address and port
        self.hits: Counter[tuple[str, str]] = Counter()
        self.headers_seen: list[tuple[str, str, dict[str, str]]] = []
        self.state: dict[str, Any] = {"toggle": 200}
        self.lock = threading.Lock()
        self.open = 0
        self.max_open = 0
        self.snapshots: dict[str, str] = {}  # wayback: url -> archived copy
        self.log: list[tuple[float, int]] = []  # limit: (monotonic time, status) of every request
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stalls

            def do_HEAD(self) -> None:  # noqa: N802 - the http.server API
                server.handle(self, "HEAD")

            def do_GET(self) -> None:  # noqa: N802
                server.handle(self, "GET")

            def log_message(self, *_args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        if tls is not None:  # HTTPS: the handshake happens as each connection is accepted
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"{'https' if self.tls else 'http'}://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def __enter__(self) -> WebServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def count(self, path: str, method: str | None = None) -> int:
        return sum(n for (m, p), n in self.hits.items() if p == path and (method is None or m == method))

    # -- dispatch ---------------------------------------------------------------------------------------

    def handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(request.path)
        with self.lock:
            self.hits[(method, parts.path)] += 1
            hit = self.hits[(method, parts.path)] + self.hits[("HEAD" if method == "GET" else "GET", parts.path)]
            self.headers_seen.append((method, parts.path, {k.lower(): v for k, v in request.headers.items()}))
            self.clients.add(request.client_address[:2])
            self.open += 1
            self.max_open = max(self.max_open, self.open)
        try:
            handler = getattr(self, f"_{self.kind}")
            handler(request, method, parts.path, parse_qs(parts.query), hit)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the checker read what it needed and hung up
        finally:
            with self.lock:
                self.open -= 1

    def send(self, request: BaseHTTPRequestHandler, method: str, status: int, body: str | bytes = "",
             headers: dict[str, str] | None = None, content_type: str = "text/html; charset=utf-8") -> None:
        payload = body.encode() if isinstance(body, str) else body
        request.send_response(status)
        request.send_header("Content-Type", content_type)
        request.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            request.send_header(name, value)
        request.end_headers()
        if method == "GET":
            request.wfile.write(payload)

    def redirect(self, request: BaseHTTPRequestHandler, method: str, status: int, location: str) -> None:
        self.send(request, method, status, "", {"Location": location})

    # -- the sites --------------------------------------------------------------------------------------

    def _main(self, rq: BaseHTTPRequestHandler, method: str, path: str, query: dict[str, list[str]], hit: int) -> None:
        send, redirect = self.send, self.redirect
        if path in ("/", "/ok", "/other"):
            send(rq, method, 200, OK_PAGE)
        elif path == "/pdf":
            send(rq, method, 200, b"%PDF-1.4 ...", content_type="application/pdf")
        elif path == "/gone":
            send(rq, method, 404, "<title>Not found</title>")
        elif path == "/gone-410":
            send(rq, method, 410, "gone")
        elif path == "/head-405":  # HEAD refused
            send(rq, method, 405 if method == "HEAD" else 200, OK_PAGE)
        elif path == "/head-lies":  # HEAD says 404, GET serves the page
            send(rq, method, 404 if method == "HEAD" else 200, OK_PAGE)
        elif path == "/head-lies-ok":  # HEAD says 200, GET says 404
            send(rq, method, 200 if method == "HEAD" else 404, OK_PAGE if method == "HEAD" else "no")
        elif path == "/rate-limited":  # 429 with Retry-After once, then the page
            with self.lock:
                first = self.state.setdefault("rate", 0) == 0
                self.state["rate"] += 1
                self.state.setdefault("rate_times", []).append(time.monotonic())
            if first:
                send(rq, method, 429, "slow down", {"Retry-After": "1"})
            else:
                send(rq, method, 200, OK_PAGE)
        elif path == "/rate-limited-forever":
            send(rq, method, 429, "slow down", {"Retry-After": "3600"})
        elif path == "/flaky":  # 503 once, then the page
            with self.lock:
                first = self.state.setdefault("flaky", 0) == 0
                self.state["flaky"] += 1
            send(rq, method, 503 if first else 200, "busy" if first else OK_PAGE)
        elif path == "/down":
            send(rq, method, 503, "down")
        elif path == "/slow":
            time.sleep(float(query.get("s", ["3"])[0]))
            send(rq, method, 200, OK_PAGE)
        elif path == "/slowish":  # for concurrency limits
            time.sleep(0.15)
            send(rq, method, 200, OK_PAGE)
        elif path == "/huge":  # 50 MB of HTML; the checker must stop reading early
            rq.send_response(200)
            rq.send_header("Content-Type", "text/html")
            rq.send_header("Content-Length", str(50 * 1024 * 1024))
            rq.end_headers()
            if method == "GET":
                chunk = b"<p>" + b"x" * 65530 + b"</p>\n"
                written = 0
                try:
                    for _ in range(50 * 1024 * 1024 // len(chunk)):
                        rq.wfile.write(chunk)
                        written += len(chunk)
                finally:  # how much of the body went out before the checker hung up
                    with self.lock:
                        self.state["huge_written"] = max(self.state.get("huge_written", 0), written)
        elif path == "/huge.bin":
            rq.send_response(200)
            rq.send_header("Content-Type", "application/octet-stream")
            rq.send_header("Content-Length", str(50 * 1024 * 1024))
            rq.end_headers()
            if method == "GET":
                for _ in range(800):
                    rq.wfile.write(b"\0" * 65536)
        elif path == "/soft-404":
            send(rq, method, 200, NOT_FOUND_200)
        elif path == "/parked":
            send(rq, method, 200, PARKED)
        elif path == "/challenge":
            send(rq, method, 403, CHALLENGE, {"cf-mitigated": "challenge"})
        elif path == "/challenge-200":
            send(rq, method, 200, CHALLENGE)
        elif path == "/robots-999":
            send(rq, method, 999, "Request denied")
        elif path == "/login-wall":
            redirect(rq, method, 302, "/login?next=/login-wall")
        elif path == "/login":
            send(rq, method, 200, LOGIN)
        elif path == "/private":
            send(rq, method, 401, "who are you?", {"WWW-Authenticate": "Basic"})
        elif path == "/loop-a":
            redirect(rq, method, 301, "/loop-b")
        elif path == "/loop-b":
            redirect(rq, method, 301, "/loop-a")
        elif path.startswith("/chain/"):  # /chain/3 -> /chain/2 -> /chain/1 -> /other
            n = int(path.rsplit("/", 1)[1])
            redirect(rq, method, 301, f"/chain/{n - 1}" if n > 1 else "/other")
        elif path == "/moved":
            redirect(rq, method, 301, "/other")
        elif path == "/moved-308":
            redirect(rq, method, 308, "/other")
        elif path == "/temporary":
            redirect(rq, method, 302, "/other")
        elif path == "/retired":  # a retired page sent to the home page
            redirect(rq, method, 302, "/")
        elif path == "/retired-301":
            redirect(rq, method, 301, "/")
        elif path == "/app-route":  # an app's route: the home page runs it by script
            redirect(rq, method, 302, "/#/docs/app-route")
        elif path == "/to":  # /to?u=URL redirects anywhere
            redirect(rq, method, 302, query["u"][0])
        elif path == "/toggle":  # alive or not, as the test says
            status = self.state["toggle"]
            send(rq, method, status, OK_PAGE if status == 200 else "gone")
        elif path == "/etag":
            tag = '"v1"'
            if rq.headers.get("If-None-Match") == tag:
                rq.send_response(304)
                rq.send_header("ETag", tag)
                rq.send_header("Content-Length", "0")
                rq.end_headers()
            else:
                send(rq, method, 200, OK_PAGE, {"ETag": tag, "Last-Modified": "Mon, 02 Nov 2026 10:00:00 GMT"})
        elif path == "/echo-headers":
            send(rq, method, 200, OK_PAGE)
        else:
            send(rq, method, 404, "<title>404 Not Found</title>")

    def _locale(self, rq: BaseHTTPRequestHandler, method: str, path: str, _q: dict, _hit: int) -> None:
        if path == "/":
            self.redirect(rq, method, 302, "/en/")
        elif path in ("/en/", "/en/docs"):
            self.send(rq, method, 200, OK_PAGE)
        elif path == "/old-docs":  # retired: sent to the root listing
            self.redirect(rq, method, 301, "/en/")
        elif path == "/docs":  # moved for good
            self.redirect(rq, method, 301, "/en/docs")
        else:
            self.send(rq, method, 404, "<title>404 Not Found</title>")

    def _errors(self, rq: BaseHTTPRequestHandler, method: str, path: str, _q: dict, _hit: int) -> None:
        if path in ("/", "/docs", "/error"):
            self.send(rq, method, 200, ERROR_PAGE if path == "/error" else OK_PAGE)
        else:
            self.redirect(rq, method, 302, f"/error?from={path}")

    def _signin(self, rq: BaseHTTPRequestHandler, method: str, path: str, _q: dict, _hit: int) -> None:
        if path == "/users/sign_in":
            self.send(rq, method, 200, LOGIN)
        elif path == "/explore" or (path == "/" and self.state.get("home_public", True)):
            self.send(rq, method, 200, OK_PAGE)
        else:
            self.redirect(rq, method, 302, f"/users/sign_in?redirect_to={path}")

    def _moved(self, rq: BaseHTTPRequestHandler, method: str, _path: str, _q: dict, _hit: int) -> None:
        self.redirect(rq, method, 301, self.state["to"])

    def _limit(self, rq: BaseHTTPRequestHandler, method: str, path: str, _q: dict, _hit: int) -> None:
        limit, style = int(self.state.get("limit", 10**6)), self.state.get("announce")
        with self.lock:
            now, wall = time.monotonic(), time.time()
            if "busy" in self.state:
                asked = self.state.setdefault("asked", set())
                refused = path in self.state["busy"] and path not in asked
                asked.add(path)
            elif "refuse_at" in self.state:
                refused = len(self.log) + 1 == self.state["refuse_at"]
            elif style or self.state.get("fixed"):  # fixed windows, one per second of the Unix clock (as GitHub's)
                window = int(wall)
                if self.state.get("window") != window:
                    self.state["window"], self.state["used"] = window, 0
                refused = self.state["used"] >= limit
                self.state["used"] += 0 if refused else 1
                left, reset_at = limit - self.state["used"], window + 1
            else:  # a sliding second
                recent = self.state.setdefault("recent", [])
                recent[:] = [t for t in recent if t > now - 1.0]
                refused = len(recent) >= limit
                if not refused:
                    recent.append(now)
            self.log.append((now, 429 if refused else 200))
        time.sleep(float(self.state.get("delay", 0.0)))
        headers = {"Retry-After": "1"} if refused else {}
        if style == "ietf":
            headers |= {"RateLimit-Limit": str(limit), "RateLimit-Remaining": str(left),
                        "RateLimit-Reset": str(max(1, math.ceil(reset_at - wall)))}
        elif style == "draft":
            headers |= {"RateLimit": f'"default";r={left};t={max(1, math.ceil(reset_at - wall))}',
                        "RateLimit-Policy": f'"default";q={limit};w=1'}
        elif style == "github":
            headers |= {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(left),
                        "X-RateLimit-Reset": str(reset_at)}
        if refused:
            self.send(rq, method, 429, "slow down", headers)
        elif path.startswith("/p/"):
            self.send(rq, method, 200, b"%PDF-1.4 ...", headers, content_type="application/pdf")
        else:
            self.send(rq, method, 404, "<title>404 Not Found</title>", headers)

    def _soft(self, rq: BaseHTTPRequestHandler, method: str, path: str, _q: dict, _hit: int) -> None:
        self.send(rq, method, 200, SOFT_REAL if path == "/billing" else SOFT_TEMPLATE)

    def _spa(self, rq: BaseHTTPRequestHandler, method: str, _path: str, _q: dict, _hit: int) -> None:
        self.send(rq, method, 200, SPA_SHELL)

    def _parked(self, rq: BaseHTTPRequestHandler, method: str, _path: str, _q: dict, _hit: int) -> None:
        self.send(rq, method, 200, PARKED)

    def _wayback(self, rq: BaseHTTPRequestHandler, method: str, path: str, query: dict, _hit: int) -> None:
        url = query.get("url", [""])[0]
        snapshot = self.snapshots.get(url)
        closest = {"available": True, "url": snapshot, "timestamp": "20260101000000", "status": "200"}
        body = {"url": url, "archived_snapshots": {"closest": closest} if snapshot else {}}
        self.send(rq, method, 200 if path == "/wayback/available" else 404, json.dumps(body),
                  content_type="application/json")


def refused_port() -> int:
    """A port on 127.0.0.1 that nothing listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
