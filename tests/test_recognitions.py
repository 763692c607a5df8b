"""What real repositories hold and is not a defect: each test is shaped like a directory seen in the wild."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from auditor.config import load_config
from auditor.pipeline import check_entries, load_entries
from tests.helpers import AS_OF, write_tree

SKILLS = ["hubspot-automation", "zoho-crm-automation", "slack-automation", "notion-automation", "jira-automation",
          "gmail-automation", "asana-automation", "trello-automation", "linear-automation", "github-automation",
          "stripe-automation"]


def audit(root: Path) -> tuple[list, list]:
    config = load_config(root)
    entries = load_entries(root, config)
    return entries, check_entries(entries, config, dt.date.fromisoformat(AS_OF), root=root)


def test_an_index_readme_linking_the_skill_folders_is_an_index_not_a_second_entry(tmp_path: Path) -> None:
    files = {f"{name}/SKILL.md": f"---\nname: {name}\ndescription: Automate {name.split('-')[0].title()} tasks "
                                 "through Composio's toolkit.\n---\n# Usage\nText.\n" for name in SKILLS}
    bullets = "".join(f"- [{name.replace('-', ' ').title()}](./{name}/) - Automate "
                      f"{name.split('-')[0].title()} through Composio.\n" for name in SKILLS)
    files["README.md"] = ("# Awesome Claude Skills\n\nSkills for Claude, one folder each.\n\n## Business\n\n"
                          + bullets + "- [Composio](https://composio.dev) - The toolkit behind them.\n")
    write_tree(tmp_path, files)
    entries, findings = audit(tmp_path)
    assert [f for f in findings if f.code == "STR005"] == []
    assert sorted(e.id for e in entries if e.source_format == "skills") == sorted(SKILLS)
    # The one bullet that links something outside the directory is still a list entry (beside the list's own
    # entry, its prose: "Skills for Claude, one folder each.").
    assert [e.title for e in entries if e.source_format == "awesome" and e.lines] == ["Composio"]
    assert [e.id for e in entries if e.source_format == "awesome" and not e.lines] == ["README"]


def test_a_latest_additions_block_repeating_entries_listed_below_is_not_a_duplicate(tmp_path: Path) -> None:
    servers = [("Linear", "https://github.com/jerhadf/linear-mcp-server", "Manage Linear issues and projects "
                "from your agent with search and updates."),
               ("Neon", "https://github.com/neondatabase/mcp-server-neon", "Create and manage Neon Postgres "
                "databases and branches from natural language."),
               ("Stripe", "https://github.com/stripe/agent-toolkit", "Create Stripe customers, invoices and "
                "payment links through the Stripe API.")]
    filler = "".join(f"- **[Tool {n}](https://github.com/acme/tool-{n})** - Tool number {n} does one job well "
                     "for the agent.\n" for n in range(8))
    bullet = "".join(f"- **[{name}]({url})** - {text}\n" for name, url, text in servers)
    write_tree(tmp_path, {"README.md": "# Awesome MCP Servers\n\n## 🆕 Latest additions\n\n" + bullet
                          + "\n## Productivity\n\n" + filler + bullet})
    entries, findings = audit(tmp_path)
    assert len(entries) == 14  # the block is still read (a server listed only there is still an entry)
    assert [f for f in findings if f.code.startswith("DUP")] == []


LONG_ENGLISH = ("The report lists the symptom and the steps that reproduce it and the commit that introduced it and "
                "the test that now covers it and the owner who reviewed the fix and the date it shipped and the "
                "dashboard that confirms it and the follow-up tasks that remain open for the team.")
LONG_SPANISH = ("El informe enumera el síntoma y los pasos que lo reproducen y el cambio que lo introdujo y la prueba "
                "que ahora lo cubre y la persona que revisó la corrección y la fecha en que se publicó y el panel "
                "que lo confirma y las tareas pendientes que siguen abiertas para el equipo de guardia.")
LONG_JAPANESE = ("レポートには症状と再現手順と原因となったコミットと現在それをカバーしている"
                 "テストと修正をレビューした担当者と出荷日と確認用のダッシュボードと"
                 "残っているフォローアップ作業が一つの文にまとめて書かれています。") * 2


def test_english_prose_rules_do_not_judge_a_translation(tmp_path: Path) -> None:
    page = "---\nkind: skill\ntitle: {title}\nsummary: {summary}\n---\n## Steps\n{body}\n"
    write_tree(tmp_path, {
        "skills/incident-report.md": page.format(title="Incident report", summary="How to write one.",
                                                 body=LONG_ENGLISH),
        "skills/es-es/informe-de-incidentes.md": page.format(title="Informe de incidentes",
                                                            summary="Cómo escribir uno.", body=LONG_SPANISH),
        "skills/ja-jp/incident-report-ja.md": page.format(title="インシデントレポート", summary="書き方。",
                                                         body=LONG_JAPANESE),
    })
    _, findings = audit(tmp_path)
    assert sorted({f.path for f in findings if f.code.startswith("PRS")}) == ["skills/incident-report.md"]


def test_a_link_to_a_route_the_site_builds_from_its_pages_folder_is_not_broken(tmp_path: Path) -> None:
    page = ("---\ntitle: Learning Hub\ndescription: Guides and tutorials.\nlastUpdated: 2026-10-01\n---\n"
            "See the [Cookbook](cookbook/) for recipes, [agents](/agents/), the [setup](../setup/) page and a "
            "[missing page](../setup/gone/).\n")
    write_tree(tmp_path, {
        "website/src/content/docs/learning-hub/index.md": page,
        "website/src/content/docs/setup/index.md": "---\ntitle: Setup\ndescription: Install.\n---\nText.\n",
        "website/src/pages/learning-hub/cookbook/index.astro": "---\n---\n<Layout />\n",
        "website/src/pages/agents.astro": "---\n---\n<Layout />\n",
    })
    _, findings = audit(tmp_path)
    assert [f.evidence for f in findings if f.code == "XRF005"] == ["body: ../setup/gone/"]


def test_a_content_folder_link_to_a_page_the_site_serves_is_not_broken(tmp_path: Path) -> None:
    entry = ("---\nkind: skill\ntitle: Incident response\n---\nRead the [runbook guide](/guides/runbooks) and the "
             "[glossary](../docs/glossary) first; the [old page](/guides/retired) is gone.\n")
    write_tree(tmp_path, {
        "skills/incident-response.md": entry,
        "src/pages/guides/runbooks.astro": "---\n---\n<Layout />\n",
        "docs/glossary/index.mdx": "# Glossary\n",
    })
    _, findings = audit(tmp_path)
    assert [f.key for f in findings if f.code == "LNK004"] == ["/guides/retired"]
