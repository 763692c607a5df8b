"""The command line as CI and editors use it: output formats, exit codes, usage errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from tests.helpers import AS_OF, skill, write_tree

FINDING_KEYS = {"entry", "path", "line", "column", "code", "name", "severity", "message", "evidence", "fix", "docs_url"}


@pytest.fixture
def directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_tree(tmp_path / "dir", {
        "auditor.toml": 'name = "cli"\n',
        "skills/alpha.md": skill("alpha", ["beta"]),
        "skills/beta.md": skill("beta", ["alpha", "gama"]),
        "skills/gamma.md": skill("gamma", ["beta"]),
    })
    monkeypatch.chdir(tmp_path)
    return root


def run(*args: str) -> object:
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_check_clean_file_exits_0(directory: Path) -> None:
    result = run("check", "dir/skills/alpha.md", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""


def test_check_prints_path_line_code_and_exits_1(directory: Path) -> None:
    result = run("check", "dir/skills/beta.md", "--as-of", AS_OF)
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "dir/skills/beta.md:8: XRF001 related id `gama` does not exist [error]",
        "    fix: Did you mean `gamma`? Replace `gama` with `gamma` in `related`. "
        "(see https://auditor.readthedocs.io/en/latest/rules/XRF001/)",
    ]


def test_check_resolves_references_against_the_whole_directory(directory: Path) -> None:
    # alpha relates to beta, which is not named: it must still count as existing
    result = run("check", "dir/skills/alpha.md", "--format", "json", "--as-of", AS_OF)
    assert json.loads(result.stdout)["findings"] == []


def test_check_json_shape(directory: Path) -> None:
    result = run("check", "dir", "--format", "json", "--as-of", AS_OF)
    document = json.loads(result.stdout)
    assert set(document) == {"findings", "summary"}
    assert document["findings"] and all(set(f) == FINDING_KEYS for f in document["findings"])
    (finding,) = [f for f in document["findings"] if f["severity"] == "error"]
    assert finding["path"] == "dir/skills/beta.md" and finding["code"] == "XRF001"
    assert finding["fix"].startswith("Did you mean `gamma`?")
    assert document["summary"]["entries"] == 3
    assert result.exit_code == 1


def test_check_github_annotations(directory: Path) -> None:
    result = run("check", "dir", "--format", "github", "--as-of", AS_OF)
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert "::notice file=dir/skills/gamma.md" in result.stdout  # info becomes a notice
    assert line.startswith("::error file=dir/skills/beta.md,line=8,title=XRF001 xref.missing-target::")
    assert "%0AFix: Did you mean `gamma`?" in line


def test_fail_on_threshold(directory: Path) -> None:
    write_tree(directory, {"skills/alpha.md": skill("alpha", ["beta"]) + "\nTODO later\n"})
    assert run("check", "dir/skills/alpha.md", "--as-of", AS_OF).exit_code == 0
    assert run("check", "dir/skills/alpha.md", "--fail-on", "warning", "--as-of", AS_OF).exit_code == 1
    assert run("check", "dir/skills/beta.md", "--fail-on", "none", "--as-of", AS_OF).exit_code == 0


@pytest.mark.parametrize("args", [
    ["check", "dir/skills/missing.md"],
    ["check", "dir", "--as-of", "yesterday"],
    ["check", "dir", "--format", "xml"],
    ["rules", "explain", "NOPE999"],
    ["audit", "dir/skills/alpha.md"],
])
def test_usage_errors_exit_2(directory: Path, args: list[str]) -> None:
    assert run(*args).exit_code == 2


def test_bad_config_names_the_file(directory: Path) -> None:
    (directory / "auditor.toml").write_text("name = \n", encoding="utf-8")
    result = run("check", "dir", "--as-of", AS_OF)
    assert result.exit_code == 2
    assert "auditor.toml" in result.stderr


def test_audit_json_has_the_check_shape_and_writes_report_and_tickets(directory: Path) -> None:
    result = run("audit", "dir", "--format", "json", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert set(document) == {"findings", "summary"}
    assert all(set(f) == FINDING_KEYS for f in document["findings"])
    assert document["summary"]["tickets"]["opened"] == 1
    assert (directory / ".auditor" / "report" / "index.html").is_file()
    assert "XRF001" in (directory / ".auditor" / "report" / "tickets.md").read_text(encoding="utf-8")


def test_audit_text_summary_then_ticket_commands(directory: Path) -> None:
    result = run("audit", "dir", "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    assert "3 entries" in result.stdout and "1 opened" in result.stdout
    assert "index.html" in result.stdout
    listing = run("tickets", "list", "-d", "dir")
    assert "#1" in listing.stdout and "beta" in listing.stdout
    assert run("tickets", "claim", "1", "-d", "dir", "--by", "ada", "--as-of", AS_OF).exit_code == 0
    assert run("tickets", "snooze", "1", "-d", "dir", "--until", "2026-12-10", "--reason", "vendor",
               "--as-of", AS_OF).exit_code == 0
    assert "No open tickets" in run("tickets", "list", "-d", "dir").stdout
    assert "snoozed" in run("tickets", "list", "-d", "dir", "--status", "snoozed").stdout
    shown = run("tickets", "show", "1", "-d", "dir").stdout
    assert "claimed by ada" in shown and "until 2026-12-10: vendor" in shown
    exported = json.loads(run("tickets", "export", "--format", "json", "-d", "dir", "--status", "all").stdout)
    assert exported["tickets"][0]["assignee"] == "ada"
    csv_text = run("tickets", "export", "--format", "csv", "-d", "dir", "--status", "all").stdout
    assert csv_text.splitlines()[0].startswith("key,id,title,description,priority,due,owner,labels,state,url")
    assert run("tickets", "resolve", "1", "-d", "dir", "--reason", "fixed", "--as-of", AS_OF).exit_code == 0
    assert run("tickets", "show", "99", "-d", "dir").exit_code == 2
    runs = run("runs", "-d", "dir").stdout
    assert "#1" in runs and "completed" in runs


def test_rules_list_and_explain() -> None:
    listing = run("rules", "list").stdout
    assert "XRF001" in listing and "xref.missing-target" in listing
    explained = run("rules", "explain", "xref.missing-target").stdout
    for heading in ("What it does", "Why", "Example", "How to fix"):
        assert heading in explained


def test_unreachable_store_is_a_clear_error_and_exit_3(directory: Path) -> None:
    result = run("audit", "dir", "--db", "postgresql+psycopg://nobody:secret@127.0.0.1:1/none", "--as-of", AS_OF)
    assert result.exit_code == 3
    assert "the store at postgresql+psycopg://127.0.0.1:1/none failed" in result.stderr
    assert "secret" not in result.stderr
