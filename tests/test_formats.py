"""The readers of other directory formats, on small excerpts of real directories (tests/fixtures/corpora/, each with
its licence and a NOTICE naming what was taken): awesome lists, SKILL.md folders, plugin manifests, YAML pairs,
registry JSON and docs pages; and what the rules make of them."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.config import load_config
from auditor.models import Entry, Finding
from auditor.pipeline import check_entries, load_entries
from auditor.sources.detect import FormatsSource, detect, source_for
from tests.helpers import write_tree

CORPORA = Path(__file__).parent / "fixtures" / "corpora"
AS_OF = dt.date(2026, 11, 28)


def audit(root: Path) -> tuple[list[Entry], list[Finding]]:
    config = load_config(root)
    config.settings["offline"] = True
    entries = load_entries(root, config)
    return entries, check_entries(entries, config, AS_OF, root=root)


def by_id(entries: list[Entry]) -> dict[str, Entry]:
    return {e.id: e for e in entries}


def found(findings: list[Finding], code: str) -> list[tuple[str, int, str]]:
    return sorted((f.path, f.line, f.message) for f in findings if f.code == code)


@pytest.mark.parametrize(("corpus", "formats"), [
    ("awesome-copilot", ["skills", "plugins", "docs-pages"]),
    ("ever-works-mcp-servers", ["yaml-pairs"]),
    ("mcp-server-lists", ["registry-json", "awesome"]),
    ("sindresorhus-awesome", ["awesome"]),
])
def test_formats_are_detected(corpus: str, formats: list[str]) -> None:
    root = CORPORA / corpus
    config = load_config(root)
    assert detect(root, config) == formats
    source = source_for(root, config)
    assert isinstance(source, FormatsSource) and source.formats == formats


def test_a_content_folder_is_still_read_as_one() -> None:
    root = Path(__file__).resolve().parent.parent / "examples" / "directory"
    config = load_config(root)
    assert detect(root, config) == []
    assert type(source_for(root, config)).__name__ == "FolderSource"


def test_yaml_pairs_map_fields_and_report_what_is_wrong() -> None:
    entries, findings = audit(CORPORA / "ever-works-mcp-servers")
    entries_by_id = by_id(entries)
    assert len(entries) == 6
    teams = entries_by_id["microsoft-teams"]
    assert teams.title == "Microsoft Teams" and teams.kind == "mcp"
    assert teams.summary.startswith("Official Microsoft Teams AI Library with MCP support")
    assert teams.links == {"repo": "https://learn.microsoft.com/en-us/microsoftteams/platform/bots/how-to/mcp/"}
    assert teams.updated == dt.date(2026, 4, 5) and teams.category == "Messaging Mcp Servers"
    assert teams.twin_path == "data/microsoft-teams/microsoft-teams.md"
    assert [s.title for s in teams.sections] == ["Overview", "Features"]
    # The YAML file that does not parse is named with its line; its twin is still read and audited.
    assert found(findings, "STR014") == [(
        "data/openapi-mcp/openapi-mcp.yml", 24,
        "the file is not valid YAML: could not find expected ':' (while scanning a simple key); "
        "the parser stopped on line 25")]
    assert entries_by_id["openapi-mcp"].body_lines[0] == "## Features"
    # Two slugs, one source URL: a duplicate, reported once on the later slug.
    dup = [f for f in findings if f.code == "DUP005"]
    assert [(f.entry, f.key, f.line) for f in dup] == [("21stdev-magic-mcp", "21st-magic-mcp", 6)]
    categories = {(f.entry, f.message) for f in findings if f.code == "STR015"}
    assert ("microsoft-teams", "category `Messaging Mcp Servers` is written differently from the declared category "
            "`Messaging MCP Servers`") in categories
    garbled = next(f for f in findings if f.code == "STR015" and f.entry == "dart-mcp-demo")
    assert "is garbled (the declared list holds it garbled too)" in garbled.message
    assert garbled.fix == "Write `category: Developer Tools & IDE MCP Servers`."
    # Every updated_at that was read has a time but no zone (the broken file has none that was read).
    assert len([f for f in findings if f.code == "STR017"]) == 5
    assert not [f for f in findings if f.code in ("STR003", "STR008", "XRF004")]


def test_skills_plugins_and_docs_pages() -> None:
    entries, findings = audit(CORPORA / "awesome-copilot")
    entries_by_id = by_id(entries)
    issues = entries_by_id["github-issues"]
    assert issues.kind == "skill" and issues.source_format == "skills" and issues.title == "github-issues"
    assert "references/dependencies.md" not in {e.path for e in entries}  # a skill's own file, not an entry
    # A sub-skill nested in `qdrant-monitoring/` and named `qdrant-monitoring-debugging` is namespaced, not misnamed.
    assert found(findings, "STR016") == []
    ember = entries_by_id["plugins/ember"]
    assert ember.title == "ember" and ember.twin_path == "plugins/ember/README.md"
    refs = {(r.field, r.target): r.resolved for r in ember.refs if r.kind == "manifest"}
    assert refs[("agents", "./agents/ember.md")] == "agents/ember.agent.md"  # the `.agent.md` convention
    assert refs[("skills", "./skills/daily-focus-board/")] == "skills/daily-focus-board"
    assert found(findings, "XRF006") == [
        ("plugins/ember/plugin.json", 26, "manifest item `./skills/from-the-other-side-anitta/` in `skills` names no "
                                          "file in the directory"),
        ("plugins/ember/plugin.json", 27, "manifest item `./skills/from-the-other-side-quinn/` in `skills` names no "
                                          "file in the directory"),
        ("plugins/ember/plugin.json", 28, "manifest item `./skills/from-the-other-side-vega/` in `skills` names no "
                                          "file in the directory"),
        ("plugins/ember/plugin.json", 29, "manifest item `./skills/from-the-other-side-wiggins/` in `skills` names no "
                                          "file in the directory"),
        ("plugins/ember/plugin.json", 32, "manifest item `./extensions/daily-focus-board` in `extensions` names no "
                                          "file in the directory"),
    ]
    # A link in the plugin's README is named with the README and its own line.
    links = [f for f in findings if f.code == "XRF005" and f.path == "plugins/ember/README.md"]
    assert links and all(f.line < 100 for f in links)
    assert any("../../extensions/daily-focus-board/" in f.message for f in links)
    # relatedArticles that resolve raise nothing; the one this excerpt leaves out is reported with its line.
    page = "website/src/content/docs/learning-hub/creating-effective-skills.md"
    assert entries_by_id[page[:-3]].updated == dt.date(2026, 7, 13)
    assert found(findings, "XRF007") == [(
        "website/src/content/docs/learning-hub/defining-custom-instructions.md", 15,
        "related article `./copilot-configuration-basics.md` in `relatedArticles` names no file in the directory")]


def test_awesome_lists_and_registry_records() -> None:
    entries, findings = audit(CORPORA / "mcp-server-lists")
    lists = [e for e in entries if e.source_format == "awesome"]
    titles = {e.title for e in lists}
    assert "21st.dev Magic" in titles and "Everything" in titles
    assert not any("Logo" in t or "<img" in t for t in titles)  # favicon images are not part of the name
    assert "C# MCP SDK" not in titles  # the introduction, above the first section
    magic = next(e for e in lists if e.title == "21st.dev Magic")
    assert magic.category == "Third-Party Servers / Official Integrations"
    assert magic.summary == "Create crafted UI components inspired by the best 21st.dev design engineers."
    assert magic.links == {"repo": "https://github.com/21st-dev/magic-mcp"}
    lines = (CORPORA / "mcp-server-lists" / magic.path).read_text(encoding="utf-8").splitlines()
    assert "21st.dev Magic" in lines[magic.body_start - 1]
    registry = {e.id: e for e in entries if e.source_format == "registry-json"}
    seed = registry["io.github.21st-dev/magic-mcp"]
    assert seed.updated == dt.date(2025, 5, 16) and seed.links["repo"] == "https://github.com/21st-dev/magic-mcp"
    assert seed.body_start == 2 and seed.line_of("description") == 5
    current = registry["io.github.example/weather"]
    assert current.updated == dt.date(2025, 10, 1) and current.published == dt.date(2025, 9, 10)
    assert current.links == {"repo": "https://github.com/example/weather-mcp", "homepage": "https://example.com/weather"}
    assert found(findings, "STR014") == [("registry/seed_2025_05_16.json", 85, "the record has no `name`")]
    # The reference servers' links point into the repository's src/, which the excerpt does not hold.
    assert {m for _p, _l, m in found(findings, "XRF005")} >= {
        "link `src/everything` in the text names no file in the directory"}


def test_nested_bullets_and_table_of_contents() -> None:
    entries, _ = audit(CORPORA / "sindresorhus-awesome")
    titles = [e.title for e in entries]
    assert "Platforms" not in titles and "Contents" not in titles  # table of contents: links to #anchors
    containers = next(e for e in entries if e.title == "Containers")
    assert containers.category == "Platforms / Linux"
    assert containers.summary is None
    node = next(e for e in entries if e.title == "Node.js")
    assert node.category == "Platforms" and node.summary.startswith("Async non-blocking event-driven")
    assert "All Awesome Lists" in titles  # the Related section is a list of entries too


def test_a_generic_sub_list_name_under_two_headings_is_not_a_duplicate_title(tmp_path: Path) -> None:
    misc = "".join(f"- [Tool {n}](https://m.example/{n}) - Tool {n}.\n" for n in range(8))
    write_tree(tmp_path, {
        "README.md": "# Awesome\n\n## Misc\n\n" + misc + "\n## Symfony\n\n"
                     "- [Education](https://a.example/edu) - Learn Symfony.\n"
                     "- [Bundles](https://a.example/b) - Bundles.\n\n## Laravel\n\n"
                     "- [Education](https://b.example/edu) - Learn Laravel.\n"
                     "- [Bundles](https://b.example/b) - More bundles.\n- [bundles](https://c.example/b) - Again.\n",
    })
    entries, findings = audit(tmp_path)
    assert sorted(e.category or "" for e in entries if e.title == "Education") == ["Laravel", "Symfony"]
    duplicates = [(f.line, f.message) for f in findings if f.code == "DUP004"]
    assert len(duplicates) == 1 and duplicates[0][0] == 23  # only the repeat under Laravel


def test_a_placeholder_or_fenced_link_is_not_a_reference(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "skills/a/SKILL.md": "---\nname: a\ndescription: A.\n---\n[x]({{url}}) [y](${base}/z.md)\n"
                             "```\n[z](nothing.md)\n```\n    [indented](also-code.md)\n",
    })
    entries, findings = audit(tmp_path)
    assert [r.target for r in entries[0].refs] == ["also-code.md"]  # indented code is not told apart
    assert found(findings, "XRF005") == [("skills/a/SKILL.md", 9, "link `also-code.md` in the text names no file in "
                                                                   "the directory")]


def test_the_cli_reads_a_format_and_checks_a_twin(tmp_path: Path) -> None:
    root = tmp_path / "ever-works"
    shutil.copytree(CORPORA / "ever-works-mcp-servers", root)
    runner = CliRunner()
    result = runner.invoke(app, ["audit", str(root), "--offline", "--input-format", "yaml-pairs", "--format", "json",
                                 "--db", f"sqlite:///{tmp_path / 'x.db'}", "--report-dir", str(tmp_path / "report"),
                                 "--as-of", "2026-11-28"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["summary"]["entries"] == 6
    assert {"DUP", "STR"} <= set(document["summary"]["by_family"])
    result = runner.invoke(app, ["check", str(root / "data/openapi-mcp/openapi-mcp.md"), "--root", str(root),
                                 "--offline", "--format", "json", "--as-of", "2026-11-28"])
    assert result.exit_code == 1, result.output
    checked = json.loads(result.stdout)
    assert {f["code"] for f in checked["findings"]} >= {"STR014"}
    result = runner.invoke(app, ["audit", str(root), "--input-format", "csv", "--db", f"sqlite:///{tmp_path / 'y.db'}"])
    assert result.exit_code == 2 and "unknown input format 'csv'" in result.output
