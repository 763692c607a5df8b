"""A simulated web on loopback for benchmarking link checkers: many hosts, thousands of URLs, the usual mischief.

    .venv/bin/python bench/links_web.py --hosts 20 --urls 5000 --out bench/out/web     # serve, write the lists
    .venv/bin/python bench/links_compare.py                                             # serve, run 4 checkers, score

Each host is an asyncio HTTP/1.1 server on its own loopback address (127.0.0.2, 127.0.0.3, ...; any address in
127.0.0.0/8 reaches this machine), so every checker sees distinct host names: lychee, for one, keys its per-host
limits on the host name alone, and would take 20 ports of 127.0.0.1 for one host. An index server on 127.0.0.1
serves `/links.html`, one page that links every URL, for the checkers that start from a page. `urls.txt` lists
every URL (one per line), `truth.json` says what each one really is:

| class | paths (on the 16 normal hosts) | what the server does |
| --- | --- | --- |
| alive | /ok, /moved (301), /temp (302), /chain (302, 301), /head405 (HEAD refused), | a page that is there |
|       | /headlies (HEAD 404, GET 200), /flaky (503 once), /slow (0.5 s), /big (2 MB), /frag-ok#intro, | |
|       | /busy (429 with `Retry-After: 1` once, then 200) | |
| dead | /dead (404), /gone (410), /soft (200 "Page not found"), /moved-dead (301 to a 404), | a page that is not |
|      | /retired (302 to the home page `/`) | |
| blocked | /blocked (403 + `cf-mitigated: challenge` + challenge page), /robots (999) | bot protection |
| fragment-missing | /frag-missing#nowhere | a live page without the anchor |

Special hosts: the last one is a parked domain (every path: "This domain is for sale"); the one before answers
unknown paths with its 200 "Oops" page (a soft 404 the page text alone does not give away) and serves real pages
under /ok/; two normal hosts limit their clients, realistically, and answer 429 with `Retry-After: 1` beyond the
limit: one to `--host-limit` (4) requests in flight at once, one to `--rate-limit` (25) requests a second.

Every host counts, on the server side, the connections open at once and the requests in flight at once (from
the request's head read to its answer handed to the socket), so a checker's politeness can be compared with its
claims. `Web.reset()` clears the counters and the once-only behaviours between checkers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import sys
import threading
import time
from collections import Counter, deque
from pathlib import Path

PAGE = (b"<!doctype html><html><head><title>Page %d of host %d</title></head><body><h1 id='intro'>Page %d</h1>"
        b"<p>Host %d, page %d: documentation about widgets, sprockets and the configuration of both.</p>"
        b"</body></html>")
NOT_FOUND = (b"<html><head><title>Page not found</title></head><body><p>Sorry, that page does not exist.</p>"
             b"</body></html>")
SOFT_TEMPLATE = (b"<html><head><title>Acme Help</title></head><body><nav>Home Products Pricing Support Blog</nav>"
                 b"<main><h1>Oops!</h1><p>We looked everywhere but there is nothing at this address. Try the "
                 b"search box or go back to the home page.</p></main><footer>Acme Corp. Terms. Privacy.</footer>"
                 b"</body></html>")
PARKED = b"<html><head><title>site.test</title></head><body><h1>This domain is for sale!</h1></body></html>"
CHALLENGE = b"<html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>"
BIG = b"<html><head><title>Big</title></head><body>" + b"<p>" + b"x" * 1000 + b"</p>\n" * 2000 + b"</body></html>"
REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 403: "Forbidden", 404: "Not Found",
           405: "Method Not Allowed", 410: "Gone", 429: "Too Many Requests", 503: "Service Unavailable"}
SLOW = 0.5

# class, path prefix, share of a normal host's URLs
MIX = [
    ("alive", "ok", 0.43), ("alive", "busy", 0.04), ("dead", "retired", 0.03),
    ("alive", "moved", 0.04), ("alive", "temp", 0.03), ("alive", "chain", 0.02),
    ("alive", "head405", 0.04), ("alive", "headlies", 0.02), ("alive", "flaky", 0.02), ("alive", "slow", 0.03),
    ("alive", "big", 0.01), ("alive", "frag-ok", 0.04),
    ("dead", "dead", 0.08), ("dead", "gone", 0.02), ("dead", "soft", 0.04), ("dead", "moved-dead", 0.01),
    ("blocked", "blocked", 0.03), ("blocked", "robots", 0.01),
    ("fragment-missing", "frag-missing", 0.02),
]


class Host:
    """One simulated site. kind: normal | parked | soft | index; limit: none | concurrency | rate."""

    def __init__(self, number: int, kind: str, address: str, limit: str = "none", host_limit: int = 4,
                 rate_limit: int = 25) -> None:
        self.number, self.kind, self.address, self.limit = number, kind, address, limit
        self.host_limit, self.rate_limit = host_limit, rate_limit
        self.port = 0
        self.index = b""
        self.reset()

    def reset(self) -> None:
        self.open = self.max_open = self.accepted = 0
        self.inflight = self.max_inflight = 0
        self.requests = 0
        self.methods: Counter[str] = Counter()
        self.limited = 0  # 429s answered because the client went over the limit
        self.busy = 0  # 429s answered by /busy pages (once each, whatever the rate)
        self.seen: Counter[str] = Counter()
        self.window: deque[float] = deque()

    @property
    def origin(self) -> str:
        return f"http://{self.address}:{self.port}"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        self.accepted += 1
        self.max_open = max(self.max_open, self.open)
        try:
            while True:
                request = await reader.readuntil(b"\r\n\r\n")
                line, _, rest = request.partition(b"\r\n")
                method, target = line.split(b" ", 2)[:2]
                close = b"connection: close" in rest.lower()
                self.inflight += 1
                self.max_inflight = max(self.max_inflight, self.inflight)
                self.requests += 1
                self.methods[method.decode()] += 1
                try:
                    status, headers, body = await self.answer(method.decode(), target.decode().split("?", 1)[0])
                finally:
                    self.inflight -= 1
                head = [f"HTTP/1.1 {status} {REASONS.get(status, 'Whatever')}", f"Content-Length: {len(body)}",
                        "Content-Type: text/html; charset=utf-8"]
                head += [f"{k}: {v}" for k, v in headers.items()]
                writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + (body if method != b"HEAD" else b""))
                await writer.drain()
                if close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError):
            pass
        finally:
            self.open -= 1
            writer.close()

    def over_limit(self) -> bool:
        if self.limit == "concurrency":
            return self.inflight > self.host_limit
        if self.limit == "rate":
            now = time.monotonic()
            while self.window and self.window[0] <= now - 1.0:
                self.window.popleft()
            if len(self.window) >= self.rate_limit:
                return True
            self.window.append(now)
        return False

    async def answer(self, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
        if self.kind == "index":
            return (200, {}, self.index) if path == "/links.html" else (404, {}, b"<title>404</title>")
        if self.over_limit():
            self.limited += 1
            return 429, {"Retry-After": "1"}, b"<title>Too many requests</title>"
        parts = path.strip("/").split("/")
        prefix, n = parts[0], int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        page = PAGE % (n, self.number, n, self.number, n)
        if self.kind == "parked":
            return 200, {}, PARKED
        if self.kind == "soft" and prefix != "ok":
            return 200, {}, SOFT_TEMPLATE
        if prefix in ("ok", "frag-ok", "frag-missing", "other") or path in ("/", ""):
            return 200, {}, page
        if prefix == "moved":
            return 301, {"Location": f"/other/{n}"}, b""
        if prefix == "moved-dead":
            return 301, {"Location": f"/dead/{n}"}, b""
        if prefix == "temp":
            return 302, {"Location": f"/other/{n}"}, b""
        if prefix == "chain":
            return 302, {"Location": f"/moved/{n}"}, b""
        if prefix == "head405":
            return (405, {"Allow": "GET"}, b"") if method == "HEAD" else (200, {}, page)
        if prefix == "headlies":
            return (404, {}, b"") if method == "HEAD" else (200, {}, page)
        if prefix == "busy":  # refuses its first request, whatever the rate: a host that asks for a pause once
            self.seen[path] += 1
            if self.seen[path] == 1:
                self.busy += 1
                return 429, {"Retry-After": "1"}, b"<title>Too many requests</title>"
            return 200, {}, page
        if prefix == "retired":  # a retired page sent to the home page
            return 302, {"Location": "/"}, b""
        if prefix == "flaky":
            self.seen[path] += 1
            return (503, {}, b"busy") if self.seen[path] == 1 else (200, {}, page)
        if prefix == "slow":
            await asyncio.sleep(SLOW)
            return 200, {}, page
        if prefix == "big":
            return 200, {}, BIG
        if prefix == "gone":
            return 410, {}, b"gone"
        if prefix == "soft":
            return 200, {}, NOT_FOUND
        if prefix == "blocked":
            return 403, {"cf-mitigated": "challenge"}, CHALLENGE
        if prefix == "robots":
            return 999, {}, b"denied"
        return 404, {}, b"<title>404</title>"


class Web:
    """The hosts, the plan of URLs and the truth; `start()` serves them from a background thread."""

    def __init__(self, hosts: int = 20, urls: int = 5000, seed: int = 1, host_limit: int = 4,
                 rate_limit: int = 25) -> None:
        if hosts < 5:
            raise ValueError("at least 5 hosts (parked, soft-404, concurrency-limited, rate-limited, normal)")
        rng = random.Random(seed)
        self.hosts: list[Host] = []
        for i in range(hosts):
            kind = "parked" if i == hosts - 1 else "soft" if i == hosts - 2 else "normal"
            limit = "concurrency" if i == 0 else "rate" if i == 1 else "none"
            self.hosts.append(Host(i, kind, f"127.0.0.{i + 2}", limit, host_limit, rate_limit))
        self.index_host = Host(-1, "index", "127.0.0.1")
        self.plan: list[tuple[int, str, str]] = []
        special = max(1, urls // 100)  # a few URLs on the parked and soft-404 hosts
        for i in range(special):
            self.plan.append((hosts - 1, f"/docs/{i}", "dead"))
            self.plan.append((hosts - 2, f"/old/{i}", "dead"))
            self.plan.append((hosts - 2, f"/ok/{i}", "alive"))
        normal = [h.number for h in self.hosts if h.kind == "normal"]
        weights = [share for _, _, share in MIX]
        for i in range(urls - len(self.plan)):
            truth, prefix, _ = rng.choices(MIX, weights)[0]
            host = rng.choice(normal)
            anchor = "#intro" if prefix == "frag-ok" else "#nowhere" if prefix == "frag-missing" else ""
            self.plan.append((host, f"/{prefix}/{i}{anchor}", truth))
        rng.shuffle(self.plan)
        self.truth: dict[str, str] = {}
        self.loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        try:
            soft = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(8192, soft[1]), soft[1]))
        except (ValueError, OSError):
            pass
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        async def main() -> None:
            try:
                for host in [*self.hosts, self.index_host]:
                    server = await asyncio.start_server(host.serve, host.address, 0, backlog=1024)
                    host.port = server.sockets[0].getsockname()[1]
            except OSError as exc:
                failure.append(exc)
            ready.set()

        def run() -> None:
            assert self.loop is not None
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(main())
            self.loop.run_forever()

        threading.Thread(target=run, daemon=True, name="web").start()
        ready.wait()
        if failure:
            raise failure[0]
        self.truth = {f"{self.hosts[h].origin}{path}": kind for h, path, kind in self.plan}
        links = "\n".join(f'<li><a href="{url}">{url}</a></li>' for url in self.truth)
        self.index_host.index = (f"<!doctype html><html><head><title>Links</title></head><body><ul>\n{links}\n"
                                 f"</ul></body></html>").encode()

    def stop(self) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)

    @property
    def index_url(self) -> str:
        return f"{self.index_host.origin}/links.html"

    def reset(self) -> None:
        """Fresh counters and once-only behaviours (503 once) for the next checker."""
        assert self.loop is not None
        done = threading.Event()

        def clear() -> None:
            for host in self.hosts:
                host.reset()
            done.set()

        self.loop.call_soon_threadsafe(clear)
        done.wait()

    def stats(self) -> dict[str, object]:
        return {
            "max_open_per_host": max(h.max_open for h in self.hosts),
            "max_inflight_per_host": max(h.max_inflight for h in self.hosts),
            "connections": sum(h.accepted for h in self.hosts),
            "requests": sum(h.requests for h in self.hosts),
            "methods": dict(sum((h.methods for h in self.hosts), Counter())),
            "answered_429": sum(h.limited for h in self.hosts),
            "busy_429": sum(h.busy for h in self.hosts),
        }

    def write_lists(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "urls.txt").write_text("\n".join(self.truth) + "\n", encoding="utf-8")
        (out / "truth.json").write_text(json.dumps(self.truth, indent=1), encoding="utf-8")
        (out / "links.html").write_bytes(self.index_host.index)

    def describe(self) -> str:
        counts = Counter(self.truth.values())
        return (f"{len(self.hosts)} hosts on 127.0.0.2-127.0.0.{len(self.hosts) + 1} (index {self.index_url}); "
                f"{len(self.truth)} URLs ({', '.join(f'{n} {k}' for k, n in counts.most_common())})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--urls", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--host-limit", type=int, default=4, help="requests in flight one host allows (default 4)")
    parser.add_argument("--rate-limit", type=int, default=25, help="requests a second one host allows (default 25)")
    parser.add_argument("--out", type=Path, required=True, help="where urls.txt, truth.json and links.html go")
    args = parser.parse_args(argv)
    web = Web(args.hosts, args.urls, args.seed, args.host_limit, args.rate_limit)
    web.start()
    web.write_lists(args.out)
    print(web.describe())
    print("serving; Ctrl-C stops")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        web.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
