"""What a run says it read: each format with its files, and every file or list block left unread, with why
(`auditor audit` text and JSON, the HTML report, `auditor check`); and a list file's own prose read as an entry."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from auditor.cli import app
from tests.helpers import write_tree

BULLETS = "".join(f"- **[Server {n}](https://example.com/s{n})** - Reads source {n}.\n" for n in range(1, 11))
TREE = {
    "skills/triage/SKILL.md": "---\nname: triage\ndescription: Triage incoming issues.\n---\n# Triage\nSort them.\n",
    "skills/triage/references/labels.md": "# Labels\nAs of March 2024, bugs get the `bug` label.\n",
    "README.md": (
        "# Awesome Servers\n\nRecent updates: November 2025\n\n"
        '<div align="center">\n<table>\n  <tr><td><a href="https://example.com/sponsor">Sponsor</a></td></tr>\n'
        "</table>\n</div>\n\n## Servers\n\n" + BULLETS
    ),
    "notes/loose.md": "# Loose notes\nNo front matter, no list.\n",
    "CHANGELOG.md": "# Changelog\n- 1.0 first release\n",
}


def _audit(tmp_path: Path, *extra: str) -> object:
    root = tmp_path / "dir"
    write_tree(root, TREE)
    return CliRunner().invoke(app, ["audit", str(root), "--offline", "--as-of", "2026-11-28", *extra,
                                    "--db", f"sqlite:///{tmp_path / 'x.db'}", "--report-dir", str(tmp_path / "report")])


def test_the_json_summary_lists_files_read_per_format_and_files_skipped_with_why(tmp_path: Path) -> None:
    result = _audit(tmp_path, "--format", "json")
    assert result.exit_code == 0, result.output
    read = json.loads(result.stdout)["summary"]["read"]
    assert {f["format"]: f["paths"] for f in read["formats"]} == {"skills": ["skills/triage/SKILL.md"],
                                                                  "awesome": ["README.md"]}
    assert {f["format"]: f["files"] for f in read["formats"]} == {"skills": 1, "awesome": 1}
    skipped = {item["path"]: item["reason"] for item in read["skipped"]}
    assert skipped == {
        "CHANGELOG.md": "excluded by the `exclude` setting",
        "notes/loose.md": "not in a format read here (skills, awesome)",
        "skills/triage/references/labels.md": "a file the skill beside it bundles: not read",
        "README.md:5": "an HTML <table> block with 1 link: not read as list entries",
    }


def test_the_text_summary_and_the_report_say_what_was_read(tmp_path: Path) -> None:
    result = _audit(tmp_path)
    assert result.exit_code == 0, result.output
    assert "Read:    skills (1 file), awesome (1 file)" in result.stdout
    assert "Skipped: 1 (excluded by the `exclude` setting): CHANGELOG.md" in result.stdout
    assert "Skipped: 1 (an HTML <table> block with 1 link: not read as list entries): README.md:5" in result.stdout
    report = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    assert "What was read" in report and "<b>awesome</b>: 1 file" in report
    assert "<code>notes/loose.md</code>" in report


def test_a_list_file_s_own_prose_is_an_entry_and_its_dated_claim_a_finding(tmp_path: Path) -> None:
    result = _audit(tmp_path, "--format", "json")
    findings = json.loads(result.stdout)["findings"]
    dated = [(f["entry"], Path(f["path"]).name, f["line"]) for f in findings if f["code"] == "STL002"]
    assert dated == [("README", "README.md", 3)]


def test_check_names_what_it_read(tmp_path: Path) -> None:
    root = tmp_path / "dir"
    write_tree(root, TREE)
    runner = CliRunner()
    result = runner.invoke(app, ["check", str(root / "README.md"), "--root", str(root), "--offline", "--format",
                                 "json", "--as-of", "2026-11-28", "--fail-on", "none"])
    assert result.exit_code == 0, result.output
    read = json.loads(result.stdout)["summary"]["read"]
    assert [f["format"] for f in read["formats"]] == ["skills", "awesome"]
    result = runner.invoke(app, ["check", str(root / "README.md"), "--root", str(root), "--offline", "--as-of",
                                 "2026-11-28", "--fail-on", "none"])
    assert "Read:    skills (1 file), awesome (1 file)" in result.output
