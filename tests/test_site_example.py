"""The example site (examples/site/public) audited over HTTP agrees with the folder audit of examples/directory,
plus the site-only problems planted in it (examples/site/PLANTED.md)."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.config import load_config
from auditor.models import Severity
from auditor.pipeline import check_entries, load_entries
from auditor.site_audit import plan_site_audit
from tests.site_server import static_site

pytestmark = pytest.mark.slow  # two crawls of the example site (a few seconds)

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "examples" / "site"
FOLDER = ROOT / "examples" / "directory"
PROFILE = ROOT / "spiders" / "example.yml"
AS_OF = "2026-11-28"


def _planted(path: Path) -> set[tuple[str, str]]:
    rows = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.fullmatch(r"[A-Z]{2,3}\d{3}", cells[3]):
            rows.add((cells[0], cells[3]))
    return rows


@pytest.fixture(scope="module")
def server():
    with static_site(SITE / "public") as srv:
        yield srv


@pytest.fixture(scope="module")
def site_audit(server, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`auditor audit http://127.0.0.1:PORT/ --profile spiders/example.yml`, exactly as a user runs it."""
    work = tmp_path_factory.mktemp("site-audit")
    cwd = os.getcwd()
    os.chdir(work)
    try:
        result = CliRunner().invoke(app, ["audit", server.url, "--profile", str(PROFILE), "--offline",
                                          "--allow-private-addresses", "--as-of", AS_OF, "--format", "json"],
                                    catch_exceptions=False)
    finally:
        os.chdir(cwd)
    assert result.exit_code == 0, result.output
    return {"document": json.loads(result.stdout), "work": work}


@pytest.fixture(scope="module")
def folder_findings() -> list:
    config = load_config(FOLDER)
    return check_entries(load_entries(FOLDER, config), config, dt.date.fromisoformat(AS_OF))


def test_the_committed_site_is_what_build_renders() -> None:
    done = subprocess.run([sys.executable, str(SITE / "build.py"), "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_site_entries_are_the_folder_entries(server) -> None:
    plan = plan_site_audit(server.url, PROFILE, None, "sqlite://", None)
    site = {e.id: e for e in plan.source.load(plan.config)}
    config = load_config(FOLDER)
    folder = {e.id: e for e in load_entries(FOLDER, config)}
    assert set(site) == set(folder)
    for entry_id, want in folder.items():
        got = site[entry_id]
        assert got.path == f"{server.url}{want.path.removesuffix('.md')}/"
        for name in ("kind", "title", "summary", "updated", "reviewed", "published", "owner", "related", "links"):
            assert getattr(got, name) == getattr(want, name), (entry_id, name)
        for key in ("tags", "pricing", "package"):
            assert got.meta.get(key) == want.meta.get(key), (entry_id, key)
        assert [(s.level, s.title) for s in got.sections] == [(s.level, s.title) for s in want.sections], entry_id
        assert not got.problems, entry_id
    assert plan.source.crawl_summary["complete"]
    assert plan.source.crawl_summary["pages"] == 33  # 30 entries, 3 listing pages (robots.txt is not a page)


def test_site_audit_finds_every_planted_problem(site_audit: dict) -> None:
    found = {(f["entry"], f["code"]) for f in site_audit["document"]["findings"]}
    wanted = _planted(FOLDER / "PLANTED.md") | _planted(SITE / "PLANTED.md")
    assert not wanted - found, f"not found: {sorted(wanted - found)}"
    assert site_audit["document"]["summary"]["entries"] == 30
    assert site_audit["document"]["summary"]["crawl"]["errors_by_reason"] == {"not-found": 2}


def test_site_audit_agrees_with_the_folder_audit_apart_from_site_only_problems(site_audit: dict,
                                                                               folder_findings: list) -> None:
    site = {(f["entry"], f["code"]) for f in site_audit["document"]["findings"]
            if Severity.parse(f["severity"]) >= Severity.warning}
    folder = {(f.entry, f.code) for f in folder_findings if f.severity >= Severity.warning}
    assert site - _planted(SITE / "PLANTED.md") == folder


def test_site_audit_writes_report_and_store_under_dot_auditor(site_audit: dict) -> None:
    home = site_audit["work"] / ".auditor" / "example-site"
    assert (home / "auditor.db").is_file()
    for name in ("index.html", "findings.json", "tickets.md", "tickets.json"):
        assert (home / "report" / name).is_file(), name
