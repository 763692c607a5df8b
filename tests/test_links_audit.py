"""Links through the whole auditor: the private-address guard, network-down runs, `check`, `audit` with its
history across runs (the clock moved by --as-of, on SQLite and PostgreSQL), and `auditor links check`."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.config import load_config, load_rule_pack
from auditor.links.book import LinkBook
from auditor.links.checker import LinkChecker
from auditor.links.content import Markers
from auditor.links.history import StoreHistory
from auditor.links.net import DNSUnavailable, private_reason, system_resolver
from auditor.links.results import LinkResult
from auditor.pipeline import check_entries, load_entries
from auditor.store.db import open_engine, session_factory
from auditor.tickets import actions
from tests.helpers import AS_OF, write_tree
from tests.links_server import WebServer
from tests.test_links_checker import fast

MARKERS = Markers.from_pack(load_rule_pack().get("links"))
FAST_SETTINGS = textwrap.dedent("""\
    [settings]
    link_timeout = 1.0
    link_retries = 0
    link_backoff = 0.01
    allow_private_addresses = true
    """)


def run(*args: str) -> object:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def tool(title: str, links: str = "", body: str = "") -> str:
    front = f"links: {{{links}}}\n" if links else ""
    return f"---\nkind: tool\ntitle: {title}\nowner: desk\n{front}---\n{body}"


@pytest.fixture
def server() -> Iterator[WebServer]:
    with WebServer() as web:
        yield web


# -- the private-address guard ---------------------------------------------------------------------------

@pytest.mark.parametrize(("address", "why"), [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"), ("10.1.2.3", "private"),
    ("192.168.0.10", "private"), ("172.16.5.4", "private"), ("169.254.169.254", "metadata"),
    ("fe80::1", "link-local"), ("fd00:ec2::254", "metadata"), ("100.64.0.1", "carrier-grade"),
    ("0.0.0.0", "unspecified"), ("203.0.113.80", "non-public"),
])
def test_private_addresses_are_named(address: str, why: str) -> None:
    assert why in (private_reason(address) or "")


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::6810:84e5", "8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert private_reason(address) is None


def test_without_the_flag_loopback_a_name_resolving_there_and_a_redirect_there_are_refused(server: WebServer) -> None:
    port = server.httpd.server_address[1]
    with WebServer(host="127.0.0.2") as outside:  # plays a public site that redirects inwards

        async def resolver(host: str, p: int) -> list[str]:
            return ["127.0.0.2"] if host == "public.test" else await system_resolver(host, p)

        def policy(address: str) -> str | None:  # in this test 127.0.0.2 counts as a public address
            return None if address == "127.0.0.2" else private_reason(address)

        outside_port = outside.httpd.server_address[1]
        inward = f"http://public.test:{outside_port}/to?u=http://127.0.0.1:{port}/ok"
        urls = [server.url("/ok"), f"http://localhost:{port}/ok", inward, f"http://public.test:{outside_port}/ok"]
        checker = LinkChecker(fast(allow_private=False), MARKERS, resolver=resolver, address_policy=policy)
        results = checker.check_sync(urls)
        assert results[urls[3]].verdict == "alive"  # the "public" site itself is fine
        for url in urls[:3]:
            assert (results[url].verdict, results[url].code) == ("unverified", "private-address"), url
            assert "refused" in results[url].reason and "loopback" in results[url].reason
        assert "localhost (127.0.0.1)" in results[urls[1]].reason
        assert [hop["status"] for hop in results[inward].chain] == [302, None]  # refused at the second hop
        assert outside.count("/to") == 1
    assert server.count("/ok") == 0  # nothing ever reached the loopback server


def test_links_check_command_refuses_loopback_unless_allowed(server: WebServer, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    refused = run("links", "check", server.url("/ok"), "--format", "json")
    (result,) = json.loads(refused.stdout)["results"]
    assert result["verdict"] == "unverified" and result["reason"].startswith("refused: 127.0.0.1 is a loopback")
    assert refused.exit_code == 0 and server.count("/ok") == 0
    allowed = run("links", "check", server.url("/ok"), "--format", "json", "--allow-private-addresses")
    assert json.loads(allowed.stdout)["results"][0]["verdict"] == "alive"


def test_check_reports_a_private_address_as_lnk007(server: WebServer, tmp_path: Path) -> None:
    root = write_tree(tmp_path / "dir", {"a.md": tool("A", f"docs: {server.url('/ok')}")})
    result = run("check", str(root / "a.md"), "--as-of", AS_OF, "--format", "json", "--fail-on", "warning")
    (finding,) = [f for f in json.loads(result.stdout)["findings"] if f["code"].startswith("LNK")]
    assert finding["code"] == "LNK007" and "loopback" in finding["message"] and result.exit_code == 1


# -- auditor links check --------------------------------------------------------------------------------

def test_links_check_json_shape_text_summary_and_exit_codes(server: WebServer, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    listing = tmp_path / "urls.txt"
    listing.write_text(f"# docs\n{server.url('/moved')}\n\n{server.url('/ok')}\n", encoding="utf-8")
    result = run("links", "check", "--from", str(listing), "--format", "json", "--allow-private-addresses")
    document = json.loads(result.stdout)
    assert set(document) == {"results", "summary"} and result.exit_code == 0
    assert all(set(r) == {"url", "verdict", "status", "final_url", "chain", "reason", "suggestion"}
               for r in document["results"])
    moved = document["results"][0]
    assert (moved["verdict"], moved["suggestion"]) == ("redirected", server.url("/other"))
    assert [h["status"] for h in moved["chain"]] == [301, 200]
    summary = document["summary"]
    assert summary["by_verdict"]["redirected"] == 1 and summary["by_verdict"]["alive"] == 1
    assert summary["by_host"] == {server.base.split("//")[1]: {"alive": 1, "redirected": 1}}

    text = run("links", "check", server.url("/gone"), server.url("/ok"), "--allow-private-addresses")
    assert text.exit_code == 1
    assert "broken" in text.stdout and "By host:" in text.stdout and "1 alive, 1 broken" in text.stdout

    assert run("links", "check").exit_code == 2
    assert run("links", "check", "--from", str(tmp_path / "missing.txt")).exit_code == 2
    assert run("links", "check", "ftp://example.invalid/x").exit_code == 2


# -- network down --------------------------------------------------------------------------------------

@pytest.mark.parametrize("failure", ["dns", "captive-portal"])
def test_network_down_marks_links_unverified_and_reports_no_link_problem(tmp_path: Path, server: WebServer,
                                                                         failure: str) -> None:
    root = write_tree(tmp_path / "dir", {
        "auditor.toml": FAST_SETTINGS,
        "a.md": tool("A", "homepage: https://one.example/, docs: https://two.example/docs",
                     "See <https://three.example/> and <https://four.example/gone>.\n"),
    })
    config = load_config(root)

    async def dns_down(host: str, port: int) -> list[str]:
        if failure == "captive-portal":  # every name resolves to the portal's private address
            return ["10.10.0.1"]
        raise DNSUnavailable(f"DNS lookup of {host} failed: Temporary failure in name resolution")

    config.settings["allow_private_addresses"] = False
    config.settings["link_canary_hosts"] = ["well-known.test:443"]  # resolved by the same failing resolver
    book = LinkBook.from_settings(config.settings, config.pack, dt.date.fromisoformat(AS_OF), resolver=dns_down)
    findings = check_entries(load_entries(root, config), config, dt.date.fromisoformat(AS_OF), links=book)
    assert book.network_down and book.summary()["network"] == "unavailable"
    codes = sorted(f.code for f in findings if f.code.startswith("LNK"))
    assert codes == ["LNK005"] * 4
    assert all("network unavailable" in f.message for f in findings if f.code == "LNK005")


def test_a_few_dead_hosts_are_not_a_network_outage(tmp_path: Path, server: WebServer) -> None:
    root = write_tree(tmp_path / "dir", {
        "auditor.toml": FAST_SETTINGS,
        "a.md": tool("A", f"docs: {server.url('/ok')}, homepage: http://gone-vendor.invalid/",
                     f"[more]({server.url('/other')})\n"),
    })
    config = load_config(root)
    book = LinkBook.from_settings(config.settings, config.pack, dt.date.fromisoformat(AS_OF))
    findings = check_entries(load_entries(root, config), config, dt.date.fromisoformat(AS_OF), links=book)
    assert not book.network_down
    assert [(f.code, f.line) for f in findings if f.code.startswith("LNK")] == [("LNK001", 5)]


def test_an_unreachable_archive_is_asked_only_until_it_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port nothing listens on: the archive refuses every connection
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    asked: list[str] = []
    get = httpx.AsyncClient.get

    async def counting_get(self: httpx.AsyncClient, url: str, **kwargs: object) -> httpx.Response:
        asked.append(url)
        return await get(self, url, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(httpx.AsyncClient, "get", counting_get)
    book = LinkBook.from_settings({"link_wayback_url": f"http://127.0.0.1:{port}", "link_timeout": 1.0}, {},
                                  dt.date.fromisoformat(AS_OF))
    dead = [LinkResult(f"https://gone.test/{i}", "broken") for i in range(40)]
    assert asyncio.run(book._wayback(dead)) == {}
    assert 1 <= len(asked) <= 4  # the first lookups at once (4 at a time), then none



def test_an_archive_whose_name_does_not_resolve_is_not_asked_and_loads_no_ca_bundle(
        monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []
    monkeypatch.setattr(httpx, "create_ssl_context", lambda *a, **k: made.append("tls"))
    monkeypatch.setattr(httpx.AsyncClient, "get", lambda *a, **k: made.append("get"))
    book = LinkBook.from_settings({"link_wayback_url": "https://archive.invalid", "link_timeout": 1.0}, {},
                                  dt.date.fromisoformat(AS_OF))
    assert asyncio.run(book._wayback([LinkResult("https://gone.test/1", "broken")])) == {}
    assert made == []

# -- auditor check: in-memory history, offline --------------------------------------------------------

def test_check_fails_a_new_404_at_once_and_offline_fetches_nothing(server: WebServer, tmp_path: Path) -> None:
    root = write_tree(tmp_path / "dir", {
        "auditor.toml": FAST_SETTINGS,
        "a.md": tool("A", f"docs: {server.url('/gone')}", f"Also [this]({server.url('/moved')}).\n"),
    })
    online = run("check", str(root / "a.md"), "--as-of", AS_OF, "--format", "json")
    codes = {f["code"]: f for f in json.loads(online.stdout)["findings"]}
    assert online.exit_code == 1 and "LNK001" in codes and "LNK002" in codes
    assert codes["LNK002"]["fix"] == f"Replace {server.url('/moved')} with {server.url('/other')}"
    hits = sum(server.hits.values())
    offline = run("check", str(root / "a.md"), "--as-of", AS_OF, "--format", "json", "--offline")
    assert not [f for f in json.loads(offline.stdout)["findings"] if f["code"].startswith("LNK")]
    assert sum(server.hits.values()) == hits


# -- audit: dead means dead over time ----------------------------------------------------------------

def _audit(root: Path, db_url: str, as_of: str) -> dict:
    result = run("audit", str(root), "--db", db_url, "--as-of", as_of, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.slow
def test_history_rule_across_runs_with_the_clock_moved(tmp_path: Path, db_url: str) -> None:
    with WebServer() as server, WebServer("wayback") as wayback:
        wayback.snapshots[server.url("/gone")] = "https://web.archive.org/web/20260101000000/gone"
        wayback.snapshots[server.url("/toggle")] = "https://web.archive.org/web/20260101000000/toggle"
        root = write_tree(tmp_path / "dir", {
            "auditor.toml": 'name = "links"\n' + FAST_SETTINGS + f'link_wayback_url = "{wayback.base}"\n',
            "alpha.md": tool("Alpha", f"docs: {server.url('/toggle')}"),
            "beta.md": tool("Beta", f"docs: {server.url('/gone')}"),
        })

        def link_findings(document: dict, entry: str) -> list[str]:
            return sorted(f["code"] for f in document["findings"] if f["entry"] == entry and f["code"][:3] == "LNK")

        def ticketed_link_codes(entry: str) -> list[str]:
            """The LNK codes on the entry's open ticket (other rules may ticket these bare entries too)."""
            engine = open_engine(db_url)
            try:
                with session_factory(engine)() as session:
                    tickets = [t for t in actions.list_tickets(session, "links", status="open") if t.entry_id == entry]
                    return sorted(f["code"] for t in tickets for f in t.findings if f["code"][:3] == "LNK")
            finally:
                engine.dispose()

        first = _audit(root, db_url, "2026-11-02")  # alpha's page is alive; beta's never was: it fails at once
        assert link_findings(first, "alpha") == [] and link_findings(first, "beta") == ["LNK001"]
        (dead,) = [f for f in first["findings"] if f["code"] == "LNK001"]
        assert "archived copy https://web.archive.org/web/20260101000000/gone" in dead["fix"]
        assert first["summary"]["links"]["by_verdict"]["alive"] == 1
        assert ticketed_link_codes("beta") == ["LNK001"] and "LNK001" not in ticketed_link_codes("alpha")

        fetched = server.count("/toggle")
        again = _audit(root, db_url, "2026-11-03")  # within the alive TTL: not fetched again
        assert server.count("/toggle") == fetched and again["summary"]["links"]["from_cache"] == 1

        server.state["toggle"] = 404
        down = _audit(root, db_url, "2026-11-06")  # past the TTL: fails for the first time
        assert link_findings(down, "alpha") == ["LNK005"]
        (info,) = [f for f in down["findings"] if f["entry"] == "alpha" and f["code"] == "LNK005"]
        assert "does not count yet" in info["message"] and info["severity"] == "info"
        # A transient failure opens no ticket, and a ticket opened by other rules does not list it either.
        assert ticketed_link_codes("alpha") == []

        same_day = _audit(root, db_url, "2026-11-06")  # failing again the same day: still not 24 h apart
        assert link_findings(same_day, "alpha") == ["LNK005"]

        next_day = _audit(root, db_url, "2026-11-07")  # failed on checks 24 h apart: now it counts
        assert link_findings(next_day, "alpha") == ["LNK001"]
        (now_dead,) = [f for f in next_day["findings"] if f["entry"] == "alpha" and f["code"] == "LNK001"]
        assert "failing since 2026-11-06" in now_dead["message"]
        assert "web.archive.org/web/20260101000000/toggle" in now_dead["fix"]
        assert ticketed_link_codes("alpha") == ["LNK001"]

        server.state["toggle"] = 200
        back = _audit(root, db_url, "2026-11-08")
        assert link_findings(back, "alpha") == [] and ticketed_link_codes("alpha") == []  # fixed itself

    engine = open_engine(db_url)
    try:
        checks = StoreHistory(engine).checks_of(server.url("/toggle"))
    finally:
        engine.dispose()
    assert [c["verdict"] for c in checks] == ["alive", "broken", "broken", "broken", "alive"]
    assert [c["checked_at"].date().isoformat() for c in checks] == [
        "2026-11-02", "2026-11-06", "2026-11-06", "2026-11-07", "2026-11-08"]
