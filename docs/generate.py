"""Writes the generated pages of the docs site from the code, so nothing there is copied by hand.

    python docs/generate.py [DOCS_DIR]      # default: the folder this file is in

- `rules/<CODE>.md`, one page per rule, from the rule class (code, name, severity, family, what, why, example, fix,
  what it reads and its defaults) and its YAML cases in `tests/rules/cases/<CODE>.yml`, and `rules/index.md`;
- `reference/settings.md` from `auditor/settings.py` (every key, its default and the comment above it);
- `reference/cli.md` from the Typer app (every command, argument and option).

MkDocs runs it before every build (`docs/hooks.py`), so a new rule, setting or command has its page as soon as it
exists. The generated folders are not kept in git.
"""

from __future__ import annotations

import ast
import inspect
import io
import json
import re
import sys
import tokenize
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = ROOT / "tests" / "rules" / "cases"
SETTINGS_FILE = ROOT / "auditor" / "settings.py"
GENERATED = ("rules", "reference")  # the folders of the docs this script owns

sys.path.insert(0, str(ROOT))  # run as a script or from MkDocs' hook: the auditor of this checkout


def fence(text: str, lang: str = "") -> str:
    """`text` in a fenced block whose fence is longer than any run of backticks inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{lang}\n{text.rstrip()}\n{ticks}\n"


def toml_value(value: Any) -> str:
    """A default as it would be written in auditor.toml."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            name = key if re.fullmatch(r"[A-Za-z0-9_-]+", str(key)) else json.dumps(str(key))
            items.append(f"{name} = {toml_value(item)}")
        return "{" + ", ".join(items) + "}"
    return json.dumps(value, default=str)


def prose(text: str) -> str:
    """Text from the code as Markdown: `<` outside code spans is a character, not the start of an HTML tag."""
    parts = re.split(r"(`+[^`]*`+)", text)
    return "".join(part if part.startswith("`") else part.replace("<", "&lt;") for part in parts)


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return prose(text).replace("|", "\\|").replace("\n", " ")


# --- rules -----------------------------------------------------------------------------------------------------


def rule_page_name(code: str) -> str:
    return f"{code}.md"


def _pack_files() -> dict[str, str]:
    """Every rule pack file, as `rules/<rel>` -> the auditor.toml table that overrides it."""
    from auditor.config import RULES_DIR

    found = {}
    for path in sorted(RULES_DIR.rglob("*.yml")):
        rel = path.relative_to(RULES_DIR)
        found[f"rules/{rel.as_posix()}"] = "pack." + ".".join(rel.with_suffix("").parts)
    return found


def _reads(rule: type, text: str, source: str) -> tuple[list[str], list[str]]:
    """The rule pack files and settings a rule reads, from its docs and its module's code."""
    from auditor.settings import DEFAULTS

    packs = []
    for rel in _pack_files():
        stem = rel.removeprefix("rules/").removesuffix(".yml")
        folder = stem.split("/")[0] + "/"
        named = rel in text or rel in source or (f"rules/{folder}" in text and "/" in stem and
                                                 stem.split("/")[-1] == getattr(rule, "pack", None))
        read = "/" not in stem and (f'pack.get("{stem}"' in source or f'pack["{stem}"]' in source)
        if named or read:
            packs.append(rel)
    settings = [key for key in DEFAULTS
                if f"`{key}`" in text or f'settings.get("{key}"' in source or f'settings["{key}"]' in source]
    return packs, settings


def _pack_defaults(rel: str) -> list[tuple[str, str]]:
    """The top-level values of a pack file: scalars as they are, lists and tables by their size."""
    from auditor.config import RULES_DIR

    data = yaml.safe_load((RULES_DIR / rel.removeprefix("rules/")).read_text(encoding="utf-8")) or {}
    rows = []
    if not isinstance(data, dict):
        return rows
    for key, value in data.items():
        if isinstance(value, dict):
            shown = f"a table of {len(value)} keys: " + ", ".join(f"`{k}`" for k in list(value)[:8])
            shown += " ..." if len(value) > 8 else ""
        elif isinstance(value, list):
            shown = f"a list of {len(value)}"
            if value and all(isinstance(v, str | int | float) for v in value[:5]):
                shown += ": " + ", ".join(f"`{v}`" for v in value[:5]) + (" ..." if len(value) > 5 else "")
        else:
            shown = f"`{toml_value(value)}`"
        rows.append((str(key), shown))
    return rows


def _case_block(case: dict[str, Any]) -> str:
    parts = []
    for field, label in (("files", "File"), ("documents", "Post-mortem")):
        for rel, content in (case.get(field) or {}).items():
            if isinstance(content, dict) and "bytes_b64" in content:
                parts.append(f"{label} `{rel}`: raw bytes (not UTF-8 text)\n")
                continue
            if isinstance(content, dict):  # a post-mortem built from tests/rules/postmortem_base.yml
                content = yaml.safe_dump(content, sort_keys=False, allow_unicode=True)
                parts.append(f"{label} `{rel}`, the base post-mortem of `tests/rules/postmortem_base.yml` with:\n\n"
                             + fence(content, "yaml"))
                continue
            lang = {"md": "markdown", "yml": "yaml", "yaml": "yaml", "json": "json", "toml": "toml"}.get(
                rel.rsplit(".", 1)[-1], "")
            parts.append(f"{label} `{rel}`:\n\n" + fence(str(content), lang))
    if case.get("config"):
        parts.append("With this `auditor.toml`:\n\n" + fence(str(case["config"]), "toml"))
    for field, label in (("registry", "Package registry answers"), ("links", "Web link verdicts"),
                         ("site", "What the crawled page shows")):
        if case.get(field):
            parts.append(f"{label}:\n\n" + fence(yaml.safe_dump(case[field], sort_keys=False,
                                                                   allow_unicode=True), "yaml"))
    if case.get("as_of"):
        parts.append(f"Audited as of {case['as_of']}.\n")
    expect = case.get("expect") or []
    if expect:
        lines = []
        for item in expect:
            where = f"`{item.get('path', '')}`" + (f" line {item['line']}" if "line" in item else "")
            where += f" at `{item['at']}`" if "at" in item else ""
            said = "; ".join(f"{key} says \"{item[key]}\"" for key in ("message", "fix", "evidence") if key in item)
            lines.append(f"- {where}" + (f": {said}" if said else ""))
        parts.append("Reported:\n\n" + "\n".join(lines) + "\n")
    else:
        parts.append("Nothing is reported.\n")
    return "\n".join(parts)


def rule_page(rule: type) -> str:
    """One rule's page."""
    from auditor.settings import DEFAULTS

    module = sys.modules[rule.__module__]
    source = inspect.getsource(module)
    text = "\n".join(str(getattr(rule, field, "")) for field in ("what", "why", "example", "fix"))
    family = "".join(ch for ch in rule.code if ch.isalpha())
    out = [f"# {rule.code} {rule.name}\n", f"{prose(rule.title)}\n"]
    facts = [
        ("Code", f"`{rule.code}`"), ("Name", f"`{rule.name}`"), ("Family", f"[{family}](index.md#{family.lower()})"),
        ("Default severity", rule.severity.name),
        ("On by default", "yes" if rule.enabled_by_default else "no (turn it on with `enable` under `[rules]`)"),
        ("Opens tickets", "yes" if rule.on_tickets else "no (it says a check could not run: shown, never ticketed)"),
        ("Reason on tickets", f"`{rule.reason}`"),
    ]
    if rule.claim:
        facts.append(("Staleness score", f"its findings age as a `{rule.claim}` claim"))
    if rule.convention:
        facts.append(("Can be a convention", f"accepted by `{rule.convention}`"))
    out.append("| | |\n| --- | --- |\n" + "\n".join(f"| {k} | {cell(v)} |" for k, v in facts) + "\n")
    for heading, field in (("What it does", "what"), ("Why", "why"), ("Example", "example"), ("How to fix", "fix")):
        out.append(f"## {heading}\n\n{prose(str(getattr(rule, field)).strip())}\n")
    packs, settings = _reads(rule, text, source)
    out.append("## Options\n")
    out.append(f"Silence it for one entry with `audit-ignore: [{rule.code}]` in the entry's front matter, for the "
               f"directory with `disable = [\"{rule.code}\"]` under `[rules]` in `auditor.toml`, or change its "
               f"severity under `[rules.severity]` (`{rule.code} = \"error\"`). See "
               f"[Configuration](../configuration.md).\n")
    for rel in packs:
        table = _pack_files()[rel]
        rows = _pack_defaults(rel)
        out.append(f"It reads the rule pack `{rel}`; override any of its values under `[{table}]` in "
                   f"`auditor.toml`.\n")
        if rows:
            out.append("| key | default |\n| --- | --- |\n" + "\n".join(f"| `{k}` | {cell(v)} |" for k, v in rows)
                       + "\n")
    if settings:
        out.append("Settings it reads (under `[settings]`; see the [settings reference](../reference/settings.md)):"
                   "\n\n| setting | default |\n| --- | --- |\n"
                   + "\n".join(f"| `{key}` | `{cell(toml_value(DEFAULTS[key]))}` |" for key in settings) + "\n")
    cases_file = CASES_DIR / f"{rule.code}.yml"
    if cases_file.is_file():
        cases = (yaml.safe_load(cases_file.read_text(encoding="utf-8")) or {}).get("cases") or []
        out.append(f"## Examples\n\nThe rule's test cases (`tests/rules/cases/{rule.code}.yml`), each run by the "
                   f"test suite.\n")
        for title, wanted in (("What it reports", True), ("What it does not report", False)):
            chosen = [case for case in cases if bool(case.get("expect")) == wanted]
            if chosen:
                out.append(f"### {title}\n")
                for case in chosen:
                    out.append(f"#### {case.get('name', 'case')}\n\n{_case_block(case)}")
    return "\n".join(out)


def rules_index(rules: Iterable[type]) -> str:
    out = ["# Rules\n",
           "Every rule the auditor runs, generated from the rule classes. `auditor rules explain CODE` prints the "
           "same What / Why / Example / How to fix in a terminal. How rules report (suggestions, duplicates, "
           "conventions, prose styles) is in [How rules report](../rules-guide.md).\n"]
    by_family: dict[str, list[type]] = {}
    for rule in rules:
        by_family.setdefault("".join(ch for ch in rule.code if ch.isalpha()), []).append(rule)
    for family, members in sorted(by_family.items()):
        out.append(f"## {family}\n\n| code | name | severity | what it finds |\n| --- | --- | --- | --- |")
        for rule in members:
            out.append(f"| [{rule.code}]({rule_page_name(rule.code)}) | {rule.name} | {rule.severity.name} | "
                       f"{cell(rule.title)} |")
        out.append("")
    return "\n".join(out)


# --- settings --------------------------------------------------------------------------------------------------


def _comments(source: str) -> dict[int, str]:
    """Comment text by line number, for lines holding only a comment."""
    found = {}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and not token.line[: token.start[1]].strip():
            found[token.start[0]] = token.string.lstrip("#").strip()
    return found


def settings_table(name: str) -> list[tuple[str, str, str, str]]:
    """(section, key, default, meaning) for each key of the dict `name` in auditor/settings.py, in order.

    A key's meaning is the comment block right above it; keys with none share the block above the first of them.
    A comment `--- title ---` starts a section."""
    import auditor.settings as settings_module

    defaults = getattr(settings_module, name)
    source = SETTINGS_FILE.read_text(encoding="utf-8")
    comments = _comments(source)
    tree = ast.parse(source)
    node = next(n.value for n in tree.body if isinstance(n, ast.AnnAssign | ast.Assign)
                and any(getattr(t, "id", None) == name for t in ([n.target] if isinstance(n, ast.AnnAssign)
                                                                  else n.targets)))
    rows: list[tuple[str, str, str, str]] = []
    section, shared_from = "", ""
    for key_node in node.keys:
        key = ast.literal_eval(key_node)
        block, line = [], key_node.lineno - 1
        while line in comments:
            block.insert(0, comments[line])
            line -= 1
        headers = [c for c in block if re.fullmatch(r"-{3}.*-{3}", c)]
        if headers:
            section = headers[-1].strip("- ").strip()
            block = block[block.index(headers[-1]) + 1:]
        if block:
            meaning, shared_from = " ".join(block), key
        else:
            meaning = f"(with `{shared_from}` above)" if shared_from else ""
        rows.append((section, key, toml_value(defaults[key]), meaning))
    return rows


def settings_page() -> str:
    out = ["# Settings reference\n",
           "Generated from `auditor/settings.py`, where every setting and its default is defined once. Set them "
           "in the `[settings]` table of the directory's `auditor.toml` (see [Configuration](../configuration.md));"
           " the command line overrides them where it has an option.\n"]
    out.append("## `[settings]`\n")
    section = None
    for sect, key, default, meaning in settings_table("DEFAULTS"):
        if sect != section:
            if section is not None or sect:
                out.append(f"\n### {sect or 'General'}\n")
            out.append("| setting | default | meaning |\n| --- | --- | --- |")
            section = sect
        out.append(f"| `{key}` | `{cell(default)}` | {cell(meaning)} |")
    out.append("\n## `[schedule]`\n\nThe keys of the `[schedule]` table `auditor schedule` reads (see "
               "[Scheduled audits](../scheduling.md)); those marked (per audit) may be set on each "
               "`[[schedule.audits]]` too.\n")
    out.append("| key | default | meaning |\n| --- | --- | --- |")
    for _sect, key, default, meaning in settings_table("SCHEDULE_DEFAULTS"):
        out.append(f"| `{key}` | `{cell(default)}` | {cell(meaning)} |")
    return "\n".join(out) + "\n"


# --- CLI -------------------------------------------------------------------------------------------------------


def _commands(command: Any, path: list[str]) -> Iterable[tuple[list[str], Any]]:
    yield path, command
    children = getattr(command, "commands", None) or {}
    for name in sorted(children):
        yield from _commands(children[name], [*path, name])


def _default(param: Any) -> str:
    default = getattr(param, "default", None)
    default = getattr(default, "value", default)  # an Enum choice
    if default is None or default == () or callable(default) or default is False and getattr(param, "is_flag", 0):
        return ""
    return f"`{default}`"


def cli_page() -> str:
    import typer

    from auditor.cli import app

    root = typer.main.get_command(app)
    context_class = type(root).context_class
    out = ["# Command-line reference\n",
           "Generated from the auditor's Typer app: every command with its arguments and options, as "
           "`auditor COMMAND --help` prints them. The [commands overview](../commands.md) says what each is for.\n"]
    for path, command in _commands(root, ["auditor"]):
        if getattr(command, "hidden", False):
            continue
        title = " ".join(path)
        out.append(f"## `{title}`\n")
        help_text = inspect.cleandoc(command.help or "")
        if help_text:
            out.append(prose(help_text) + "\n")
        ctx = context_class(command, info_name=title)
        out.append(fence(f"{title} " + " ".join(command.collect_usage_pieces(ctx)), "sh"))
        rows = []
        for param in command.params:
            if getattr(param, "hidden", False) or param.name == "help":
                continue
            shown_type = param.display_type(ctx) if callable(getattr(param, "display_type", None)) else ""
            if param.param_type_name == "argument":
                name = f"`{param.name}`"
                kind = "argument" + ("" if param.required else ", optional")
            else:
                name = " / ".join(f"`{n}`" for n in [*param.opts, *param.secondary_opts])
                kind = "flag" if getattr(param, "is_flag", False) else "option"
            if shown_type and not getattr(param, "is_flag", False):
                kind += f" `{shown_type}`"
            meaning = cell(getattr(param, "help", "") or "")
            rows.append(f"| {name} | {cell(kind)} | {cell(_default(param))} | {meaning} |")
        if rows:
            out.append("| parameter | kind | default | meaning |\n| --- | --- | --- | --- |\n" + "\n".join(rows) + "\n")
    return "\n".join(out)


# --- all -------------------------------------------------------------------------------------------------------


def pages() -> dict[str, str]:
    """Every generated page, by its path under the docs folder."""
    from auditor.checks.engine import all_rules

    rules = all_rules()
    found = {f"rules/{rule_page_name(rule.code)}": rule_page(rule) for rule in rules}
    found["rules/index.md"] = rules_index(rules)
    found["reference/settings.md"] = settings_page()
    found["reference/cli.md"] = cli_page()
    return found


def generate(docs_dir: Path) -> list[Path]:
    """Write the generated pages under `docs_dir`, removing generated pages of rules that are gone; a page whose
    text is unchanged is not rewritten (so `mkdocs serve` does not rebuild forever). Returns the pages written."""
    wanted = pages()
    written = []
    for folder in GENERATED:
        for old in (docs_dir / folder).glob("*.md"):
            if f"{folder}/{old.name}" not in wanted:
                old.unlink()
    for rel, text in wanted.items():
        target = docs_dir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            written.append(target)
    return written


if __name__ == "__main__":
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    changed = generate(out_dir)
    print(f"{len(pages())} generated pages in {out_dir} ({len(changed)} written)")
