"""SKILL.md folders (the Agent Skills layout): `skills/<name>/SKILL.md` with `name` and `description` front matter,
next to the files the skill bundles. The folder is the entry's id; a `name` that differs from it is reported
(STR016), since tools install and invoke a skill by its `name`, unless the skill is nested in another skill's folder
under a namespaced name (`qdrant-scaling/minimize-latency` named `qdrant-minimize-latency`). A `name` that breaks
the specification's naming rule is reported too (STR019).
"""

from __future__ import annotations

import posixpath
import re

from auditor.models import Entry, LoadProblem
from auditor.sources.docs_pages import read_page
from auditor.sources.formats import FormatContext, Resolver

FORMAT = "skills"
SKILL_FILE = "SKILL.md"
# The Agent Skills specification's rule for `name`: lowercase letters, digits and single inner hyphens, 64 at most.
NAME_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NAME_MAX = 64


def claim(ctx: FormatContext, files: list[str]) -> list[str]:
    return [rel for rel in files if rel.endswith("/" + SKILL_FILE)]  # its file name, in a folder


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
    skill_folders = {posixpath.dirname(rel) for rel in files}
    for rel in files:
        folder = posixpath.basename(posixpath.dirname(rel))
        entry = read_page(ctx, rel, resolver, mapping, kind, off, entry_id=folder, fmt=FORMAT)
        entry.id = folder
        name = entry.meta.get("name")
        name_text = str(name).strip() if isinstance(name, str | int) else ""
        if name_text and name_text != folder and not namespaced(name_text, posixpath.dirname(rel), skill_folders):
            entry.problems.append(LoadProblem(
                "name-mismatch", f"`name` is `{name_text}` but the skill's folder is `{folder}`",
                entry.line_of("name"), field="name", evidence=f"name: {name}"))
        if name_text and (len(name_text) > NAME_MAX or not NAME_PATTERN.match(name_text)):
            entry.problems.append(LoadProblem(
                "invalid-skill-name",
                f"`name` `{name_text}` breaks the Agent Skills naming rule: {name_fault(name_text)}",
                entry.line_of("name"), field="name", evidence=f"name: {name}"))
        entries.append(entry)
    return entries


def namespaced(name: str, folder_path: str, skill_folders: set[str]) -> bool:
    """A sub-skill nested in another skill's folder, named `<namespace>-<folder>` where the namespace begins an
    enclosing skill's folder name: `qdrant-scaling/minimize-latency` named `qdrant-minimize-latency`."""
    folder = posixpath.basename(folder_path)
    if not name.endswith("-" + folder):
        return False
    prefix = name[: -len(folder) - 1]
    parent = posixpath.dirname(folder_path)
    while parent:
        outer = posixpath.basename(parent)
        if parent in skill_folders and (outer == prefix or outer.startswith(prefix + "-")):
            return True
        parent = posixpath.dirname(parent)
    return False


def name_fault(name: str) -> str:
    """What is wrong with a skill name, in the words of the Agent Skills rule."""
    if len(name) > NAME_MAX:
        return f"{len(name)} characters, at most {NAME_MAX}"
    if name != name.lower():
        return "capital letters (only lowercase letters, digits and hyphens)"
    if name.startswith("-") or name.endswith("-"):
        return "a leading or trailing hyphen"
    if "--" in name:
        return "a double hyphen"
    bad = sorted({ch for ch in name if not (ch.isascii() and (ch.isalnum() or ch == "-"))})
    return f"{', '.join(repr(ch) for ch in bad)} (only lowercase letters, digits and hyphens)"
