"""Does `auditor check NEW-FILE` find what a full audit finds for that file, with no auditor.toml to say the root?

For each directory given (a copy is made under --work; the originals are never written), a new entry file is added
the way a contributor would (a skill folder, a YAML pair, a record file, a list bullet), the copy is made a git
work tree with no auditor.toml, and then, offline and from inside the copy:

    auditor audit . --format json          (the whole directory)
    auditor check NEW-FILE --format json   (no --root: the root and format are found)

The findings on the new file(s) are compared as (path, line, code, message). Prints one line per directory and
exits 1 when any differs.

    python bench/check_matches_audit.py CORPUS_DIR... [--work /tmp/check-vs-audit] [--as-of 2026-12-01]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

AUDITOR = [sys.executable, "-m", "auditor"]

SKILL = """---
name: brandnew-skill
description: 'TODO: say when to use this skill. Use this skill when the user asks for a brand new thing.'
---

# Brand new skill

Use this skill when the user asks for a brand new thing. See [the guide](https://example.invalid/guide).
"""

PAIR_YML = """name: Brandnew MCP Server
description: An MCP server that does something new for AI agents, with tools for TODO.
source_url: https://github.com/example/brandnew-mcp
category: Workflow & Orchestraton MCP Servers
tags:
  - Workflow
featured: false
markdown: |-
  ## Features

  - Lorem ipsum tools
updated_at: 2026-11-20 10:00
"""

PAIR_MD = """## Features

- Lorem ipsum tools
"""

RECORD = [{
    "id": "00000000-0000-4000-8000-000000000001",
    "name": "io.github.example/brandnew-mcp",
    "description": "TBD",
    "repository": {"url": "https://github.com/example/brandnew-mcp", "source": "github", "id": "1"},
    "version_detail": {"version": "0.0.1-seed", "release_date": "2025-05-16T18:56:49Z", "is_latest": True},
    "packages": [{"registry_name": "npm", "name": "@example/brandnew-mcp", "version": "0.0.1"}],
}]


def add_skill(root: Path) -> list[str]:
    path = root / "skills/brandnew-skill/SKILL.md"
    path.parent.mkdir(parents=True)
    path.write_text(SKILL, encoding="utf-8")
    return ["skills/brandnew-skill/SKILL.md"]


def add_pair(root: Path) -> list[str]:
    folder = root / "data/brandnew-mcp"
    folder.mkdir(parents=True)
    (folder / "brandnew-mcp.yml").write_text(PAIR_YML, encoding="utf-8")
    (folder / "brandnew-mcp.md").write_text(PAIR_MD, encoding="utf-8")
    return ["data/brandnew-mcp/brandnew-mcp.yml", "data/brandnew-mcp/brandnew-mcp.md"]


def add_record(root: Path) -> list[str]:
    target = next(root.rglob("seed_*.json")).parent / "brandnew.json"
    target.write_text(json.dumps(RECORD, indent=2) + "\n", encoding="utf-8")
    return [target.relative_to(root).as_posix()]


def add_bullet(root: Path) -> list[str]:
    """A bullet after the list's last linked bullet: the list file is the entry file."""
    readme = next(p for p in sorted(root.iterdir()) if p.name.lower() == "readme.md")
    lines = readme.read_text(encoding="utf-8").splitlines(keepends=True)
    last = max(i for i, line in enumerate(lines) if line.startswith(("- ", "* ")) and "](http" in line)
    lines.insert(last + 1, "- [Brandnew](https://example.invalid/brandnew) - TODO: describe it.\n")
    readme.write_text("".join(lines), encoding="utf-8")
    return [readme.name]


def new_entry_for(root: Path) -> Callable[[Path], list[str]]:
    if (root / "skills").is_dir():
        return add_skill
    if (root / "data").is_dir():
        return add_pair
    if any(root.rglob("seed_*.json")):
        return add_record
    return add_bullet


def findings_on(document: dict, paths: list[str]) -> set[tuple[str, int, str, str]]:
    return {(f["path"], f["line"], f["code"], f["message"]) for f in document["findings"] if f["path"] in paths}


def run(args: list[str], cwd: Path) -> tuple[dict, float, int, str]:
    started = time.monotonic()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    try:
        document = json.loads(done.stdout)
    except json.JSONDecodeError:
        document = {"findings": [], "summary": {}}
    return document, seconds, done.returncode, done.stderr.strip().splitlines()[0] if done.stderr.strip() else ""


def compare(corpus: Path, work: Path, as_of: str) -> bool:
    root = work / corpus.name
    shutil.rmtree(root, ignore_errors=True)
    shutil.copytree(corpus, root, ignore=shutil.ignore_patterns(".auditor", "auditor.toml", ".git"))
    added = new_entry_for(root)(root)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    audit, audit_s, _, _ = run([*AUDITOR, "audit", ".", "--offline", "--as-of", as_of, "--format", "json",
                                "--db", f"sqlite:///{work / (corpus.name + '.db')}",
                                "--report-dir", str(work / (corpus.name + "-report"))], root)
    check, check_s, code, first = run([*AUDITOR, "check", added[0], "--offline", "--as-of", as_of,
                                       "--format", "json"], root)
    full, alone = findings_on(audit, added), findings_on(check, added)
    same = full == alone and bool(full)
    summary = check.get("summary", {})
    print(f"{corpus.name}: added {', '.join(added)}; root {summary.get('root')}, formats {summary.get('formats')}; "
          f"audit {len(full)} findings ({audit_s:.1f} s), check {len(alone)} (exit {code}, {check_s:.1f} s): "
          f"{'same' if same else 'DIFFERENT'}")
    for item in sorted(full - alone):
        print(f"  only in audit: {item}")
    for item in sorted(alone - full):
        print(f"  only in check: {item}")
    if not summary:
        print(f"  check printed: {first}")
    return same


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("corpora", nargs="+", type=Path)
    parser.add_argument("--work", type=Path, default=Path("/tmp/check-vs-audit"))
    parser.add_argument("--as-of", default="2026-12-01")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results = [compare(corpus.resolve(), args.work.resolve(), args.as_of) for corpus in args.corpora]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
