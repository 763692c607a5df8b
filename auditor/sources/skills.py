"""SKILL.md folders (the Agent Skills layout): `skills/<name>/SKILL.md` with `name` and `description` front matter,
next to the files the skill bundles. The folder is the entry's id; a `name` that differs from it is reported
(STR016), since tools install and invoke a skill by its `name`.
"""

from __future__ import annotations

import posixpath

from auditor.models import Entry, LoadProblem
from auditor.sources.docs_pages import read_page
from auditor.sources.formats import FormatContext, Resolver

FORMAT = "skills"
SKILL_FILE = "SKILL.md"


def claim(ctx: FormatContext, files: list[str]) -> list[str]:
    return [rel for rel in files if posixpath.basename(rel) == SKILL_FILE and "/" in rel]


def bundled(files: list[str], skill_files: list[str]) -> set[str]:
    """Every file inside a skill's folder: the skill's own material, never an entry of its own."""
    folders = tuple(posixpath.dirname(rel) + "/" for rel in skill_files)
    return {rel for rel in files if rel.startswith(folders)} if folders else set()


def read(ctx: FormatContext, files: list[str]) -> list[Entry]:
    resolver = Resolver(ctx)
    mapping = ctx.field_map(FORMAT)
    kind = ctx.kind(FORMAT)
    off = ctx.rules_off()
    entries = []
    for rel in files:
        folder = posixpath.basename(posixpath.dirname(rel))
        entry = read_page(ctx, rel, resolver, mapping, kind, off, entry_id=folder, fmt=FORMAT)
        entry.id = folder
        name = entry.meta.get("name")
        if isinstance(name, str | int) and str(name).strip() and str(name).strip() != folder:
            entry.problems.append(LoadProblem(
                "name-mismatch", f"`name` is `{str(name).strip()}` but the skill's folder is `{folder}`",
                entry.line_of("name"), field="name", evidence=f"name: {name}"))
        entries.append(entry)
    return entries
