"""Awesome-style Markdown lists: `- **[Name](url)** - description` bullets under category headings.

Each bullet whose first link names something is an entry: its title the link text, its summary what follows the
separator (` - `, ` – `, ` — `, `: `), its link the first link, its category the heading path (`Community Servers /
Databases`, emoji left out) and, for nested bullets, the bullet above (`Platforms / Linux`, `Back-End
Development / Symfony`). Not
entries: a table of contents (links to `#anchors`), badges (`[![..](..)](..)`), favicon and logo images before the
name, emoji legends and bullets without a link, anything in fenced code or HTML blocks, and sections such as
Contents, Contributing and License. The id is the title as a slug; a second bullet with the same slug gets
`-2`, `-3` ... in list order. A bullet's description is its summary, and its body (the bullet line) is marked as
repeating it, so prose and claim rules read the description once. The file's prose outside its linked bullets is
one more entry, the list's own (see `list_entry`).
"""

from __future__ import annotations

import re
import unicodedata

from auditor.markdown_text import fenced_lines
from auditor.models import Entry
from auditor.sources.formats import FormatContext, Resolver, apply_field_map, excluded, link_refs

FORMAT = "awesome"
LIST_NAMES = ("readme", "additional", "awesome", "list")
SKIP_SECTIONS = {"contents", "table of contents", "toc", "contributing", "contribute", "license", "licence",
                 "sponsors", "backers", "contributors", "footnotes", "related lists", "legend", "star history"}
_BULLET = re.compile(r"^(\s*)[-*+]\s+(.*\S)\s*$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[a-z][^>]*>", re.IGNORECASE)
_BADGE = re.compile(r"\[!\[[^\]]*\]\([^)]*\)\]\([^)]*\)")
_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_LINK = re.compile(
    r"\[((?:[^\[\]]|\[[^\]]*\])+)\]"  # [name], one level of nested brackets allowed
    r"\(\s*<?([^()\s<>]*(?:\([^()\s]*\)[^()\s<>]*)*)>?(?:\s+\"[^\"]*\")?\s*\)"  # (url "title")
)
_SEPARATOR = re.compile(r"^\s*(?:\([^)]*\)\s*)*(?:[-–—:|]+|\s)\s*")
_AUTHOR = re.compile(r"^\s*(?:by|from)\s+(?:\[[^\]]*\]\([^)]*\)|@[\w.-]+)\s*(?=[-–—:|])", re.IGNORECASE)
_LEAD = re.compile(r"^(?:\s|\*\*|__|[*_`]|[^\w\[(<!])*")
MIN_BULLETS = 10
_HTML_BLOCK = re.compile(r"^<(div|table|details|p|picture)\b", re.IGNORECASE)
_HTML_CLOSE = re.compile(r"</(div|table|details|p|picture)>\s*$", re.IGNORECASE)
_LINKED = re.compile(r"^[\s*_]*!?\[")
_HTML_LIST = re.compile(r"<(table|details)\b", re.IGNORECASE)
_HTML_LINK = re.compile(r"<a\s[^>]*href=", re.IGNORECASE)


def _strip_emoji(text: str) -> str:
    kept = "".join(ch for ch in text if not (unicodedata.category(ch) in ("So", "Sk", "Cs", "Co", "Mn")
                                             or ch in "\ufe0f\u200d"))
    return " ".join(kept.split())


def slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "entry"


def entry_bullets(text: str) -> int:
    """How many bullets of a Markdown text open with a link (outside fenced code): what makes it a list."""
    count = 0
    lines = text.splitlines()
    for line, code in zip(lines, fenced_lines(lines), strict=True):
        if code:
            continue
        match = _BULLET.match(line)
        if match and _first_link(match.group(2)) is not None:
            count += 1
    return count


def claim(ctx: FormatContext, files: list[str]) -> list[str]:
    """Markdown files without front matter whose bullets are mostly links: README.md, readme.md ..."""
    found = []
    patterns = [p for p in ctx.config.settings.get("exclude") or [] if p not in ("README.md",)]
    for rel in files:
        name = rel.rsplit("/", 1)[-1].lower()
        if not name.startswith(LIST_NAMES) or not name.endswith(".md") or rel.count("/") > 2 \
                or excluded(rel, patterns):
            continue
        try:
            text = ctx.read_text(rel, None)
        except (OSError, UnicodeDecodeError):
            continue
        if not text.lstrip("\ufeff").startswith("---") and entry_bullets(text) >= MIN_BULLETS:
            found.append(rel)
    return found


def _first_link(item: str) -> tuple[str, str, int] | None:
    """(name, url, end offset) of the bullet's naming link, or None when the bullet does not open with one."""
    text = _IMG_TAG.sub(lambda m: " " * len(m.group(0)), item)
    text = _BADGE.sub(lambda m: " " * len(m.group(0)), text)
    text = _IMAGE.sub(lambda m: " " * len(m.group(0)), text)
    lead = _LEAD.match(text)
    at = lead.end() if lead else 0
    match = _LINK.match(text, at)
    if match is None:
        return None
    name = _strip_emoji(re.sub(r"[*_`]", "", _HTML_TAG.sub("", match.group(1)))).strip()
    url = match.group(2).strip()
    if not name or not url or url.startswith("#"):
        return None
    return name, url, match.end()


def _description(item: str, end: int) -> str:
    """What follows the name and its separator: badges and an author (`by [@me](..)`) before it are left out."""
    rest = item[end:]
    rest = re.sub(r"^\s*(\*\*|__)", "", rest)
    rest = _IMG_TAG.sub(" ", _BADGE.sub(" ", rest))
    rest = _IMAGE.sub(" ", rest)
    rest = _AUTHOR.sub("", rest, count=1)
    rest = _SEPARATOR.sub("", rest, count=1)
    return " ".join(_HTML_TAG.sub("", rest).split()).strip()


def read(ctx: FormatContext, files: list[str]) -> list[Entry]:
    mapping = ctx.field_map(FORMAT)
    kind = ctx.kind(FORMAT)
    off = ctx.rules_off()
    resolver = Resolver(ctx)
    entries: list[Entry] = []
    taken: set[str] = set()
    for rel in files:
        try:
            lines = ctx.read_text(rel, None).lstrip("\ufeff").splitlines()
        except (OSError, UnicodeDecodeError):
            continue  # claimed from the index a moment ago: it was a readable UTF-8 file then
        entries.extend(read_list(rel, lines, mapping, kind, off, ctx.config.kinds, taken, resolver, ctx.skipped))
    return entries


def read_list(rel: str, lines: list[str], mapping: dict[str, str], kind: str | None, off: set[str],
              kinds: tuple[str, ...], taken: set[str], resolver: Resolver | None = None,
              skipped: list[tuple[str, str]] | None = None) -> list[Entry]:
    """The entries of one list file: one per linked bullet, then the list's own entry, whose body is the file's
    prose outside those bullets (introduction, notes, FAQ, "recent updates"), so claims there are read too.
    HTML blocks that hold links (`<table>`, `<details>`) are not read; each is added to `skipped`."""
    entries: list[Entry] = []
    headings: list[tuple[int, str]] = []  # (level, title) of the open headings
    labels: list[tuple[int, str]] = []  # (indent, label) of open bullets that are not entries
    in_html = ""  # the tag of the open HTML block
    html_start, html_links = 0, 0
    in_item = False  # the lines after a linked bullet, up to a blank line, continue it
    prose = [""] * len(lines)  # the list's own text, line for line ("" where a line is not prose)
    has_h2 = any(line.startswith("## ") for line in lines)
    code = fenced_lines(lines)
    for number, line in enumerate(lines, start=1):
        if code[number - 1]:
            continue
        stripped = line.strip()
        opening = _HTML_BLOCK.match(stripped)
        if opening and not in_html:
            in_html, html_start, html_links = opening.group(1).lower(), number, 0
        if in_html:
            html_links += len(_HTML_LINK.findall(line))
            if in_html not in ("table", "details") and (inner := _HTML_LIST.search(line)):
                in_html = inner.group(1).lower()  # a table inside a centring <div>
            # An HTML block ends at its closing tag, or (as CommonMark has it) at a blank line.
            if not stripped or _HTML_CLOSE.search(stripped):
                if skipped is not None and html_links and in_html in ("table", "details"):
                    skipped.append((f"{rel}:{html_start}", f"an HTML <{in_html}> block with {html_links} "
                                                           f"link{'s' if html_links != 1 else ''}: not read as "
                                                           "list entries"))
                in_html = ""
            continue
        if not stripped:
            in_item = False
            continue
        heading = _HEADING.match(line)
        if heading:
            level = len(heading.group(1))
            headings = [h for h in headings if h[0] < level] + [(level, _strip_emoji(heading.group(2)))]
            labels = []
            in_item = False
            prose[number - 1] = line
            continue
        bullet = _BULLET.match(line)
        if not bullet:
            if not line.startswith((" ", "\t")):
                labels = []
            if not in_item and not stripped.startswith("<"):  # (a line of HTML is layout, not prose)
                prose[number - 1] = line
            continue
        in_item = _first_link(bullet.group(2)) is not None
        if not in_item and not _LINKED.match(bullet.group(2)):  # a bullet of links (contents) is not prose
            prose[number - 1] = line
        section = [title for level, title in headings if level > 1]
        if has_h2 and not section:
            continue  # the introduction, above the first section
        if any(title.lower().strip(" :") in SKIP_SECTIONS for title in section):
            continue
        indent = len(bullet.group(1).expandtabs(4))
        labels = [(i, label) for i, label in labels if i < indent]
        item = bullet.group(2)
        found = _first_link(item)
        if found is None:
            label = _strip_emoji(re.split(r"\s[-–—]\s|:\s", _HTML_TAG.sub("", item), maxsplit=1)[0])
            label = re.sub(r"[*_`]", "", label).strip()
            if label and len(label) <= 60:
                labels.append((indent, label))
            continue
        name, url, end = found
        record = {"name": name, "description": _description(item, end), "url": url}
        base = slug(name)
        entry_id = base
        counter = 2
        while entry_id in taken:
            entry_id = f"{base}-{counter}"
            counter += 1
        taken.add(entry_id)
        entry = Entry(id=entry_id, path=rel, source_format=FORMAT, body_start=number, body_lines=[line],
                      lines=(number, number), body_repeats_summary=True)
        entry.ignore |= off
        entry.field_lines = {"name": number, "description": number, "url": number}
        apply_field_map(entry, record, mapping, kind, kinds, dict(entry.field_lines))
        if "links.homepage" in mapping.values() and re.match(r"https?://(www\.)?(github|gitlab)\.com/", url):
            entry.links.setdefault("repo", entry.links.pop("homepage", url))
        entry.category = " / ".join(section + [label for _, label in labels]) or None
        entry.field_lines["category"] = number
        if resolver is not None:
            entry.refs.extend(link_refs(resolver, rel, [line], number))
        entries.append(entry)
        labels.append((indent, name))  # a nested bullet belongs to this one: `Back-End Development / Symfony`
    own = list_entry(rel, lines, prose, kind, kinds, off, taken)
    if own is not None:
        entries.append(own)
    return entries


def list_entry(rel: str, lines: list[str], prose: list[str], kind: str | None, kinds: tuple[str, ...],
               off: set[str], taken: set[str]) -> Entry | None:
    """The list file's own entry: its prose outside the linked bullets, at the file's own line numbers. Its id is
    the file's path without the suffix (`README`, `docs/README`); it has the format's kind, news excepted (a list
    is not a news item, and news is never judged for dated claims)."""
    last = max((i for i, text in enumerate(prose) if text.strip()), default=-1)
    if not any(text.strip() and not _HEADING.match(text) for text in prose):
        return None  # headings alone say nothing a rule could judge: no entry
    entry_id = re.sub(r"\.(md|markdown|mdx)$", "", rel, flags=re.IGNORECASE)
    while entry_id in taken:
        entry_id += "-list"
    taken.add(entry_id)
    title = next((_strip_emoji(m.group(2)) for m in map(_HEADING.match, lines) if m and len(m.group(1)) == 1),
                 None)
    entry = Entry(id=entry_id, path=rel, kind=kind if kind != "news" and kind in kinds else None,
                  title=title or rel.rsplit("/", 1)[-1], source_format=FORMAT, body_start=1,
                  body_lines=prose[:last + 1])
    entry.ignore |= off
    return entry
