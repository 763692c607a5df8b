"""Ticket exports a tracker imports cleanly: a stable key, a short title, a Markdown description, and `--since`."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.helpers import skill, write_tree

AS_OF = "2026-11-28"


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "AUDITOR_DB"}
    return subprocess.run([sys.executable, "-m", "auditor", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=300)


def test_exports_carry_key_title_description_and_only_what_changed_since_a_run(tmp_path: Path) -> None:
    long_title = "A" + " very" * 80 + " long title"
    root = write_tree(tmp_path / "dir", {
        "skills/alpha.md": skill("alpha", ["beta", "nope"]).replace("title: Alpha", f"title: {long_title}"),
        "skills/beta.md": skill("beta", ["alpha"]) + "\nTODO one\n",
        "skills/gamma.md": skill("gamma", []) + "\nFIXME later\n",
    })
    assert cli("audit", ".", "--offline", "--as-of", AS_OF, cwd=root).returncode in (0, 1)
    rows = list(csv.DictReader(io.StringIO(cli("tickets", "export", "--format", "csv", cwd=root).stdout)))
    assert list(rows[0])[:10] == ["key", "id", "title", "description", "priority", "due", "owner", "labels",
                                  "state", "url"]
    by_entry = {row["entry"]: row for row in rows}
    assert set(by_entry) == {"alpha", "beta", "gamma"}
    alpha = by_entry["alpha"]
    assert len(alpha["title"]) == 200 and alpha["title"].endswith("…")
    assert "**XRF001** (error) `skills/alpha.md:" in alpha["description"]
    assert "  - fix: " in alpha["description"] and "/rules/XRF001/" in alpha["description"]
    labels = alpha["labels"].split(",")
    assert labels[0] == "auditor" and "XRF001" in labels and "XREF_BROKEN" in labels and alpha["state"] == "open"
    assert alpha["url"] == f"entries/{alpha['key']}.html"
    assert (root / ".auditor" / "report" / alpha["url"]).is_file()  # the entry's page in the report
    assert (root / ".auditor" / "report" / "tickets.csv").is_file()

    # a week later: beta fixed, gamma unchanged, alpha claimed by hand; the keys stay the same
    write_tree(root, {"skills/beta.md": skill("beta", ["alpha"])})
    assert cli("audit", ".", "--offline", "--as-of", "2026-12-05", cwd=root).returncode in (0, 1)
    assert cli("tickets", "claim", alpha["id"], "--by", "ada", "--as-of", "2026-12-05", cwd=root).returncode == 0
    exported = json.loads(cli("tickets", "export", "--format", "json", "--status", "all", cwd=root).stdout)
    keys = {t["entry"]: t["key"] for t in exported["tickets"]}
    assert keys == {entry: row["key"] for entry, row in by_entry.items()}
    since = json.loads(cli("tickets", "export", "--format", "json", "--since", "1", cwd=root).stdout)["tickets"]
    assert {t["entry"]: t["state"] for t in since} == {"alpha": "open", "beta": "resolved"}
    assert cli("tickets", "export", "--since", "9", cwd=root).returncode == 2

    # what the audit exports from: plain records that export as list_tickets' ORM tickets do
    from auditor.store.db import open_engine, session_factory
    from auditor.tickets import actions

    engine = open_engine(f"sqlite:///{root / '.auditor' / 'auditor.db'}")
    try:
        with session_factory(engine)() as session:
            directory = exported["tickets"][0]["directory"]
            orm = actions.list_tickets(session, directory=directory, status="open")
            plain = actions.open_tickets_plain(session, directory)
            assert [t.id for t in plain] == [t.id for t in orm] and len(orm) >= 2
            assert any(len(t.events) > 1 for t in plain)  # alpha's claim, by hand (no run)
            for fmt in ("md", "json", "csv"):
                assert actions.export(plain, fmt) == actions.export(orm, fmt)
    finally:
        engine.dispose()


def test_tickets_list_marks_overdue_tickets_on_the_as_of_date(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "dir", {"skills/beta.md": skill("beta", []) + "\nTODO one\n"})
    assert cli("audit", ".", "--offline", "--as-of", AS_OF, cwd=root).returncode in (0, 1)
    due = json.loads(cli("tickets", "export", "--format", "json", cwd=root).stdout)["tickets"][0]["due"]
    on_time = cli("tickets", "list", "--as-of", due, cwd=root).stdout
    assert "OVERDUE" not in on_time and "beta" in on_time
    late = cli("tickets", "list", "--as-of", "2027-03-01", cwd=root).stdout
    assert "OVERDUE" in late and "1 overdue on 2027-03-01" in late
    assert "No overdue tickets" in cli("tickets", "list", "--overdue", "--as-of", due, cwd=root).stdout
    assert "beta" in cli("tickets", "list", "--overdue", "--as-of", "2027-03-01", cwd=root).stdout


def test_the_audit_exports_are_rewritten_only_when_a_ticket_or_a_file_changed(tmp_path: Path) -> None:
    """An audit that changed no ticket leaves tickets.md, .json and .csv as they were; one that changed a ticket
    rewrites them, and so does one that finds an export edited or removed."""
    import datetime as dt

    from auditor.config import load_config
    from auditor.pipeline import run_audit
    from auditor.store.db import open_engine, session_factory
    from auditor.tickets import actions

    root = write_tree(tmp_path / "dir", {"skills/beta.md": skill("beta", ["alpha"]) + "\nTODO one\n",
                                         "skills/alpha.md": skill("alpha", ["beta"])})
    url, out = f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "out"

    def audit_and_export() -> bool:
        run_audit(root, load_config(root), dt.date(2026, 11, 28), url)
        engine = open_engine(url)
        try:
            with session_factory(engine)() as session:
                tickets = actions.list_tickets(session, status="open")
                return actions.write_exports(tickets, out, {}, "retry")
        finally:
            engine.dispose()

    assert audit_and_export()
    files = {name: ((out / name).read_text(encoding="utf-8"), (out / name).stat().st_mtime_ns)
             for name in actions.EXPORT_FILES}
    assert "TODO" in files["tickets.md"][0]
    assert not audit_and_export()  # nothing changed
    assert {name: ((out / name).read_text(encoding="utf-8"), (out / name).stat().st_mtime_ns)
            for name in actions.EXPORT_FILES} == files
    (out / "tickets.csv").unlink()
    assert audit_and_export() and (out / "tickets.csv").read_text(encoding="utf-8") == files["tickets.csv"][0]
    write_tree(root, {"skills/beta.md": skill("beta", ["alpha"]) + "\nTODO one\nFIXME two\n"})
    assert audit_and_export() and "FIXME two" in (out / "tickets.md").read_text(encoding="utf-8")
