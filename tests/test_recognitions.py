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
    # The one bullet that links something outside the directory is still a list entry.
    assert [e.title for e in entries if e.source_format == "awesome"] == ["Composio"]


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
