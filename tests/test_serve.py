"""`auditor serve` in process (Starlette's TestClient), on SQLite and PostgreSQL: the pages show what the store
holds, the actions write what the CLI writes, and no request from elsewhere (no token, no CSRF token) changes a
thing. Hostile entry text shows as text."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from auditor.cli import app as cli_app
from auditor.serve.app import CSP, CSRF_COOKIE, ServeOptions, create_app
from auditor.serve.command import is_loopback
from auditor.store.db import open_engine, session_factory
from auditor.store.models import FindingRow, Run, Ticket
from tests.serve_helpers import (
    HOSTILE_OWNER,
    HOSTILE_RELATED,
    HOSTILE_TITLE,
    LATER,
    audit_twice,
    example_with_hostile,
)

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx`")


@pytest.fixture
def served(tmp_path: Path, db_url: str) -> Iterator[tuple[object, str, Path, str]]:
    """(TestClient, store URL, directory, directory name) over the example audited twice, with a hostile entry."""
    from starlette.testclient import TestClient

    directory = example_with_hostile(tmp_path)
    name = audit_twice(directory, db_url)
    engine = open_engine(db_url)
    client = TestClient(create_app(engine, ServeOptions(directory=name, as_of=LATER, actor="ann")))
    yield client, db_url, directory, name
    client.close()
    engine.dispose()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def store(db_url: str):  # noqa: ANN201 - a session over the store
    engine = open_engine(db_url)
    return engine, session_factory(engine)()


def csrf(client) -> str:  # noqa: ANN001
    client.get("/")
    return client.cookies.get(CSRF_COOKIE)


def test_overview_counts_are_the_stores(served) -> None:  # noqa: ANN001
    client, db_url, _, name = served
    engine, session = store(db_url)
    with session:
        run = session.scalars(select(Run).where(Run.directory == name).order_by(Run.id.desc())).first()
        severities = Counter(session.scalars(select(FindingRow.severity).where(FindingRow.run_id == run.id)))
        tickets = list(session.scalars(select(Ticket).where(Ticket.directory == name)))
    engine.dispose()
    overdue = [t for t in tickets if t.status == "open" and t.due and t.due < run.as_of]
    assert overdue, "a month later some tickets are past due"
    html = client.get("/").text
    for key, expected in (("findings", run.findings_count), ("error", severities["error"]),
                          ("warning", severities["warning"]), ("info", severities["info"]),
                          ("open", sum(t.status == "open" for t in tickets)), ("overdue", len(overdue))):
        assert f'id="count-{key}">{expected}<' in html, key
    for t in overdue:
        assert f'href="/tickets/{t.id}"' in html
    # Any run: the first one has no overdue ticket yet on its own date and nothing to compare with.
    first = client.get(f"/?run={run.id - 1}")
    assert "first run: nothing to compare with" in first.text
    assert client.get("/?run=999").status_code == 404


def test_issue_types_one_row_per_rule_and_entries_filter(served) -> None:  # noqa: ANN001
    client, db_url, _, name = served
    engine, session = store(db_url)
    with session:
        run_id = session.scalars(select(Run.id).where(Run.directory == name).order_by(Run.id.desc())).first()
        rows = session.execute(select(FindingRow.code, FindingRow.entry_id).where(FindingRow.run_id == run_id)).all()
    engine.dispose()
    by_rule: dict[str, set[str]] = {}
    for code, entry in rows:
        by_rule.setdefault(code, set()).add(entry)
    html = client.get("/issues").text
    links = re.findall(r'href="/entries\?rule=(\w+)&amp;run=\d+"', html)
    assert sorted(links) == sorted(by_rule)  # the example keeps no convention: one row per rule
    for code, entries in by_rule.items():
        listing = client.get("/entries", params={"rule": code}).text
        assert f'<b id="shown">{len(entries)}</b>' in listing, code
        shown = set(re.findall(r'href="/entries/([^"?]+)\?run=', listing))
        assert shown == entries
    # Filters combine; a search narrows by title, path or owner.
    only = client.get("/entries", params={"severity": "error", "q": "hostile"}).text
    assert '<b id="shown">1</b>' in only and "/entries/hostile?" in only
    assert '<b id="shown">0</b>' in client.get("/entries", params={"q": "no-such-entry-anywhere"}).text
    overdue = client.get("/entries", params={"ticket": "overdue"}).text
    assert int(re.search(r'<b id="shown">(\d+)</b>', overdue).group(1)) > 0


def test_entry_page_has_findings_ticket_and_history(served) -> None:  # noqa: ANN001
    client, *_ = served
    html = client.get("/entries/hostile").text
    page = text_of(html)
    assert "XRF001" in page and "Fix:" in page
    assert "as of event by note" in page and "opened auditor" in page
    assert len(re.findall(r'href="/entries/hostile\?run=\d+"', html)) == 2  # both runs in its history


def test_actions_write_what_the_cli_shows(served) -> None:  # noqa: ANN001
    client, db_url, directory, name = served
    token = csrf(client)
    engine, session = store(db_url)
    with session:
        ticket_id = session.scalars(select(Ticket.id).where(Ticket.directory == name, Ticket.entry_id == "hostile")
                                    ).one()
    engine.dispose()
    posts = [("claim", {"by": "bob"}), ("assign", {"to": "carol", "reason": "knows the pager"}),
             ("snooze", {"until": "2027-01-10", "reason": "waiting for the vendor"})]
    for action, data in posts:
        answer = client.post(f"/tickets/{ticket_id}/{action}", data={**data, "csrf": token}, follow_redirects=False)
        assert answer.status_code == 303, (action, answer.text)
    refused = client.post(f"/tickets/{ticket_id}/snooze", data={"csrf": token, "until": "2026-12-01", "reason": "x"})
    assert refused.status_code == 400 and "is not after" in refused.text
    shown = CliRunner().invoke(cli_app, ["tickets", "show", str(ticket_id), "-d", str(directory), "--db", db_url])
    assert shown.exit_code == 0, shown.output
    history = shown.output.split("History", 1)[1]
    assert re.search(r"2026-12-28 claimed\s+bob: claimed by bob", history)
    assert re.search(r"2026-12-28 assigned\s+ann: assigned to carol by ann: knows the pager", history)
    assert re.search(r"2026-12-28 snoozed\s+ann: until 2027-01-10: waiting for the vendor", history)
    # The CLI's own claim writes the same kind of line the browser's did.
    CliRunner().invoke(cli_app, ["tickets", "claim", str(ticket_id), "-d", str(directory), "--db", db_url,
                                 "--by", "dave", "--as-of", "2026-12-28"])
    page = text_of(client.get(f"/tickets/{ticket_id}").text)
    assert "2026-12-28 claimed bob claimed by bob" in page and "2026-12-28 claimed dave claimed by dave" in page
    assert "snoozed until 2027-01-10" in page
    done = client.post(f"/tickets/{ticket_id}/resolve", data={"csrf": token, "reason": "rewrote it"},
                       follow_redirects=False)
    assert done.status_code == 303
    listed = CliRunner().invoke(cli_app, ["tickets", "list", "--status", "resolved", "-d", str(directory),
                                          "--db", db_url])
    assert f"#{ticket_id}" in listed.output


def test_no_change_without_the_csrf_token_or_from_another_origin(served) -> None:  # noqa: ANN001
    client, db_url, _, name = served
    token = csrf(client)
    engine, session = store(db_url)
    with session:
        ticket = session.scalars(select(Ticket).where(Ticket.directory == name, Ticket.status == "open")).first()
        before = len(ticket.events)
    assert client.post(f"/tickets/{ticket.id}/claim", data={"by": "eve"}).status_code == 403
    assert client.post(f"/tickets/{ticket.id}/claim", data={"by": "eve", "csrf": "guess"}).status_code == 403
    assert client.post(f"/tickets/{ticket.id}/claim", data={"by": "eve", "csrf": token},
                       headers={"Origin": "http://evil.example"}).status_code == 403
    assert client.get(f"/tickets/{ticket.id}/claim").status_code in (404, 405)
    with session_factory(engine)() as fresh:
        assert len(fresh.get(Ticket, ticket.id).events) == before
    engine.dispose()
    # The redirect after an action stays on this server.
    answer = client.post(f"/tickets/{ticket.id}/claim", data={"csrf": token, "next": "//evil.example/x"},
                         follow_redirects=False)
    assert answer.headers["location"] == f"/tickets/{ticket.id}"


def test_token_guards_every_request(tmp_path: Path, served) -> None:  # noqa: ANN001
    from starlette.testclient import TestClient

    _, db_url, _, name = served
    engine = open_engine(db_url)
    client = TestClient(create_app(engine, ServeOptions(directory=name, token="s3cret-token", as_of=LATER)))
    assert client.get("/").status_code == 401
    assert client.get("/tickets", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/tickets", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    first = client.get("/entries?token=s3cret-token&severity=error", follow_redirects=False)
    assert first.status_code == 303 and first.headers["location"] == "/entries?severity=error"
    assert client.get("/entries?severity=error").status_code == 200  # the cookie carries it now
    client.close()
    engine.dispose()


def test_binding_beyond_loopback_needs_a_token(tmp_path: Path, served) -> None:  # noqa: ANN001
    _, db_url, directory, _ = served
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.org")
    result = CliRunner(env={"AUDITOR_SERVE_TOKEN": ""}).invoke(
        cli_app, ["serve", str(directory), "--db", db_url, "--host", "0.0.0.0", "--port", "1"])
    assert result.exit_code == 2
    assert "--token" in result.output


def test_hostile_entry_text_is_shown_as_text(served) -> None:  # noqa: ANN001
    client, db_url, _, name = served
    engine, session = store(db_url)
    with session:
        ticket_id = session.scalars(select(Ticket.id).where(Ticket.entry_id == "hostile")).one()
    engine.dispose()
    pages = ["/", "/issues", "/entries", "/entries?q=hostile", "/entries/hostile", "/tickets", f"/tickets/{ticket_id}",
             "/entries?q=%3Cscript%3Ealert(9)%3C/script%3E", "/entries/%3Cscript%3Ealert(9)%3C%2Fscript%3E"]
    for url in pages:
        answer = client.get(url)
        html = answer.text
        assert answer.headers["content-security-policy"] == CSP and "script-src" not in CSP, url
        assert "<script" not in html.lower(), url
        assert "javascript:" not in re.sub(r"&[a-z]+;|&#\d+;", "", " ".join(re.findall(r'href="([^"]*)"', html))), url
        assert "<img" not in html and "</style><" not in html.split("</head>", 1)[1], url
    entry = client.get("/entries/hostile").text
    assert "&lt;script&gt;window.pwned=1;alert(1)&lt;/script&gt;&lt;/style&gt;&lt;b&gt;bold&lt;/b&gt;" in entry
    assert HOSTILE_OWNER in entry  # shown, never a link
    assert "&lt;img src=x onerror=alert(3)&gt;" in entry
    assert HOSTILE_TITLE not in entry and HOSTILE_RELATED not in entry


def test_issue_types_lead_with_the_directory_conventions(tmp_path: Path) -> None:
    from starlette.testclient import TestClient

    from auditor.config import load_config
    from auditor.pipeline import run_audit
    from tests.helpers import write_tree

    files = {f"data/server-{n:02d}/server-{n:02d}.yml": (
        f"name: Server {n}\ndescription: Serves request {n} for the tests.\n"
        f"source_url: https://example.org/server-{n:02d}\nupdated_at: 2026-04-23 05:34\n") for n in range(25)}
    root = write_tree(tmp_path / "pairs", files)
    config = load_config(root)
    config.settings["offline"] = True
    db_url = f"sqlite:///{tmp_path / 'store.db'}"
    run_audit(root, config, LATER, db_url)
    engine = open_engine(db_url)
    with TestClient(create_app(engine, ServeOptions(directory=config.name, as_of=LATER))) as client:
        html = client.get("/issues").text
    engine.dispose()
    rows = re.findall(r"<tr>\s*<td>(.*?)</tr>", html, re.S)
    flags = ['<span class="sev ok">convention</span>' in row for row in rows]
    assert flags[0] and flags == sorted(flags, reverse=True), "the convention rows come first"
    (str017,) = [row for row, flag in zip(rows, flags, strict=True) if flag and "STR017" in row]
    assert "STR017 updated_at on 25 of 25 entries" in text_of(str017)
    assert "<code>[rules] disable = [&#34;STR017&#34;]</code>" in str017  # its fix: one configuration line


def test_a_month_later_the_overview_names_overdue_stale_and_new(served) -> None:  # noqa: ANN001
    """The example audited three times, the third a month after the second with two entries edited."""
    import datetime as dt

    from auditor.config import load_config
    from auditor.pipeline import run_audit

    client, db_url, directory, name = served
    page = directory / "skills" / "content-refresh.md"
    page.write_text(re.sub(r"reviewed: .*", "reviewed: 2025-06-01", page.read_text(encoding="utf-8"), count=1),
                    encoding="utf-8")
    other = directory / "skills" / "prompt-evaluation.md"
    other.write_text(other.read_text(encoding="utf-8").replace("related: [", "related: [no-such-entry, ", 1),
                     encoding="utf-8")
    config = load_config(directory)
    config.settings["offline"] = True
    third = LATER + dt.timedelta(days=30)
    run_audit(directory, config, third, db_url)
    engine, session = store(db_url)
    with session:
        runs = list(session.scalars(select(Run).where(Run.directory == name).order_by(Run.id)))
        prints = [set(session.scalars(select(FindingRow.fingerprint).where(FindingRow.run_id == r.id))) for r in runs]
        tickets = list(session.scalars(select(Ticket).where(Ticket.directory == name)))
    engine.dispose()
    html = client.get("/").text
    assert len(re.findall(r'<td><a href="/\?run=\d+">#\d+</a></td>', html)) == 3
    stale = re.search(r'<ul class="plain stale">(.*?)</ul>', html, re.S).group(1)
    assert "/entries/content-refresh?" in stale and "Content refresh" in text_of(stale)
    assert f"New findings ({len(prints[2] - prints[1])})" in html and len(prints[2] - prints[1]) > 0
    new = client.get("/issues").text
    assert "XRF001" in new
    overdue = {t.id for t in tickets if t.status == "open" and t.due and t.due < third}
    assert f'id="count-overdue">{len(overdue)}<' in html
    section = html.split("<h3>Overdue tickets", 1)[1].split("<h3>", 1)[0]
    assert set(map(int, re.findall(r'href="/tickets/(\d+)"', section))) == overdue
    # The static report's counts and charts, three runs of them: new findings against the run before, per run.
    history = html.split('id="attention-history"', 1)[1].split("</table>", 1)[0]
    new_row = re.search(r'<tr data-key="new">(.*?)</tr>', history, re.S).group(1)
    assert re.findall(r"<td>([^<]*)</td>", new_row) == [str(len(prints[2] - prints[1])),
                                                         str(len(prints[1] - prints[0])), "–"]
    assert html.count("<svg") >= 3 and 'id="chart-severity"' in html and 'id="chart-tickets"' in html
    severity = html.split('id="chart-severity"', 1)[1].split("</figure>", 1)[0]
    assert len(re.findall(r'<th scope="row">#\d+', severity)) == 3
