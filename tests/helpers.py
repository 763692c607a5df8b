"""Small helpers the tests share: writing a directory of entry files."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

AS_OF = "2026-11-28"


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def skill(entry_id: str, related: list[str] | None = None, reviewed: str = "2026-10-01", owner: str = "sre-desk",
          extra_front: str = "", body: str | None = None) -> str:
    """A clean skill entry, with hooks to spoil it."""
    related_text = ", ".join(related or [])
    front = textwrap.dedent(f"""\
        ---
        kind: skill
        title: {entry_id.replace('-', ' ').capitalize()}
        summary: A well kept skill used by the tests.
        updated: 2026-10-01
        reviewed: {reviewed}
        owner: {owner}
        related: [{related_text}]
        """) + extra_front + "---\n"
    if body is None:
        body = textwrap.dedent("""\
            ## Use cases
            - When something needs doing.

            ## Key features
            - It does the thing.

            ## When to Use This Skill
            - When the thing needs doing.

            ## Expected Output
            The thing, done.

            ## Frequently Asked Questions
            ### Is it useful?
            Yes, for the tests.
            """)
    return front + body


def git(root: Path, *args: str) -> str:
    """Run git in `root` (a repository a test made); its output."""
    return subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True, text=True).stdout
