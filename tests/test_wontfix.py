"""`auditor tickets wontfix`: the findings a ticket covers stay quiet until their evidence changes; the report lists
them apart. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from typer.testing import CliRunner

from auditor.cli import app
from auditor.config import load_config
from auditor.pipeline import run_audit
from auditor.report import write_report
from auditor.store.db import open_engine, session_factory
from auditor.tickets import actions
from tests.helpers import skill, write_tree

DAY = dt.date(2026, 11, 28)


def directory(root: Path, related: str) -> Path:
    return write_tree(root, {
        "auditor.toml": 'name = "wontfix"\n',
        "skills/alpha.md": skill("alpha", [related]),
        "skills/beta.md": skill("beta", ["alpha"]),
    })


def audit(root: Path, db_url: str, days: int = 0):
    return run_audit(root, load_config(root), DAY + dt.timedelta(days=days), db_url)


def ticket_states(db_url: str) -> list[tuple[str, str, list[str]]]:
    engine = open_engine(db_url)
    with session_factory(engine)() as session:
        found = [(t.entry_id, t.status, [e.kind for e in t.events])
                 for t in actions.list_tickets(session, status="all")]
    engine.dispose()
    return found


def cli(*args: str) -> object:
    return CliRunner().invoke(app, list(args), catch_exceptions=False, env={"AUDITOR_USER": "editor"})


def test_wontfix_keeps_the_findings_quiet_until_their_evidence_changes(tmp_path: Path, db_url: str) -> None:
    root = directory(tmp_path / "dir", "betaa")
    first = audit(root, db_url)
    assert [f.code for f in first.findings if f.entry == "alpha" and f.severity.name == "error"] == ["XRF001"]
    ((entry, status, _),) = ticket_states(db_url)
    assert (entry, status) == ("alpha", "open")
    ticket_id = first.tickets.opened[0]

    assert cli("tickets", "wontfix", str(ticket_id), "--db", db_url, "--as-of", "2026-11-28").exit_code == 2
    marked = cli("tickets", "wontfix", str(ticket_id), "--reason", "betaa is the vendor's own spelling",
                 "--db", db_url, "--as-of", "2026-11-28")
    assert marked.exit_code == 0 and "won't fix" in marked.stdout
    assert cli("tickets", "wontfix", str(ticket_id), "--reason", "again", "--db", db_url).exit_code == 2

    second = audit(root, db_url, 7)
    assert "XRF001" not in {f.code for f in second.findings}
    assert second.summary["wontfix"] == {"findings": 1, "tickets": 1}
    assert second.tickets.counts() == {"opened": 0, "updated": 0, "resolved": 0, "reopened": 0, "woke": 0}
    assert ticket_states(db_url) == [("alpha", "wontfix", ["opened", "wontfix"])]
    shown = cli("tickets", "show", str(ticket_id), "--db", db_url)
    assert "won't fix: betaa is the vendor's own spelling" in shown.stdout
    listed = cli("tickets", "list", "--status", "wontfix", "--db", db_url)
    assert f"#{ticket_id}" in listed.stdout and "alpha" in listed.stdout
    report = write_report(db_url, second.run_id, tmp_path / "report").read_text(encoding="utf-8")
    apart = report.split(">Won't fix</h2>", 1)[1].split("</section>", 1)[0]
    assert "vendor&#39;s own spelling" in apart and "XRF001" in apart

    directory(root, "betab")  # the same rule about other text: the decision does not cover it
    third = audit(root, db_url, 14)
    assert "XRF001" in {f.code for f in third.findings} and "wontfix" not in third.summary
    assert ticket_states(db_url) == [("alpha", "open", ["opened", "wontfix", "reopened"])]


def test_a_wontfix_ticket_whose_findings_are_gone_is_resolved(tmp_path: Path, db_url: str) -> None:
    root = directory(tmp_path / "dir", "betaa")
    ticket_id = audit(root, db_url).tickets.opened[0]
    assert cli("tickets", "wontfix", str(ticket_id), "--reason", "later", "--db", db_url).exit_code == 0
    directory(root, "beta")
    assert audit(root, db_url, 7).tickets.resolved == [ticket_id]
    assert ticket_states(db_url)[0][1] == "resolved"
