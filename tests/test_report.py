"""The HTML report: self-contained, escaped, and telling what changed since the last run."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from auditor.config import load_config
from auditor.pipeline import run_audit
from auditor.report import write_report
from tests.helpers import skill, write_tree

DAY = dt.date(2026, 11, 28)


def test_report_is_self_contained_and_escapes_entry_text(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "dir", {
        "skills/alpha.md": skill("alpha", ["beta"]),
        "skills/beta.md": skill("beta", ["alpha", "<script>alert(1)</script>"]),
    })
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    result = run_audit(root, load_config(root), DAY, url)
    html = write_report(url, result.run_id, tmp_path / "out").read_text(encoding="utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not re.search(r"<(link|script|img)\b", html), "the report must not load anything"
    assert "<style>" in html and "first completed run" in html
    assert "XRF001" in html and "Fix:" in html


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
    changes = html.split("What changed since the last run")[1].split("Findings by family")[0]
    assert "<b>1</b> new · <b>1</b> resolved" in changes
    assert "FIXME" in changes.split("New findings")[1].split("Resolved")[0]
    assert "TODO" in changes.split("Resolved")[1]
    entries = html.split("Entries that need work")[1]
    assert entries.index("Alpha") < entries.index("Beta")  # an error outranks a warning
    assert "Trend" in html


def test_backticks_become_code_after_escaping() -> None:
    from auditor.report import inline_code

    assert str(inline_code("id `<b>x</b>` & more")) == "id <code>&lt;b&gt;x&lt;/b&gt;</code> &amp; more"
