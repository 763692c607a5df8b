"""`auditor serve` as an editor uses it: the real server on a free 127.0.0.1 port, driven by Debian's chromium
through Playwright. Filter the entries, claim, snooze and resolve a ticket, see the same history in
`auditor tickets show`; hostile entry text runs nothing; axe-core finds no serious violation. Full-page
screenshots at 1400 and 400 px (and axe's findings) are kept in test-artifacts/serve/ (or
$AUDITOR_TEST_ARTIFACTS/serve/)."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from auditor.store.db import open_engine, session_factory
from auditor.store.models import FindingRow, Run, Ticket
from tests.serve_helpers import HOSTILE_TITLE, ROOT, audit_twice, example_with_hostile

ARTEFACTS = Path(os.environ.get("AUDITOR_TEST_ARTIFACTS") or ROOT / "test-artifacts") / "serve"
WIDTHS = (1400, 400)


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("no chromium on PATH: .ci/run installs Debian's chromium")
        pytest.skip("no chromium on PATH (Debian: apt-get install chromium)")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, str, str]]:
    """(base URL, directory, store URL, name): `auditor serve` in a process of its own."""
    directory = example_with_hostile(tmp_path)
    db_url = f"sqlite:///{directory / '.auditor' / 'auditor.db'}"
    name = audit_twice(directory, db_url)
    port = free_port()
    env = {**os.environ, "AUDITOR_USER": "ann", "AUDITOR_SERVE_TOKEN": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "auditor", "serve", str(directory), "--port", str(port), "--as-of", "2026-12-28"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # until it listens (or has died)
            if process.poll() is not None:
                pytest.fail(f"auditor serve ended: {process.stdout.read()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.1)
        yield base, directory, db_url, name
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_an_editor_filters_and_works_a_ticket_from_claim_to_resolve_in_chromium(server, tmp_path: Path) -> None:  # noqa: ANN001
    from playwright.sync_api import sync_playwright

    executable = chromium()
    base, directory, db_url, name = server
    engine = open_engine(db_url)
    with session_factory(engine)() as session:
        run_id = session.scalars(select(Run.id).where(Run.directory == name).order_by(Run.id.desc())).first()
        xrf001 = set(session.scalars(select(FindingRow.entry_id).where(
            FindingRow.run_id == run_id, FindingRow.code == "XRF001")))
        ticket = session.scalars(select(Ticket).where(Ticket.directory == name, Ticket.entry_id == "hostile")).one()
    engine.dispose()
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

            # Filter the entries by a rule, with the form as a person would.
            page.goto(f"{base}/entries")
            page.select_option("select[name=rule]", "XRF001")
            page.click("form.filters button[type=submit]")
            page.wait_for_url(re.compile(r"rule=XRF001"))
            assert page.inner_text("#shown") == str(len(xrf001))
            links = page.eval_on_selector_all("table.entries td.text a[href^='/entries/']",
                                              "els => els.map(e => e.getAttribute('href'))")
            assert {re.sub(r"^/entries/|\?.*$", "", href) for href in links} == xrf001

            # The hostile entry: its title is text, nothing it carries ran.
            page.goto(f"{base}/entries/hostile")
            assert page.inner_text("h1") == HOSTILE_TITLE
            assert page.evaluate("window.pwned") is None
            assert page.locator("main img").count() == 0 and page.locator("a[href^='javascript:']").count() == 0

            accessibility(page, base, ["/", "/issues", "/entries", "/entries?rule=XRF001", "/entries/hostile",
                                       "/tickets", f"/tickets/{ticket.id}"])

            # Claim, then snooze, from the ticket page, typing into its forms.
            page.goto(f"{base}/tickets/{ticket.id}")
            submit(page, ticket.id, "claim", by="bob")
            assert page.url == f"{base}/tickets/{ticket.id}", page.content()
            submit(page, ticket.id, "snooze", until="2027-01-10", reason="waiting for the vendor's release")
            assert "snoozed until 2027-01-10" in page.inner_text("p.meta")
            # A date that is not after today is refused, as the CLI refuses it, and changes nothing.
            submit(page, ticket.id, "snooze", until="2026-12-28", reason="too soon")
            assert "is not after 2026-12-28" in page.inner_text("[role=alert]")
            page.goto(f"{base}/tickets/{ticket.id}")
            screenshots(page, base, ticket.id, "snoozed")
            submit(page, ticket.id, "resolve", reason="dropped the broken related id")
            assert page.inner_text("p.meta").startswith(f"#{ticket.id} resolved")
            assert page.locator(f"form[action='/tickets/{ticket.id}/claim']").count() == 0
            rows = page.eval_on_selector_all(
                "table.history tbody tr", "rows => rows.map(r => [...r.cells].map(c => c.innerText.trim()))")
        finally:
            browser.close()
    assert dialogs == []

    shown = subprocess.run([sys.executable, "-m", "auditor", "tickets", "show", str(ticket.id), "-d", str(directory)],
                           capture_output=True, text=True, check=True, cwd=tmp_path)
    history = [line.split(None, 3) for line in shown.stdout.split("History", 1)[1].strip().splitlines()]
    # Every row of the page's history is a line of the CLI's: date, event, actor and note alike.
    assert [[r[0], r[1], r[2] + ":", r[3]] for r in rows] == [[d, k, a, n] for d, k, a, n in history]
    assert ["2026-12-28", "claimed", "bob:", "claimed by bob"] in history
    assert ["2026-12-28", "snoozed", "ann:", "until 2027-01-10: waiting for the vendor's release"] in history
    assert history[-1] == ["2026-12-28", "resolved", "ann:", "dropped the broken related id"]


def accessibility(page, base: str, paths: list[str]) -> None:  # noqa: ANN001 - a Playwright page
    """axe-core on each page, in this browser: no serious or critical violation. Every violation found is kept in
    the artefacts (axe.json)."""
    from axe_playwright_python.sync_playwright import Axe

    axe, found = Axe(), {}
    for path in paths:
        page.goto(base + path)
        violations = axe.run(page).response["violations"]
        found[path] = [{"id": v["id"], "impact": v["impact"], "nodes": len(v["nodes"])} for v in violations]
    (ARTEFACTS / "axe.json").write_text(json.dumps(found, indent=2), encoding="utf-8")
    serious = {path: [v for v in items if v["impact"] in ("serious", "critical")] for path, items in found.items()}
    assert not any(serious.values()), serious


def submit(page, ticket_id: int, action: str, **fields: str) -> None:  # noqa: ANN001 - a Playwright page
    """Fill one of the ticket page's action forms and send it, waiting for the page it leads to."""
    form = page.locator(f"form[action='/tickets/{ticket_id}/{action}']")
    for name, value in fields.items():
        form.locator(f"input[name={name}]").fill(value)
    with page.expect_navigation():
        form.locator("button").click()


def screenshots(page, base: str, ticket_id: int, label: str) -> None:  # noqa: ANN001 - a Playwright page
    """Full-page PNGs of the overview, the error entries and the ticket at each width, kept as artefacts."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for name, url in (("overview", "/"), ("entries", "/entries?severity=error"),
                          ("ticket", f"/tickets/{ticket_id}")):
            page.goto(base + url)
            out = ARTEFACTS / f"{name}-{width}.png" if name != "ticket" else ARTEFACTS / f"{name}-{label}-{width}.png"
            page.screenshot(path=str(out), full_page=True)
            assert out.stat().st_size > 5000
        # Nothing is wider than the window: at 400 px the tables scroll inside their own box.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.set_viewport_size({"width": 1400, "height": 900})
