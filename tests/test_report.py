"""The HTML report: self-contained, escaped, leading with what needs attention, the issue types and what to do
first, and telling what changed since the last run."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from auditor.config import load_config
from auditor.pipeline import run_audit
from auditor.report import write_report
from auditor.report_view import build_view, order_key
from auditor.store.db import open_engine, session_factory
from tests.helpers import skill, write_tree

DAY = dt.date(2026, 11, 28)


def view_of(url: str, run_id: int) -> dict:
    engine = open_engine(url)
    try:
        with session_factory(engine)() as session:
            return build_view(session, run_id)
    finally:
        engine.dispose()


def test_report_is_self_contained_and_escapes_entry_text(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "dir", {
        "skills/alpha.md": skill("alpha", ["beta"]),
        "skills/beta.md": skill("beta", ["alpha", "<script>alert(1)</script>"]),
    })
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    result = run_audit(root, load_config(root), DAY, url)
    index = write_report(url, result.run_id, tmp_path / "out")
    html = index.read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r"<(link|script|img)\b", html), "index.html must not load anything"
    assert "<style>" in html and "first completed run" in html
    assert "XRF001" in html and "Issue types" in html
    pages = list((tmp_path / "out" / "entries").glob("*.html"))
    assert len(pages) == 1  # beta, the only entry with findings
    page = pages[0].read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "Fix:" in page
    assert not re.search(r"<(script|img)\b", page)
    assert (tmp_path / "out" / "report.css").is_file() and (tmp_path / "out" / "issues" / "XRF001.html").is_file()


def test_report_lists_new_and_resolved_findings_and_worst_entry_first(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "dir", {
        "skills/alpha.md": skill("alpha", ["beta", "nope"]),
        "skills/beta.md": skill("beta", ["alpha"]) + "\nTODO one\n",
    })
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    run_audit(root, load_config(root), DAY, url)
    write_tree(root, {"skills/beta.md": skill("beta", ["alpha"]) + "\nFIXME two\n"})
    second = run_audit(root, load_config(root), DAY + dt.timedelta(days=7), url)
    html = write_report(url, second.run_id, tmp_path / "out").read_text(encoding="utf-8")
    attention = html.split("What needs attention this week")[1].split("Issue types")[0]
    assert "New findings: 1</h3>" in attention and "Resolved: 1 findings" in attention
    assert "FIXME" in attention.split('id="new"')[1].split('id="reopened"')[0]
    assert "TODO" in attention.split('id="resolved"')[1]
    first = html.split("What to do first")[1]
    assert first.index("Alpha") < first.index("Beta")  # an error outranks a warning
    view = view_of(url, second.run_id)
    now, before = view["attention"]["counts"]
    assert (now["new"], now["resolved"], now["errors"]) == (1, 1, 1)
    assert before["new"] is None  # the first run has nothing to compare with
    assert [c["labels"] for c in view["charts"][:3]] == [["#1", "#2"]] * 3


def test_what_to_do_first_orders_by_ticket_priority_then_severity_then_staleness() -> None:
    def entry(path: str, worst: str, score: int, priority: str | None = None, status: str = "open") -> dict:
        ticket = {"priority": priority, "status": status} if priority else None
        return {"path": path, "worst": worst, "score": score, "weight": 1, "ticket": ticket}

    entries = [
        entry("info-stalest", "info", 100, "urgent"),
        entry("warning-stale", "warning", 90),
        entry("warning-high", "warning", 10, "high"),
        entry("error-fresh", "error", 0),
        entry("warning-urgent-snoozed", "warning", 50, "urgent", status="snoozed"),
        entry("error-normal", "error", 5, "normal"),
    ]
    ordered = [e["path"] for e in sorted(entries, key=order_key)]
    assert ordered == ["warning-high", "error-normal", "error-fresh", "warning-stale", "warning-urgent-snoozed",
                       "info-stalest"]


def test_an_offline_run_says_what_it_did_not_verify(tmp_path: Path) -> None:
    import shutil

    example = Path(__file__).resolve().parent.parent / "examples" / "directory"
    root = tmp_path / "directory"
    shutil.copytree(example, root, ignore=shutil.ignore_patterns(".auditor"))
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    config = load_config(root)
    config.settings["offline"] = True
    result = run_audit(root, config, DAY, url)
    unverified = sum(1 for f in result.findings if f.code == "CAP008")
    assert unverified > 0
    html = write_report(url, result.run_id, tmp_path / "out").read_text(encoding="utf-8")
    banner = html.split('class="banner"')[1].split("</aside>")[0]
    assert "Links were not checked" in banner
    assert f"{unverified} package versions could not be checked" in banner
    assert f"{unverified} of the {len(result.findings)} findings" in banner


def test_a_directory_convention_leads_the_issue_types_with_its_configuration_fix(tmp_path: Path) -> None:
    from tests.test_conventions import yaml_pairs

    root = yaml_pairs(tmp_path / "dir", 25, 24)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    config = load_config(root)
    config.settings["offline"] = True
    result = run_audit(root, config, DAY, url)
    rows = view_of(url, result.run_id)["issue_types"]
    kinds = [r["convention"] for r in rows]
    assert kinds == sorted(kinds, reverse=True) and kinds[0]  # conventions first
    str017 = next(r for r in rows if r["code"] == "STR017")
    assert str017["convention"] and str017["entries"] == 24 and str017["of"] == 25
    assert '[rules] disable = ["STR017"]' in str017["fix"] and str017["docs"].endswith("/rules/STR017/")
    html = write_report(url, result.run_id, tmp_path / "out").read_text(encoding="utf-8")
    table = html.split('class="grid issues"')[1].split("</table>")[0]
    assert table.count('class="convention"') == kinds.count(True)
    assert "<code>STR017</code>" in table and "24 of 25" in table


def test_pages_of_a_previous_report_that_no_longer_apply_are_removed(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "dir", {
        "skills/alpha.md": skill("alpha", ["beta", "nope"]),
        "skills/beta.md": skill("beta", ["alpha"]) + "\nTODO one\n",
    })
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    out = tmp_path / "out"
    first = run_audit(root, load_config(root), DAY, url)
    write_report(url, first.run_id, out)
    assert len(list((out / "entries").glob("*.html"))) == 2
    write_tree(root, {"skills/beta.md": skill("beta", ["alpha"])})
    second = run_audit(root, load_config(root), DAY + dt.timedelta(days=7), url)
    write_report(url, second.run_id, out)
    assert len(list((out / "entries").glob("*.html"))) == 1
    assert not (out / "issues" / "STR012.html").exists()


def test_backticks_become_code_after_escaping() -> None:
    from auditor.report import inline_code

    assert str(inline_code("id `<b>x</b>` & more")) == "id <code>&lt;b&gt;x&lt;/b&gt;</code> &amp; more"


def test_charts_are_svg_with_a_title_and_a_description() -> None:
    from auditor.report_charts import svg_chart
    from auditor.report_view import chart_description

    chart = {"id": "c", "title": "Findings <by> run", "stacked": True, "labels": ["#1", "#2"], "dates": [],
             "series": [{"name": "error", "cls": "error", "values": [2, 0]},
                        {"name": "info", "cls": "info", "values": [1, None]}]}
    chart["desc"] = chart_description(chart)
    assert chart["desc"] == "#1: 2 error, 1 info; #2: 0 error."
    svg = str(svg_chart(chart))
    assert svg.count("<rect ") == 2  # zero and unknown values draw no bar
    assert "<title id=\"c-t\">Findings &lt;by&gt; run</title>" in svg and "<desc id=\"c-d\">" in svg


def test_on_a_real_directory_the_issue_types_lead_with_its_conventions(tmp_path: Path) -> None:
    """ever-works-mcp-servers (4,066 YAML entries) from the shared corpora when they are there (AUDITOR_CORPORA, or
    the folder `shared/corpora` beside the repository's folder)."""
    import os
    import shutil

    import pytest

    repo = Path(__file__).resolve().parent.parent
    corpora = Path(os.environ.get("AUDITOR_CORPORA", repo.parent / "shared" / "corpora"))
    source = corpora / "ever-works-mcp-servers"
    if not source.is_dir():
        pytest.skip(f"no {source} (set AUDITOR_CORPORA to the corpora folder)")
    root = tmp_path / "ever-works"
    shutil.copytree(source, root, ignore=shutil.ignore_patterns(".auditor", ".git"))
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    config = load_config(root)
    config.settings["offline"] = True
    result = run_audit(root, config, DAY, url)
    conventions = result.summary["conventions"]
    rows = view_of(url, result.run_id)["issue_types"]
    assert sorted(r["code"] for r in rows[:len(conventions)]) == sorted(c["code"] for c in conventions)
    assert all(r["convention"] for r in rows[:len(conventions)]) and not rows[len(conventions)]["convention"]
    index = write_report(url, result.run_id, tmp_path / "out")
    assert index.stat().st_size < 3_000_000
    assert len(list((tmp_path / "out" / "entries").glob("*.html"))) == len({f.entry for f in result.findings})


def test_a_rule_docs_address_that_is_not_a_web_address_is_never_a_link(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "dir", {"skills/alpha.md": skill("alpha", ["nope"])})
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    result = run_audit(root, load_config(root), DAY, url)
    settings = {"rule_docs_url": "javascript:alert(1)//{code}", "docs_url": ""}
    html = write_report(url, result.run_id, tmp_path / "out", settings=settings).read_text(encoding="utf-8")
    issue = (tmp_path / "out" / "issues" / "XRF001.html").read_text(encoding="utf-8")
    assert "javascript:" not in html and "javascript:" not in issue
    assert "rule docs" not in html and "XRF001" in html


def test_report_folders_are_replaced_whole_or_not_at_all(tmp_path: Path) -> None:
    """A failure halfway through the pages (the disk fills) leaves the earlier report's folders as they were and no
    staging folder behind; a finished write leaves only the new pages."""
    import errno

    from auditor.outfiles import WriteError, write_folders

    write_folders(tmp_path, ("entries", "todo"), [("entries/a.html", "old a"), ("todo/1.html", "old 1")], "retry")

    def filling_up():
        yield "entries/b.html", "new b"
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(WriteError, match="no space left on the device; retry"):
        write_folders(tmp_path, ("entries", "todo"), filling_up(), "retry")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "entries", "entries/a.html", "todo", "todo/1.html"]
    write_folders(tmp_path, ("entries", "todo"), [("entries/b.html", "new b")], "retry")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == ["entries", "entries/b.html",
                                                                                       "todo"]
    assert (tmp_path / "entries" / "b.html").read_text() == "new b"


def test_a_report_of_an_unchanged_directory_rewrites_no_page_and_drops_pages_that_no_longer_apply(
        tmp_path: Path) -> None:
    """The entry pages do not name the run: a second audit of the same files leaves every page file as it was (not
    even rendered: the manifest's digests match). An edited entry's page is rewritten, a page edited by hand is put
    back, and the page of an entry that is gone is removed."""
    from auditor.report import MANIFEST

    root = write_tree(tmp_path / "dir", {
        "skills/alpha.md": skill("alpha", ["beta", "nope"]),
        "skills/beta.md": skill("beta", ["alpha"]) + "\nTODO one\n",
        "skills/gamma.md": skill("gamma", ["missing"]),
    })
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    out = tmp_path / "out"
    first = run_audit(root, load_config(root), DAY, url)
    write_report(url, first.run_id, out)
    pages = {p.name: (p.read_text(encoding="utf-8"), p.stat().st_mtime_ns) for p in (out / "entries").iterdir()}
    assert len(pages) == 3 and (out / MANIFEST).is_file()
    assert all(f"run #{first.run_id}" not in text for text, _ in pages.values())
    second = run_audit(root, load_config(root), DAY, url)
    assert second.run_id != first.run_id
    write_report(url, second.run_id, out)
    assert {p.name: (p.read_text(encoding="utf-8"), p.stat().st_mtime_ns)
            for p in (out / "entries").iterdir()} == pages
    assert f"Run #{second.run_id}" in (out / "index.html").read_text(encoding="utf-8")
    some = next(iter(pages))
    (out / "entries" / some).write_text("defaced", encoding="utf-8")  # by hand: put back, not trusted
    write_report(url, second.run_id, out)
    assert (out / "entries" / some).read_text(encoding="utf-8") == pages[some][0]

    # gamma gone, beta's TODO changed, alpha's page edited by hand
    (root / "skills" / "gamma.md").unlink()
    write_tree(root, {"skills/beta.md": skill("beta", ["alpha"]) + "\nFIXME two\n"})
    alpha = view_of(url, second.run_id)["by_id"]["alpha"]["key"]
    beta = view_of(url, second.run_id)["by_id"]["beta"]["key"]
    (out / "entries" / f"{alpha}.html").write_text("defaced", encoding="utf-8")
    third = run_audit(root, load_config(root), DAY, url)
    write_report(url, third.run_id, out)
    now = {p.name: p.read_text(encoding="utf-8") for p in (out / "entries").iterdir()}
    assert sorted(now) == sorted([f"{alpha}.html", f"{beta}.html"])
    assert now[f"{alpha}.html"] != "defaced" and "Number 1 of 2" in now[f"{alpha}.html"]
    assert "FIXME two" in now[f"{beta}.html"] and now[f"{beta}.html"] != pages[f"{beta}.html"][0]
    assert not [p for p in out.rglob("*.tmp")]


def test_an_issue_page_gets_each_run_s_trend_without_being_rendered_again(tmp_path: Path, monkeypatch) -> None:
    """An issue page shows the findings run by run, so it changes every run: when nothing else on it changed, the
    new trend is spliced into the page the last run left (no page rendered), and the page is byte for byte the one a
    full rendering gives. A page edited by hand, or whose entries changed, is rendered again."""
    from auditor import report
    from auditor.report import build_context, render_pages

    root = write_tree(tmp_path / "dir", {
        "skills/alpha.md": skill("alpha", ["nope"]),
        "skills/beta.md": skill("beta", ["missing"]),
    })
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    out = tmp_path / "out"

    def full_pages(run_id: int) -> dict[str, str]:
        engine = open_engine(url)
        try:
            with session_factory(engine)() as session:
                context = build_context(session, run_id)
        finally:
            engine.dispose()
        return {rel: html for rel, html in render_pages(context) if rel.startswith("issues/")}

    rendered: list[str] = []
    real_render = report._render_page
    monkeypatch.setattr(report, "_render_page",
                        lambda env, template, *rest: rendered.append(template) or real_render(env, template, *rest))
    runs = []
    for _ in range(3):
        runs.append(run_audit(root, load_config(root), DAY, url).run_id)
        rendered.clear()
        write_report(url, runs[-1], out)
    assert "issue.html.j2" not in rendered  # the third report: every issue page spliced
    expected = full_pages(runs[-1])
    assert expected and {rel: (out / rel).read_text(encoding="utf-8") for rel in expected} == expected
    some = next(iter(expected))
    assert f"#{runs[0]} ({DAY}) " in expected[some] and f"#{runs[2]} ({DAY}) " in expected[some]

    (out / some).write_text("defaced", encoding="utf-8")
    write_tree(root, {"skills/gamma.md": skill("gamma", ["absent"])})  # one more entry on the XRF pages
    runs.append(run_audit(root, load_config(root), DAY, url).run_id)
    rendered.clear()
    write_report(url, runs[-1], out)
    assert "issue.html.j2" in rendered
    expected = full_pages(runs[-1])
    assert {rel: (out / rel).read_text(encoding="utf-8") for rel in expected} == expected
    assert "gamma" in "".join(expected.values())
