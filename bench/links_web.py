"""A simulated web on 127.0.0.1 for benchmarking link checkers: many hosts, thousands of URLs, the usual mischief.

    .venv/bin/python bench/links_web.py --hosts 20 --urls 5000 --out bench/out/web     # serve, write the lists
    .venv/bin/python bench/links_web.py --hosts 20 --urls 5000 --run-auditor           # serve, check, score

Each host is an asyncio HTTP/1.1 server on its own port of 127.0.0.1. `urls.txt` lists every URL (one per
line), `truth.json` says what each one really is:

| class | paths | what the server does |
| --- | --- | --- |
| alive | /ok, /moved (301), /temp (302), /chain (302, 301), /head405, /flaky (503 once), | a page that is there |
|       | /limited (429 + Retry-After: 1 once), /slow (0.3 s), /big (2 MB), /frag-ok#intro | |
| dead | /dead (404), /gone (410), /soft (200 "Page not found"), any path on the parked host, | a page that is not |
|      | unknown paths on the soft-404 host | |
| blocked | /blocked (403 + `cf-mitigated: challenge`), /robots (999) | bot protection: not evidence of death |
| fragment-missing | /frag#nowhere | a live page without the anchor |

Every host counts the connections open at once (`max_open`), so a checker's politeness can be compared with
its claims. With `--run-auditor` the script runs `auditor links check --from urls.txt --format json
--allow-private-addresses` as a child process and prints wall time, URLs per second, peak memory, dead links
found, live links reported broken, bot-protected links reported broken and the most connections open at once
to one host. The comparison with other checkers (lychee, linkchecker, linkinator) is a later step.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
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

# class, path prefix, share of a normal host's URLs
MIX = [
    ("alive", "ok", 0.52), ("alive", "moved", 0.04), ("alive", "temp", 0.03), ("alive", "chain", 0.02),
    ("alive", "head405", 0.04), ("alive", "flaky", 0.02), ("alive", "limited", 0.01), ("alive", "slow", 0.03),
    ("alive", "big", 0.01), ("alive", "frag-ok", 0.04),
    ("dead", "dead", 0.08), ("dead", "gone", 0.02), ("dead", "soft", 0.04),
    ("blocked", "blocked", 0.03), ("blocked", "robots", 0.01),
    ("fragment-missing", "frag-missing", 0.02),
]


class Host:
    def __init__(self, number: int, kind: str) -> None:
        self.number, self.kind = number, kind  # kind: normal | parked | soft
        self.open = 0
        self.max_open = 0
        self.requests = 0
        self.accepted = 0
        self.seen: Counter[str] = Counter()
        self.port = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.open += 1
        self.accepted += 1
        self.max_open = max(self.max_open, self.open)
        try:
            while True:
                request = await reader.readuntil(b"\r\n\r\n")
                method, target = request.split(b" ", 2)[:2]
                self.requests += 1
                status, headers, body = self.answer(method.decode(), target.decode().split("?", 1)[0])
                if status == -1:
                    await asyncio.sleep(0.3)
                    status, headers, body = 200, {}, PAGE % (0, self.number, 0, self.number, 0)
                head = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", "Content-Type: text/html"]
                head += [f"{k}: {v}" for k, v in headers.items()]
                writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + (body if method == b"GET" else b""))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            self.open -= 1
            writer.close()

    def answer(self, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
        parts = path.strip("/").split("/")
        prefix, n = parts[0], int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
        page = PAGE % (n, self.number, n, self.number, n)
        if self.kind == "parked":
            return 200, {}, PARKED
        if self.kind == "soft" and prefix != "ok":
            return 200, {}, SOFT_TEMPLATE
        key = f"{prefix}/{n}"
        self.seen[key] += 1
        first = self.seen[key] == 1
        if prefix in ("ok", "frag-ok", "frag-missing", "other") or path in ("/", ""):
            return 200, {}, page
        if prefix == "moved":
            return 301, {"Location": f"/other/{n}"}, b""
        if prefix == "temp":
            return 302, {"Location": f"/other/{n}"}, b""
        if prefix == "chain":
            return 302, {"Location": f"/moved/{n}"}, b""
        if prefix == "head405":
            return (405, {}, b"") if method == "HEAD" else (200, {}, page)
        if prefix == "flaky":
            return (503, {}, b"busy") if first else (200, {}, page)
        if prefix == "limited":
            return (429, {"Retry-After": "1"}, b"slow down") if first else (200, {}, page)
        if prefix == "slow":
            return -1, {}, b""
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


def build(hosts: int, urls: int, seed: int) -> tuple[list[Host], list[tuple[int, str, str]]]:
    """The hosts and (host index, path, truth) for every URL."""
    rng = random.Random(seed)
    made = [Host(i, "parked" if i == hosts - 1 else "soft" if i == hosts - 2 else "normal") for i in range(hosts)]
    plan: list[tuple[int, str, str]] = []
    special = max(1, urls // 100)  # a few URLs on the parked and soft-404 hosts
    for i in range(special):
        plan.append((hosts - 1, f"/docs/{i}", "dead"))
        plan.append((hosts - 2, f"/old/{i}", "dead"))
        plan.append((hosts - 2, f"/ok/{i}", "alive"))
    normal = [h for h in range(hosts) if made[h].kind == "normal"]
    weights = [share for _, _, share in MIX]
    for i in range(urls - len(plan)):
        truth, prefix, _ = rng.choices(MIX, weights)[0]
        host = rng.choice(normal)
        path = f"/{prefix}/{i}" + ("#intro" if prefix == "frag-ok" else "#nowhere" if prefix == "frag-missing" else "")
        plan.append((host, path, truth))
    rng.shuffle(plan)
    return made, plan


def start(hosts: list[Host]) -> tuple[asyncio.AbstractEventLoop, threading.Thread]:
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    async def main() -> None:
        for host in hosts:
            server = await asyncio.start_server(host.serve, "127.0.0.1", 0, backlog=1024)
            host.port = server.sockets[0].getsockname()[1]
        ready.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(main())
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    ready.wait()
    return loop, thread


def write_lists(out: Path, hosts: list[Host], plan: list[tuple[int, str, str]]) -> dict[str, str]:
    out.mkdir(parents=True, exist_ok=True)
    truth = {f"http://127.0.0.1:{hosts[h].port}{path}": kind for h, path, kind in plan}
    (out / "urls.txt").write_text("\n".join(truth) + "\n", encoding="utf-8")
    (out / "truth.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
    return truth


def run_auditor(out: Path, hosts: list[Host], truth: dict[str, str], settings: str = "") -> dict[str, object]:
    auditor = Path(sys.executable).with_name("auditor")
    (out / "auditor.toml").write_text(f"[settings]\n{settings}\n", encoding="utf-8")
    started = time.monotonic()
    with open(out / "auditor.json", "wb") as stdout:
        child = subprocess.Popen([str(auditor), "links", "check", "--from", str(out / "urls.txt"), "--format", "json",
                                  "--allow-private-addresses"], stdout=stdout, stderr=subprocess.DEVNULL, cwd=out)
        _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - started
    results = {r["url"]: r for r in json.loads((out / "auditor.json").read_text())["results"]}
    reported_broken = {u for u, r in results.items() if r["verdict"] in ("broken", "fragment-missing")}
    dead = {u for u, k in truth.items() if k == "dead"}
    return {
        "checker": "auditor",
        "exit": os.waitstatus_to_exitcode(status),
        "wall_s": round(wall, 2),
        "urls_per_s": round(len(truth) / wall, 1),
        "peak_mb": round(usage.ru_maxrss / 1024, 1),
        "dead_found": f"{len(dead & reported_broken)}/{len(dead)}",
        "live_reported_broken": len({u for u, k in truth.items() if k == "alive"} & reported_broken),
        "blocked_reported_broken": len({u for u, k in truth.items() if k == "blocked"} & reported_broken),
        "fragments_found": f"{len({u for u, k in truth.items() if k == 'fragment-missing'} & reported_broken)}"
                           f"/{sum(1 for k in truth.values() if k == 'fragment-missing')}",
        "max_open_per_host": max(h.max_open for h in hosts),
        "requests": sum(h.requests for h in hosts),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--urls", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None, help="where urls.txt and truth.json go (default: temp)")
    parser.add_argument("--run-auditor", action="store_true", help="check the URLs with the auditor and score it")
    parser.add_argument("--settings", default="",
                        help="auditor.toml [settings] lines for the run, ';'-separated, e.g. 'link_retries = 1'")
    args = parser.parse_args(argv)
    if args.hosts < 3:
        parser.error("--hosts must be at least 3 (one parked, one soft-404, one normal)")
    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    hosts, plan = build(args.hosts, args.urls, args.seed)
    loop, _ = start(hosts)
    out = args.out or Path(tempfile.mkdtemp(prefix="links-web-"))
    truth = write_lists(out, hosts, plan)
    print(f"{len(hosts)} hosts on 127.0.0.1 ports {hosts[0].port}..{hosts[-1].port}; {len(truth)} URLs in "
          f"{out / 'urls.txt'} ({', '.join(f'{n} {k}' for k, n in Counter(truth.values()).most_common())})")
    if args.run_auditor:
        figures = run_auditor(out, hosts, truth, args.settings.replace(";", "\n"))
        width = max(map(len, figures))
        for key, value in figures.items():
            print(f"{key:<{width}}  {value}")
        loop.call_soon_threadsafe(loop.stop)
        return 0
    print("serving; Ctrl-C stops")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        loop.call_soon_threadsafe(loop.stop)
    return 0


if __name__ == "__main__":
    sys.exit(main())
