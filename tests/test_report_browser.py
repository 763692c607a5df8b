"""The report as a maintainer reads it, in Debian's chromium driven by Playwright: the example directory audited
three times (the third a month later, after editing two entries), its overview checked against the store, and
screenshots at 1400 and 400 px kept in test-artifacts/report/."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from auditor.config import load_config
from auditor.pipeline import run_audit
from auditor.report import write_report
from auditor.store.db import open_engine, session_factory
from auditor.tickets import actions

ROOT = Path(__file__).resolve().parent.parent


def _axe_script() -> Path:
    spec = importlib.util.find_spec("axe_playwright_python")
    return Path(spec.origin).parent / "axe.min.js" if spec and spec.origin else Path("axe.min.js")


EXAMPLE = ROOT / "examples" / "directory"
ARTIFACTS = Path(os.environ.get("AUDITOR_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "report"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
RUNS = (dt.date(2026, 11, 28), dt.date(2026, 12, 5), dt.date(2027, 1, 5))
# axe-core's script as axe-playwright-python ships it (a test extra): the accessibility check's engine
AXE = Path(os.environ.get("AUDITOR_AXE_JS") or _axe_script())
EDITED = ("skills/content-refresh.md", "skills/prompt-evaluation.md")


def serious_violations(page) -> list[str]:  # noqa: ANN001 - a Playwright Page
    """axe-core's serious and critical violations on the page, as `rule: first offending element`."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("axe.run(document).then(r => r.violations"
                          ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
                          ".map(v => v.id + ': ' + v.nodes[0].html.slice(0, 160)))")
    return list(found)


def browser():  # noqa: ANN201 - Playwright's Browser, imported only when chromium is there
    if not Path(CHROMIUM).is_file():
        if os.environ.get("CI") == "true":
            pytest.fail("no chromium: .ci/run installs Debian's chromium")
        pytest.skip("no chromium (Debian: apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    return sync_api.sync_playwright()


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> dict:
    work = tmp_path_factory.mktemp("month")
    root = work / "directory"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns(".auditor"))
    url = f"sqlite:///{work / 'db.sqlite'}"
    results = []
    for number, day in enumerate(RUNS):
        if number == 2:  # a month later: two entries edited, one left unreviewed for long, one with a placeholder
            for name in EDITED:
                path = root / name
                text = path.read_text(encoding="utf-8")
                lines = [("reviewed: 2024-01-15" if line.startswith("reviewed:") else line)
                         for line in text.splitlines()]
                path.write_text("\n".join(lines) + "\nTODO: re-check the steps\n", encoding="utf-8")
        config = load_config(root)
        config.settings["offline"] = True
        results.append(run_audit(root, config, day, url))
    index = write_report(url, results[-1].run_id, work / "report")
    engine = open_engine(url)
    with session_factory(engine)() as session:
        tickets = actions.list_tickets(session, "example-directory", status="all")
        overdue = [t for t in tickets if actions.overdue_days(t, RUNS[-1])]
    engine.dispose()
    return {"index": index, "results": results, "overdue": overdue, "root": root}


def test_the_overview_names_what_needs_attention_after_a_month(month: dict) -> None:
    html = month["index"].read_text(encoding="utf-8")
    attention = html.split("What needs attention this week")[1].split("Issue types")[0]
    assert month["overdue"], "a month after the first run, its normal-priority tickets are past due"
    assert f"Overdue tickets: {len(month['overdue'])}" in attention
    for ticket in month["overdue"][:5]:
        assert f"ticket #{ticket.id} " in attention
    stale = attention.split('id="turned-stale"')[1].split('id="new"')[0]
    assert "Content refresh" in stale and "Prompt evaluation" in stale
    new = attention.split('id="new"')[1].split('id="reopened"')[0]
    assert new.count("STR012") == 2  # the two placeholders


def test_the_report_in_chromium_matches_the_store_and_reads_at_400_px(month: dict) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    last = month["results"][-1]
    with browser() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for width in (1400, 400):
                page = chromium.new_page(viewport={"width": width, "height": 900})
                page.goto(month["index"].as_uri())
                cells = page.locator("table.attention tbody tr").all()
                by_row = {row.locator("th").inner_text().strip(): row.locator("td").all_inner_texts()
                          for row in cells}
                assert by_row["Tickets overdue"][0] == str(len(month["overdue"]))
                fell_due = [t for t in month["overdue"] if t.due >= RUNS[1]]
                assert by_row["… became overdue since the run before"][:2] == [str(len(fell_due)), "0"]
                assert by_row["Errors"] == [str(r.summary["by_severity"]["error"]) for r in
                                            reversed(month["results"])]
                assert by_row["Entries that turned stale"][0] == "2"
                # the charts show three runs, each with its text equivalent
                severity = page.locator("#chart-severity")
                assert severity.locator("svg text").all_text_contents()[-3:] == ["#1", "#2", "#3"]
                assert page.locator("#chart-severity svg desc").text_content().startswith("#1: ")
                assert severity.locator("table tbody tr").count() == 3
                first_error = page.locator("#first ~ .scroll table tbody tr").first
                assert "error" in first_error.inner_text() or "urgent" in first_error.inner_text() \
                    or "high" in first_error.inner_text()
                if width == 400:
                    assert page.evaluate("document.documentElement.scrollWidth") <= 400
                    size = page.evaluate("getComputedStyle(document.querySelector('#chart-ages svg text'))"
                                         ".fontSize")
                    box = page.locator("#chart-ages svg").bounding_box()
                    assert box is not None and box["width"] <= 400 and float(size.rstrip("px")) > 0
                page.screenshot(path=str(ARTIFACTS / f"index-{width}.png"), full_page=True)
                checked = AXE.is_file()
                if checked:
                    assert serious_violations(page) == []
                # an entry's own page opens from the list, with its findings and fixes
                page.locator("#first ~ .scroll table tbody tr a").first.click()
                assert "Fix:" in page.content() and page.url.endswith(".html") and "/entries/" in page.url
                page.screenshot(path=str(ARTIFACTS / f"entry-{width}.png"), full_page=True)
                if checked:
                    assert serious_violations(page) == []
                    page.goto((month["index"].parent / "issues" / "STR012.html").as_uri())
                    assert serious_violations(page) == []
                page.close()
        finally:
            chromium.close()
    assert last.summary["queue"]["overdue"] == len(month["overdue"])
    assert (ARTIFACTS / "index-400.png").stat().st_size > 10_000
    if not AXE.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"no axe-core at {AXE}: `make setup` installs axe-playwright-python")
        pytest.skip(f"no axe-core at {AXE} (`make setup` installs axe-playwright-python): the accessibility check "
                    "did not run")
