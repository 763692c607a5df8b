"""Tickets across runs, on SQLite and PostgreSQL: no duplicates, self-resolving, reopening, escalating."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from auditor.config import load_config
from auditor.pipeline import run_audit
from auditor.store.db import open_engine, session_factory
from auditor.store.models import FindingRow, Run, Ticket
from auditor.tickets import actions
from tests.helpers import skill, write_tree

DAY = dt.date(2026, 11, 28)


def make_directory(root: Path, typo: bool) -> Path:
    return write_tree(root, {
        "auditor.toml": 'name = "lifecycle"\n',
        "skills/alpha.md": skill("alpha", ["betaa" if typo else "beta"]),
        "skills/beta.md": skill("beta", ["alpha"]),
    })


def audit(root: Path, db_url: str, day: dt.date = DAY):
    return run_audit(root, load_config(root), day, db_url)


def tickets(db_url: str) -> list[Ticket]:
    engine = open_engine(db_url)
    with session_factory(engine)() as session:
        found = actions.list_tickets(session, status="all")
    engine.dispose()
    return found


def test_unchanged_rerun_opens_no_new_ticket(tmp_path: Path, db_url: str) -> None:
    root = make_directory(tmp_path / "dir", typo=True)
    first = audit(root, db_url)
    assert first.tickets.counts()["opened"] == 1
    second = audit(root, db_url, DAY + dt.timedelta(days=7))
    assert second.tickets.counts() == {"opened": 0, "updated": 0, "resolved": 0, "reopened": 0, "woke": 0}
    all_tickets = tickets(db_url)
    assert len(all_tickets) == 1
    assert [e.kind for e in all_tickets[0].events] == ["opened"]


def test_fix_resolves_and_regression_reopens_with_higher_priority(tmp_path: Path, db_url: str) -> None:
    root = make_directory(tmp_path / "dir", typo=True)
    audit(root, db_url)
    (ticket,) = tickets(db_url)
    assert (ticket.status, ticket.priority, ticket.owner, ticket.entry_id) == ("open", "high", "sre-desk", "alpha")
    assert ticket.findings[0]["code"] == "XRF001"
    assert ticket.due == DAY + dt.timedelta(days=7)

    make_directory(root, typo=False)
    fixed = audit(root, db_url, DAY + dt.timedelta(days=1))
    assert fixed.tickets.resolved == [ticket.id]
    (ticket,) = tickets(db_url)
    assert ticket.status == "resolved"
    assert "XRF001 no longer found" in ticket.events[-1].note

    make_directory(root, typo=True)
    back = audit(root, db_url, DAY + dt.timedelta(days=2))
    assert back.tickets.reopened == [ticket.id]
    (ticket,) = tickets(db_url)
    assert (ticket.status, ticket.priority, ticket.reopen_count) == ("open", "urgent", 1)
    assert [e.kind for e in ticket.events] == ["opened", "resolved", "reopened"]
    assert "raised from high to urgent" in ticket.events[-1].note


def test_new_finding_joins_the_existing_ticket(tmp_path: Path, db_url: str) -> None:
    root = make_directory(tmp_path / "dir", typo=True)
    audit(root, db_url)
    write_tree(root, {"skills/alpha.md": skill("alpha", ["betaa"]) + "\nTODO: check this\n"})
    result = audit(root, db_url, DAY + dt.timedelta(days=1))
    assert result.tickets.counts()["opened"] == 0
    (ticket,) = tickets(db_url)
    assert sorted(f["code"] for f in ticket.findings) == ["STR012", "XRF001"]
    assert ticket.events[-1].note.startswith("1 new: STR012")


def test_snoozed_ticket_stays_quiet_until_its_date(tmp_path: Path, db_url: str) -> None:
    root = make_directory(tmp_path / "dir", typo=True)
    audit(root, db_url)
    (ticket,) = tickets(db_url)
    engine = open_engine(db_url)
    with session_factory(engine)() as session:
        actions.snooze(session, ticket.id, DAY + dt.timedelta(days=10), "waiting on vendor", "ed", DAY)
        with pytest.raises(actions.TicketError):
            actions.snooze(session, ticket.id, DAY, "past", "ed", DAY)
    engine.dispose()
    audit(root, db_url, DAY + dt.timedelta(days=5))
    (ticket,) = tickets(db_url)
    assert ticket.status == "snoozed"
    woke = audit(root, db_url, DAY + dt.timedelta(days=10))
    assert woke.tickets.woke == [ticket.id]
    (ticket,) = tickets(db_url)
    assert ticket.status == "open" and ticket.snoozed_until is None


def test_claim_and_manual_resolve_are_recorded(tmp_path: Path, db_url: str) -> None:
    root = make_directory(tmp_path / "dir", typo=True)
    audit(root, db_url)
    (ticket,) = tickets(db_url)
    engine = open_engine(db_url)
    with session_factory(engine)() as session:
        actions.claim(session, ticket.id, "ada", DAY)
        actions.resolve(session, ticket.id, "fixed upstream", "ada", DAY)
        with pytest.raises(actions.TicketError, match="already resolved"):
            actions.resolve(session, ticket.id, "again", "ada", DAY)
    engine.dispose()
    (ticket,) = tickets(db_url)
    assert ticket.assignee == "ada" and ticket.status == "resolved"
    assert [(e.kind, e.actor) for e in ticket.events][-2:] == [("claimed", "ada"), ("resolved", "ada")]


def test_failed_run_leaves_earlier_runs_and_tickets_intact(
    tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_directory(tmp_path / "dir", typo=True)
    audit(root, db_url)
    before = [(t.id, t.status, t.priority, len(t.events)) for t in tickets(db_url)]

    make_directory(root, typo=False)  # this run would resolve the ticket...
    from auditor.store import runs as run_store

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(run_store, "finish_run", explode)  # ...but dies after syncing tickets
    with pytest.raises(RuntimeError, match="disk full"):
        audit(root, db_url, DAY + dt.timedelta(days=1))

    assert [(t.id, t.status, t.priority, len(t.events)) for t in tickets(db_url)] == before
    engine = open_engine(db_url)
    with session_factory(engine)() as session:
        runs = session.scalars(select(Run).order_by(Run.id)).all()
        assert [r.status for r in runs] == ["completed", "failed"]
        assert "disk full" in runs[1].error
        counts = dict(session.execute(select(FindingRow.run_id, func.count()).group_by(FindingRow.run_id)).all())
        assert set(counts) == {runs[0].id}  # the failed run left no findings behind
    engine.dispose()


def test_interrupted_run_is_recorded_as_interrupted(tmp_path: Path, db_url: str) -> None:
    root = make_directory(tmp_path / "dir", typo=True)
    audit(root, db_url)

    def interrupting_progress(name: str, total: int | None):
        def advance(_n: int) -> None:
            if name == "checking":
                raise KeyboardInterrupt
        return advance

    with pytest.raises(KeyboardInterrupt):
        run_audit(root, load_config(root), DAY + dt.timedelta(days=1), db_url, interrupting_progress)
    engine = open_engine(db_url)
    with session_factory(engine)() as session:
        assert [r.status for r in session.scalars(select(Run).order_by(Run.id))] == ["completed", "interrupted"]
    engine.dispose()
    assert [t.status for t in tickets(db_url)] == ["open"]


def test_tickets_carry_score_and_reasons_and_order_by_score(tmp_path: Path, db_url: str) -> None:
    # Two entries with the same priority (warning -> normal); the long-unreviewed one must come first.
    root = write_tree(tmp_path / "dir", {
        "auditor.toml": 'name = "scored"\n',
        "skills/alpha.md": skill("alpha", ["beta"], reviewed="2026-11-01") + "\nTODO: finish\n",
        "skills/beta.md": skill("beta", ["alpha"], reviewed="2026-11-01").replace(
            "## Use cases", "## Use cases\n\n## Use cases"),
        "skills/gamma.md": skill("gamma", ["delta"], reviewed="2026-05-01") + "\nTBD\n",
        "skills/delta.md": skill("delta", ["gamma"], reviewed="2026-11-01"),
    })
    result = audit(root, db_url)
    assert result.summary["staleness"]["stale"] == 1  # gamma, reviewed more than 180 days ago
    queue = tickets(db_url)
    by_entry = {t.entry_id: t for t in queue}
    assert by_entry["alpha"].reasons == ["PLACEHOLDER"] and by_entry["beta"].reasons == ["STRUCTURE"]
    assert by_entry["gamma"].reasons == ["PLACEHOLDER", "REVIEW_DUE"]  # equally severe: alphabetical
    assert by_entry["gamma"].score >= 70 > by_entry["alpha"].score
    assert queue[0].entry_id == "gamma"
    engine = open_engine(db_url)
    with session_factory(engine)() as session:
        only = actions.list_tickets(session, "scored", reason="review_due")
        assert [t.entry_id for t in only] == ["gamma"]
        exported = actions.export(actions.list_tickets(session, "scored"), "csv")
    engine.dispose()
    assert exported.splitlines()[0].startswith("key,id,title,description,priority,due,owner,labels,state,url,")
