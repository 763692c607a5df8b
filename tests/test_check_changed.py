"""`auditor check --changed-since REV`: in CI, what a branch changed and only that."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.sources.changes import changes_since
from tests.helpers import AS_OF, git, skill, write_tree

BODY = """\
## Use cases
- When something needs doing.
- TODO: an old note nobody removed

## Key features
- It does the thing.

## When to Use This Skill
- When the thing needs doing.

## Expected Output
The thing, done.

## Frequently Asked Questions
### Is it useful?
Yes, for the tests.
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = write_tree(tmp_path / "dir", {
        "auditor.toml": 'name = "changes"\n',
        "skills/alpha.md": skill("alpha", ["beta"], body=BODY),
        "skills/beta.md": skill("beta", ["alpha"]),
        "README.md": "# The directory\n",
    })
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "editor@example.com")
    git(root, "config", "user.name", "Editor")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the directory")
    git(root, "checkout", "-q", "-b", "change")
    monkeypatch.chdir(root)
    return root


def check(*args: str) -> tuple[int, dict, str]:
    result = CliRunner().invoke(app, ["check", *args, "--as-of", AS_OF, "--offline", "--format", "json",
                                      "--fail-on", "warning"], catch_exceptions=False)
    document = json.loads(result.stdout) if result.stdout.strip() else {}
    return result.exit_code, document, result.output


def edit(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def test_only_findings_on_changed_lines_of_changed_entries_are_reported(repo: Path) -> None:
    edit(repo / "skills/alpha.md", "- It does the thing.\n", "- It does the thing.\n- TBD: a new note\n")
    git(repo, "commit", "-q", "-am", "a new note")
    code, document, _ = check("--changed-since", "main")
    assert code == 1
    assert [(f["path"], f["line"], f["code"]) for f in document["findings"]] == [("skills/alpha.md", 16, "STR012")]
    assert document["summary"]["entries"] == 1  # beta did not change; README is no entry
    assert document["summary"]["changed_since"] == {"rev": "main", "base": git(repo, "rev-parse", "main").strip(),
                                                    "files": 1, "findings_on_unchanged_lines": 1}  # the old TODO


def test_nothing_changed_means_nothing_to_report(repo: Path) -> None:
    code, document, _ = check("--changed-since", "main")
    assert code == 0 and document["findings"] == [] and document["summary"]["entries"] == 0


def test_working_tree_edits_and_new_files_count_and_main_moving_on_does_not(repo: Path) -> None:
    git(repo, "checkout", "-q", "main")  # main moves on after the branch left it: not the branch's doing
    edit(repo / "skills/beta.md", "- It does the thing.\n", "- It does the thing.\n- FIXME: on main\n")
    git(repo, "commit", "-q", "-am", "main moves on")
    git(repo, "checkout", "-q", "change")
    (repo / "skills/gamma.md").write_text(skill("gamma", [], body=BODY), encoding="utf-8")  # not even added
    edit(repo / "skills/alpha.md", "- When something needs doing.\n", "- When something needs doing. TBD\n")
    changes = changes_since(repo, "main")
    assert changes.files == ["skills/alpha.md", "skills/gamma.md"] and changes.lines["skills/alpha.md"] == {11}
    code, document, _ = check("--changed-since", "main")
    found = sorted((f["path"], f["line"], f["code"]) for f in document["findings"])
    assert ("skills/alpha.md", 11, "STR012") in found
    assert ("skills/gamma.md", 12, "STR012") in found  # a new file is new throughout
    assert all(path != "skills/beta.md" for path, _, _ in found) and code == 1


def test_named_paths_are_checked_but_only_their_changed_lines_reported(repo: Path) -> None:
    code, document, output = check("skills/alpha.md", "--changed-since", "main")
    assert code == 0 and document["findings"] == []
    assert document["summary"]["entries"] == 1
    assert document["summary"]["changed_since"]["findings_on_unchanged_lines"] == 1


def test_a_removed_line_marks_what_now_surrounds_the_cut(repo: Path) -> None:
    edit(repo / "skills/alpha.md", "- TODO: an old note nobody removed\n", "")
    assert changes_since(repo, "main").lines == {"skills/alpha.md": {11, 12}}
    code, document, _ = check("--changed-since", "main")
    assert code == 0 and document["findings"] == []
    assert document["summary"]["changed_since"]["findings_on_unchanged_lines"] == 0


def test_removing_or_renaming_an_entry_reports_the_entries_that_still_list_it(repo: Path) -> None:
    git(repo, "rm", "-q", "skills/beta.md")  # alpha lists beta in `related`, on a line this change never touches
    code, document, _ = check("--changed-since", "main")
    found = [(f["path"], f["code"], f["message"]) for f in document["findings"]]
    assert found == [("skills/alpha.md", "XRF001", "related id `beta` does not exist")] and code == 1
    # hidden: the old TODO, and alpha's orphan note (info; beta listed it): the scheduled audit reports those
    assert document["summary"]["changed_since"]["findings_on_unchanged_lines"] == 2
    git(repo, "reset", "-q", "--hard")
    git(repo, "mv", "skills/beta.md", "skills/beta-2.md")
    git(repo, "commit", "-q", "-m", "beta renamed")
    assert changes_since(repo, "main").removed == {"skills/beta.md"}
    code, document, _ = check("--changed-since", "main")
    assert [(f["path"], f["code"]) for f in document["findings"]] == [("skills/alpha.md", "XRF001")] and code == 1
    assert "Did you mean `beta-2`?" in document["findings"][0]["fix"]


@pytest.mark.parametrize(("setup", "args", "message"), [
    ("git", ["--changed-since", "no-such-branch"], "unknown revision 'no-such-branch'"),
    ("plain", ["--changed-since", "main"], "not in a git work tree"),
    ("git", [], "pass --changed-since REV"),
])
def test_usage_errors_name_the_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setup: str,
                                       args: list[str], message: str) -> None:
    root = write_tree(tmp_path / "dir", {"auditor.toml": 'name = "x"\n', "skills/alpha.md": skill("alpha")})
    if setup == "git":
        git(root, "init", "-q", "-b", "main")
    monkeypatch.chdir(root)
    result = CliRunner().invoke(app, ["check", *args, "--as-of", AS_OF, "--offline"], catch_exceptions=False)
    assert result.exit_code == 2 and message in " ".join(result.output.split())
