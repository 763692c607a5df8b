"""One convention, one finding: a rule firing on most entries of a kind is reported once, for the directory."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from auditor.checks.conventions import DIRECTORY_ID
from auditor.config import load_config
from auditor.models import Finding
from auditor.pipeline import check_entries, load_entries, run_audit
from auditor.store.db import open_engine, session_factory
from auditor.store.models import Ticket
from tests.helpers import write_tree

AS_OF = dt.date(2026, 11, 28)


def yaml_pairs(root: Path, count: int, without_zone: int, config: str = "",
               categories: tuple[str, str] | None = None) -> Path:
    """`count` YAML entries (data/<slug>/<slug>.yml); the first `without_zone` write `updated_at` without a zone.
    With `categories` (declared, written), every entry files itself under the declared category spelled the
    written way."""
    files: dict[str, str] = {}
    for number in range(count):
        slug = f"server-{number:02d}"
        stamp = "2026-04-23 05:34" if number < without_zone else "2026-04-23"
        category = f"category: {categories[1]}\n" if categories else ""
        files[f"data/{slug}/{slug}.yml"] = (
            f"name: Server {number}\ndescription: Serves request {number} for the tests.\n"
            f"source_url: https://example.org/{slug}\n{category}updated_at: {stamp}\n")
    if categories:
        files["categories.yml"] = f"- id: one\n  name: {categories[0]}\n"
    if config:
        files["auditor.toml"] = config
    return write_tree(root, files)


def audit(root: Path) -> list[Finding]:
    config = load_config(root)
    config.settings["offline"] = True
    entries = load_entries(root, config)
    return check_entries(entries, config, AS_OF, root=root)


def of(findings: list[Finding], code: str) -> list[Finding]:
    return [f for f in findings if f.code == code]


def test_a_rule_firing_on_most_entries_is_one_directory_finding(tmp_path: Path) -> None:
    findings = of(audit(yaml_pairs(tmp_path, 25, 24)), "STR017")
    assert len(findings) == 1
    convention = findings[0]
    assert (convention.entry, convention.path, convention.line) == (DIRECTORY_ID, "auditor.toml", 1)
    assert "STR017 `updated_at` on 24 of 25 entries (96%), kind mcp" in convention.message
    assert convention.evidence.count("data/server-") == 3  # three examples, file:line
    assert convention.evidence.startswith("e.g. data/server-00/server-00.yml:4: ")
    assert '`[rules] disable = ["STR017"]`' in convention.fix


def test_a_minority_defect_stays_on_its_entries(tmp_path: Path) -> None:
    findings = of(audit(yaml_pairs(tmp_path, 30, 9)), "STR017")
    assert sorted(f.entry for f in findings) == [f"server-{n:02d}" for n in range(9)]


def test_a_small_directory_is_never_collapsed(tmp_path: Path) -> None:
    findings = of(audit(yaml_pairs(tmp_path, 3, 2)), "STR017")
    assert len(findings) == 2 and DIRECTORY_ID not in {f.entry for f in findings}


def test_enforce_keeps_the_findings_on_each_entry(tmp_path: Path) -> None:
    findings = of(audit(yaml_pairs(tmp_path, 25, 24, config='[rules]\nenforce = ["STR017"]\n')), "STR017")
    assert len(findings) == 24 and DIRECTORY_ID not in {f.entry for f in findings}


def test_the_settings_move_the_thresholds(tmp_path: Path) -> None:
    config = "[settings]\nconvention_min_entries = 2\nconvention_share = 0.6\n"
    assert [f.entry for f in of(audit(yaml_pairs(tmp_path / "a", 3, 2, config)), "STR017")] == [DIRECTORY_ID]
    assert len(of(audit(yaml_pairs(tmp_path / "b", 5, 3, config)), "STR017")) == 3  # 60% is not over 60%


def test_a_category_spelled_one_way_is_a_convention_and_loose_matching_accepts_it(tmp_path: Path) -> None:
    root = yaml_pairs(tmp_path / "a", 22, 0, categories=("Cloud & DevOps MCP Servers", "Cloud Devops Mcp Servers"))
    findings = of(audit(root), "STR015")
    assert [(f.entry, f.fix.split(" in ")[0]) for f in findings] == [
        (DIRECTORY_ID, 'Accept it with `[settings] category_match = "loose"`')]
    accepted = yaml_pairs(tmp_path / "b", 22, 0, categories=("Cloud & DevOps MCP Servers", "Cloud Devops Mcp Servers"),
                          config='[settings]\ncategory_match = "loose"\n')
    assert of(audit(accepted), "STR015") == []


def test_a_garbled_category_is_never_a_convention(tmp_path: Path) -> None:
    garbled = 'Developer Tools "Developer Tools"amp; IDE MCP Servers'
    findings = of(audit(yaml_pairs(tmp_path, 22, 0, categories=(garbled, garbled))), "STR015")
    assert len(findings) == 22 and all("is garbled" in f.message for f in findings)


def test_a_directory_finding_is_stored_and_ticketed_for_the_maintainer(tmp_path: Path) -> None:
    root = yaml_pairs(tmp_path / "dir", 25, 25, config="[settings]\nticket_min_severity = \"info\"\n")
    config = load_config(root)
    config.settings["offline"] = True
    db_url = f"sqlite:///{tmp_path / 'store.db'}"
    result = run_audit(root, config, AS_OF, db_url)
    # Never reviewed and unchanged for over 180 days on every entry: one finding too.
    assert result.summary["conventions"] == [
        {"code": "STL001", "key": "never-reviewed", "entries": 25, "of": 25, "findings": 25,
         "accept": '[settings] unreviewed_findings = "summary"', "by_init": True},
        {"code": "STR017", "key": "updated_at", "entries": 25, "of": 25, "findings": 25,
         "accept": '[rules] disable = ["STR017"]', "by_init": True}]
    assert result.summary["entries"] == 25
    engine = open_engine(db_url)
    with session_factory(engine)() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.entry_id == DIRECTORY_ID)).one()
        assert ticket.owner is None and ticket.path == "auditor.toml"
        assert [f["code"] for f in ticket.findings] == ["STL001", "STR017"]
    engine.dispose()


def content_folder(root: Path, count: int) -> Path:
    """`count` mcp entries of another shape than rules/kinds.yml's: no `reviewed` or `owner`, their own sections."""
    files = {}
    for number in range(count):
        files[f"servers/server-{number:02d}.md"] = (
            f"---\nkind: mcp\ntitle: Server {number}\nsummary: Serves request {number}.\nupdated: 2026-10-01\n"
            f"links: {{repo: https://example.org/{number}}}\n---\n## Overview\nIt serves.\n\n## Setup\nRun it.\n")
    # One entry misses a section all the others have: a real defect, reported on its own.
    files["servers/server-00.md"] = files["servers/server-00.md"].replace("## Setup\nRun it.\n", "")
    return write_tree(root, files)


def test_without_configuration_a_kind_is_held_to_what_its_entries_carry(tmp_path: Path) -> None:
    findings = audit(content_folder(tmp_path, 25))
    assert [(f.code, f.entry) for f in findings if f.code in ("STR003", "STR008")] == [
        ("STR008", "server-00")]
    assert "`## Setup`" in next(f.message for f in findings if f.code == "STR008")


def test_init_writes_a_configuration_under_which_the_audit_has_no_convention_noise(tmp_path: Path) -> None:
    import tomllib

    from typer.testing import CliRunner

    from auditor.cli import app

    root = yaml_pairs(tmp_path / "pairs", 25, 25, categories=("Cloud & DevOps MCP Servers", "Cloud Devops Mcp Servers"))
    before = audit(root)
    assert {f.code for f in before if f.entry == DIRECTORY_ID} == {"STL001", "STR015", "STR017"}
    runner = CliRunner()
    printed = runner.invoke(app, ["audit", str(root), "--offline", "--as-of", "2026-11-28"]).output
    assert ("Conventions: 3 reported once for the directory instead of 75 per-entry findings (STL001, STR015, "
            "STR017; `auditor init` accepts STL001, STR015, STR017)") in printed
    assert "Unreviewed: 25 entries have no review date" in printed and "25 past their kind's review interval" in printed
    result = runner.invoke(app, ["init", str(root), "--as-of", "2026-11-28"])
    assert result.exit_code == 0 and f"wrote {root / 'auditor.toml'}" in result.output
    written = (root / "auditor.toml").read_text(encoding="utf-8")
    data = tomllib.loads(written)
    assert data["rules"]["disable"] == ["STR017"] and data["settings"]["category_match"] == "loose"
    assert data["settings"]["unreviewed_findings"] == "summary"
    assert "# STR017 `updated_at` on 25 of 25 entries" in written
    load_config(root)  # accepted as it is
    after = audit(root)
    assert not [f for f in after if f.code in ("STL001", "STR015", "STR017")]
    assert DIRECTORY_ID not in {f.entry for f in after}
    # Still counted where the maintainer looks, and an entry that does carry a review date is still held to it.
    printed = runner.invoke(app, ["audit", str(root), "--offline", "--as-of", "2026-11-28"]).output
    assert "Unreviewed: 25 entries have no review date" in printed and "25 past their kind's review interval" in printed
    reviewed = root / "data/server-00/server-00.yml"
    reviewed.write_text(reviewed.read_text() + "reviewed: 2025-01-02\n")
    assert [(f.code, f.key) for f in audit(root) if f.code == "STL001"] == [("STL001", "reviewed")]
    # A second init does not overwrite it; --force does.
    again = runner.invoke(app, ["init", str(root)])
    assert again.exit_code == 2 and "--force" in again.output
    assert runner.invoke(app, ["init", str(root), "--force"]).exit_code == 0


def test_init_writes_the_inferred_fields_and_sections_with_their_evidence(tmp_path: Path) -> None:
    import tomllib

    from auditor.init_config import write_config

    root = content_folder(tmp_path, 25)
    path = write_config(root, AS_OF)
    written = path.read_text(encoding="utf-8")
    mcp = tomllib.loads(written)["pack"]["kinds"]["kinds"]["mcp"]
    assert mcp["required_sections"] == ["Overview", "Setup"]
    assert set(mcp["required_fields"]) == {"kind", "title", "summary", "updated", "links"}
    assert '"Setup",  # 96% of 25 mcp entries have `## Setup`' in written
    findings = audit(root)
    assert [(f.code, f.entry) for f in findings if f.code in ("STR003", "STR008")] == [
        ("STR008", "server-00")]
    assert DIRECTORY_ID not in {f.entry for f in findings}


def test_a_spelling_most_of_its_category_does_not_use_stays_on_its_entries(tmp_path: Path) -> None:
    root = yaml_pairs(tmp_path, 60, 0, categories=("Cloud & DevOps MCP Servers", "Cloud & DevOps MCP Servers"))
    for number in range(21):  # 21 of the category's 60 entries spell it another way: their defect, not a convention
        path = root / f"data/server-{number:02d}/server-{number:02d}.yml"
        path.write_text(path.read_text().replace("Cloud & DevOps MCP Servers", "Cloud Devops Mcp Servers"))
    findings = of(audit(root), "STR015")
    assert sorted(f.entry for f in findings) == [f"server-{n:02d}" for n in range(21)]


def checked(root: Path, rel: str) -> list[Finding]:
    """`check` of one file: the whole directory read, that file judged."""
    config = load_config(root)
    config.settings["offline"] = True
    return check_entries(load_entries(root, config), config, AS_OF, only={rel}, root=root)


def test_check_of_one_file_counts_a_convention_over_the_whole_directory(tmp_path: Path) -> None:
    root = yaml_pairs(tmp_path / "convention", 25, 24)
    rel = "data/server-03/server-03.yml"
    alone = checked(root, rel)
    assert not of(alone, "STR017")  # the directory's convention, as the audit reports it: once, not on this file
    in_audit = [f for f in audit(root) if f.path == rel]
    assert [(f.code, f.line, f.message) for f in alone] == [(f.code, f.line, f.message) for f in in_audit]
    assert of(audit(root), "STR017")[0].entry == DIRECTORY_ID


def test_check_of_one_file_with_a_minority_defect_reports_it(tmp_path: Path) -> None:
    root = yaml_pairs(tmp_path / "minority", 25, 1)
    assert [f.line for f in of(checked(root, "data/server-00/server-00.yml"), "STR017")] == [4]


@pytest.mark.parametrize("read_all", [False, True], ids=["file by file", "folder through the parsed cache"])
def test_check_against_digests_counts_conventions_as_a_full_read_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                      read_all: bool) -> None:
    from auditor import pipeline
    from auditor.pipeline import check_few
    from auditor.sources.base import FolderSource

    if read_all:
        monkeypatch.setattr(pipeline, "POPULATION_READ_ALL", 0)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    monkeypatch.delenv("AUDITOR_NO_CACHE", raising=False)
    root = tmp_path / "folder"
    files = {}
    for number in range(25):  # every entry: a time without a zone, and related by no other (XRF004)
        stamp = "2026-04-23" if number == 7 else "2026-04-23 05:34"
        files[f"tools/tool-{number:02d}.md"] = (
            f"---\nkind: tool\nid: tool-{number:02d}\ntitle: Tool {number}\nsummary: Tool number {number} does one "
            f"thing for the tests and nothing more.\nupdated: {stamp}\nreviewed: 2026-10-01\nowner: desk\n---\n"
            f"## Use cases\n- One use of tool {number}\n")
    write_tree(root, files)
    past = time.time() - 3600
    for path in (root / "tools").iterdir():
        os.utime(path, (past, past))
    (root / ".auditor").mkdir()
    config = load_config(root)
    entries = load_entries(root, config, use_cache=True)
    check_entries(entries, config, AS_OF, only={e.path for e in entries}, root=root, use_cache=True)  # digests
    for rel in ("tools/tool-03.md", "tools/tool-07.md"):
        done = check_few(FolderSource(root), load_config(root), AS_OF, [rel])
        assert done is not None
        whole = check_entries(load_entries(root, load_config(root)), load_config(root), AS_OF, only={rel}, root=root)
        assert [(f.code, f.line, f.message) for f in done[1]] == [(f.code, f.line, f.message) for f in whole]
        assert not {"STR017", "XRF004"} & {f.code for f in done[1]}
