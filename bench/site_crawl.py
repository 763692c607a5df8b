"""Crawl a generated site of N entry pages with the auditor and with a bare Scrapy spider (the floor), in one run.

    .venv/bin/python bench/site_crawl.py [--pages 10000] [--per-page 50] [--rounds 1] [--no-audit]
        [--keep] [--json FILE]

The site: `bench/generate.py` writes N entries (the folder benchmark's directory, no planted problems), and
`examples/site/build.py`'s own templates render them as the example site's pages, so `spiders/example.yml`'s
selectors match: an entry page per entry (title, kind, summary, dates, owner, tags, the outbound links list, prices
or package, the body, the Related block linking 1-6 other entry pages), listing pages of `--per-page` entries with
`rel=next` pagination from `/`, an about page and a robots.txt. They are written to a temporary folder and served
from memory by a small asyncio HTTP/1.1 server (keep-alive, answers prepared in advance) in a process of its own
on 127.0.0.1. Nothing leaves the machine.

The profile is `spiders/example.yml` with the limits a 10 000-page site needs (no depth limit: the pagination is
one hop per listing page; a page limit of 2N + 1000; an hour) and the generated directory's auditor.toml; its crawl
settings (concurrency 16, 8 per domain, AutoThrottle with no start delay and 8 as its target, robots.txt obeyed)
are the example's. Each step is a child process, timed from start to exit (interpreter start-up and imports
included), its peak RSS read from /proc (VmHWM of each of its processes, every 0.1 s; `os.wait4`'s ru_maxrss
would count the RSS this script had when it started the child):

  floor          this file with `--floor JOB`: a bare Scrapy spider (CrawlerProcess) that follows every <a href>
                 on the site and does nothing else, with the Scrapy settings the auditor's crawl uses for the
                 profile (`auditor.sources.site_crawl.scrapy_settings`, less the item pipeline)
  auditor crawl  `python -m auditor.sources.site_crawl --job JOB.json`, the crawler process `SiteSource` starts,
                 with the job it writes (the profile, the items file, no extra settings)
  full audit     `auditor audit URL --profile P --offline --allow-private-addresses --as-of 2026-11-29` with its
                 own store and report folder: crawl, entries, every rule, store, tickets, report

`--rounds R` runs floor and auditor crawl R times, alternating, and takes the median of each. Every step must reach
all N entry pages (the floor: N entry URLs answered; the crawls: N entry items; the audit: N entries), else the
run exits 1. The server's CPU time during each step and its raw rate (a keep-alive client with 16 connections
fetching every entry page, no parsing) show whether it could have been the limit.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402
from run import AUDITOR, PYTHON, Step, machine, tail  # noqa: E402

AS_OF = "2026-11-29"
EXAMPLE_PROFILE = PROJECT / "spiders" / "example.yml"
TARGET_RATIO = 1.5
STATS_PATH = "/__bench__/stats"


# -- the site --------------------------------------------------------------------------------------------------

def _example_build() -> Any:
    """examples/site/build.py as a module (its page templates)."""
    spec = importlib.util.spec_from_file_location("example_site_build", PROJECT / "examples" / "site" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_site(n: int, directory: Path, public: Path, per_page: int, seed: int) -> list[str]:
    """Write the directory (bench/generate.py) and its site (the example site's templates); the entry pages' paths."""
    generate(n, directory, seed, 0.0)
    sys.path.insert(0, str(PROJECT))
    from markdown_it import MarkdownIt

    from auditor.config import load_config
    from auditor.pipeline import load_entries

    build = _example_build()
    entries = sorted(load_entries(directory, load_config(directory)), key=lambda e: e.path)
    by_id = {e.id: e for e in entries}
    markdown = MarkdownIt("commonmark").enable("table")
    files: dict[str, str] = {}
    for entry in entries:
        files[build.entry_url(entry).strip("/") + "/index.html"] = build.render(markdown, entry, by_id)
    pages = (len(entries) + per_page - 1) // per_page
    for number in range(1, pages + 1):
        chunk = entries[(number - 1) * per_page:number * per_page]
        files["index.html" if number == 1 else f"page/{number}/index.html"] = build.listing(chunk, number, pages)
    files["about/index.html"] = build.page("About", "<h1>About</h1>\n<p>A generated directory, rendered as a site.</p>")
    files["robots.txt"] = "User-agent: *\nDisallow: /drafts/\n"
    for rel, text in files.items():
        path = public / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return [build.entry_url(e) for e in entries]


# -- the server (its own process) --------------------------------------------------------------------------------

def load_answers(public: Path) -> dict[bytes, bytes]:
    """Every URL path of the site -> its whole HTTP answer, prepared once."""
    answers: dict[bytes, bytes] = {}
    for path in public.rglob("*"):
        if not path.is_file():
            continue
        rel = path.relative_to(public).as_posix()
        body = path.read_bytes()
        kind = "text/html; charset=utf-8" if rel.endswith(".html") else "text/plain; charset=utf-8"
        answer = (f"HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
        answers[("/" + rel).encode()] = answer
        if rel.endswith("index.html"):
            answers[("/" + rel.removesuffix("index.html")).encode()] = answer
    return answers


NOT_FOUND = b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 18\r\n\r\n<title>404</title>"


class SiteServer(asyncio.Protocol):
    """HTTP/1.1 with keep-alive; GET and HEAD of prepared answers; `/__bench__/stats` gives the counters."""

    answers: dict[bytes, bytes] = {}
    counts = {"requests": 0, "not_found": 0, "connections": 0}

    def connection_made(self, transport: Any) -> None:
        self.transport, self.buffer = transport, b""
        self.counts["connections"] += 1

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head, self.buffer = self.buffer[:end], self.buffer[end + 4:]
            method, _, rest = head.partition(b" ")
            target = rest.split(b" ", 1)[0].split(b"?", 1)[0]
            self.counts["requests"] += 1
            if target == STATS_PATH.encode():
                body = json.dumps(self.counts).encode()
                answer = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
            else:
                answer = self.answers.get(target)
                if answer is None:
                    self.counts["not_found"] += 1
                    answer = NOT_FOUND
            if method == b"HEAD":
                answer = answer[:answer.index(b"\r\n\r\n") + 4]
            self.transport.write(answer)
            if b"connection: close" in head.lower():
                self.transport.close()
                return


def serve(public: Path) -> None:
    """Serve the site on a free port of 127.0.0.1; print the port once listening."""
    SiteServer.answers = load_answers(public)

    async def main() -> None:
        server = await asyncio.get_running_loop().create_server(SiteServer, "127.0.0.1", 0, backlog=1024)
        print(server.sockets[0].getsockname()[1], flush=True)
        await server.serve_forever()

    asyncio.run(main())


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat", "rb") as handle:
        fields = handle.read().rsplit(b")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_counts(origin: str) -> dict[str, int]:
    with urllib.request.urlopen(origin + STATS_PATH, timeout=10) as answer:
        return json.loads(answer.read())


async def _probe(origin: str, paths: list[str], connections: int) -> None:
    host, port = origin.removeprefix("http://").split(":")
    todo = list(reversed(paths))

    async def one() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        while todo:
            writer.write(f"GET {todo.pop()} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"Content-Length: (\d+)", head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
        writer.close()

    await asyncio.gather(*(one() for _ in range(connections)))


# -- the floor (its own process) ---------------------------------------------------------------------------------

def floor(job_path: Path) -> None:
    """A bare Scrapy spider: follow every <a href> within the site, keep the URLs answered, nothing more."""
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.http import TextResponse

    from auditor.sources.site_crawl import scrapy_settings

    job = json.loads(job_path.read_text(encoding="utf-8"))
    profile = job["profile"]
    settings = scrapy_settings(profile, os.devnull)
    for key in ("ITEM_PIPELINES", "AUDITOR_ITEMS_PATH"):  # it yields no items
        settings.pop(key, None)
    origins = tuple(f"http://{d}" for d in profile["allowed_domains"])

    class FloorSpider(scrapy.Spider):
        name = "floor"
        start_urls = profile["start_urls"]
        answered: list[str] = []
        failed: list[str] = []

        def parse(self, response: Any) -> Any:
            self.answered.append(response.url)
            if not isinstance(response, TextResponse):
                return
            for href in response.css("a::attr(href)").getall():
                url = response.urljoin(href)
                if url.startswith(origins):
                    yield scrapy.Request(url, callback=self.parse, errback=self.errback)

        def errback(self, failure: Any) -> None:
            self.failed.append(failure.request.url)

    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(FloorSpider)
    process.crawl(crawler)
    process.start()
    stats = {k: v for k, v in (crawler.stats.get_stats() if crawler.stats else {}).items()
             if isinstance(v, int | float | str)}
    result = {"answered": FloorSpider.answered, "failed": FloorSpider.failed, "stats": stats}
    Path(job["out"]).write_text(json.dumps(result, default=str), encoding="utf-8")


# -- the run -----------------------------------------------------------------------------------------------------

def bench_profile(origin: str, n: int, config: Path) -> dict[str, Any]:
    """spiders/example.yml with the limits a site of n entry pages needs."""
    import yaml

    data = yaml.safe_load(EXAMPLE_PROFILE.read_text(encoding="utf-8"))
    data.update({"name": f"bench-site-{n}", "site": origin + "/", "config": str(config)})
    data["limits"] = dict(data.get("limits") or {}) | {"depth": 0, "pages": 2 * n + 1000, "seconds": 3600}
    return data


class PeakMemory(threading.Thread):
    """The peak RSS of every process in a tree, read from /proc/PID/status (VmHWM) every 0.1 s until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peaks, self.running = pid, {}, True  # pid -> MB

    def run(self) -> None:
        while self.running:
            todo = [self.pid]
            while todo:
                pid = todo.pop()
                try:
                    with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as handle:
                        hwm = next((line for line in handle if line.startswith("VmHWM:")), "VmHWM: 0 kB")
                    with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as handle:
                        todo.extend(int(child) for child in handle.read().split())
                except OSError:
                    continue
                self.peaks[pid] = max(self.peaks.get(pid, 0.0), int(hwm.split()[1]) / 1024)
            time.sleep(0.1)


@dataclass
class Run(Step):
    cpu_seconds: float = 0.0


def measure(step: Run, logs: Path, server: tuple[int, str], timeout: float) -> tuple[str, dict[str, float]]:
    """Run the step as a child process: its wall time, exit code and peak RSS (the largest of its processes) go
    into `step`; returns its stdout and what the server (pid, origin) did meanwhile: CPU seconds, requests."""
    server_pid, origin = server
    before, asked = cpu_seconds(server_pid), server_counts(origin)["requests"]
    out_path, err_path = logs / f"{step.name}.stdout", logs / f"{step.name}.stderr"
    env = {k: v for k, v in os.environ.items() if k != "AUDITOR_DB"}
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        child = subprocess.Popen(step.command, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=PROJECT)
        memory = PeakMemory(child.pid)
        memory.start()
        timer = threading.Timer(timeout, child.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(child.pid, 0)
        finally:
            timer.cancel()
        step.seconds = time.perf_counter() - started
        memory.running = False
    child.returncode = step.exit_code = os.waitstatus_to_exitcode(status)  # so Popen does not reap it again
    step.cpu_seconds = usage.ru_utime + usage.ru_stime  # the child's and its waited-for children's
    step.peak_rss_mb = max(memory.peaks.values(), default=0.0)
    if len(memory.peaks) > 1:
        step.note = "peak RSS per process: " + ", ".join(f"{mb:.0f} MB" for mb in memory.peaks.values())
    served = {"server_cpu": cpu_seconds(server_pid) - before,
              "server_requests": server_counts(origin)["requests"] - asked - 1}  # less the first look at the counts
    return out_path.read_text(encoding="utf-8", errors="replace"), served


def read_items(path: Path) -> dict[str, Any]:
    counts: dict[str, int] = {}
    entry_urls: set[str] = set()
    finish = ""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            item = json.loads(line)
            counts[item["type"]] = counts.get(item["type"], 0) + 1
            if item["type"] == "entry":
                entry_urls.add(item["final_url"])
            elif item["type"] == "finished":
                finish = item.get("reason", "")
    return {"counts": counts, "entry_urls": entry_urls, "finish": finish}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=10000, help="entry pages (default 10000)")
    parser.add_argument("--per-page", type=int, default=50, help="entries per listing page (default 50)")
    parser.add_argument("--rounds", type=int, default=1, help="floor + auditor crawl pairs, alternating (median)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-audit", action="store_true", help="skip the full `auditor audit` run")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before a step is killed")
    parser.add_argument("--keep", action="store_true", help="keep the site, profile, items and logs")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # internal: the server process
    parser.add_argument("--floor", type=Path, help=argparse.SUPPRESS)  # internal: the floor's crawler process
    parser.add_argument("--probe", nargs=2, help=argparse.SUPPRESS)  # internal: ORIGIN PATHS_FILE
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve)
        return 0
    if args.floor:
        floor(args.floor)
        return 0
    if args.probe:
        paths = Path(args.probe[1]).read_text(encoding="utf-8").split()
        asyncio.run(_probe(args.probe[0], paths, 16))
        return 0

    work = Path(tempfile.mkdtemp(prefix=f"auditor-site-bench-{args.pages}-"))
    logs, public = work / "logs", work / "public"
    logs.mkdir()
    server: subprocess.Popen[str] | None = None
    failed = False
    try:
        started = time.perf_counter()
        entry_paths = build_site(args.pages, work / "directory", public, args.per_page, args.seed)
        size = sum(p.stat().st_size for p in public.rglob("*") if p.is_file())
        listing_pages = (len(entry_paths) + args.per_page - 1) // args.per_page
        print(f"site: {len(entry_paths)} entry pages + {listing_pages} listing pages, {size / 1e6:.1f} MB, "
              f"built in {time.perf_counter() - started:.1f} s ({work}); load average {os.getloadavg()[0]:.2f}",
              flush=True)

        server = subprocess.Popen([str(PYTHON), __file__, "--serve", str(public)], stdout=subprocess.PIPE, text=True,
                                  cwd=PROJECT)
        assert server.stdout is not None
        origin = f"http://127.0.0.1:{int(server.stdout.readline())}"
        wanted = {origin + p for p in entry_paths}
        (work / "paths.txt").write_text("\n".join(entry_paths) + "\n", encoding="utf-8")

        import yaml

        from auditor.sources.site_crawl import scrapy_settings
        from auditor.sources.site_profile import profile_from_dict

        profile_data = bench_profile(origin, args.pages, work / "directory" / "auditor.toml")
        profile_path = work / "profile.yml"
        profile_path.write_text(yaml.safe_dump(profile_data, sort_keys=False), encoding="utf-8")
        profile = profile_from_dict(profile_data, profile_path).as_dict()
        shown = {k: v for k, v in scrapy_settings(profile, "").items() if k.startswith(
            ("CONCURRENT", "DOWNLOAD_DELAY", "AUTOTHROTTLE", "ROBOTSTXT", "DEPTH", "CLOSESPIDER", "RETRY"))}
        print("scrapy settings (both crawls): " + ", ".join(f"{k}={v}" for k, v in shown.items()), flush=True)

        probe = Run("probe", [str(PYTHON), __file__, "--probe", origin, str(work / "paths.txt")])
        _, served = measure(probe, logs, (server.pid, origin), args.timeout)
        probe.note = (f"{served['server_requests'] / probe.seconds:.0f} pages/s raw; server CPU "
                      f"{served['server_cpu']:.1f} s ({served['server_cpu'] / probe.seconds:.0%} of wall)")
        print(f"{probe.name}: {probe.seconds:.2f} s, {probe.note}", flush=True)

        rows: list[dict[str, Any]] = []
        for round_number in range(1, args.rounds + 1):
            out = work / f"floor-{round_number}.json"
            job = work / f"floor-job-{round_number}.json"
            job.write_text(json.dumps({"profile": profile, "out": str(out)}), encoding="utf-8")
            step = Run(f"floor-{round_number}", [str(PYTHON), __file__, "--floor", str(job)])
            _, served = measure(step, logs, (server.pid, origin), args.timeout)
            if step.exit_code == 0 and out.exists():
                result = json.loads(out.read_text(encoding="utf-8"))
                reached = len(wanted & set(result["answered"]))
                pages, errors = len(result["answered"]), len(result["failed"])
            else:
                reached = pages = errors = 0
            rows.append({"step": "floor", "round": round_number, **asdict(step), "pages": pages, "errors": errors,
                         "entry_pages": reached, **served})

            items = work / f"items-{round_number}.jsonl"
            items.touch()
            job = work / f"crawl-job-{round_number}.json"
            job.write_text(json.dumps({"profile": profile, "items_path": str(items), "settings": {}}, default=str),
                           encoding="utf-8")
            step = Run(f"crawl-{round_number}", [str(PYTHON), "-m", "auditor.sources.site_crawl", "--job", str(job)])
            _, served = measure(step, logs, (server.pid, origin), args.timeout)
            read = read_items(items)
            rows.append({"step": "auditor crawl", "round": round_number, **asdict(step),
                         "pages": read["counts"].get("page", 0), "errors": read["counts"].get("error", 0),
                         "entry_pages": len(wanted & read["entry_urls"]), **served, "finish": read["finish"]})
            for row in rows[-2:]:
                print(f"{row['step']:<14} round {round_number}: {row['seconds']:7.2f} s (CPU "
                      f"{row['cpu_seconds']:.1f} s), {row['pages']} pages "
                      f"({row['entry_pages']} entry pages, {row['errors']} errors), peak RSS "
                      f"{row['peak_rss_mb']:.0f} MB, server CPU {row['server_cpu']:.1f} s", flush=True)

        audit_row: dict[str, Any] | None = None
        if not args.no_audit:
            step = Run("audit", [str(AUDITOR), "audit", origin + "/", "--profile", str(profile_path), "--offline",
                                  "--allow-private-addresses", "--as-of", AS_OF, "--db",
                                  f"sqlite:///{work / 'audit.db'}", "--report-dir", str(work / "report")])
            stdout, served = measure(step, logs, (server.pid, origin), args.timeout)
            entries = re.search(r"Audited .*?: (\d+) entries", stdout)
            crawl = re.search(r"Crawl: +(\d+) pages, (\d+) entry pages in ([\d.]+) s", stdout)
            findings = re.search(r"Findings: (\d+)", stdout)
            audit_row = {"step": "full audit", **asdict(step), "entries": int(entries.group(1)) if entries else 0,
                         "pages": int(crawl.group(1)) if crawl else 0,
                         "entry_pages": int(crawl.group(2)) if crawl else 0,
                         "crawl_seconds": float(crawl.group(3)) if crawl else None,
                         "findings": int(findings.group(1)) if findings else None, **served}
            if step.exit_code != 0:
                print(f"audit failed (exit {step.exit_code}):\n{tail(logs / 'audit.stderr')}", file=sys.stderr)

        floors = [r for r in rows if r["step"] == "floor"]
        crawls = [r for r in rows if r["step"] == "auditor crawl"]
        floor_s = statistics.median(r["seconds"] for r in floors)
        crawl_s = statistics.median(r["seconds"] for r in crawls)
        n = len(entry_paths)
        print(f"\nsite crawl bench: {n} entry pages, {listing_pages} listing pages, "
              f"{dt.datetime.now().strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, "
              f"load {os.getloadavg()[0]:.2f}")
        print(f"{'step':<14} {'wall s':>8} {'CPU s':>7} {'pages':>7} {'entries':>8} {'errors':>7} {'RSS MB':>7} "
              f"{'pages/s':>8} {'served':>7} {'server CPU':>11}")
        for row in [*rows, *([audit_row] if audit_row else [])]:
            entries = row.get("entries", row["entry_pages"])
            print(f"{row['step']:<14} {row['seconds']:>8.2f} {row['cpu_seconds']:>7.1f} {row['pages']:>7} "
                  f"{entries:>8} {row.get('errors', 0):>7} {row['peak_rss_mb']:>7.0f} "
                  f"{row['pages'] / row['seconds']:>8.0f} {row['server_requests']:>7} "
                  f"{row['server_cpu'] / row['seconds']:>10.0%}")
        ratio = crawl_s / floor_s
        print(f"floor {floor_s:.2f} s, auditor crawl {crawl_s:.2f} s: ratio {ratio:.2f} "
              f"(target {TARGET_RATIO}: {'met' if ratio <= TARGET_RATIO else 'MISSED'})")
        if audit_row:
            audit_s, its_crawl = audit_row["seconds"], audit_row["crawl_seconds"] or 0.0
            print(f"full audit {audit_s:.2f} s ({audit_s / floor_s:.2f}x the floor); its crawl as SiteSource timed it "
                  f"{its_crawl:.2f} s ({its_crawl / floor_s:.2f}x); {audit_row['findings']} findings")
        complete = [r for r in rows if r["entry_pages"] == n and r["exit_code"] == 0]
        if len(complete) != len(rows) or (audit_row and (audit_row["entries"] != n or audit_row["exit_code"])):
            failed = True
            print(f"FAILED: a step did not reach all {n} entry pages (or exited non-zero); logs in {logs}",
                  file=sys.stderr)
        if args.json:
            args.json.write_text(json.dumps({
                "pages": n, "listing_pages": listing_pages, "per_page": args.per_page, "seed": args.seed,
                "site_mb": round(size / 1e6, 1), "settings": shown, "machine": machine(),
                "probe": asdict(probe), "rows": rows, "audit": audit_row, "floor_seconds": floor_s,
                "crawl_seconds": crawl_s, "ratio": round(ratio, 3), "failed": failed}, indent=1, default=str) + "\n",
                encoding="utf-8")
        return 1 if failed else 0
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        if args.keep or failed:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
