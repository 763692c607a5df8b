"""`auditor check` as CI runs it: no false red without a network, no silent green when a link really is dead.

A machine with no DNS is made in-process: the link checker's resolver answers "does not resolve" for every name
(as a sandbox's resolver does), and the network canary points at a name that resolves nowhere and a closed port
on 127.0.0.1. Nothing leaves the machine."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import shutil
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor import __version__
from auditor.cli import app
from auditor.config import load_config
from auditor.links import canary, checker, net
from auditor.links.book import LinkBook
from tests.helpers import AS_OF, write_tree
from tests.links_server import WebServer, refused_port

GITHUB = "https://github.com/github/github-mcp-server"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "directory"


def run(*args: str) -> object:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def settings(canary_hosts: list[str], allow_private: bool = True) -> str:
    return textwrap.dedent(f"""\
        [settings]
        link_timeout = 1.0
        link_retries = 0
        link_backoff = 0.01
        allow_private_addresses = {str(allow_private).lower()}
        link_canary_hosts = {json.dumps(canary_hosts)}
        """)


def entry(links: str) -> str:
    return f"---\nkind: mcp\ntitle: Brand new\nowner: desk\nlinks: {{{links}}}\n---\nA server.\n"


@pytest.fixture
def no_dns(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every name fails to resolve the way it does on a machine without DNS; addresses still connect."""
    asked: list[str] = []

    async def nowhere(host: str, port: int) -> list[str]:
        asked.append(host)
        try:
            return [str(net.ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            raise net.NameNotFound(f"DNS: {host} does not resolve") from None

    monkeypatch.setattr(checker, "system_resolver", nowhere)
    return asked


@pytest.fixture
def server() -> Iterator[WebServer]:
    with WebServer() as web:
        yield web


def clone(tmp_path: Path, canary_hosts: list[str]) -> Path:
    """The example directory as a contributor's clone: mcp/github-mcp.md links only to GitHub."""
    root = tmp_path / "clone"
    shutil.copytree(EXAMPLES, root, ignore=shutil.ignore_patterns(".auditor"))
    with (root / "auditor.toml").open("a", encoding="utf-8") as config:
        config.write("\n" + settings(canary_hosts))
    return root


def findings(result: object) -> list[dict]:
    return json.loads(result.stdout)["findings"]  # type: ignore[attr-defined]


def test_without_dns_a_web_link_is_an_unverified_info_and_check_passes(tmp_path: Path, no_dns: list[str]) -> None:
    root = clone(tmp_path, ["well-known.test:443", f"127.0.0.1:{refused_port()}"])
    result = run("check", str(root / "mcp/github-mcp.md"), "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 0, result.output
    links = [f for f in findings(result) if f["code"].startswith("LNK")]
    assert [(f["code"], f["severity"]) for f in links] == [("LNK005", "info")]
    assert "network unavailable" in links[0]["message"] and "github.com does not resolve" in links[0]["message"]
    assert "well-known.test" in no_dns  # the canary asked the same resolver
    assert "network is unavailable (canary:" in result.stderr


def test_when_the_canary_answers_a_name_that_does_not_resolve_is_broken(tmp_path: Path, no_dns: list[str],
                                                                         canary_port: int) -> None:
    root = clone(tmp_path, [f"127.0.0.1:{canary_port}"])
    result = run("check", str(root / "mcp/github-mcp.md"), "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 1
    (broken,) = [f for f in findings(result) if f["code"].startswith("LNK")]
    assert broken["code"] == "LNK001"
    assert "archived" not in broken["fix"]  # no archive was asked (link_wayback_url is empty): claim nothing


def test_without_dns_a_local_page_that_really_404s_still_fails(tmp_path: Path, no_dns: list[str],
                                                                server: WebServer) -> None:
    root = write_tree(tmp_path / "dir", {
        "auditor.toml": settings(["well-known.test:443", f"127.0.0.1:{refused_port()}"]),
        "mcp/github-mcp.md": entry(f"repo: {GITHUB}, docs: {server.url('/gone')}"),
    })
    result = run("check", str(root / "mcp/github-mcp.md"), "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 1
    codes = sorted((f["code"], f["message"].split()[1]) for f in findings(result) if f["code"].startswith("LNK"))
    assert codes == [("LNK001", server.url("/gone")), ("LNK005", GITHUB)]


def test_links_refused_by_policy_do_not_make_the_network_down(tmp_path: Path, server: WebServer,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Three links to private addresses once switched the run to "network unavailable": the real 404 beside them
    dropped to an info and the refusals vanished. The guard refuses them without touching the network."""
    local = server.url("/gone").split("/")[2].split(":")[0]
    policy = net.private_reason
    monkeypatch.setattr(net, "private_reason", lambda a: None if a == local else policy(a))
    root = write_tree(tmp_path / "dir", {
        "auditor.toml": settings(["well-known.test:443"], allow_private=False),
        "a.md": entry(f"docs: {server.url('/gone')}, one: http://10.0.0.1/, two: http://10.0.0.2/x, "
                      f"three: http://192.168.1.1/"),
    })
    result = run("check", str(root / "a.md"), "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 1, result.output
    codes = sorted(f["code"] for f in findings(result) if f["code"].startswith("LNK"))
    assert codes == ["LNK001", "LNK007", "LNK007", "LNK007"]
    assert "network is unavailable" not in result.stderr


# -- the canary itself -----------------------------------------------------------------------------------

def test_the_canary_is_up_when_one_host_answers_and_down_with_every_reason_otherwise(canary_port: int) -> None:
    closed = refused_port()

    async def resolver(host: str, port: int) -> list[str]:
        if host == "portal.test":
            return ["10.1.1.1"]
        raise net.DNSUnavailable(f"DNS lookup of {host} failed: Temporary failure in name resolution")

    up = canary.run_probe(["nowhere.test:443", f"127.0.0.1:{closed}", f"127.0.0.1:{canary_port}"], resolver, 1.0)
    assert up.up
    down = canary.run_probe(["nowhere.test:443", f"127.0.0.1:{closed}"], resolver, 1.0)
    assert not down.up and not down.hijacked
    assert "nowhere.test failed" in down.reason and f"127.0.0.1:{closed}" in down.reason
    portal = canary.run_probe(["portal.test:443"], resolver, 1.0)
    assert not portal.up and portal.hijacked and "private address" in portal.reason


def test_the_canary_is_asked_once_per_run_and_only_after_a_failure_before_http(tmp_path: Path, no_dns: list[str],
                                                                              server: WebServer) -> None:
    root = write_tree(tmp_path / "dir", {"auditor.toml": settings(["well-known.test:443"])})
    config = load_config(root)
    book = LinkBook.from_settings(config.settings, config.pack, dt.date.fromisoformat(AS_OF))
    book.check_urls([server.url("/ok"), server.url("/gone")])
    assert "well-known.test" not in no_dns  # every link answered over HTTP: nothing to doubt
    book.check_urls(["https://one.example/"])
    book.check_urls(["https://two.example/"])
    assert no_dns.count("well-known.test") == 1
    assert book.network_down and book.judged["https://two.example/"].result.reason.startswith("network unavailable")


@pytest.mark.parametrize(("host", "public"), [
    ("github.com", True), ("93.184.215.14", True), ("localhost", False), ("10.0.0.1", False), ("[::1]", False),
    ("printer.local", False), ("intranet", False), ("gone.invalid", False),
])
def test_only_public_hosts_say_anything_about_the_network(host: str, public: bool) -> None:
    assert canary.public_host(host) is public


def test_the_canary_needs_no_event_loop_of_its_own_caller() -> None:
    assert asyncio.run(canary.probe([], checker.system_resolver, 1.0)).up  # no hosts: never down


# -- root and format: found, and said ------------------------------------------------------------------------

EVER_WORKS = Path(__file__).resolve().parent / "fixtures" / "corpora" / "ever-works-mcp-servers"
TWIN = "data/openapi-mcp/openapi-mcp.yml"


def git_init(folder: Path) -> None:
    subprocess.run(["git", "init", "-q", str(folder)], check=True)


def test_without_auditor_toml_the_root_is_the_git_top_level_and_its_format_is_said(tmp_path: Path,
                                                                                  monkeypatch: pytest.MonkeyPatch
                                                                                  ) -> None:
    root = tmp_path / "clone"
    shutil.copytree(EVER_WORKS, root)
    git_init(root)
    monkeypatch.chdir(root)
    result = run("check", TWIN, "--offline", "--as-of", AS_OF, "--format", "json")
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert document["summary"]["root"] == str(root.resolve()) and document["summary"]["formats"] == ["yaml-pairs"]
    assert document["summary"]["entries"] == 1 and "STR014" in {f["code"] for f in document["findings"]}
    text = run("check", "data/openapi-mcp", "--offline", "--as-of", AS_OF)
    assert text.stderr.splitlines()[0] == "root: ., format: yaml-pairs"
    assert "STR002" not in text.stdout and "STR014" in text.stdout  # the folder's entry, read as a YAML pair


def test_the_nearest_auditor_toml_wins_over_the_git_top_level(tmp_path: Path) -> None:
    git_init(tmp_path)
    root = write_tree(tmp_path / "site" / "directory", {"auditor.toml": 'name = "d"\n', "tools/a.md": entry("")})
    result = run("check", str(root / "tools/a.md"), "--offline", "--as-of", AS_OF, "--format", "json")
    assert json.loads(result.stdout)["summary"]["root"] == str(root.resolve())


def test_a_named_file_that_yields_no_entry_is_a_usage_error_naming_it_and_the_format(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # whatever holds the temporary folder is not asked
    root = tmp_path / "no-git"
    shutil.copytree(EVER_WORKS, root)
    # No auditor.toml, no git: the root is the file's own folder, where one YAML pair reads as a content folder.
    result = run("check", str(root / TWIN), "--offline", "--as-of", AS_OF)
    assert result.exit_code == 2
    assert f"{root / TWIN}: this file is not an entry" in result.stderr and "read as folder" in result.stderr
    assert run("check", str(root / TWIN), "--root", str(root), "--offline", "--as-of", AS_OF).exit_code == 1
    notes = write_tree(tmp_path / "notes", {"auditor.toml": "", "README.md": "# About\n", "tools/a.md": entry("")})
    excluded = run("check", str(notes / "README.md"), "--offline", "--as-of", AS_OF)
    assert excluded.exit_code == 0 and "left out by the `exclude` setting" in excluded.stderr


# -- --version, --stdin ---------------------------------------------------------------------------------------

def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0 and result.stdout == f"auditor {__version__}\n"


def test_stdin_stands_in_for_the_named_file_and_the_file_is_not_touched(tmp_path: Path) -> None:
    root = clone(tmp_path, [])
    path = root / "mcp/github-mcp.md"
    on_disk = path.read_bytes()
    edited = on_disk.decode().replace("related: [code-review,", "related: [code-reveiw,")
    result = CliRunner().invoke(app, ["check", "--stdin", "--stdin-filename", str(path), "--offline", "--as-of",
                                      AS_OF, "--format", "json"], input=edited)
    assert result.exit_code == 1, result.output
    (missing,) = [f for f in json.loads(result.stdout)["findings"] if f["code"] == "XRF001"]
    assert "code-reveiw" in missing["message"] and missing["path"].endswith("mcp/github-mcp.md")
    assert path.read_bytes() == on_disk
    clean = CliRunner().invoke(app, ["check", "--stdin", "--stdin-filename", str(path), "--offline", "--as-of",
                                     AS_OF, "--format", "json"], input=on_disk.decode())
    assert clean.exit_code == 0 and not [f for f in json.loads(clean.stdout)["findings"] if f["code"] == "XRF001"]


def test_stdin_needs_its_filename_and_nothing_else() -> None:
    assert run("check", "--stdin").exit_code == 2
    assert run("check", "--stdin", "--stdin-filename", str(EXAMPLES / "mcp/nothing-here.md")).exit_code == 2
    assert run("check", "--stdin", "--stdin-filename", str(EXAMPLES / "mcp/github-mcp.md"),
               str(EXAMPLES / "mcp/slack-mcp.md")).exit_code == 2


def test_a_refused_link_to_a_canary_host_is_the_canarys_evidence_of_a_hijack() -> None:
    """The canary's own lookups can time out after a run's failing ones; a link to one of its well-known hosts that
    the guard refused for resolving to a private address still shows the resolver hijacked (a sandbox's proxy,
    a captive portal): its refusal is unverified like the rest, not a warning one run in three."""
    from auditor.links.canary import CanaryAnswer
    from auditor.links.content import Markers
    from auditor.links.results import LinkResult

    def judged(refused_url: str) -> LinkResult:
        book = LinkBook({"link_canary_hosts": ["github.com:443", "pypi.org:443"]}, Markers(), dt.date(2026, 11, 28))
        book._canary = CanaryAnswer(False, "DNS lookup of pypi.org timed out")  # timed out: no hijack seen
        dead = LinkResult(GITHUB, "broken", code="dns", reason="DNS: github.com does not resolve", network_level=True)
        refused = LinkResult(refused_url, "broken", code="private-address",
                             reason="refused: it resolves to a non-public address")
        book._judge_network([dead, refused])
        assert book.network_down and dead.code == "network-down"
        return refused

    assert judged("https://PyPI.org/project/x/").code == "network-down"
    assert judged("https://intranet.example.com/x").code == "private-address"  # not a canary host: stays LNK007
