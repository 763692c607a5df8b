"""When entries last changed: git history (blame per list bullet, one log for file entries, reformats and mass
commits looked past), stated dates and their aliases outside git, and what the score and STL001 make of it.
Every repository here is made by the test, with fixed commit dates."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from pathlib import Path

from auditor.config import load_config
from auditor.models import Entry
from auditor.pipeline import check_entries, load_entries, summarize
from auditor.scoring import score_entries, score_entry
from tests.helpers import write_tree

AS_OF = dt.date(2026, 12, 1)
NAMES = ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot", "Golf", "Hotel", "India", "Juliet", "Kilo",
         "Lima"]


def git(repo: Path, *args: str, date: str = "2025-01-10") -> str:
    stamp = f"{date}T12:00:00+00:00"
    env = {**os.environ, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp, "GIT_AUTHOR_NAME": "Editor",
           "GIT_AUTHOR_EMAIL": "editor@example.com", "GIT_COMMITTER_NAME": "Editor",
           "GIT_COMMITTER_EMAIL": "editor@example.com", "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(repo)}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout


def commit(repo: Path, date: str, message: str = "change") -> str:
    git(repo, "add", "-A", date=date)
    git(repo, "commit", "-q", "-m", message, date=date)
    return git(repo, "rev-parse", "HEAD").strip()


def bullets(separator: str = " - ", indent: str = "", extra: dict[str, str] | None = None) -> str:
    extra = extra or {}
    lines = ["# Awesome things", "", "## Servers", ""]
    for name in NAMES:
        description = extra.get(name, f"Does {name.lower()} things")
        lines.append(f"{indent}- **[{name}](https://example.com/{name.lower()})**{separator}{description}")
    return "\n".join(lines) + "\n"


def audit(root: Path, settings: dict | None = None) -> tuple[dict[str, Entry], list]:
    config = load_config(root)
    config.settings["offline"] = True
    config.settings.update(settings or {})
    entries = load_entries(root, config)
    findings = check_entries(entries, config, AS_OF, root=root)
    return {e.id: e for e in entries}, findings


def test_list_bullets_are_dated_by_their_own_lines_past_reformats_and_mass_commits(tmp_path: Path) -> None:
    repo = tmp_path / "list"
    write_tree(repo, {"README.md": bullets()})
    git(repo, "init", "-q", "-b", "main")
    first = commit(repo, "2025-01-10", "the list")
    (repo / "README.md").write_text(bullets(extra={"Charlie": "Does charlie things, now over HTTP"}))
    charlie = commit(repo, "2025-06-01", "Charlie speaks HTTP")
    # Whitespace only (-w looks past it), then every line rewritten (a mass commit, looked past by --ignore-rev).
    (repo / "README.md").write_text(bullets(indent="", separator="  -  ",
                                            extra={"Charlie": "Does charlie things, now over HTTP"}))
    commit(repo, "2025-07-01", "reformat")
    (repo / "README.md").write_text(bullets(separator=" — ", extra={"Charlie": "Does charlie things, now over HTTP"}))
    commit(repo, "2025-08-01", "dashes everywhere")
    text = (repo / "README.md").read_text() + "- **[Mike](https://example.com/mike)** — Does mike things\n"
    (repo / "README.md").write_text(text)
    mike = commit(repo, "2026-10-01", "add Mike")

    entries, findings = audit(repo)
    assert entries["charlie"].last_changed == dt.date(2025, 6, 1)
    assert (entries["charlie"].last_changed_by, entries["charlie"].last_changed_ref) == ("git", charlie)
    assert entries["alpha"].last_changed == dt.date(2025, 1, 10) and entries["alpha"].last_changed_ref == first
    assert entries["mike"].last_changed == dt.date(2026, 10, 1) and entries["mike"].last_changed_ref == mike
    # Unreviewed and kindless: due every 180 days from the last change of its line.
    stl = {f.entry: f for f in findings if f.code == "STL001"}
    age = (AS_OF - dt.date(2025, 6, 1)).days
    assert stl["charlie"].message == (f"never reviewed; last changed {age} days ago (git: commit {charlie[:7]} on "
                                      "2025-06-01; an entry with no kind is due every 180 days)")
    assert stl["charlie"].line == entries["charlie"].lines[0] == 7
    assert set(stl) == {e for e in entries if e != "mike"}  # Mike's line is 61 days old


def test_git_dates_off_leaves_bullets_unknown_not_fresh(tmp_path: Path) -> None:
    repo = tmp_path / "list"
    write_tree(repo, {"README.md": bullets()})
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "2026-11-20")
    entries, findings = audit(repo, {"git_dates": "off"})
    assert all(e.last_changed is None for e in entries.values())
    config = load_config(repo)
    scores = score_entries(list(entries.values()), findings, AS_OF, config)
    summary = summarize(list(entries.values()), findings, scores)["staleness"]
    assert summary["unknown"] == len(NAMES) and summary["fresh"] == 0
    assert summary["unreviewed"] == len(NAMES) and summary["unreviewed_median_age_days"] is None
    # With git, the same bullets are dated, recent, and fresh.
    entries, findings = audit(repo)
    scores = score_entries(list(entries.values()), findings, AS_OF, config)
    summary = summarize(list(entries.values()), findings, scores)["staleness"]
    assert summary["fresh"] == len(NAMES) and summary["unknown"] == 0
    assert summary["unreviewed_median_age_days"] == 11 and summary["age_evidence"] == {"git": len(NAMES)}


def tool(name: str, body: str = "Some text.") -> str:
    return f"---\nkind: tool\ntitle: {name}\n---\n## Use cases\n{body}\n"


def test_file_entries_are_dated_by_one_log_past_whitespace_renames_and_mass_commits(tmp_path: Path) -> None:
    repo = tmp_path / "dir"
    write_tree(repo, {f"tools/{n.lower()}.md": tool(n) for n in NAMES})
    git(repo, "init", "-q", "-b", "main")
    first = commit(repo, "2025-01-10", "import")  # every file: a mass commit, but nothing older dates them
    (repo / "tools/alpha.md").write_text(tool("Alpha", "New text."))
    alpha = commit(repo, "2025-05-01")
    (repo / "tools/bravo.md").write_text(tool("Bravo", "Some   text.  "))
    commit(repo, "2025-07-01", "whitespace")
    for n in NAMES:
        (repo / f"tools/{n.lower()}.md").write_text((repo / f"tools/{n.lower()}.md").read_text() + "\n<!-- x -->\n")
    mass = commit(repo, "2025-08-01", "a footer everywhere")
    git(repo, "mv", "tools/charlie.md", "tools/charles.md", date="2025-09-01")
    commit(repo, "2025-09-01", "rename")
    (repo / "tools/delta.md").write_text(tool("Delta", "Delta changed."))
    delta = commit(repo, "2026-11-01")
    (repo / "tools/echo.md").write_text(tool("Echo", "Being edited."))  # not committed: dated by its last commit

    entries, findings = audit(repo)
    assert (entries["alpha"].last_changed, entries["alpha"].last_changed_ref) == (dt.date(2025, 5, 1), alpha)
    assert (entries["bravo"].last_changed, entries["bravo"].last_changed_ref) == (dt.date(2025, 1, 10), first)
    assert (entries["charles"].last_changed, entries["charles"].last_changed_ref) == (dt.date(2025, 1, 10), first)
    assert entries["delta"].last_changed_ref == delta and entries["golf"].last_changed_ref == first
    assert all(e.last_changed_ref != mass for e in entries.values())
    stl = {f.entry: f.message for f in findings if f.code == "STL001"}
    assert "delta" not in stl and stl["alpha"].startswith("never reviewed; last changed 579 days ago (git: commit")
    assert stl["alpha"].endswith("a tool is due every 90 days)")
    # A lower mass share makes the footer commit an ordinary change again.
    entries, _ = audit(repo, {"git_mass_commit_share": 1.0})
    assert entries["golf"].last_changed_ref == mass


def test_git_blame_ignore_revs_are_looked_past(tmp_path: Path) -> None:
    repo = tmp_path / "dir"
    write_tree(repo, {"tools/alpha.md": tool("Alpha"), "tools/bravo.md": tool("Bravo")})
    git(repo, "init", "-q", "-b", "main")
    first = commit(repo, "2025-01-10")
    (repo / "tools/alpha.md").write_text(tool("Alpha", "Some text, reflowed."))
    reflow = commit(repo, "2025-03-01", "reflow")
    entries, _ = audit(repo)
    assert entries["alpha"].last_changed_ref == reflow
    (repo / ".git-blame-ignore-revs").write_text(f"# the reflow\n{reflow}\n")
    entries, _ = audit(repo)
    assert entries["alpha"].last_changed_ref == first


def test_stated_dates_and_their_aliases_date_entries_outside_git(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "plain", {
        "tools/a.md": "---\nkind: tool\ntitle: A\nupdated_at: 2025-02-03\n---\n## Use cases\nx\n",
        "tools/b.md": "---\nkind: tool\ntitle: B\nlastUpdated: 2026-11-20T10:00:00Z\n---\n## Use cases\nx\n",
        "tools/c.md": "---\nkind: tool\ntitle: C\nupdated: 2025-06-01\ndate_modified: 2026-01-01\n---\nx\n",
        "tools/d.md": "---\nkind: tool\ntitle: D\n---\n## Use cases\nx\n",
    })
    entries, findings = audit(root)
    assert (entries["a"].last_changed, entries["a"].last_changed_by, entries["a"].last_changed_ref) == \
        (dt.date(2025, 2, 3), "front-matter", "updated_at")
    assert entries["b"].last_changed == dt.date(2026, 11, 20)
    assert (entries["c"].last_changed, entries["c"].last_changed_ref) == (dt.date(2025, 6, 1), "updated")
    assert entries["d"].last_changed is None and entries["d"].last_changed_by == ""
    stl = {f.entry: f for f in findings if f.code == "STL001"}
    assert set(stl) == {"a", "c"}
    assert stl["a"].line == 4 and "(front matter: updated_at 2025-02-03; a tool is due every 90 days)" in \
        stl["a"].message
    config = load_config(root)
    assert score_entry(entries["d"], [], AS_OF, config).band == "unknown"
    assert score_entry(entries["b"], [], AS_OF, config).band == "fresh"
    assert score_entry(entries["a"], [], AS_OF, config).band == "stale"


def test_stated_date_wins_over_git_unless_git_is_preferred(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "dir", {"tools/a.md": "---\nkind: tool\ntitle: A\nupdated: 2025-02-03\n---\nx\n"})
    git(repo, "init", "-q", "-b", "main")
    change = commit(repo, "2026-10-01")
    entries, _ = audit(repo)
    assert (entries["a"].last_changed, entries["a"].last_changed_by) == (dt.date(2025, 2, 3), "front-matter")
    entries, _ = audit(repo, {"git_dates": "prefer"})
    assert (entries["a"].last_changed, entries["a"].last_changed_ref) == (dt.date(2026, 10, 1), change)


def test_a_reviewed_entry_ages_from_its_review_whatever_git_says(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "dir", {"tools/a.md": "---\nkind: tool\ntitle: A\nreviewed: 2026-10-01\n---\nx\n"})
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "2024-01-01")
    entries, findings = audit(repo)
    assert entries["a"].last_changed == dt.date(2024, 1, 1)
    assert not [f for f in findings if f.code == "STL001"]
    score = score_entry(entries["a"], findings, AS_OF, load_config(repo))
    assert (score.evidence, score.age_days, score.unreviewed, score.band) == ("front-matter", 61, False, "fresh")


def test_the_run_summary_and_report_show_unreviewed_entries_and_unknown_ones(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from auditor.cli import app

    repo = tmp_path / "list"
    write_tree(repo, {"README.md": bullets()})
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "2026-05-01")
    result = CliRunner().invoke(app, ["audit", str(repo), "--offline", "--as-of", str(AS_OF)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"Staleness: mean 73.0 of 100; {len(NAMES)} stale (70+), 0 ageing (40-69), 0 fresh\n" in result.stdout
    assert (f"Unreviewed: {len(NAMES)} entries have no review date; their last change is 214 days old (median); "
            f"{len(NAMES)} past their kind's review interval. "
            f"Ages from: git {len(NAMES)}") in result.stdout
    report = (repo / ".auditor" / "report" / "index.html").read_text(encoding="utf-8")
    assert "entries never reviewed; last changed 214 days ago (median)" in report
    (repo / "auditor.toml").write_text('[settings]\ngit_dates = "off"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["audit", str(repo), "--offline", "--as-of", str(AS_OF), "--format", "json"],
                                catch_exceptions=False)
    staleness = __import__("json").loads(result.stdout)["summary"]["staleness"]
    assert (staleness["fresh"], staleness["unknown"], staleness["unreviewed_undated"]) == (0, len(NAMES), len(NAMES))
    assert "12 unknown (no date)" in (repo / ".auditor" / "report" / "index.html").read_text(encoding="utf-8")
    # Stored as unknown too (no score), so the app and the report's pages never show an undated entry as fresh.
    from sqlalchemy import func, select

    from auditor.store.db import open_engine, session_factory
    from auditor.store.models import EntrySnapshot

    engine = open_engine(f"sqlite:///{repo / '.auditor' / 'auditor.db'}")
    with session_factory(engine)() as session:
        last = session.scalar(select(func.max(EntrySnapshot.run_id)))
        stored = list(session.scalars(select(EntrySnapshot.score).where(EntrySnapshot.run_id == last)))
    engine.dispose()
    assert len(stored) == len(NAMES) and set(stored) == {None}


def test_a_file_entry_is_dated_by_the_newer_of_its_file_and_its_twin(tmp_path: Path) -> None:
    from auditor.entry_dates import date_entries

    repo = tmp_path / "twins"
    write_tree(repo, {"a.md": "a\n", "a.json": "{}\n", "b.md": "b\n", "b.json": "{}\n", "c.md": "c\n"})
    git(repo, "init", "-q", "-b", "main")
    first = commit(repo, "2025-01-10", "files")
    write_tree(repo, {"a.json": '{"x": 1}\n'})
    later = commit(repo, "2025-03-01", "a's twin")
    entries = [Entry(id="a", path="a.md", twin_path="a.json"), Entry(id="b", path="b.md", twin_path="b.json"),
               Entry(id="c", path="c.md", twin_path="gone.json")]
    date_entries(entries, repo, load_config(repo))
    assert [(e.last_changed, e.last_changed_ref) for e in entries] == [
        (dt.date(2025, 3, 1), later), (dt.date(2025, 1, 10), first), (dt.date(2025, 1, 10), first)]
