"""Package versions against a registry server on 127.0.0.1 that the tests start: drift, yanked, deprecated,
not found, unverified (500, timeout, offline), and the TTL cache in the store on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.checks.registry import RegistryClient, Version
from auditor.cli import app
from auditor.config import load_config
from auditor.models import Severity
from auditor.pipeline import run_audit
from auditor.store.db import open_engine, session_factory
from auditor.store.registry_cache import StoreCache
from auditor.tickets import actions
from tests.helpers import AS_OF, skill, write_tree
from tests.registry_server import RegistryServer

DAY = dt.date.fromisoformat(AS_OF)

PYPI = {
    "major-pkg": {"latest": "2.0.0", "versions": ["1.4.0", "2.0.0"]},
    "minor-pkg": {"latest": "1.3.0", "versions": ["1.1.0", "1.3.0"]},
    "patch-pkg": {"latest": "1.1.2", "versions": ["1.1.0", "1.1.2"]},
    "current-pkg": {"latest": "1.0.0", "versions": ["1.0.0"]},
    "yanked-pkg": {"latest": "1.0.1", "versions": ["1.0.0", "1.0.1"], "yanked": {"1.0.0": "broken wheel"}},
    "flaky-pkg": 500,
    "slow-pkg": {"latest": "1.0.0", "delay": 6.0},  # the client gives up after registry_timeout
}
NPM = {"@scope/dep-pkg": {"latest": "1.0.0", "versions": ["0.9.0", "1.0.0"], "deprecated": {"0.9.0": "use 1.x"}}}
PINNED = {  # entry id -> (registry, name, version)
    "major": ("pypi", "major-pkg", "1.4.0"),
    "minor": ("pypi", "minor-pkg", "1.1.0"),
    "patch": ("pypi", "patch-pkg", "1.1.0"),
    "current": ("pypi", "current-pkg", "1.0.0"),
    "yanked": ("pypi", "yanked-pkg", "1.0.0"),
    "flaky": ("pypi", "flaky-pkg", "1.0.0"),
    "slow": ("pypi", "slow-pkg", "1.0.0"),
    "missing": ("pypi", "missing-pkg", "1.0.0"),
    "deprecated": ("npm", "@scope/dep-pkg", "0.9.0"),
}


def toml(server: RegistryServer, offline: bool = False) -> str:
    # The entries are near-identical test skills: duplicate and prose rules are beside the point here.
    return (f'name = "registry"\n[rules]\ndisable = ["DUP", "PRS"]\n'
            f'[settings]\noffline = {str(offline).lower()}\nregistry_timeout = 1.5\n'
            f'[settings.registry_urls]\npypi = "{server.urls["pypi"]}"\nnpm = "{server.urls["npm"]}"\n')


def make_directory(root: Path, server: RegistryServer, pinned: dict[str, tuple[str, str, str]] = PINNED,
                   offline: bool = False) -> Path:
    ids = sorted(pinned)
    files = {"auditor.toml": toml(server, offline)}
    for i, entry_id in enumerate(ids):
        registry, name, version = pinned[entry_id]
        neighbours = sorted({ids[i - 1], ids[(i + 1) % len(ids)]} - {entry_id})
        package = f'package: {{registry: {registry}, name: "{name}", version: {version}}}\n'
        files[f"skills/{entry_id}.md"] = skill(entry_id, neighbours, extra_front=package).replace(
            "A well kept skill used by the tests.", f"Pins {name} {version} for the registry tests.")
    return write_tree(root, files)


def codes_by_entry(findings: list) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for f in findings:
        if f.family == "CAP":
            found.setdefault(f.entry, set()).add(f.code)
    return found


def open_tickets(db_url: str) -> dict[str, list[str]]:
    engine = open_engine(db_url)
    with session_factory(engine)() as session:
        found = {t.entry_id: sorted(f["code"] for f in t.findings)
                 for t in actions.list_tickets(session, status="open")}
    engine.dispose()
    return found


@pytest.fixture
def server() -> RegistryServer:
    with RegistryServer(PYPI, NPM) as running:
        yield running


def test_each_kind_of_registry_answer(tmp_path: Path, db_url: str, server: RegistryServer) -> None:
    root = make_directory(tmp_path / "dir", server)
    result = run_audit(root, load_config(root), DAY, db_url, check_registries=True)
    assert codes_by_entry(result.findings) == {
        "major": {"CAP001"}, "minor": {"CAP002"}, "patch": {"CAP003"},
        "yanked": {"CAP003", "CAP004"},  # 1.0.0 is yanked, and a patch behind 1.0.1
        "deprecated": {"CAP001", "CAP005"},  # 0.9.0 is deprecated, and a major version behind 1.0.0
        "missing": {"CAP006"}, "flaky": {"CAP008"}, "slow": {"CAP008"},
    }
    by_code = {f.code: f for f in result.findings if f.family == "CAP" and f.entry != "slow"
               and (f.entry, f.code) not in {("deprecated", "CAP001"), ("yanked", "CAP003")}}
    assert by_code["CAP001"].severity == Severity.warning and by_code["CAP001"].reason == "VERSION_DRIFT"
    assert by_code["CAP001"].claim == "version" and by_code["CAP001"].claim_date == dt.date(2026, 1, 15)
    assert "latest release is 2.0.0 (a major version behind)" in by_code["CAP001"].message
    assert by_code["CAP002"].severity == by_code["CAP003"].severity == Severity.info
    assert by_code["CAP004"].severity == Severity.error and "broken wheel" in by_code["CAP004"].message
    assert by_code["CAP005"].reason == "VERSION_DEPRECATED" and "use 1.x" in by_code["CAP005"].message
    assert by_code["CAP006"].severity == Severity.error
    assert by_code["CAP008"].severity == Severity.info and "HTTP 500" in by_code["CAP008"].message
    (slow,) = [f for f in result.findings if f.entry == "slow"]
    assert "timed out after 1.5 s" in slow.message
    # one request per package, however many CAP rules asked
    assert sorted(Counter(server.requests).values()) == [1] * len(PINNED)
    # warnings and errors open tickets; info (minor, patch lag; unverified) does not
    assert open_tickets(db_url) == {"major": ["CAP001"], "yanked": ["CAP003", "CAP004"],
                                    "deprecated": ["CAP001", "CAP005"], "missing": ["CAP006"]}


def test_second_run_reuses_the_store_and_retries_only_unverified(
        tmp_path: Path, db_url: str, server: RegistryServer) -> None:
    root = make_directory(tmp_path / "dir", server)
    first = run_audit(root, load_config(root), DAY, db_url, check_registries=True)
    server.requests.clear()
    second = run_audit(root, load_config(root), DAY + dt.timedelta(days=1), db_url, check_registries=True)
    assert sorted(server.requests) == ["/pypi/flaky-pkg/json", "/pypi/slow-pkg/json"]
    assert codes_by_entry(second.findings) == codes_by_entry(first.findings)
    assert second.tickets.counts()["opened"] == 0


def test_expired_ttl_refetches_and_a_failed_refetch_keeps_the_old_answer(
        tmp_path: Path, db_url: str, server: RegistryServer) -> None:
    now = [dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)]
    engine = open_engine(db_url)

    def client() -> RegistryClient:
        return RegistryClient(server.urls, ttl=dt.timedelta(hours=24), cache=StoreCache(engine), clock=lambda: now[0],
                              timeout=0.5)

    try:
        assert client().lookup("pypi", "major-pkg").latest == "2.0.0"
        assert len(server.requests) == 1
        server.pypi["major-pkg"] = {"latest": "2.1.0", "versions": ["1.4.0", "2.0.0", "2.1.0"]}
        now[0] += dt.timedelta(hours=23)
        cached = client().lookup("pypi", "major-pkg")
        assert (cached.latest, cached.from_cache, len(server.requests)) == ("2.0.0", True, 1)
        now[0] += dt.timedelta(hours=2)  # 25 h after the first fetch: expired
        fresh = client().lookup("pypi", "major-pkg")
        assert (fresh.latest, fresh.from_cache, len(server.requests)) == ("2.1.0", False, 2)
        now[0] += dt.timedelta(hours=30)
        server.pypi["major-pkg"] = 503  # expired again, and the registry is down: the old answer stands
        kept = client().lookup("pypi", "major-pkg")
        assert (kept.status, kept.latest, len(server.requests)) == ("ok", "2.1.0", 3)
        # an offline client never asks, but reads the store
        offline = RegistryClient(server.urls, cache=StoreCache(engine), offline=True, clock=lambda: now[0])
        assert offline.lookup("pypi", "major-pkg").latest == "2.1.0"
        assert offline.lookup("pypi", "current-pkg").status == "unverified"
        assert len(server.requests) == 3
    finally:
        engine.dispose()


def test_drift_online_unverified_offline_and_no_ticket(tmp_path: Path, db_url: str, server: RegistryServer) -> None:
    """Acceptance: a run against a local registry shows version drift; the same run offline shows
    "unverified" and opens no ticket."""
    pinned = {"major": PINNED["major"], "current": PINNED["current"]}
    root = make_directory(tmp_path / "dir", server, pinned)

    offline_config = load_config(root)
    offline_config.settings["offline"] = True
    offline = run_audit(root, offline_config, DAY, db_url, check_registries=True)
    cap = [f for f in offline.findings if f.family == "CAP"]
    assert {(f.entry, f.code, f.severity) for f in cap} == {("major", "CAP008", Severity.info),
                                                              ("current", "CAP008", Severity.info)}
    assert all("is unverified: PyPI could not be asked (offline)" in f.message for f in cap)
    assert offline.tickets.counts()["opened"] == 0 and open_tickets(db_url) == {}
    assert server.requests == []

    online = run_audit(root, load_config(root), DAY, db_url, check_registries=True)
    assert [(f.entry, f.code) for f in online.findings if f.family == "CAP"] == [("major", "CAP001")]
    assert online.tickets.counts()["opened"] == 1 and open_tickets(db_url) == {"major": ["CAP001"]}

    # offline again with the store's answers at hand: the drift stays known and the ticket stays open
    again = run_audit(root, offline_config, DAY + dt.timedelta(days=2), db_url,
                      check_registries=True)
    assert [(f.entry, f.code) for f in again.findings if f.family == "CAP"] == [("major", "CAP001")]
    assert again.tickets.counts() == {"opened": 0, "updated": 0, "resolved": 0, "reopened": 0, "woke": 0}
    assert len(server.requests) == 2


def test_run_audit_asks_no_registry_unless_told(tmp_path: Path, server: RegistryServer) -> None:
    root = make_directory(tmp_path / "dir", server, {"major": PINNED["major"]})
    result = run_audit(root, load_config(root), DAY, f"sqlite:///{tmp_path / 'store.db'}")
    assert [(f.code, f.severity) for f in result.findings if f.family == "CAP"] == [("CAP008", Severity.info)]
    assert server.requests == []


def test_cli_offline_and_online(tmp_path: Path, server: RegistryServer) -> None:
    root = make_directory(tmp_path / "dir", server, {"major": PINNED["major"], "current": PINNED["current"]})
    runner = CliRunner()

    offline = runner.invoke(app, ["check", str(root), "--offline", "--format", "json", "--as-of", AS_OF])
    cap = [f for f in json.loads(offline.stdout)["findings"] if f["code"].startswith("CAP")]
    assert [(f["entry"], f["code"], f["severity"]) for f in cap] == [("current", "CAP008", "info"),
                                                                     ("major", "CAP008", "info")]
    assert offline.exit_code == 0 and server.requests == []

    # one file: only its package is asked for
    online = runner.invoke(app, ["check", str(root / "skills" / "major.md"), "--format", "json", "--fail-on",
                                 "warning", "--as-of", AS_OF])
    cap = [f for f in json.loads(online.stdout)["findings"] if f["code"].startswith("CAP")]
    assert [(f["code"], f["severity"]) for f in cap] == [("CAP001", "warning")]
    assert online.exit_code == 1 and server.requests == ["/pypi/major-pkg/json"]

    db = f"sqlite:///{tmp_path / 'store.db'}"
    audit = runner.invoke(app, ["audit", str(root), "--offline", "--db", db, "--as-of", AS_OF,
                                "--report-dir", str(tmp_path / "report")])
    assert audit.exit_code == 0, audit.output
    assert "Tickets: 0 opened" in audit.stdout and len(server.requests) == 1


def test_requests_run_concurrently_but_bounded() -> None:
    packages = {f"pkg-{i}": {"latest": "1.0.0", "delay": 0.3} for i in range(8)}
    with RegistryServer(packages) as server:
        client = RegistryClient(server.urls, concurrency=3, timeout=5.0)
        client.prefetch(("pypi", name) for name in packages)
        assert server.most_in_flight == 3
        assert len(server.requests) == 8 and client.requests == 8
        assert all(client.lookup("pypi", name).status == "ok" for name in packages)
        assert len(server.requests) == 8


@pytest.mark.parametrize(("pinned", "latest", "lag"), [
    ("1.4.0", "2.0.0", "major"), ("1.4.0", "1.5.0", "minor"), ("1.4.0", "1.4.1", "patch"),
    ("1.4", "1.4.0", None), ("1.4.0", "1.4", None), ("2.0.0", "1.9.9", None), ("2.0.0rc1", "2.0.0", "patch"),
    ("2.0.0", "2.0.0.post1", None), ("v1.2.3", "1.2.3", None), ("2026.8.31", "2026.10.24", "minor"),
    ("0.3.0", "1.2.0", "major"), ("1.0.0-beta.2", "1.0.0", "patch"), ("1.4.0.1", "1.4.0.2", "patch"),
])
def test_version_lag(pinned: str, latest: str, lag: str | None) -> None:
    assert Version.parse(pinned).lag(Version.parse(latest)) == lag
